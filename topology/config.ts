// The typed stack configuration: every `olympus:*` key parsed, defaulted and validated before any
// resource is declared. Every default lives here (STYLE.md rule 8). Errors are collected, not thrown
// one at a time: a person fixing a stack file wants the whole list in one run.

import { CLOUDS, Cloud, GEO_CODES, GeoCode, LOCATIONS, findLocation } from "./catalog";

export const NAMESPACE = "olympus";

export type Topology = "single-primary" | "per-region";
export const TOPOLOGIES: readonly Topology[] = ["single-primary", "per-region"];

export type DatabaseMode = "self-managed" | "managed";
export const DATABASE_MODES: readonly DatabaseMode[] = ["self-managed", "managed"];
/** PostgreSQL majors offered by RDS, Cloud SQL and the PGDG apt repository alike. */
export const POSTGRES_VERSIONS = ["14", "15", "16", "17"] as const;
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
    /** Default "16". */
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

export const SERVICES = ["caddy", "hera", "hydra", "kratos", "athena"] as const;
export type Service = (typeof SERVICES)[number];
/** Container images: exact versions, never `latest`. */
export type ImagesConfig = Readonly<Record<Service, string>>;
export const DEFAULT_IMAGES: ImagesConfig = {
    caddy: "docker.io/library/caddy:2.8.4",
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

/** Every configuration problem found, each one line: what is wrong, where, and what is allowed. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

/** The top-level keys of the `olympus` namespace, with what each holds (also used in messages). */
export const TOP_LEVEL_KEYS = [
    "domain", "topology", "regions", "database", "edge", "masterKey", "servers", "images", "readiness", "smtpUrl", "cache", "monitoring", "gcp",
] as const;

const MULTI_MASTER = /^(multi[-_ ]?(master|primary|writer|leader)|active[-_ ]?active|master[-_ ]?master|bdr|option[-_ ]?c)$/i;

/**
 * Turn Pulumi's flat config map (`allConfig()`: `"olympus:regions"` → JSON text) into the raw
 * structured object the parser reads. Structured values arrive as JSON text; a dotted key such as
 * `olympus:edge.accountId` (what `pulumi new` prompts and `pulumi config set` without `--path` write)
 * is merged into its parent object.
 */
export function rawConfigFrom(all: Readonly<Record<string, string>>): { raw: Record<string, unknown>; problems: string[] } {
    const raw: Record<string, unknown> = {};
    const problems: string[] = [];
    const prefix = `${NAMESPACE}:`;
    const keys = Object.keys(all).filter((k) => k.startsWith(prefix)).sort((a, b) => a.length - b.length || a.localeCompare(b));
    for (const key of keys) {
        const name = key.slice(prefix.length);
        const text = all[key];
        let value: unknown = text;
        if (/^\s*[[{]/.test(text)) {
            try {
                value = JSON.parse(text);
            } catch {
                problems.push(`${key}: is not valid structured config (JSON); write it as a YAML map or list in the stack file`);
                continue;
            }
        }
        const path = name.split(".");
        let target = raw;
        let ok = true;
        for (const part of path.slice(0, -1)) {
            const next = target[part];
            if (next === undefined) {
                target[part] = {};
            } else if (typeof next !== "object" || next === null || Array.isArray(next)) {
                problems.push(`${key}: cannot be set because ${prefix}${path.slice(0, path.indexOf(part) + 1).join(".")} is not a map`);
                ok = false;
                break;
            }
            target = target[part] as Record<string, unknown>;
        }
        if (!ok) continue;
        const leaf = path[path.length - 1];
        if (target[leaf] !== undefined) {
            problems.push(`${key}: is set twice (as ${key} and inside ${prefix}${path[0]}); keep one`);
            continue;
        }
        target[leaf] = value;
    }
    return { raw, problems };
}

/** Read, parse and validate Pulumi's flat config map. Throws ConfigError listing every problem. */
export function loadConfig(all: Readonly<Record<string, string>>): OlympusConfig {
    const { raw, problems } = rawConfigFrom(all);
    return parseConfig(raw, problems);
}

/** Parse and validate raw `olympus:*` config. Throws ConfigError listing every problem. */
export function parseConfig(raw: Readonly<Record<string, unknown>>, earlier: readonly string[] = []): OlympusConfig {
    const c = new Checker();
    c.problems.push(...earlier);
    c.knownKeys(NAMESPACE, raw, TOP_LEVEL_KEYS);

    const domain = c.domain(`${NAMESPACE}:domain`, raw.domain);
    const topology = parseTopology(c, raw.topology);
    const regionsRaw = parseRegionList(c, raw.regions);
    const regions = parseRegions(c, regionsRaw, topology);
    const database = parseDatabase(c, raw.database, topology, regions);
    const masterKey = parseMasterKey(c, raw.masterKey, topology, regions);
    const servers = parseServers(c, raw.servers);
    const images = parseImages(c, raw.images);
    const readiness = parseReadiness(c, raw.readiness);
    const edge = parseEdge(c, raw.edge, topology, regions, readiness);
    const smtpUrl = parseSmtpUrl(c, raw.smtpUrl);
    const cache = parseCache(c, raw.cache);
    const monitoring = parseMonitoring(c, raw.monitoring);
    const gcp = parseGcp(c, raw.gcp, regions, masterKey);

    if (c.problems.length > 0) throw new ConfigError(c.problems);
    return {
        domain: domain!, topology: topology!, regions, database: database!, edge: edge!, masterKey: masterKey!,
        servers: servers!, images: images!, readiness: readiness!, smtpUrl: smtpUrl!, cache: cache!, monitoring: monitoring!, gcp,
    };
}

function parseTopology(c: Checker, value: unknown): Topology | undefined {
    const path = `${NAMESPACE}:topology`;
    if (value === undefined) return "single-primary";
    if (typeof value !== "string") {
        c.fail(path, `${show(value)} is not a topology`, "use single-primary or per-region");
        return undefined;
    }
    if ((TOPOLOGIES as readonly string[]).includes(value)) return value as Topology;
    if (MULTI_MASTER.test(value.trim())) {
        c.fail(path, `"${value}" is not supported: two writer regions would accept conflicting writes to the same ` +
            `identities, sessions and credentials, and Olympus has no conflict resolution (option C of the ` +
            `multi-region guide)`,
            "use single-primary (one writer, read replicas elsewhere) or per-region (an independent database per region)");
        return undefined;
    }
    c.fail(path, `"${value}" is not a topology`, "use single-primary or per-region");
    return undefined;
}

/**
 * The region list is a YAML list of maps, or (for `pulumi new` prompts and the command line) the
 * shorthand `us-east=aws/us-east-1*, eu-west=gcp/europe-west1`, where `*` marks the primary.
 */
function parseRegionList(c: Checker, value: unknown): unknown[] {
    const path = `${NAMESPACE}:regions`;
    const example = "e.g. [{ name: us-east, cloud: aws, location: us-east-1, primary: true }]";
    if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) {
        c.fail(path, "no regions", `list at least one region, ${example}`);
        return [];
    }
    if (typeof value === "string") return parseRegionShorthand(c, path, value);
    if (!Array.isArray(value)) {
        c.fail(path, `${show(value)} is not a list of regions`, `write a YAML list, ${example}`);
        return [];
    }
    if (value.length === 0) c.fail(path, "no regions", `list at least one region, ${example}`);
    return value;
}

function parseRegionShorthand(c: Checker, path: string, text: string): unknown[] {
    const entries = text.split(/[,\s]+/).filter((e) => e !== "");
    const out: unknown[] = [];
    entries.forEach((entry, i) => {
        const m = /^([^=]+)=([^/]+)\/([^*]+)(\*)?$/.exec(entry);
        if (!m) {
            c.fail(`${path}[${i}]`, `"${entry}" is not a region`, "write name=cloud/location, with * after the primary's location, e.g. us-east=aws/us-east-1*");
            return;
        }
        out.push({ name: m[1], cloud: m[2], location: m[3], primary: m[4] === "*" });
    });
    return out;
}

const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { aws: "an AWS", gcp: "a GCP" };
const REGION_KEYS = ["name", "cloud", "location", "primary", "serves", "cidr"] as const;
const REGION_NAME = /^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/;

function parseRegions(c: Checker, list: unknown[], topology: Topology | undefined): RegionConfig[] {
    const regions: RegionConfig[] = [];
    const namesSeen = new Map<string, number>();
    const servedBy = new Map<GeoCode, { name?: string; index: number }>();
    const primaries: number[] = [];
    let primaryUnreadable = false;

    list.forEach((item, i) => {
        const path = `${NAMESPACE}:regions[${i}]`;
        const r = c.map(path, item, REGION_KEYS);
        if (!r) return;

        let name = c.string(`${path}.name`, r.name, { required: "set a region name such as us-east" });
        if (name !== undefined && !REGION_NAME.test(name)) {
            c.fail(`${path}.name`, `"${name}" is not a valid region name`,
                "use 1-20 lower-case letters, digits and '-', starting with a letter and not ending with '-'");
            name = undefined;
        }
        if (name !== undefined) {
            const first = namesSeen.get(name);
            if (first !== undefined) {
                c.fail(`${path}.name`, `"${name}" is already used by ${NAMESPACE}:regions[${first}]`, "give every region a unique name");
                name = undefined;
            } else {
                namesSeen.set(name, i);
            }
        }

        const cloud = c.oneOf(`${path}.cloud`, r.cloud, CLOUDS, "cloud");
        const location = c.string(`${path}.location`, r.location, { required: "set the cloud location, e.g. us-east-1 or europe-west1" });
        if (cloud !== undefined && location !== undefined && !findLocation(cloud, location)) {
            const known = [...LOCATIONS[cloud].keys()].sort();
            const other = CLOUDS.find((o) => o !== cloud && findLocation(o, location));
            const near = known.map((k) => ({ k, d: editDistance(k, location) })).filter((x) => x.d <= 2)
                .sort((a, b) => a.d - b.d)[0]?.k;
            if (other) {
                c.fail(`${path}.location`, `"${location}" is ${CLOUD_NAMES[other]} location, not ${CLOUD_NAMES[cloud]} one`,
                    `set cloud: ${other}, or use ${CLOUD_NAMES[cloud]} location: ${known.join(", ")}`);
            } else {
                c.fail(`${path}.location`, `"${location}" is not ${CLOUD_NAMES[cloud]} location${near ? ` (did you mean ${near}?)` : ""}`,
                    `use one of ${known.join(", ")}`);
            }
        }

        const primaryValue = c.boolean(`${path}.primary`, r.primary);
        if (primaryValue === undefined && r.primary !== undefined) primaryUnreadable = true;
        const primary = primaryValue ?? false;
        if (primary) primaries.push(i);
        if (primary && topology === "per-region") {
            c.fail(`${path}.primary`, "is set, but per-region has no primary region: every region runs its own independent database",
                "remove primary, or use topology single-primary");
        }

        const serves: GeoCode[] = [];
        if (r.serves !== undefined) {
            if (!Array.isArray(r.serves)) {
                c.fail(`${path}.serves`, `${show(r.serves)} is not a list`, `list Cloudflare region codes, e.g. [WEU, EEU]; one of ${GEO_CODES.join(", ")}`);
            } else {
                r.serves.forEach((code: unknown, j: number) => {
                    const at = `${path}.serves[${j}]`;
                    if (typeof code !== "string" || !(GEO_CODES as readonly string[]).includes(code)) {
                        c.fail(at, `${show(code)} is not a Cloudflare region code`, `use one of ${GEO_CODES.join(", ")}`);
                        return;
                    }
                    const g = code as GeoCode;
                    const owner = servedBy.get(g);
                    if (owner && owner.index === i) {
                        c.fail(at, `${g} is listed twice`, "list each code once");
                    } else if (owner) {
                        c.fail(at, `${g} is already served by ${owner.name ? `${owner.name} (${NAMESPACE}:regions[${owner.index}])` : `${NAMESPACE}:regions[${owner.index}]`}`,
                            "each Cloudflare region code can be served first by one region only; the others are its failover");
                    } else {
                        servedBy.set(g, { name, index: i });
                        serves.push(g);
                    }
                });
            }
        }

        const cidr = r.cidr === undefined ? undefined : c.cidr(`${path}.cidr`, r.cidr);
        if (name !== undefined && cloud !== undefined && location !== undefined) {
            regions.push({ name, cloud, location, primary, serves, cidr: cidr ?? defaultCidr(name) });
        }
    });

    if (topology === "single-primary" && list.length > 0) {
        if (primaries.length === 0 && !primaryUnreadable) {
            c.fail(`${NAMESPACE}:regions`, "no region has primary: true, but single-primary needs exactly one writer region",
                "set primary: true on the region whose database takes the writes");
        } else if (primaries.length > 1) {
            const where = primaries.map((i) => `${NAMESPACE}:regions[${i}]`).join(", ");
            c.fail(`${NAMESPACE}:regions`, `${primaries.length} regions have primary: true (${where})`,
                "single-primary allows exactly one writer region; two writers would be multi-master, which is not supported");
        }
    }
    checkCidrOverlaps(c, list, regions);
    return regions;
}

/** A /16 in 10.16.0.0–10.239.0.0 chosen from the region name, so reordering regions never renumbers a VPC. */
export function defaultCidr(name: string): string {
    let h = 0x811c9dc5;
    for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return `10.${16 + (h % 224)}.0.0/16`;
}

function checkCidrOverlaps(c: Checker, list: unknown[], regions: RegionConfig[]): void {
    for (let i = 0; i < regions.length; i++) {
        for (let j = 0; j < i; j++) {
            if (cidrsOverlap(regions[i].cidr, regions[j].cidr)) {
                const at = list.findIndex((r) => (r as { name?: unknown })?.name === regions[i].name);
                c.fail(`${NAMESPACE}:regions[${at}].cidr`, `${regions[i].cidr} overlaps ${regions[j].name}'s ${regions[j].cidr}`,
                    "give each region its own private range, e.g. cidr: 10.42.0.0/16");
            }
        }
    }
}

function parseCidr(cidr: string): { base: number; bits: number } {
    const [addr, bits] = cidr.split("/");
    const base = addr.split(".").reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
    return { base, bits: Number(bits) };
}

export function cidrsOverlap(a: string, b: string): boolean {
    const x = parseCidr(a);
    const y = parseCidr(b);
    const bits = Math.min(x.bits, y.bits);
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return ((x.base & mask) >>> 0) === ((y.base & mask) >>> 0);
}

const DATABASE_KEYS = ["mode", "version", "backupRetentionDays", "rdsInstanceClass", "cloudSqlTier"] as const;

function parseDatabase(c: Checker, value: unknown, topology: Topology | undefined, regions: RegionConfig[]): DatabaseConfig | undefined {
    const path = `${NAMESPACE}:database`;
    const d = value === undefined ? {} : c.map(path, value, DATABASE_KEYS);
    if (!d) return undefined;
    const mode = d.mode === undefined ? "self-managed" : c.oneOf(`${path}.mode`, d.mode, DATABASE_MODES, "database mode");
    const versionText = d.version === undefined ? "16" : typeof d.version === "number" ? String(d.version) : d.version;
    const version = c.oneOf(`${path}.version`, versionText, POSTGRES_VERSIONS, "PostgreSQL major version");
    const clouds = [...new Set(regions.map((r) => r.cloud))];
    if (mode === "managed" && topology === "single-primary" && clouds.length > 1) {
        c.fail(`${path}.mode`, `managed spans ${clouds.join(" and ")}, but a managed replica (RDS, Cloud SQL) can only follow a primary in the same cloud`,
            "use mode: self-managed for a topology across clouds, or keep every region on one cloud");
    }
    const backupRetentionDays = c.integer(`${path}.backupRetentionDays`, d.backupRetentionDays ?? 7,
        { min: 7, max: 35, why: "(at least a week of restore points; RDS keeps at most 35 days)" });
    const rdsInstanceClass = c.string(`${path}.rdsInstanceClass`, d.rdsInstanceClass ?? "db.m6i.large", {});
    if (rdsInstanceClass !== undefined && !/^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(rdsInstanceClass)) {
        c.fail(`${path}.rdsInstanceClass`, `"${rdsInstanceClass}" is not an RDS instance class`, "use e.g. db.m6i.large or db.r6g.xlarge");
    }
    const cloudSqlTier = c.string(`${path}.cloudSqlTier`, d.cloudSqlTier ?? "db-custom-2-8192", {});
    if (cloudSqlTier !== undefined && !/^db-[a-z0-9-]+$/.test(cloudSqlTier)) {
        c.fail(`${path}.cloudSqlTier`, `"${cloudSqlTier}" is not a Cloud SQL tier`, "use e.g. db-custom-2-8192 or db-perf-optimized-N-2");
    }
    if (!mode || !version || backupRetentionDays === undefined || !rdsInstanceClass || !cloudSqlTier) return undefined;
    if (!/^db\./.test(rdsInstanceClass) || !/^db-/.test(cloudSqlTier)) return undefined;
    return { mode, version, backupRetentionDays, rdsInstanceClass, cloudSqlTier };
}

const EDGE_KEYS = [
    "accountId", "zoneId", "plan", "proxied", "ttlSeconds", "monitor", "sessionAffinity", "pin", "writesPaused", "authenticatedOriginPulls", "notifications",
] as const;
/** An address mail can be sent to: something@domain.tld, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PIN_KEYS = ["enabled", "cookie", "ttlSeconds"] as const;
const NOTIFICATION_KEYS = ["email", "webhookUrl"] as const;
const MONITOR_KEYS = ["intervalSeconds", "timeoutSeconds", "retries", "consecutiveDown", "consecutiveUp"] as const;
const AFFINITY_KEYS = ["mode", "ttlSeconds"] as const;
const PLANS: readonly CloudflarePlan[] = ["free", "pro", "business", "enterprise"];
const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;

function parseEdge(c: Checker, value: unknown, topology: Topology | undefined, regions: readonly RegionConfig[], readiness: ReadinessConfig | undefined): EdgeConfig | undefined {
    const path = `${NAMESPACE}:edge`;
    if (value === undefined) {
        c.fail(path, "missing", "set olympus:edge with at least accountId and zoneId (your Cloudflare account and zone IDs)");
        return undefined;
    }
    const e = c.map(path, value, EDGE_KEYS);
    if (!e) return undefined;
    const accountId = c.cloudflareId(`${path}.accountId`, e.accountId, "account");
    const zoneId = c.cloudflareId(`${path}.zoneId`, e.zoneId, "zone");
    const plan = e.plan === undefined ? "business" : c.oneOf(`${path}.plan`, e.plan, PLANS, "Cloudflare plan");
    const proxied = c.boolean(`${path}.proxied`, e.proxied) ?? true;

    const mp = `${path}.monitor`;
    const m = e.monitor === undefined ? {} : c.map(mp, e.monitor, MONITOR_KEYS);
    let monitor: MonitorConfig | undefined;
    if (m && plan) {
        const minInterval = MONITOR_MIN_INTERVAL[plan];
        const interval = c.integer(`${mp}.intervalSeconds`, m.intervalSeconds ?? minInterval,
            { min: minInterval, max: MONITOR_MAX_INTERVAL, why: `on the ${plan} plan (set ${path}.plan if yours differs)` });
        const retries = c.integer(`${mp}.retries`, m.retries ?? 1, MONITOR_RETRIES_RANGE);
        // 5 s, or less when that many attempts would not fit in a short (enterprise) interval.
        const defaultTimeout = interval !== undefined && retries !== undefined
            ? Math.max(MONITOR_TIMEOUT_RANGE.min, Math.min(5, Math.floor((interval - 1) / (retries + 1)))) : 5;
        const timeout = c.integer(`${mp}.timeoutSeconds`, m.timeoutSeconds ?? defaultTimeout, MONITOR_TIMEOUT_RANGE);
        const down = c.integer(`${mp}.consecutiveDown`, m.consecutiveDown ?? 2, MONITOR_CONSECUTIVE_RANGE);
        const up = c.integer(`${mp}.consecutiveUp`, m.consecutiveUp ?? 2, MONITOR_CONSECUTIVE_RANGE);
        if (interval !== undefined && timeout !== undefined && retries !== undefined && timeout * (retries + 1) >= interval) {
            c.fail(`${mp}.timeoutSeconds`, `${timeout}s x ${retries + 1} attempts (retries ${retries}) = ${timeout * (retries + 1)}s does not fit in the ${interval}s interval`,
                "keep timeoutSeconds x (retries + 1) below intervalSeconds, so one check ends before the next begins");
        }
        if (interval !== undefined && timeout !== undefined && retries !== undefined && down !== undefined && up !== undefined) {
            monitor = { intervalSeconds: interval, timeoutSeconds: timeout, retries, consecutiveDown: down, consecutiveUp: up };
        }
    }

    const ap = `${path}.sessionAffinity`;
    const a = e.sessionAffinity === undefined ? {} : c.map(ap, e.sessionAffinity, AFFINITY_KEYS);
    let sessionAffinity: SessionAffinityConfig | undefined;
    if (a) {
        const mode = a.mode === undefined ? (proxied ? "cookie" : "none") : c.oneOf(`${ap}.mode`, a.mode, SESSION_AFFINITY_MODES, "session affinity mode");
        const ttl = c.integer(`${ap}.ttlSeconds`, a.ttlSeconds ?? SESSION_AFFINITY_TTL_RANGE.min,
            { ...SESSION_AFFINITY_TTL_RANGE, why: "(Cloudflare's limits for the affinity cookie)" });
        if (mode && ttl !== undefined) sessionAffinity = { mode, ttlSeconds: ttl };
    }

    if (!proxied && sessionAffinity && sessionAffinity.mode !== "none") {
        c.fail(`${ap}.mode`, `"${sessionAffinity.mode}" needs a proxied load balancer (the affinity cookie is set by Cloudflare's proxy)`,
            `use mode: none with ${path}.proxied: false, or set proxied: true`);
    }
    const ttlSeconds = c.integer(`${path}.ttlSeconds`, e.ttlSeconds ?? LB_TTL_RANGE.min, { ...LB_TTL_RANGE, why: "(Cloudflare's bounds for a DNS-only load balancer)" });
    if (proxied && e.ttlSeconds !== undefined) {
        c.fail(`${path}.ttlSeconds`, "applies only to a DNS-only load balancer (Cloudflare sets the TTL of a proxied one)",
            `remove it, or set ${path}.proxied: false`);
    }

    // The pin needs one load-balancing rule (single-primary) or one per region (per-region).
    const pp = `${path}.pin`;
    const pr = e.pin === undefined ? {} : c.map(pp, e.pin, PIN_KEYS);
    let pin: PinConfig | undefined;
    if (pr && plan) {
        const rulesNeeded = regions.length < 2 ? 0 : topology === "per-region" ? regions.length : 1;
        const allowed = LB_RULES_ALLOWED[plan];
        const explicit = c.boolean(`${pp}.enabled`, pr.enabled);
        const enabled = explicit ?? (rulesNeeded > 0 && rulesNeeded <= allowed && proxied);
        if (explicit && rulesNeeded > allowed) {
            c.fail(`${pp}.enabled`, `per-region with ${regions.length} regions needs ${rulesNeeded} load-balancing rules, and the ${plan} plan allows ${allowed} per hostname`,
                `set ${pp}.enabled: false (users then follow geo steering only), or use the enterprise plan`);
        }
        if (explicit && !proxied) {
            c.fail(`${pp}.enabled`, "needs a proxied load balancer (rules read the request's cookie)", `set ${pp}.enabled: false, or ${path}.proxied: true`);
        }
        const cookie = c.string(`${pp}.cookie`, pr.cookie ?? "olympus_pin", {});
        if (cookie !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(cookie)) {
            c.fail(`${pp}.cookie`, `"${cookie}" is not a cookie name this program can match safely`, "use 1-64 letters, digits, '_' or '-'");
        }
        const ttl = c.integer(`${pp}.ttlSeconds`, pr.ttlSeconds ?? 300, PIN_TTL_RANGE);
        if (ttl !== undefined && readiness && topology === "single-primary" && ttl < readiness.maxReplicationLagSeconds) {
            c.fail(`${pp}.ttlSeconds`, `${ttl}s is shorter than readiness.maxReplicationLagSeconds (${readiness.maxReplicationLagSeconds}s): a replica region may serve that far behind, so the pin must last longer`,
                `use at least ${readiness.maxReplicationLagSeconds}`);
        }
        if (cookie !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(cookie) && ttl !== undefined) pin = { enabled, cookie, ttlSeconds: ttl };
    }

    const writesPaused = c.boolean(`${path}.writesPaused`, e.writesPaused) ?? false;
    const authenticatedOriginPulls = c.boolean(`${path}.authenticatedOriginPulls`, e.authenticatedOriginPulls) ?? true;

    const np = `${path}.notifications`;
    const nr = e.notifications === undefined ? {} : c.map(np, e.notifications, NOTIFICATION_KEYS);
    let notifications: NotificationsConfig | undefined;
    if (nr) {
        const email = c.string(`${np}.email`, nr.email, {});
        const emailOk = email === undefined || EMAIL.test(email);
        if (!emailOk) c.fail(`${np}.email`, `"${email}" is not an email address`, "use e.g. oncall@example.com");
        const webhookUrl = c.string(`${np}.webhookUrl`, nr.webhookUrl, {});
        let webhookOk = webhookUrl === undefined;
        if (webhookUrl !== undefined) {
            try {
                webhookOk = new URL(webhookUrl).protocol === "https:";
            } catch { /* reported below */ }
            if (!webhookOk) c.fail(`${np}.webhookUrl`, `"${webhookUrl}" is not an https:// URL`, "use the https URL your alerting tool gives for incoming webhooks");
        }
        if (emailOk && webhookOk) notifications = { ...(email ? { email } : {}), ...(webhookUrl ? { webhookUrl } : {}) };
    }

    if (!accountId || !zoneId || !plan || !monitor || !sessionAffinity || ttlSeconds === undefined || !pin || !notifications) return undefined;
    return { accountId, zoneId, plan, proxied, ttlSeconds, monitor, sessionAffinity, pin, writesPaused, authenticatedOriginPulls, notifications };
}

