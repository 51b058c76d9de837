// The Caddyfile of an app server: path routing to Hera, Hydra, Kratos and Athena, long cache
// headers on Hera's static assets, and /healthz, which answers 200 only while the readiness probe
// says this region is ready (the probe keeps a `ready` file; Caddy checks it on every request).
// Behind Cloudflare: the origin certificate, Cloudflare's client certificate required on every
// request but /healthz (authenticated origin pulls), the pin cookie after identity writes, and a
// 503 with Retry-After to writes while a `writes-paused` file exists (schema migrations).
// Pure: the integration tests run the very same text in real Caddy with stand-in upstreams.

import { PIN_PATHS, WRITE_METHODS, WRITE_PATHS } from "../../topology/operations";
import { APP_SERVICES, AppService, SERVICE_SPECS, STATIC_ASSET_PATHS, STATIC_CACHE_CONTROL } from "./services";

export interface CaddyfileOptions {
    /** The site address: `:443` on a server, `http://127.0.0.1:PORT` in a test. */
    readonly address: string;
    /**
     * `{ cert, key }`: files of the origin certificate; `internal`: Caddy's own self-signed
     * certificate; `none` for a plain-HTTP address. Never ACME: the origins sit behind the load balancer.
     */
    readonly tls: { readonly cert: string; readonly key: string } | "internal" | "none";
    /** host:port of each service, e.g. `hydra:4444` in the compose network. */
    readonly upstreams: Readonly<Record<AppService, string>>;
    /** The directory where the readiness probe keeps its `ready` file. */
    readonly healthDir: string;
    /**
     * Authenticated origin pulls: the CA of the client certificate Cloudflare presents. Every
     * request but /healthz must carry a certificate it signed (a certificate it did not sign fails
     * the TLS handshake); /healthz stays open so the load balancer's monitor can read readiness.
     */
    readonly originPullCa?: string;
    /**
     * The pin: on a response to an identity write, a cookie naming this region (`value`), which the
     * load balancer's rule reads to keep the client where the fresh write is.
     */
    readonly pin?: { readonly cookie: string; readonly value: string; readonly ttlSeconds: number };
    /** The admin API's address (loopback): `off` where nothing reloads this Caddy. Default localhost:2019, Caddy's own. */
    readonly admin?: string;
    /** While `<healthDir>/writes-paused` exists, writes answer 503 with Retry-After. Default true. */
    readonly pausableWrites?: boolean;
}

/** What a paused write is told: try again in two minutes. */
export const WRITES_PAUSED_RETRY_AFTER_SECONDS = 120;
export const WRITES_PAUSED_FILE = "writes-paused";

const indent = (lines: string[], depth = 1) => lines.map((l) => (l === "" ? "" : `${"\t".repeat(depth)}${l}`));

export function renderCaddyfile(o: CaddyfileOptions): string {
    const tls = o.tls === "none" ? [] : o.tls === "internal" ? ["tls internal"] : o.originPullCa
        ? [`tls ${o.tls.cert} ${o.tls.key} {`, "\tclient_auth {", "\t\tmode verify_if_given", `\t\ttrusted_ca_cert_file ${o.originPullCa}`, "\t}", "}"]
        : [`tls ${o.tls.cert} ${o.tls.key}`];
    const pullGate = o.originPullCa ? [
        "",
        "# Authenticated origin pulls: only Cloudflare, with the zone's client certificate, gets past here.",
        "@anonymous {",
        "\tnot path /healthz",
        "\tnot vars_regexp {http.request.tls.client.fingerprint} ^[0-9a-f]{64}$",
        "}",
        "handle @anonymous {",
        "\theader Cache-Control \"no-store\"",
        "\trespond \"client certificate required\" 403",
        "}",
    ] : [];
    const pin = o.pin ? [
        "",
        "# The pin: after an identity write, the load balancer keeps this client where the write is.",
        "@identityWrite {",
        `\tmethod ${WRITE_METHODS.join(" ")}`,
        `\tpath ${PIN_PATHS.join(" ")}`,
        "}",
        `header @identityWrite +Set-Cookie "${o.pin.cookie}=${o.pin.value}; Max-Age=${o.pin.ttlSeconds}; Path=/; Secure; HttpOnly; SameSite=Lax"`,
    ] : [];
    const paused = o.pausableWrites === false ? [] : [
        "",
        `# Writes paused (schema migrations): 503 with Retry-After while ${WRITES_PAUSED_FILE} exists.`,
        "@writesPaused {",
        `\tmethod ${WRITE_METHODS.join(" ")}`,
        `\tpath ${WRITE_PATHS.join(" ")}`,
        "\tfile {",
        `\t\troot ${o.healthDir}`,
        `\t\ttry_files /${WRITES_PAUSED_FILE}`,
        "\t}",
        "}",
        "handle @writesPaused {",
        "\theader Cache-Control \"no-store\"",
        `\theader Retry-After "${WRITES_PAUSED_RETRY_AFTER_SECONDS}"`,
        "\theader Content-Type application/json",
        `\trespond \`{"error":{"code":503,"status":"Service Unavailable","reason":"Writes are paused for maintenance. Retry in ${WRITES_PAUSED_RETRY_AFTER_SECONDS} seconds."}}\` 503`,
        "}",
    ];

    const routes: string[] = [];
    for (const service of APP_SERVICES) {
        const spec = SERVICE_SPECS[service];
        if (spec.paths.length === 0) continue;
        if (spec.stripPrefix) {
            routes.push(`handle_path ${spec.stripPrefix}/* {`, `\treverse_proxy ${o.upstreams[service]}`, "}");
        } else {
            routes.push(`@${service} path ${spec.paths.join(" ")}`, `handle @${service} {`, "\theader Cache-Control \"no-store\"",
                `\treverse_proxy ${o.upstreams[service]}`, "}");
        }
    }

    const site = [
        ...tls,
        "encode zstd gzip",
        ...pullGate,
        ...pin,
        ...paused,
        "",
        "# /healthz: 200 while the readiness probe's file exists, 503 otherwise. Never cached.",
        "@ready {",
        "\tpath /healthz",
        "\tfile {",
        `\t\troot ${o.healthDir}`,
        "\t\ttry_files /ready",
        "\t}",
        "}",
        "handle @ready {",
        "\theader Cache-Control \"no-store\"",
        "\trespond \"ready\" 200",
        "}",
        "handle /healthz {",
        "\theader Cache-Control \"no-store\"",
        "\trespond \"not ready\" 503",
        "}",
        "",
        "# API paths: never cached.",
        ...routes,
        "",
        "# Hera's static assets carry content hashes: cache them for a year.",
        `@assets path ${STATIC_ASSET_PATHS.join(" ")}`,
        "handle @assets {",
        `\theader Cache-Control "${STATIC_CACHE_CONTROL}"`,
        `\treverse_proxy ${o.upstreams.hera}`,
        "}",
        "",
        "# Everything else is Hera's UI.",
        "handle {",
        `\treverse_proxy ${o.upstreams.hera}`,
        "}",
    ];
    return [
        "# Rendered by components/runtime/caddyfile.ts. Do not edit on the server.",
        "{",
        "\t# Origins sit behind the Cloudflare load balancer: no ACME, no HTTP->HTTPS redirect server.",
        "\tauto_https off",
        "\t# The admin API stays on loopback: `systemctl reload caddy` (Debian's unit) applies a new Caddyfile through it.",
        `\tadmin ${o.admin ?? "localhost:2019"}`,
        "}",
        "",
        `${o.address} {`,
        ...indent(site),
        "}",
        "",
    ].join("\n");
}
