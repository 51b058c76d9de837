// Real Caddy (Debian's caddy) running the rendered Caddyfile in front of small stand-in upstreams,
// and the rendered readiness probe run for real: /healthz, routing, cache headers.

import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { renderCaddyfile } from "../../components/runtime/caddyfile";
import { renderReadinessScript } from "../../components/runtime/readiness";
import { APP_SERVICES, AppService, SERVICE_SPECS, STATIC_CACHE_CONTROL } from "../../components/runtime/services";
import { freePort } from "../../tools/pgcluster";

interface StandIn {
    readonly port: number;
    healthy: boolean;
    /** Stop listening (the service is down), and listen again on the same port. */
    close(): Promise<void>;
    open(): Promise<void>;
}

/** An upstream that says who it is and what it was asked, and answers its health path as told. */
async function standIn(service: AppService): Promise<StandIn> {
    const port = await freePort();
    const state = { healthy: true };
    let server: http.Server | undefined;
    const open = async () => {
        server = http.createServer((req, res) => {
            if (req.url === SERVICE_SPECS[service].health) {
                res.writeHead(state.healthy ? 200 : 503).end(state.healthy ? "ok" : "down");
                return;
            }
            res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ service, path: req.url, host: req.headers.host }));
        });
        await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
    };
    await open();
    return {
        port,
        get healthy() { return state.healthy; },
        set healthy(v: boolean) { state.healthy = v; },
        close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
        open,
    };
}

function get(url: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = "";
            res.on("data", (d) => { body += d; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        }).on("error", reject);
    });
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
        if (await check().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
}