const MASTER_KEY_KEYS = ["source", "store", "location", "name", "keys", "version"] as const;
const KEY_GENERATION = /^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/;
const SECRET_NAME: Readonly<Record<Cloud, { pattern: RegExp; rule: string }>> = {
    aws: { pattern: /^[A-Za-z0-9/_+=.@-]{1,512}$/, rule: "1-512 letters, digits and /_+=.@-" },
    gcp: { pattern: /^[A-Za-z0-9_-]{1,255}$/, rule: "1-255 letters, digits, '_' and '-'" },
};

function parseMasterKey(c: Checker, value: unknown, topology: Topology | undefined, regions: RegionConfig[]): MasterKeyConfig | undefined {
    const path = `${NAMESPACE}:masterKey`;
    const m = value === undefined ? {} : c.map(path, value, MASTER_KEY_KEYS);
    if (!m) return undefined;
    const source = m.source === undefined ? "generated" : c.oneOf(`${path}.source`, m.source, ["generated", "existing"] as const, "key source");
    // The default store sits with the writer: the primary region (per-region: the first region).
    const home = regions.find((r) => r.primary) ?? (topology === "per-region" ? regions[0] : undefined) ?? regions[0];
    const defaultStore: SecretStore | undefined = home ? (home.cloud === "aws" ? "aws-secrets-manager" : "gcp-secret-manager") : undefined;
    const store = m.store === undefined ? defaultStore : c.oneOf(`${path}.store`, m.store, SECRET_STORES, "secret store");
    if (!store) return undefined;
    const cloud = STORE_CLOUD[store];

    let location: string | undefined;
    if (m.location !== undefined) {
        location = c.string(`${path}.location`, m.location, {});
        if (location !== undefined && !findLocation(cloud, location)) {
            c.fail(`${path}.location`, `"${location}" is not ${CLOUD_NAMES[cloud]} location, where the ${store} store lives`,
                `use one of ${[...LOCATIONS[cloud].keys()].sort().join(", ")}`);
            location = undefined;
        }
    } else if (home && home.cloud === cloud) {
        location = home.location;
    } else if (home) {
        c.fail(`${path}.location`, `missing: the ${store} store is on ${cloud.toUpperCase()}, but the ${home.primary ? "primary " : ""}region ${home.name} is on ${home.cloud.toUpperCase()}`,
            `set the ${cloud.toUpperCase()} location of the store, e.g. ${[...LOCATIONS[cloud].keys()][0]}`);
    }

    let name: string | undefined;
    if (m.name !== undefined) {
        name = c.string(`${path}.name`, m.name, {});
        if (name !== undefined && !SECRET_NAME[cloud].pattern.test(name)) {
            c.fail(`${path}.name`, `"${name}" is not a valid ${store} secret name`, `use ${SECRET_NAME[cloud].rule}`);
            name = undefined;
        }
    } else if (source === "existing") {
        c.fail(`${path}.name`, "missing, but source is existing", `set the name of the ${store} secret that holds the key list`);
    }

    let keys: string[] = [];
    if (source === "existing") {
        if (m.keys !== undefined) {
            c.fail(`${path}.keys`, "is set, but an existing key is rotated in its own store",
                "remove keys; to rotate, write the new key list as a new version of the existing secret and run pulumi up");
        }
    } else if (m.keys === undefined) {
        keys = ["k1"];
    } else if (!Array.isArray(m.keys) || m.keys.length === 0) {
        c.fail(`${path}.keys`, Array.isArray(m.keys) ? "is an empty rotation list" : `${show(m.keys)} is not a list`,
            "list the key generations newest first, e.g. [k2, k1]: the first encrypts, every one decrypts");
    } else {
        m.keys.forEach((k: unknown, i: number) => {
            if (typeof k !== "string" || !KEY_GENERATION.test(k)) {
                c.fail(`${path}.keys[${i}]`, `${show(k)} is not a key generation name`, "use 1-16 lower-case letters, digits and '-', e.g. k2 or 2026-11");
            } else if (keys.includes(k)) {
                c.fail(`${path}.keys[${i}]`, `"${k}" is listed twice`, "give each key generation a unique name");
            } else {
                keys.push(k);
            }
        });
    }
    if (m.version !== undefined && source !== "existing") {
        c.fail(`${path}.version`, "is set, but only an existing key is read by version", "remove version, or set source: existing");
    }
    const version = m.version === undefined ? undefined : c.string(`${path}.version`, typeof m.version === "number" ? String(m.version) : m.version, {});

    if (!source || !location) return undefined;
    return { source, store, cloud, location, name, keys, version };
}

