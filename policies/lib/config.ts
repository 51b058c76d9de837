// Config shared by several policies: one default, one place. The CLI fills schema defaults in
// before calling a policy; the offline plan evaluates the pack without them, so every policy
// reads its settings through these helpers.

import { PolicyConfigSchema } from "@pulumi/policy";

export type TopologySetting = "auto" | "single-primary" | "per-region";

export const TOPOLOGY_SCHEMA: PolicyConfigSchema = {
    properties: {
        topology: {
            type: "string",
            enum: ["auto", "single-primary", "per-region"],
            default: "auto",
            description: "auto: read it from the Olympus component (or a Region). Set it for stacks built without them.",
        },
    },
};

export function topologySetting(config: { topology?: TopologySetting }): TopologySetting {
    return config.topology ?? "auto";
}

/** PostgreSQL's port, and PgBouncer's (a pooler in front of it is the same database, reached another way). */
export const POSTGRES_PORTS = [5432, 6432];

export const NETWORK_DEFAULTS = {
    /** Ports treated as PostgreSQL. */
    ports: POSTGRES_PORTS,
    /** An IPv4 range wider than this prefix counts as the internet (0.0.0.0/0, but also 0.0.0.0/1). */
    ipv4MinPrefix: 8,
    /** The same for IPv6 (::/0, 2000::/3, ...). */
    ipv6MinPrefix: 16,
};

export const NETWORK_SCHEMA: PolicyConfigSchema = {
    properties: {
        ports: { type: "array", items: { type: "integer" }, default: NETWORK_DEFAULTS.ports, description: "The ports PostgreSQL listens on." },
        ipv4MinPrefix: {
            type: "integer", minimum: 0, maximum: 32, default: NETWORK_DEFAULTS.ipv4MinPrefix,
            description: "An IPv4 source range broader than this prefix length counts as open to the internet.",
        },
        ipv6MinPrefix: {
            type: "integer", minimum: 0, maximum: 128, default: NETWORK_DEFAULTS.ipv6MinPrefix,
            description: "An IPv6 source range broader than this prefix length counts as open to the internet.",
        },
    },
};

export function networkSettings(config: Partial<typeof NETWORK_DEFAULTS>): typeof NETWORK_DEFAULTS {
    return {
        ports: config.ports ?? NETWORK_DEFAULTS.ports,
        ipv4MinPrefix: config.ipv4MinPrefix ?? NETWORK_DEFAULTS.ipv4MinPrefix,
        ipv6MinPrefix: config.ipv6MinPrefix ?? NETWORK_DEFAULTS.ipv6MinPrefix,
    };
}
