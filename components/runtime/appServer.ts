// The app server: Caddy from Debian's package in front of Hera, Hydra, Kratos and Athena (containers
// run by docker compose), the readiness probe and the metrics publisher. Its user-data is the
// bootstrap (bootstrap.ts); the rest travels in the region's `app-config` secret: the settings
// (where writes and reads go, the TLS to check them with, writes paused) and the files (scripts
// from files/app/, the compose file and Caddyfile rendered from data). olympus-sync re-reads it
// every 30 s and files/app/apply.sh acts on what changed: a failover or a script fix is a
// `pulumi up`, not a rebuild.

import * as YAML from "yaml";
import { Cloud } from "../../topology/catalog";
import { CacheConfig, ImagesConfig } from "../../topology/config";
import { ROLES } from "../database/postgres";
import { SECRETS_DIR, renderUserData } from "./bootstrap";
import { renderCaddyfile } from "./caddyfile";
import { LIB_DIR, ServerFile, shipped } from "./files";
import { APP_SERVICES, AppService, DSN_SETTINGS, SERVICE_SPECS } from "./services";

export const ETC = "/etc/olympus";
export const HEALTH_DIR = "/run/olympus/health";
const DB_CA = `${ETC}/tls/db-ca.pem`;
/** The Origin CA certificate and key Caddy serves, and the CA of Cloudflare's client certificate. */
const ORIGIN_CERT = `${ETC}/tls/origin.crt`;
const ORIGIN_KEY = `${ETC}/tls/origin.key`;
const ORIGIN_PULL_CA = `${ETC}/tls/origin-pull-ca.pem`;

/** Debian 13 packages of the app server. Caddy is Debian's: the binary the tests run is the one shipped. */
export const APP_PACKAGES = ["docker.io", "docker-compose", "caddy", "jq", "curl", "postgresql-client", "ca-certificates"] as const;

/** How the services verify the database, and the CA to verify it with (inline, or the clouds' published bundles). */
export interface DatabaseTls {
    readonly sslMode: "verify-full" | "verify-ca";
    readonly caPem?: string;
    readonly caUrls?: readonly string[];
}

/** One service's settings as apply.sh writes them into its env file. */
export interface ServiceSettings {
    readonly name: AppService;
    readonly database?: string;
    /** Which settings the image reads for its write and its read database (DSN_SETTINGS). */
    readonly dsn?: { readonly write: string; readonly read: string | null };
    readonly keySettings: readonly string[];
    readonly smtpSetting?: string;
    readonly cacheInvalidationSetting?: string;
}

/** The region's runtime config: JSON in its `app-config` secret. */
export interface AppConfig {
    /** A writer region runs schema migrations and Kratos' courier; a replica region never does. */
    readonly writer: boolean;
    /** Where writes go: the primary's database (single-primary) or the local one. */
    readonly writeHost: string;
    /** Where reads go, for images that read a second database: the local one. */
    readonly readHost: string;
    readonly port: number;
    /** Replica regions: /healthz says 503 while the local replica is further behind. */
    readonly maxReplicationLagSeconds: number | null;
    readonly tls: DatabaseTls;
    /** A managed writer: the admin user the app server creates the service roles with. */
    readonly bootstrapRoles?: { readonly adminUser: string };
    /** Schema migrations: the origin answers writes with 503 and Retry-After while true. */
    readonly writesPaused: boolean;
    readonly monitorRole: string;
    readonly services: readonly ServiceSettings[];
    /** The writer runs each job once per image. */
    readonly migrations: readonly { readonly job: string; readonly image: string }[];
    readonly readiness: {
        readonly intervalSeconds: number;
        readonly timeoutSeconds: number;
        readonly checks: readonly { readonly name: string; readonly url: string }[];
    };
    /** What olympus-sync installs, enables, then runs. */
    readonly files: readonly ServerFile[];
    readonly enable: readonly string[];
    readonly apply: string;
}

/** What the app server's files depend on: the region, never a secret. */
export interface AppServerOptions {
    readonly regionName: string;
    readonly domain: string;
    readonly images: ImagesConfig;
    readonly readinessIntervalSeconds: number;
    /** Introspection cache TTL (the invalidation URL, a secret, arrives in the credentials). */
    readonly cache: Pick<CacheConfig, "introspectionTtlSeconds">;
    /** Require Cloudflare's client certificate (authenticated origin pulls). */
    readonly originPulls: boolean;
    /** The pin cookie this origin sets after identity writes (its value names where the write is). */
    readonly pin?: { readonly cookie: string; readonly value: string; readonly ttlSeconds: number };
}