const AWS_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const GCP_MACHINE_TYPE = /^[a-z][a-z0-9]*-[a-z0-9-]*[a-z0-9]$/;
const DEFAULT_SERVERS: ServersConfig = {
    app: { aws: "t3.medium", gcp: "e2-medium", diskGb: 30 },
    database: { aws: "m6i.large", gcp: "n2-standard-2", diskGb: 30, dataDiskGb: 100 },
};

function parseServers(c: Checker, value: unknown): ServersConfig | undefined {
    const path = `${NAMESPACE}:servers`;
    const s = value === undefined ? {} : c.map(path, value, ["app", "database"] as const);
    if (!s) return undefined;
    const size = <K extends string>(role: "app" | "database", keys: readonly K[]) => {
        const p = `${path}.${role}`;
        const v: Partial<Record<string, unknown>> | undefined = s[role] === undefined ? {} : c.map(p, s[role], keys);
        if (!v) return undefined;
        const d = DEFAULT_SERVERS[role] as ServerSize & { dataDiskGb?: number };
        const aws = c.string(`${p}.aws`, v.aws ?? d.aws, {});
        if (aws !== undefined && !AWS_INSTANCE_TYPE.test(aws)) c.fail(`${p}.aws`, `"${aws}" is not an EC2 instance type`, "use a type such as t3.medium or m6i.large");
        const gcp = c.string(`${p}.gcp`, v.gcp ?? d.gcp, {});
        if (gcp !== undefined && !GCP_MACHINE_TYPE.test(gcp)) c.fail(`${p}.gcp`, `"${gcp}" is not a Compute Engine machine type`, "use a type such as e2-medium or n2-standard-2");
        const diskGb = c.integer(`${p}.diskGb`, v.diskGb ?? d.diskGb, { min: 10, max: 16384 });
        const dataDiskGb = role === "database" ? c.integer(`${p}.dataDiskGb`, v.dataDiskGb ?? d.dataDiskGb, { min: 10, max: 65536 }) : 0;
        if (aws === undefined || gcp === undefined || diskGb === undefined || dataDiskGb === undefined) return undefined;
        if (!AWS_INSTANCE_TYPE.test(aws) || !GCP_MACHINE_TYPE.test(gcp)) return undefined;
        return { aws, gcp, diskGb, dataDiskGb };
    };
    const app = size("app", ["aws", "gcp", "diskGb"] as const);
    const database = size("database", ["aws", "gcp", "diskGb", "dataDiskGb"] as const);
    if (!app || !database) return undefined;
    return { app: { aws: app.aws, gcp: app.gcp, diskGb: app.diskGb }, database };
}

