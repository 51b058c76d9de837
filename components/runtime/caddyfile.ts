// The Caddyfile of an app server: path routing to Hera, Hydra, Kratos and Athena, long cache
// headers on Hera's static assets, and /healthz, which answers 200 only while the readiness probe
// says this region is ready (the probe keeps a `ready` file; Caddy checks it on every request).
// Pure: the integration tests run the very same text in real Caddy with stand-in upstreams.

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
    /** Require Cloudflare's client certificate on every request (authenticated origin pulls). */
    readonly originPullCa?: string;
}

const indent = (lines: string[], depth = 1) => lines.map((l) => (l === "" ? "" : `${"\t".repeat(depth)}${l}`));

export function renderCaddyfile(o: CaddyfileOptions): string {
    const tls = o.tls === "none" ? [] : o.tls === "internal" ? ["tls internal"] : o.originPullCa
        ? [`tls ${o.tls.cert} ${o.tls.key} {`, "\tclient_auth {", "\t\tmode require_and_verify", `\t\ttrusted_ca_cert_file ${o.originPullCa}`, "\t}", "}"]
        : [`tls ${o.tls.cert} ${o.tls.key}`];

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
        "\tadmin off",
        "}",
        "",
        `${o.address} {`,
        ...indent(site),
        "}",
        "",
    ].join("\n");
}
