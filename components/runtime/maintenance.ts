// The maintenance origin: a Cloudflare Worker (module syntax) that answers every request with 503,
// Retry-After and a short page (JSON for API clients). It is the load balancer's fallback pool:
// Cloudflare sends traffic there only when every pool of a code's list is unhealthy, and never
// health-checks it, so it must be something that is always up and never pretends to be a region.
// Pure: the tests run the rendered module in Node's own fetch runtime.

export const MAINTENANCE_RETRY_AFTER_SECONDS = 300;

export function renderMaintenanceWorker(o: { domain: string }): string {
    const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${o.domain} is down for maintenance</title></head><body style="font-family:sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem">` +
        `<h1>We'll be right back</h1><p>Sign-in at ${o.domain} is unavailable in every region right now. ` +
        `Please try again in a few minutes.</p></body></html>`;
    const body = JSON.stringify({ error: { code: 503, status: "Service Unavailable", reason: `${o.domain} is unavailable in every region. Retry later.` } });
    return `// Rendered by components/runtime/maintenance.ts: the load balancer's fallback origin.
const PAGE = ${JSON.stringify(page)};
const JSON_BODY = ${JSON.stringify(body)};
export default {
  async fetch(request) {
    const wantsJson = (request.headers.get("accept") || "").includes("application/json") || new URL(request.url).pathname.startsWith("/oauth2/");
    return new Response(wantsJson ? JSON_BODY : PAGE, {
      status: 503,
      headers: {
        "content-type": wantsJson ? "application/json" : "text/html; charset=utf-8",
        "retry-after": "${MAINTENANCE_RETRY_AFTER_SECONDS}",
        "cache-control": "no-store",
      },
    });
  },
};
`;
}