/** registry/path/name:tag, optionally @sha256:digest; a tag or a digest is required, and the tag is not `latest`. */
const IMAGE = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@sha256:[a-f0-9]{64})?$/;

function parseImages(c: Checker, value: unknown): ImagesConfig | undefined {
    const path = `${NAMESPACE}:images`;
    const m = value === undefined ? {} : c.map(path, value, SERVICES);
    if (!m) return undefined;
    const out: Partial<Record<Service, string>> = {};
    for (const service of SERVICES) {
        const image = c.string(`${path}.${service}`, m[service] ?? DEFAULT_IMAGES[service], {});
        if (image === undefined) continue;
        const match = IMAGE.exec(image);
        const pinned = match !== null && (match[1] !== undefined || image.includes("@sha256:"));
        if (!match) {
            c.fail(`${path}.${service}`, `"${image}" is not a container image reference`, "use registry/name:version, e.g. docker.io/oryd/hydra:v2.2.0");
        } else if (!pinned || match[1] === "latest") {
            c.fail(`${path}.${service}`, `"${image}" is not pinned to an exact version`,
                "name an exact version tag (never latest) or a @sha256 digest, so every region runs the same build");
        } else {
            out[service] = image;
        }
    }
    return SERVICES.every((s) => out[s] !== undefined) ? (out as ImagesConfig) : undefined;
}

