// planTopology: every topology decision, made once, as plain serialisable data. Components,
// the offline plan command and the docs all read this; nothing downstream decides topology again.

import { Cloud, GEO_CODES, GEO_CODE_CENTRES, GeoCode, Jurisdiction, distanceKm, findLocation } from "./catalog";
import { DatabaseMode, MonitorConfig, OlympusConfig, PostgresVersion, Topology } from "./config";

/** primary: takes writes; replica: streams from the primary; independent: per-region, its own writer. */
export type Role = "primary" | "replica" | "independent";

export const POSTGRES_PORT = 5432;

/** A database endpoint by region; the address itself is resolved by that region's database node. */
export interface Endpoint {
    readonly region: string;
    readonly role: Role;
    readonly port: number;
}

/**
 * Who a database admits. In single-primary every database admits every other region's database
 * (replication) and app servers, so promoting any replica needs no firewall or pg_hba change.
 */
export interface DatabasePeers {
    /** Regions whose database may stream from this one (a replication-only role from each). */
    readonly replication: readonly string[];
    /** Regions whose app servers connect to this database. */
    readonly app: readonly string[];
}

export interface PlannedRegion {
    readonly name: string;
    readonly cloud: Cloud;
    readonly location: string;
    readonly city: string;
    readonly jurisdiction: Jurisdiction;
    /** The Cloudflare region the location sits in. */
    readonly geo: GeoCode;
    readonly cidr: string;
    /** The region's range split in four: app subnets (public) and data subnets (private), one per zone. */
    readonly subnets: SubnetRanges;
    /** Fixed private addresses in the first app subnet, known before any server exists (database certificates name them). */
    readonly privateAddresses: { readonly app: string; readonly database: string };
    readonly role: Role;
    /** The region this region's database streams from; null for a writer. */
    readonly upstream: string | null;
    /** The geo codes this region serves first (explicit `serves`, then those nearest to it). */
    readonly serves: readonly GeoCode[];
    /** Hydra and Kratos write here: the primary's database (single-primary) or the local one. */
    readonly writeEndpoint: Endpoint;
    /** Reads stay local: this region's own database node. */
    readonly readEndpoint: Endpoint;
    readonly databasePeers: DatabasePeers;
    /** Only a writer runs schema migrations; a replica never does. */
    readonly runsMigrations: boolean;
    /** Where Cloudflare health-checks this region's origin from: its own Cloudflare region and the nearest other. */
    readonly checkRegions: readonly GeoCode[];
    /** The pin cookie's value this region's origin sets: its name, with a terminator so no name matches another's prefix. */
    readonly pinValue: string;
}

export interface SubnetRanges {
    readonly app: readonly [string, string];
    readonly data: readonly [string, string];
}

/** The address `offset` hosts into a range (AWS and GCP reserve the first few). */
export function hostAddress(cidr: string, offset: number): string {
    const base = cidr.split("/")[0].split(".").reduce((acc, o) => acc * 256 + Number(o), 0) + offset;
    return [24, 16, 8, 0].map((sh) => Math.floor(base / 2 ** sh) % 256).join(".");
}

/** Split a region's range into four equal subnets: two app (one per zone), then two data. */
export function subnetRanges(cidr: string): SubnetRanges {
    const [addr, bitsText] = cidr.split("/");
    const bits = Number(bitsText) + 2;
    const base = addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const size = 2 ** (32 - bits);
    const quarter = (i: number): string => {
        const n = base + i * size;
        return `${[24, 16, 8, 0].map((sh) => Math.floor(n / 2 ** sh) % 256).join(".")}/${bits}`;
    };
    return { app: [quarter(0), quarter(1)], data: [quarter(2), quarter(3)] };
}

export interface FailoverTiming {
    /** Worst case between a region failing and Cloudflare marking its pool down, in seconds. */
    readonly detectionSeconds: number;
    readonly formula: string;
}

export interface Plan {
    readonly domain: string;
    readonly topology: Topology;
    readonly database: { readonly mode: DatabaseMode; readonly version: PostgresVersion };
    /** The writer region in single-primary; null in per-region. */
    readonly primary: string | null;
    readonly regions: readonly PlannedRegion[];
    /** For each of Cloudflare's 13 region codes, the regions to try, in failover order. */
    readonly steering: Readonly<Record<GeoCode, readonly string[]>>;
    /**
     * The load balancer's default pools, in failover order. Geo steering covers all 13 codes, so
     * Cloudflare only uses these if a code is ever left unmapped. Empty in per-region: a default
     * list would mix jurisdictions, so the default is the maintenance fallback alone.
     */
    readonly defaultOrder: readonly string[];
    readonly failover: FailoverTiming;
    /**
     * Where a client carrying a region's pin cookie goes, in failover order, by the pin's value.
     * Single-primary: the primary first, whichever region set it (the fresh write is there).
     * Per-region: the region that set it, then its own jurisdiction only.
     */
    readonly pinOrder: Readonly<Record<string, readonly string[]>>;
}

