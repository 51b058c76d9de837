// The Olympus services as the runtime runs them: ports, health endpoints, the paths Caddy routes
// to each, the database each owns, and the settings each image reads (its database URLs, its keys,
// its mail). One table, read by the compose file, the Caddyfile, app-config and the readiness probe,
// so they cannot disagree.

import { Service } from "../../topology/config";

export interface ServiceSpec {
    /** The public (non-admin) port inside the container network. */
    readonly port: number;
    /** Admin port: never routed by Caddy, published on the host's loopback only. */
    readonly adminPort?: number;
    /** Answers 200 when the service is ready to serve. */
    readonly health: string;
    /** Paths Caddy sends here (Caddy path matchers). Hera takes whatever no other service claims. */
    readonly paths: readonly string[];
    /** Caddy strips this prefix before proxying. */
    readonly stripPrefix?: string;
    /** The PostgreSQL database (and role) the service owns; its schema migrations run on the primary only. */
    readonly database?: string;
    /** The container's arguments to serve, and to migrate its schema. */
    readonly serve?: readonly string[];
    readonly migrate?: readonly string[];
    /** Settings (environment variables) that receive the master key list, comma-separated, newest first. */
    readonly keySettings: readonly string[];
    /** The setting that receives the SMTP URL (the one courier runs where the writer is). */
    readonly smtpSetting?: string;
    /** The setting that receives the introspection cache's invalidation URL (services that cache introspection). */
    readonly cacheInvalidationSetting?: string;
}

/**
 * Which setting each service's default image reads for its write database and for its read
 * database. Upstream Hydra 2.2 and Kratos 1.3 (the default images) read one database URL, `DSN`:
 * they have no read-replica setting, so every read goes where writes go (the primary's database in
 * single-primary); the local replica then serves the readiness probe's lag check only. An image that
 * reads a second URL names it in `read`, and app-config gives it the local database.
 */
export interface DsnSettings {
    /** The image (and version) this row describes. */
    readonly image: string;
    readonly write: string;
    /** null: the image has no read-database setting. */
    readonly read: string | null;
    /** Where the image documents its settings. */
    readonly source: string;
}

export const DSN_SETTINGS: Readonly<Record<"hydra" | "kratos" | "athena", DsnSettings>> = {
    hydra: { image: "docker.io/oryd/hydra v2.2", write: "DSN", read: null, source: "https://www.ory.sh/docs/hydra/reference/configuration (dsn)" },
    kratos: { image: "docker.io/oryd/kratos v1.3", write: "DSN", read: null, source: "https://www.ory.sh/docs/kratos/reference/configuration (dsn)" },
    athena: { image: "ghcr.io/olympus-iam/athena 1.4 (Keto's settings)", write: "DSN", read: null, source: "https://www.ory.sh/docs/keto/reference/configuration (dsn)" },
};

export type AppService = Exclude<Service, "caddy">;
export const APP_SERVICES: readonly AppService[] = ["hera", "hydra", "kratos", "athena"];

export const SERVICE_SPECS: Readonly<Record<AppService, ServiceSpec>> = {
    hera: {
        port: 3000,
        health: "/health/ready",
        paths: [],
        keySettings: [],
        cacheInvalidationSetting: "OLYMPUS_INTROSPECTION_CACHE_INVALIDATION_URL",
    },
    hydra: {
        port: 4444,
        adminPort: 4445,
        health: "/health/ready",
        paths: ["/oauth2/*", "/.well-known/openid-configuration", "/.well-known/jwks.json", "/userinfo"],
        database: "hydra",
        serve: ["serve", "all"],
        migrate: ["migrate", "sql", "-e", "--yes"],
        // https://www.ory.sh/docs/hydra/reference/configuration (secrets.system)
        keySettings: ["SECRETS_SYSTEM"],
    },
    kratos: {
        port: 4433,
        adminPort: 4434,
        health: "/health/ready",
        paths: ["/self-service/*", "/sessions", "/sessions/*", "/schemas/*", "/.well-known/ory/*"],
        database: "kratos",
        // No --watch-courier: Kratos 1.3's courier takes messages without SKIP LOCKED, so exactly
        // one courier (kratos-courier, on the writer's app server) sends mail.
        serve: ["serve"],
        migrate: ["migrate", "sql", "-e", "--yes"],
        // https://www.ory.sh/docs/kratos/reference/configuration (secrets.cipher needs exactly 32 characters)
        keySettings: ["SECRETS_CIPHER", "SECRETS_COOKIE", "SECRETS_DEFAULT"],
        smtpSetting: "COURIER_SMTP_CONNECTION_URI",
    },
    athena: {
        port: 4466,
        adminPort: 4467,
        health: "/health/ready",
        paths: ["/athena/*"],
        stripPrefix: "/athena",
        database: "athena",
        serve: ["serve"],
        migrate: ["migrate", "up", "--yes"],
        keySettings: [],
        cacheInvalidationSetting: "OLYMPUS_INTROSPECTION_CACHE_INVALIDATION_URL",
    },
};

/** Hera's static assets: content-hashed file names, so the CDN and browsers may keep them for a year. */
export const STATIC_ASSET_PATHS = ["/assets/*", "/_next/static/*", "/favicon.ico"];
export const STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable";

/** Services that keep data in PostgreSQL, with their database names. */
export function databaseServices(): { service: AppService; database: string }[] {
    return APP_SERVICES.filter((s) => SERVICE_SPECS[s].database).map((s) => ({ service: s, database: SERVICE_SPECS[s].database! }));
}