function parseReadiness(c: Checker, value: unknown): ReadinessConfig | undefined {
    const path = `${NAMESPACE}:readiness`;
    const r = value === undefined ? {} : c.map(path, value, ["maxReplicationLagSeconds", "checkIntervalSeconds"] as const);
    if (!r) return undefined;
    // An idle primary is heard from every 10 s (wal_sender_timeout / 2): a lower limit would flap.
    const lag = c.integer(`${path}.maxReplicationLagSeconds`, r.maxReplicationLagSeconds ?? 30,
        { min: 15, max: 3600, why: "(an idle primary's keepalive arrives every 10 s)" });
    const interval = c.integer(`${path}.checkIntervalSeconds`, r.checkIntervalSeconds ?? 5, { min: 1, max: 300 });
    if (lag === undefined || interval === undefined) return undefined;
    return { maxReplicationLagSeconds: lag, checkIntervalSeconds: interval };
}

function parseSmtpUrl(c: Checker, value: unknown): string | undefined {
    const path = `${NAMESPACE}:smtpUrl`;
    const url = c.string(path, value, { required: "set the SMTP server Kratos sends mail through, as a secret: pulumi config set --secret olympus:smtpUrl smtps://user:password@smtp.example.com:465/" });
    if (url === undefined) return undefined;
    let parsed: URL | undefined;
    try {
        parsed = new URL(url);
    } catch {
        parsed = undefined;
    }
    if (!parsed || !["smtp:", "smtps:"].includes(parsed.protocol) || parsed.hostname === "") {
        c.fail(path, "is not an smtp:// or smtps:// URL with a host", "use e.g. smtps://user:password@smtp.example.com:465/ (set it with --secret)");
        return undefined;
    }
    return url;
}