describe("integration: Caddy and the readiness probe", function () {
    this.timeout(60_000);
    let dir: string;
    let caddy: ChildProcess;
    let base: string;
    let probe: string;
    const upstreams = {} as Record<AppService, StandIn>;

    before(async () => {
        const version = spawnSync("caddy", ["version"], { encoding: "utf8" });
        assert.strictEqual(version.status, 0, "Caddy is not installed (Debian's caddy package; .ci/run installs it)");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "olympus-caddy-"));
        for (const s of APP_SERVICES) upstreams[s] = await standIn(s);
        const port = await freePort();
        base = `http://127.0.0.1:${port}`;
        const healthDir = path.join(dir, "health");
        fs.mkdirSync(healthDir);
        fs.writeFileSync(path.join(dir, "Caddyfile"), renderCaddyfile({
            address: base,
            tls: "none",
            healthDir,
            upstreams: Object.fromEntries(APP_SERVICES.map((s) => [s, `127.0.0.1:${upstreams[s].port}`])) as Record<AppService, string>,
        }));
        probe = path.join(dir, "readiness.sh");
        fs.writeFileSync(probe, renderReadinessScript({
            healthDir,
            timeoutSeconds: 2,
            checks: APP_SERVICES.map((s) => ({ name: s, url: `http://127.0.0.1:${upstreams[s].port}${SERVICE_SPECS[s].health}` })),
        }), { mode: 0o755 });
        caddy = spawn("caddy", ["run", "--config", path.join(dir, "Caddyfile"), "--adapter", "caddyfile"], { stdio: ["ignore", "ignore", "pipe"] });
        let log = "";
        caddy.stderr!.on("data", (d) => { log += d; });
        await waitFor(async () => (await get(`${base}/healthz`)).status > 0, `Caddy to listen (log: ${log})`);
    });

    after(async () => {
        caddy?.kill();
        await Promise.all(Object.values(upstreams).map((u) => u.close()));
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Run the probe without blocking this process: the stand-ins it checks live here. */
    const runProbe = () => new Promise<{ status: number; stdout: string }>((resolve) => {
        const child = spawn("bash", [probe], { stdio: ["ignore", "pipe", "inherit"] });
        let stdout = "";
        child.stdout.on("data", (d) => { stdout += d; });
        child.on("close", (status) => resolve({ status: status ?? -1, stdout }));
    });

    it("answers 503 on /healthz before the probe has found the region ready", async () => {
        const res = await get(`${base}/healthz`);
        assert.deepStrictEqual([res.status, res.body, res.headers["cache-control"]], [503, "not ready", "no-store"]);
    });

    it("answers 200 once the probe finds every service healthy", async () => {
        const r = await runProbe();
        assert.strictEqual(r.status, 0, r.stdout);
        assert.strictEqual(r.stdout.trim(), "olympus-readiness: ready");
        const res = await get(`${base}/healthz`);
        assert.deepStrictEqual([res.status, res.body, res.headers["cache-control"]], [200, "ready", "no-store"]);
    });

    it("flips to 503 when a service fails its health check, naming it, and back to 200 when it recovers", async () => {
        upstreams.kratos.healthy = false;
        const down = await runProbe();
        assert.strictEqual(down.status, 1);
        assert.strictEqual(down.stdout.trim(), "olympus-readiness: not ready: kratos: 503");
        assert.strictEqual((await get(`${base}/healthz`)).status, 503);
        assert.match(fs.readFileSync(path.join(dir, "health", "status"), "utf8"), /^not ready \S+: kratos: 503\n$/);
        upstreams.kratos.healthy = true;
        assert.strictEqual((await runProbe()).status, 0);
        assert.strictEqual((await get(`${base}/healthz`)).status, 200);
    });

    it("counts a service that does not answer at all as not ready", async () => {
        await upstreams.athena.close();
        const r = await runProbe();
        assert.strictEqual(r.stdout.trim(), "olympus-readiness: not ready: athena: 000");
        assert.strictEqual((await get(`${base}/healthz`)).status, 503);
        await upstreams.athena.open();
        assert.strictEqual((await runProbe()).status, 0);
        assert.strictEqual((await get(`${base}/healthz`)).status, 200);
    });

    const routes: [string, AppService, string][] = [
        ["/oauth2/auth?client_id=x", "hydra", "/oauth2/auth?client_id=x"],
        ["/.well-known/openid-configuration", "hydra", "/.well-known/openid-configuration"],
        ["/.well-known/jwks.json", "hydra", "/.well-known/jwks.json"],
        ["/userinfo", "hydra", "/userinfo"],
        ["/self-service/login/browser", "kratos", "/self-service/login/browser"],
        ["/sessions/whoami", "kratos", "/sessions/whoami"],
        ["/schemas/default", "kratos", "/schemas/default"],
        ["/login", "hera", "/login"],
        ["/", "hera", "/"],
        // Admin APIs are never routed: these paths land on Hera's UI, not on an admin port.
        ["/admin/identities", "hera", "/admin/identities"],
        ["/admin/clients", "hera", "/admin/clients"],
    ];
    for (const [url, service, seen] of routes) {
        it(`routes ${url} to ${service}`, async () => {
            const res = await get(`${base}${url}`);
            assert.strictEqual(res.status, 200);
            assert.deepStrictEqual(JSON.parse(res.body).service, service);
            assert.strictEqual(JSON.parse(res.body).path, seen);
        });
    }

    it("routes /athena/* to Athena with the prefix stripped", async () => {
        const res = await get(`${base}/athena/relation-tuples/check`);
        assert.strictEqual(res.status, 200);
        assert.deepStrictEqual(JSON.parse(res.body), { service: "athena", path: "/relation-tuples/check", host: base.replace("http://", "") });
    });

    it("marks Hera's static assets cacheable for a year, and API answers never cacheable", async () => {
        const asset = await get(`${base}/assets/app.3f9a2c.js`);
        assert.deepStrictEqual([asset.status, JSON.parse(asset.body).service, asset.headers["cache-control"]], [200, "hera", STATIC_CACHE_CONTROL]);
        const api = await get(`${base}/sessions/whoami`);
        assert.strictEqual(api.headers["cache-control"], "no-store");
        const page = await get(`${base}/login`);
        assert.strictEqual(page.headers["cache-control"], undefined, "Hera decides for its pages");
    });
});