interface Site {
    readonly index: number;
    readonly name: string;
    readonly jurisdiction: Jurisdiction;
    readonly lat: number;
    readonly lon: number;
}

/**
 * Worst-case failure detection: a region can fail just after a passing check, so the first failing
 * check starts up to one interval later; `consecutiveDown` failing checks are needed, one interval
 * apart, and the last one ends after all its attempts time out.
 */
export function failoverTiming(m: MonitorConfig): FailoverTiming {
    return {
        detectionSeconds: m.consecutiveDown * m.intervalSeconds + (m.retries + 1) * m.timeoutSeconds,
        formula: "consecutiveDown x intervalSeconds + (retries + 1) x timeoutSeconds",
    };
}

/** The geo steering table: per code, the serving region first, then the rest by distance from the code's users. */
export function steeringTable(
    sites: readonly Site[],
    explicit: ReadonlyMap<GeoCode, string>,
    topology: Topology,
): Record<GeoCode, string[]> {
    const table = {} as Record<GeoCode, string[]>;
    for (const code of GEO_CODES) {
        const centre = GEO_CODE_CENTRES[code];
        const byDistance = [...sites].sort((a, b) => distanceKm(centre, a) - distanceKm(centre, b) || a.index - b.index);
        const first = sites.find((s) => s.name === explicit.get(code)) ?? byDistance[0];
        const rest = byDistance.filter((s) => s !== first &&
            (topology !== "per-region" || s.jurisdiction === first.jurisdiction));
        table[code] = [first, ...rest].map((s) => s.name);
    }
    return table;
}

export function planTopology(config: OlympusConfig): Plan {
    const sites: Site[] = config.regions.map((r, index) => {
        const loc = findLocation(r.cloud, r.location);
        if (!loc) throw new Error(`unknown location ${r.cloud}/${r.location}: parseConfig should have refused it`);
        return { index, name: r.name, jurisdiction: loc.jurisdiction, lat: loc.lat, lon: loc.lon };
    });
    const explicit = new Map<GeoCode, string>();
    for (const r of config.regions) for (const code of r.serves) explicit.set(code, r.name);
    const steering = steeringTable(sites, explicit, config.topology);

    const single = config.topology === "single-primary";
    const primary = single ? config.regions.find((r) => r.primary)!.name : null;
    const names = config.regions.map((r) => r.name);

    const regions: PlannedRegion[] = config.regions.map((r) => {
        const loc = findLocation(r.cloud, r.location)!;
        const subnets = subnetRanges(r.cidr);
        const role: Role = !single ? "independent" : r.name === primary ? "primary" : "replica";
        const writer = role === "replica" ? primary! : r.name;
        const isWriter = role !== "replica";
        return {
            name: r.name,
            cloud: r.cloud,
            location: r.location,
            city: loc.city,
            jurisdiction: loc.jurisdiction,
            geo: loc.geo,
            cidr: r.cidr,
            subnets,
            privateAddresses: { app: hostAddress(subnets.app[0], 10), database: hostAddress(subnets.app[0], 20) },
            role,
            upstream: role === "replica" ? primary : null,
            serves: GEO_CODES.filter((code) => steering[code][0] === r.name),
            writeEndpoint: { region: writer, role: role === "replica" ? "primary" : role, port: POSTGRES_PORT },
            readEndpoint: { region: r.name, role, port: POSTGRES_PORT },
            databasePeers: single
                ? { replication: names.filter((n) => n !== r.name), app: names }
                : { replication: [], app: [r.name] },
            runsMigrations: isWriter,
            checkRegions: [loc.geo, ...GEO_CODES.filter((c) => c !== loc.geo)
                .sort((a, b) => distanceKm(GEO_CODE_CENTRES[a], loc) - distanceKm(GEO_CODE_CENTRES[b], loc)).slice(0, 1)],
            pinValue: `${r.name}.`,
        };
    });

    const defaultOrder = single
        ? [...sites].sort((a, b) => {
            const p = sites.find((s) => s.name === primary)!;
            return distanceKm(p, a) - distanceKm(p, b) || a.index - b.index;
        }).map((s) => s.name)
        : [];

    const byDistanceFrom = (from: Site, keep: (s: Site) => boolean) => [...sites].filter(keep)
        .sort((a, b) => distanceKm(from, a) - distanceKm(from, b) || a.index - b.index).map((s) => s.name);
    const pinOrder = Object.fromEntries(regions.map((r) => {
        const from = sites.find((s) => s.name === (single ? primary : r.name))!;
        return [r.pinValue, byDistanceFrom(from, (s) => single || s.jurisdiction === from.jurisdiction)];
    }));

    return {
        domain: config.domain,
        topology: config.topology,
        database: { mode: config.database.mode, version: config.database.version },
        primary,
        regions,
        steering,
        defaultOrder,
        failover: failoverTiming(config.edge.monitor),
        pinOrder,
    };
}