const CACHE_KEYS = ["introspectionTtlSeconds", "invalidationUrl"] as const;
const INVALIDATION_SCHEMES = ["nats:", "tls:", "redis:", "rediss:"];

function parseCache(c: Checker, value: unknown): CacheConfig | undefined {
    const path = `${NAMESPACE}:cache`;
    const v = value === undefined ? {} : c.map(path, value, CACHE_KEYS);
    if (!v) return undefined;
    const url = c.string(`${path}.invalidationUrl`, v.invalidationUrl, {});
    let urlOk = url === undefined;
    if (url !== undefined) {
        try {
            const u = new URL(url);
            urlOk = INVALIDATION_SCHEMES.includes(u.protocol) && u.hostname !== "";
        } catch { /* reported below */ }
        if (!urlOk) {
            c.fail(`${path}.invalidationUrl`, "is not a NATS or Redis URL with a host",
                "use nats://host:4222, tls://host:4222, redis://host:6379 or rediss://host:6380 (set it with --secret when it holds a password)");
        }
    }
    // Without invalidation, a revoked token is accepted for up to the TTL in every region: keep it at a minute.
    const ttl = c.integer(`${path}.introspectionTtlSeconds`, v.introspectionTtlSeconds ?? 60, url === undefined
        ? { min: 1, max: 60, why: "(without invalidationUrl a revoked token stays valid for up to the TTL; set invalidationUrl to allow longer)" }
        : { min: 1, max: 3600 });
    if (ttl === undefined || !urlOk) return undefined;
    return { introspectionTtlSeconds: ttl, ...(url ? { invalidationUrl: url } : {}) };
}

