// The typed stack configuration: what every `olympus:*` key holds once parsed, its limits, and the
// key list of each section (tied to its interface by `keysOf`). No parsing here: see the section parsers.

import { Cloud, GeoCode } from "../catalog";
import { KeyTree, keysOf } from "./keys";

export const NAMESPACE = "olympus";

export type Topology = "single-primary" | "per-region";
export const TOPOLOGIES: readonly Topology[] = ["single-primary", "per-region"];

export type DatabaseMode = "self-managed" | "managed";
export const DATABASE_MODES: readonly DatabaseMode[] = ["self-managed", "managed"];
/** PostgreSQL majors offered by RDS, Cloud SQL and the PGDG apt repository alike (Debian 13 ships 17). */
export const POSTGRES_VERSIONS = ["14", "15", "16", "17"] as const;
export const DEFAULT_POSTGRES_VERSION = "17";
export type PostgresVersion = (typeof POSTGRES_VERSIONS)[number];

export type CloudflarePlan = "free" | "pro" | "business" | "enterprise";
/** Cloudflare's shortest health-monitor interval per plan, in seconds. */
export const MONITOR_MIN_INTERVAL: Readonly<Record<CloudflarePlan, number>> = {
    free: 60, pro: 60, business: 15, enterprise: 10,
};
export const MONITOR_MAX_INTERVAL = 3600;
export const MONITOR_TIMEOUT_RANGE = { min: 1, max: 10 } as const;
export const MONITOR_RETRIES_RANGE = { min: 0, max: 5 } as const;
export const MONITOR_CONSECUTIVE_RANGE = { min: 1, max: 10 } as const;

export type SessionAffinityMode = "none" | "cookie" | "ip_cookie";
export const SESSION_AFFINITY_MODES: readonly SessionAffinityMode[] = ["none", "cookie", "ip_cookie"];
/** Cloudflare's bounds for the session-affinity cookie lifetime, in seconds. */
export const SESSION_AFFINITY_TTL_RANGE = { min: 1800, max: 604800 } as const;
/** Cloudflare's bounds for a DNS-only load balancer's TTL, in seconds. */
export const LB_TTL_RANGE = { min: 30, max: 600 } as const;
export const PIN_TTL_RANGE = { min: 30, max: 86400 } as const;
/** Load-balancing rules per hostname: one below Enterprise (Cloudflare's limit). */
export const LB_RULES_ALLOWED: Readonly<Record<CloudflarePlan, number>> = { free: 1, pro: 1, business: 1, enterprise: Infinity };

export interface RegionConfig {
    /** Lower-case letters, digits and '-'; unique; part of every resource name in the region. */
    readonly name: string;
    readonly cloud: Cloud;
    /** The cloud's location id, e.g. `us-east-1` (AWS) or `europe-west1` (GCP). */
    readonly location: string;
    /** single-primary: the one writer region. Always false in per-region. */
    readonly primary: boolean;
    /** Cloudflare region codes explicitly sent here first. The planner assigns the rest by distance. */
    readonly serves: readonly GeoCode[];
    /** The region's private IPv4 range. Default: a /16 in 10.16.0.0/12–10.239.0.0/16 derived from the name. */
    readonly cidr: string;
}

export interface MonitorConfig {
    /** Seconds between health checks. Default: the plan's minimum (15 on business). */
    readonly intervalSeconds: number;
    /** Seconds before one check attempt fails. Default 5 (less if the attempts would not fit in the interval). */
    readonly timeoutSeconds: number;
    /** Immediate retries of a timed-out attempt. Default 1. */
    readonly retries: number;
    /** Failed checks in a row before a region is marked down. Default 2. */
    readonly consecutiveDown: number;
    /** Passed checks in a row before a region is marked up again. Default 2. */
    readonly consecutiveUp: number;
}

export interface SessionAffinityConfig {
    /** Default `cookie` (`none` when the load balancer is DNS-only). */
    readonly mode: SessionAffinityMode;
    /** Default 1800 (Cloudflare's minimum). */
    readonly ttlSeconds: number;
}

/**
 * The primary pin: after a login, registration or settings change the origin sets a short-lived
 * cookie, and a load-balancer rule sends whoever carries it to the region that holds the fresh
 * write (single-primary: the primary; per-region: the user's own region).
 */
export interface PinConfig {
    /** Default: on wherever the plan allows the rules it needs (see the README). */
    readonly enabled: boolean;
    /** Default `olympus_pin`. */
    readonly cookie: string;
    /** Default 300; at least readiness.maxReplicationLagSeconds (a replica may be that far behind). */
    readonly ttlSeconds: number;
}

export interface NotificationsConfig {
    /** Where pool health changes are mailed. */
    readonly email?: string;
    /** An https:// URL pool health changes are posted to. */
    readonly webhookUrl?: string;
}

