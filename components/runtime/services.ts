// The Olympus services as the runtime runs them: ports, health endpoints, the paths Caddy routes
// to each, and the database each owns. One table, read by the compose file, the Caddyfile and the
// readiness probe, so they cannot disagree.

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
}

export type AppService = Exclude<Service, "caddy">;
export const APP_SERVICES: readonly AppService[] = ["hera", "hydra", "kratos", "athena"];

export const SERVICE_SPECS: Readonly<Record<AppService, ServiceSpec>> = {
    hera: {
        port: 3000,
        health: "/health/ready",
        paths: [],
    },
    hydra: {
        port: 4444,
        adminPort: 4445,
        health: "/health/ready",
        paths: ["/oauth2/*", "/.well-known/openid-configuration", "/.well-known/jwks.json", "/userinfo"],
        database: "hydra",
        serve: ["serve", "all"],
        migrate: ["migrate", "sql", "-e", "--yes"],
    },
    kratos: {
        port: 4433,
        adminPort: 4434,
        health: "/health/ready",
        paths: ["/self-service/*", "/sessions", "/sessions/*", "/schemas/*", "/.well-known/ory/*"],
        database: "kratos",
        serve: ["serve", "--watch-courier"],
        migrate: ["migrate", "sql", "-e", "--yes"],
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
    },
};

/** Hera's static assets: content-hashed file names, so the CDN and browsers may keep them for a year. */
export const STATIC_ASSET_PATHS = ["/assets/*", "/_next/static/*", "/favicon.ico"];
export const STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable";

/** Services that keep data in PostgreSQL, with their database names. */
export function databaseServices(): { service: AppService; database: string }[] {
    return APP_SERVICES.filter((s) => SERVICE_SPECS[s].database).map((s) => ({ service: s, database: SERVICE_SPECS[s].database! }));
}