function parseMonitoring(c: Checker, value: unknown): MonitoringConfig | undefined {
    const path = `${NAMESPACE}:monitoring`;
    const v = value === undefined ? {} : c.map(path, value, ["alertEmail"] as const);
    if (!v) return undefined;
    const email = c.string(`${path}.alertEmail`, v.alertEmail, {});
    if (email !== undefined && !EMAIL.test(email)) {
        c.fail(`${path}.alertEmail`, `"${email}" is not an email address`, "use e.g. oncall@example.com");
        return undefined;
    }
    return email ? { alertEmail: email } : {};
}

const GCP_KEYS = ["project"] as const;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

function parseGcp(c: Checker, value: unknown, regions: RegionConfig[], masterKey: MasterKeyConfig | undefined): GcpConfig | undefined {
    const path = `${NAMESPACE}:gcp`;
    const g = value === undefined ? {} : c.map(path, value, GCP_KEYS);
    if (!g) return undefined;
    const firstGcp = regions.find((r) => r.cloud === "gcp");
    if (g.project === undefined) {
        if (firstGcp) {
            c.fail(`${path}.project`, `missing, but region ${firstGcp.name} runs on GCP`,
                "set the GCP project ID to deploy into, e.g. olympus:gcp.project: my-project-123");
        } else if (masterKey?.cloud === "gcp") {
            c.fail(`${path}.project`, "missing, but the master key's store is GCP Secret Manager",
                "set the GCP project ID that holds the store, e.g. olympus:gcp.project: my-project-123");
        }
        return undefined;
    }
    const project = c.string(`${path}.project`, g.project, {});
    if (project === undefined) return undefined;
    if (!GCP_PROJECT.test(project)) {
        c.fail(`${path}.project`, `"${project}" is not a GCP project ID`,
            "use 6-30 lower-case letters, digits and '-', starting with a letter and not ending with '-'");
        return undefined;
    }
    return { project };
}