/**
 * The services that introspect OAuth2 tokens and may cache the answers: Hera (sessions behind the
 * UI) and Athena (permission checks for API callers). Their cache TTL and invalidation channel.
 */
export const INTROSPECTING: readonly AppService[] = ["hera", "athena"];

/** Each service's non-secret settings; DSNs and keys come from the env files apply.sh writes. */
function environment(service: AppService, domain: string, cache: AppServerOptions["cache"]): Record<string, string> {
    const cached: Record<string, string> = INTROSPECTING.includes(service) ? { OLYMPUS_INTROSPECTION_CACHE_TTL: `${cache.introspectionTtlSeconds}s` } : {};
    return { ...cached, ...serviceEnvironment(service, domain) };
}

function serviceEnvironment(service: AppService, domain: string): Record<string, string> {
    const base = `https://${domain}`;
    switch (service) {
        case "hera":
            return { HERA_PUBLIC_URL: base, HERA_KRATOS_PUBLIC_URL: base, HERA_HYDRA_PUBLIC_URL: base, HERA_ATHENA_URL: `${base}/athena`, PORT: "3000" };
        case "hydra":
            return {
                URLS_SELF_ISSUER: `${base}/`, URLS_LOGIN: `${base}/login`, URLS_CONSENT: `${base}/consent`, URLS_LOGOUT: `${base}/logout`,
                SERVE_PUBLIC_PORT: "4444", SERVE_ADMIN_PORT: "4445", SERVE_COOKIES_SAME_SITE_MODE: "Lax", LOG_LEAK_SENSITIVE_VALUES: "false",
            };
        case "kratos":
            return {
                SERVE_PUBLIC_BASE_URL: `${base}/`, SERVE_PUBLIC_PORT: "4433", SERVE_ADMIN_PORT: "4434",
                SELFSERVICE_DEFAULT_BROWSER_RETURN_URL: `${base}/`, SELFSERVICE_ALLOWED_RETURN_URLS: `${base}/`,
                SELFSERVICE_FLOWS_LOGIN_UI_URL: `${base}/login`, SELFSERVICE_FLOWS_REGISTRATION_UI_URL: `${base}/registration`,
                SELFSERVICE_FLOWS_SETTINGS_UI_URL: `${base}/settings`, SELFSERVICE_FLOWS_RECOVERY_UI_URL: `${base}/recovery`,
                SELFSERVICE_FLOWS_VERIFICATION_UI_URL: `${base}/verification`, SELFSERVICE_FLOWS_ERROR_UI_URL: `${base}/error`,
                SELFSERVICE_METHODS_PASSWORD_ENABLED: "true",
                IDENTITY_DEFAULT_SCHEMA_ID: "default",
                IDENTITY_SCHEMAS: JSON.stringify([{ id: "default", url: `file://${ETC}/kratos/identity.schema.json` }]),
                LOG_LEAK_SENSITIVE_VALUES: "false",
            };
        case "athena":
            return { SERVE_READ_PORT: "4466", SERVE_WRITE_PORT: "4467" };
    }
}

/**
 * The services. Ports are published on loopback only (Caddy, on the host, is the way in). Schema
 * migrations (profile `migrate`) and Kratos' one courier (profile `writer`) run only where apply.sh
 * finds `writer: true`.
 */
export function renderCompose(o: Pick<AppServerOptions, "regionName" | "domain" | "images" | "cache">): string {
    const services: Record<string, unknown> = {};
    const dbCa = `${DB_CA}:${DB_CA}:ro`;
    for (const service of APP_SERVICES) {
        const spec = SERVICE_SPECS[service];
        const volumes = [dbCa, ...(service === "kratos" ? [`${ETC}/kratos:${ETC}/kratos:ro`] : [])];
        const common = {
            image: o.images[service],
            environment: environment(service, o.domain, o.cache),
            env_file: [`${ETC}/env/${service}.env`],
            volumes,
        };
        services[service] = {
            ...common,
            restart: "unless-stopped",
            ...(spec.serve ? { command: [...spec.serve] } : {}),
            ports: [`127.0.0.1:${spec.port}:${spec.port}`, ...(spec.adminPort ? [`127.0.0.1:${spec.adminPort}:${spec.adminPort}`] : [])],
        };
        if (spec.migrate) services[`${service}-migrate`] = { ...common, command: [...spec.migrate], profiles: ["migrate"], restart: "no" };
    }
    services["kratos-courier"] = {
        image: o.images.kratos, command: ["courier", "watch"], environment: environment("kratos", o.domain, o.cache),
        env_file: [`${ETC}/env/kratos.env`], volumes: [dbCa, `${ETC}/kratos:${ETC}/kratos:ro`], profiles: ["writer"], restart: "unless-stopped",
    };
    return `# Rendered by components/runtime/appServer.ts for region ${o.regionName}.\n${YAML.stringify({ name: "olympus", services }, { lineWidth: 0 })}`;
}