export interface EdgeConfig {
    readonly accountId: string;
    readonly zoneId: string;
    /** The Cloudflare plan of the zone; sets the monitor's interval limits. Default `business`. */
    readonly plan: CloudflarePlan;
    /** Orange-cloud the load balancer (Cloudflare proxies traffic). Default true. */
    readonly proxied: boolean;
    /** DNS-only (proxied: false): the TTL of the load balancer's answers. Default 30, 30–600. */
    readonly ttlSeconds: number;
    readonly monitor: MonitorConfig;
    readonly sessionAffinity: SessionAffinityConfig;
    readonly pin: PinConfig;
    /** Schema migrations: every origin answers 503 with Retry-After to writes. Default false. */
    readonly writesPaused: boolean;
    /** Origins accept only Cloudflare's client certificate (zone-level authenticated origin pulls). Default true. */
    readonly authenticatedOriginPulls: boolean;
    readonly notifications: NotificationsConfig;
}

export interface DatabaseConfig {
    /** Default `self-managed` (PostgreSQL on VMs; works across clouds). */
    readonly mode: DatabaseMode;
    /** Default "17" (Debian 13's own; 14-16 come from the PostgreSQL project's repository). */
    readonly version: PostgresVersion;
    /** Days of backups the writers keep (RDS, Cloud SQL, data-disk snapshots). Default 7. */
    readonly backupRetentionDays: number;
    /** managed on AWS: the RDS instance class. Default db.m6i.large. */
    readonly rdsInstanceClass: string;
    /** managed on GCP: the Cloud SQL tier. Default db-custom-2-8192. */
    readonly cloudSqlTier: string;
}

export type SecretStore = "aws-secrets-manager" | "gcp-secret-manager";
export const SECRET_STORES: readonly SecretStore[] = ["aws-secrets-manager", "gcp-secret-manager"];
export const STORE_CLOUD: Readonly<Record<SecretStore, Cloud>> = { "aws-secrets-manager": "aws", "gcp-secret-manager": "gcp" };

export interface MasterKeyConfig {
    /**
     * `generated` (default): the program generates the key and keeps it in the store.
     * `existing`: the key already lives in the store under `name`; it is read, never written.
     */
    readonly source: "generated" | "existing";
    /** The one source of truth. Default: the store of the primary region's cloud (per-region: the first region's). */
    readonly store: SecretStore;
    readonly cloud: Cloud;
    /** Where the source secret lives. Default: the primary region's location, when the store is on its cloud. */
    readonly location: string;
    /** existing: the secret to read (required). generated: a fixed name for the source secret (default: generated). */
    readonly name?: string;
    /**
     * generated: the key generations, newest first (Hydra's rotation rules: the first encrypts,
     * all decrypt). Default ["k1"]. Adding a generation at the front rotates; removing one retires it.
     */
    readonly keys: readonly string[];
    /** existing: the version to read. Default AWSCURRENT (AWS) or latest (GCP). */
    readonly version?: string;
}

export interface ServerSize {
    /** EC2 instance type for AWS regions. */
    readonly aws: string;
    /** Compute Engine machine type for GCP regions. */
    readonly gcp: string;
    /** Boot disk, GB. */
    readonly diskGb: number;
}

export interface ServersConfig {
    /** The app server (Caddy, Hera, Hydra, Kratos, Athena). Default t3.medium / e2-medium, 30 GB. */
    readonly app: ServerSize;
    /** The self-managed database server. Default m6i.large / n2-standard-2, 30 GB, data disk 100 GB. */
    readonly database: ServerSize & { readonly dataDiskGb: number };
}

/** The Olympus services that run as containers. Caddy is Debian's package on the app server, not an image. */
export const SERVICES = ["hera", "hydra", "kratos", "athena"] as const;
export type Service = (typeof SERVICES)[number];
/** Container images: exact versions, never `latest`. */
export type ImagesConfig = Readonly<Record<Service, string>>;
export const DEFAULT_IMAGES: ImagesConfig = {
    hera: "ghcr.io/olympus-iam/hera:1.4.2",
    hydra: "docker.io/oryd/hydra:v2.2.0",
    kratos: "docker.io/oryd/kratos:v1.3.1",
    athena: "ghcr.io/olympus-iam/athena:1.4.2",
};

export interface ReadinessConfig {
    /** A replica region reports not ready (503 on /healthz) when its replica is further behind. Default 30. */
    readonly maxReplicationLagSeconds: number;
    /** How often the server re-checks readiness. Default 5. */
    readonly checkIntervalSeconds: number;
}

/**
 * Caching OAuth2 token introspection results: a revoked token stays valid wherever a cached
 * answer lives, so either the cache is short (the bounded staleness of the multi-region guide) or
 * revocations are published to every region (pub/sub invalidation).
 */
export interface CacheConfig {
    /** Seconds an introspection result may be cached. Default 60; at most 60 without invalidation. */
    readonly introspectionTtlSeconds: number;
    /** A NATS or Redis URL revocations are published on (a secret: it may hold a password). */
    readonly invalidationUrl?: string;
}