// ---------------------------------------------------------------------------------------------
// The checker: one message format for every rule (STYLE.md rule 7).

function show(v: unknown): string {
    if (typeof v === "string") return `"${v}"`;
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "a map";
    return String(v);
}

function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
    }
    return d[a.length][b.length];
}

class Checker {
    readonly problems: string[] = [];

    fail(path: string, what: string, allowed: string): void {
        this.problems.push(`${path}: ${what}; ${allowed}`);
    }

    /** A map whose keys are all known; unknown keys are reported (a typo must not silently mean "default"). */
    map<K extends string>(path: string, value: unknown, keys: readonly K[]): Partial<Record<K, any>> | undefined {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            this.fail(path, `${show(value)} is not a map`, `write a YAML map with keys ${keys.join(", ")}`);
            return undefined;
        }
        this.knownKeys(path, value as Record<string, unknown>, keys);
        return value as Partial<Record<K, unknown>>;
    }

    knownKeys(path: string, value: Readonly<Record<string, unknown>>, keys: readonly string[]): void {
        const sep = path === NAMESPACE ? ":" : ".";
        for (const key of Object.keys(value)) {
            if (keys.includes(key)) continue;
            const near = keys.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
            this.fail(`${path}${sep}${key}`, `is not a known key${near ? ` (did you mean ${near}?)` : ""}`,
                `use one of ${keys.join(", ")}`);
        }
    }

    string(path: string, value: unknown, opts: { required?: string }): string | undefined {
        if (value === undefined || value === null || value === "") {
            if (opts.required) this.fail(path, "missing", opts.required);
            return undefined;
        }
        if (typeof value !== "string") {
            this.fail(path, `${show(value)} is not text`, "write a string");
            return undefined;
        }
        return value;
    }

    oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[], what: string): T | undefined {
        if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
        this.fail(path, value === undefined ? "missing" : `${show(value)} is not a supported ${what}`,
            `use ${allowed.length === 2 ? allowed.join(" or ") : `one of ${allowed.join(", ")}`}`);
        return undefined;
    }

    /** Booleans arrive as YAML booleans, or as text from `pulumi config set --path`. */
    boolean(path: string, value: unknown): boolean | undefined {
        if (value === undefined) return undefined;
        if (typeof value === "boolean") return value;
        if (value === "true" || value === "false") return value === "true";
        this.fail(path, `${show(value)} is not a boolean`, "use true or false");
        return undefined;
    }

    integer(path: string, value: unknown, range: { min: number; max: number; why?: string }): number | undefined {
        const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
        const allowed = `use a whole number from ${range.min} to ${range.max}${range.why ? ` ${range.why}` : ""}`;
        if (typeof n !== "number" || !Number.isInteger(n)) {
            this.fail(path, `${show(value)} is not a whole number`, allowed);
            return undefined;
        }
        if (n < range.min || n > range.max) {
            this.fail(path, `${n} is ${n < range.min ? "below the minimum" : "above the maximum"}`, allowed);
            return undefined;
        }
        return n;
    }

    domain(path: string, value: unknown): string | undefined {
        const s = this.string(path, value, { required: "set the public hostname users reach, e.g. ciam.example.com" });
        if (s === undefined) return undefined;
        const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
        const labels = s.split(".");
        const valid = s.length <= 253 && labels.length >= 2 && labels.every((l) => label.test(l)) && !/^\d+$/.test(labels[labels.length - 1]);
        if (!valid) {
            this.fail(path, `"${s}" is not a valid DNS hostname`,
                "use two or more dot-separated labels of lower-case letters, digits and '-', e.g. ciam.example.com");
            return undefined;
        }
        return s;
    }

    cloudflareId(path: string, value: unknown, what: "account" | "zone"): string | undefined {
        const where = what === "account" ? "the dashboard's Account Home > Account ID" : "the zone's Overview page > Zone ID";
        const s = this.string(path, value, { required: `set your Cloudflare ${what} ID (32 hex characters, from ${where})` });
        if (s === undefined) return undefined;
        if (!CLOUDFLARE_ID.test(s)) {
            this.fail(path, `"${s}" is not a Cloudflare ${what} ID`, `use the 32 lower-case hex characters from ${where}`);
            return undefined;
        }
        return s;
    }

    cidr(path: string, value: unknown): string | undefined {
        const s = this.string(path, value, {});
        if (s === undefined) return undefined;
        const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
        const octets = m ? m.slice(1, 5).map(Number) : [];
        const bits = m ? Number(m[5]) : NaN;
        const isPrivate = m !== null && (octets[0] === 10 || (octets[0] === 172 && octets[1] >= 16 && octets[1] <= 31) ||
            (octets[0] === 192 && octets[1] === 168));
        if (!m || octets.some((o) => o > 255) || !isPrivate || bits < 16 || bits > 22) {
            this.fail(path, `"${s}" is not a private IPv4 range from /16 to /22`,
                "use an RFC 1918 range such as 10.42.0.0/16 (room for the app and database subnets in two zones)");
            return undefined;
        }
        const { base } = parseCidr(s);
        const mask = (~0 << (32 - bits)) >>> 0;
        if (((base & mask) >>> 0) !== base) {
            this.fail(path, `"${s}" has host bits set`, `use the network address, e.g. ${[0, 8, 16, 24].map((sh) => (((base & mask) >>> (24 - sh)) & 255)).join(".")}/${bits}`);
            return undefined;
        }
        return s;
    }
}