/** Each service's settings: the DSN table, its keys, its mail, its cache channel. */
export function serviceSettings(): ServiceSettings[] {
    return APP_SERVICES.map((name) => {
        const spec = SERVICE_SPECS[name];
        return {
            name,
            ...(spec.database ? { database: spec.database, dsn: { write: DSN_SETTINGS[name as keyof typeof DSN_SETTINGS].write, read: DSN_SETTINGS[name as keyof typeof DSN_SETTINGS].read } } : {}),
            keySettings: [...spec.keySettings],
            ...(spec.smtpSetting ? { smtpSetting: spec.smtpSetting } : {}),
            ...(spec.cacheInvalidationSetting ? { cacheInvalidationSetting: spec.cacheInvalidationSetting } : {}),
        };
    });
}

/** The app server's files: scripts and units as they are in files/app/, the compose file and Caddyfile from data. */
export function appServerFiles(o: AppServerOptions): ServerFile[] {
    const upstreams = Object.fromEntries(APP_SERVICES.map((s) => [s, `127.0.0.1:${SERVICE_SPECS[s].port}`])) as Record<AppService, string>;
    return [
        shipped("app/apply.sh", `${LIB_DIR}/apply.sh`),
        shipped("app/readiness.sh", `${LIB_DIR}/readiness.sh`),
        shipped("app/metrics.sh", `${LIB_DIR}/metrics.sh`),
        shipped("app/bootstrap-roles.sh", `${LIB_DIR}/bootstrap-roles.sh`),
        shipped("app/retry.sh", `${LIB_DIR}/retry.sh`),
        shipped("app/olympus-readiness.service", "/etc/systemd/system/olympus-readiness.service"),
        shipped("app/olympus-metrics.service", "/etc/systemd/system/olympus-metrics.service"),
        shipped("app/olympus-metrics.timer", "/etc/systemd/system/olympus-metrics.timer"),
        shipped("app/identity.schema.json", `${ETC}/kratos/identity.schema.json`),
        { path: `${ETC}/compose.yaml`, mode: "0644", content: renderCompose(o) },
        {
            path: "/etc/caddy/Caddyfile", mode: "0644",
            content: renderCaddyfile({
                address: ":443",
                tls: { cert: ORIGIN_CERT, key: ORIGIN_KEY },
                ...(o.originPulls ? { originPullCa: ORIGIN_PULL_CA } : {}),
                ...(o.pin ? { pin: o.pin } : {}),
                healthDir: HEALTH_DIR,
                upstreams,
            }),
        },
    ];
}

/** What app-config holds besides where the databases are: the services, the probe, the files. */
export function appServerConfig(o: AppServerOptions): Pick<AppConfig, "monitorRole" | "services" | "migrations" | "readiness" | "files" | "enable" | "apply"> {
    return {
        monitorRole: ROLES.monitor,
        services: serviceSettings(),
        migrations: APP_SERVICES.filter((s) => SERVICE_SPECS[s].migrate).map((s) => ({ job: `${s}-migrate`, image: o.images[s] })),
        readiness: {
            intervalSeconds: o.readinessIntervalSeconds,
            timeoutSeconds: 2,
            checks: APP_SERVICES.map((s) => ({ name: s, url: `http://127.0.0.1:${SERVICE_SPECS[s].port}${SERVICE_SPECS[s].health}` })),
        },
        files: appServerFiles(o),
        enable: ["olympus-readiness.service", "olympus-metrics.timer"],
        apply: `${LIB_DIR}/apply.sh`,
    };
}

/** The app server's user-data: its packages and the bootstrap; the config secret is `app-config`. */
export function renderAppUserData(o: { cloud: Cloud; location: string; regionName: string; secrets: Readonly<Record<string, string>> }): string {
    return renderUserData({
        env: { cloud: o.cloud, location: o.location, region: o.regionName, server: "app", secrets: o.secrets, config: "app-config" },
        packages: APP_PACKAGES,
    });
}

export { SECRETS_DIR };