/** Dashboards and alerts in each region's cloud. */
export interface MonitoringConfig {
    /** Where alerts (a region unhealthy, replication lag above the limit) are mailed. */
    readonly alertEmail?: string;
}

export interface GcpConfig {
    /** The GCP project every GCP region deploys into. Required when any region is on GCP. */
    readonly project: string;
}

export interface OlympusConfig {
    readonly domain: string;
    /** Default `single-primary`. */
    readonly topology: Topology;
    readonly regions: readonly RegionConfig[];
    readonly database: DatabaseConfig;
    readonly edge: EdgeConfig;
    readonly masterKey: MasterKeyConfig;
    readonly servers: ServersConfig;
    readonly images: ImagesConfig;
    readonly readiness: ReadinessConfig;
    /** Kratos' mail courier (smtp:// or smtps://). Treated as a secret: it usually holds a password. */
    readonly smtpUrl: string;
    readonly cache: CacheConfig;
    readonly monitoring: MonitoringConfig;
    readonly gcp?: GcpConfig;
}


// ---------------------------------------------------------------------------------------------
// Key lists: each names exactly the keys of its interface (what a stack file may write).

export const TOP_LEVEL_KEYS = keysOf<OlympusConfig>()([
    "domain", "topology", "regions", "database", "edge", "masterKey", "servers", "images", "readiness", "smtpUrl", "cache", "monitoring", "gcp",
]);
export const REGION_KEYS = keysOf<RegionConfig>()(["name", "cloud", "location", "primary", "serves", "cidr"]);
export const DATABASE_KEYS = keysOf<DatabaseConfig>()(["mode", "version", "backupRetentionDays", "rdsInstanceClass", "cloudSqlTier"]);
export const EDGE_KEYS = keysOf<EdgeConfig>()([
    "accountId", "zoneId", "plan", "proxied", "ttlSeconds", "monitor", "sessionAffinity", "pin", "writesPaused", "authenticatedOriginPulls", "notifications",
]);
export const MONITOR_KEYS = keysOf<MonitorConfig>()(["intervalSeconds", "timeoutSeconds", "retries", "consecutiveDown", "consecutiveUp"]);
export const AFFINITY_KEYS = keysOf<SessionAffinityConfig>()(["mode", "ttlSeconds"]);
export const PIN_KEYS = keysOf<PinConfig>()(["enabled", "cookie", "ttlSeconds"]);
export const NOTIFICATION_KEYS = keysOf<NotificationsConfig>()(["email", "webhookUrl"]);
/** `cloud` is derived from the store, never written. */
export const MASTER_KEY_KEYS = keysOf<Omit<MasterKeyConfig, "cloud">>()(["source", "store", "location", "name", "keys", "version"]);
export const SERVERS_KEYS = keysOf<ServersConfig>()(["app", "database"]);
export const APP_SERVER_KEYS = keysOf<ServersConfig["app"]>()(["aws", "gcp", "diskGb"]);
export const DATABASE_SERVER_KEYS = keysOf<ServersConfig["database"]>()(["aws", "gcp", "diskGb", "dataDiskGb"]);
export const IMAGE_KEYS = keysOf<ImagesConfig>()(SERVICES);
export const READINESS_KEYS = keysOf<ReadinessConfig>()(["maxReplicationLagSeconds", "checkIntervalSeconds"]);
export const CACHE_KEYS = keysOf<CacheConfig>()(["introspectionTtlSeconds", "invalidationUrl"]);
export const MONITORING_KEYS = keysOf<MonitoringConfig>()(["alertEmail"]);
export const GCP_KEYS = keysOf<GcpConfig>()(["project"]);

/** Every key a stack file may set, as a tree: the docs test checks each one is in the README. */
export const CONFIG_KEYS: KeyTree = {
    keys: TOP_LEVEL_KEYS,
    children: {
        regions: { keys: [], items: { keys: REGION_KEYS } },
        database: { keys: DATABASE_KEYS },
        edge: {
            keys: EDGE_KEYS,
            children: {
                monitor: { keys: MONITOR_KEYS },
                sessionAffinity: { keys: AFFINITY_KEYS },
                pin: { keys: PIN_KEYS },
                notifications: { keys: NOTIFICATION_KEYS },
            },
        },
        masterKey: { keys: MASTER_KEY_KEYS },
        servers: { keys: SERVERS_KEYS, children: { app: { keys: APP_SERVER_KEYS }, database: { keys: DATABASE_SERVER_KEYS } } },
        images: { keys: IMAGE_KEYS },
        readiness: { keys: READINESS_KEYS },
        cache: { keys: CACHE_KEYS },
        monitoring: { keys: MONITORING_KEYS },
        gcp: { keys: GCP_KEYS },
    },
};
