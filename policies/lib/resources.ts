// What the policies know about resources: type tokens, where a resource runs (its region and
// jurisdiction), and which resources are PostgreSQL databases and whom they replicate from.
// Only type tokens and properties, never this project's classes: the pack must also judge
// resources a fork adds by hand. No cloud SDK is imported, so the pack starts fast.

import { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { Cloud, findLocation } from "../../topology/catalog";

export const TYPES = {
    olympus: "olympus:index:Olympus",
    region: "olympus:index:Region",
    masterKey: "olympus:index:MasterKey",
    /** A self-managed PostgreSQL server (component; outputs region, role, upstream, walLevel). */
    postgresNode: "olympus:database:PostgresNode",
    rdsInstance: "aws:rds/instance:Instance",
    rdsCluster: "aws:rds/cluster:Cluster",
    rdsClusterInstance: "aws:rds/clusterInstance:ClusterInstance",
    rdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
    rdsClusterParameterGroup: "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    dmsReplicationTask: "aws:dms/replicationTask:ReplicationTask",
    cloudSql: "gcp:sql/databaseInstance:DatabaseInstance",
    pgSubscription: "postgresql:index/subscription:Subscription",
    pgPublication: "postgresql:index/publication:Publication",
    pgExtension: "postgresql:index/extension:Extension",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    sgIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    gcpFirewall: "gcp:compute/firewall:Firewall",
    cfLoadBalancer: "cloudflare:index/loadBalancer:LoadBalancer",
    cfPool: "cloudflare:index/loadBalancerPool:LoadBalancerPool",
} as const;

/** Read a property that may be unknown during preview; undefined when it is not known yet. */
export function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (err) {
        if (err instanceof UnknownValueError) return undefined;
        throw err;
    }
}

/** Whether a property is set: a value computed during preview counts as set. */
function isSet(read: () => unknown): boolean {
    try {
        const v = read();
        return v !== undefined && v !== null && v !== "";
    } catch (err) {
        if (err instanceof UnknownValueError) return true;
        throw err;
    }
}

/** Where a resource runs. */
export interface Site {
    /** The Olympus region name, when the resource is inside a Region component. */
    readonly region?: string;
    readonly cloud?: Cloud;
    readonly location?: string;
    readonly jurisdiction?: string;
}

function enclosingRegion(r: PolicyResource): PolicyResource | undefined {
    for (let cur: PolicyResource | undefined = r; cur; cur = cur.parent) {
        if (cur.type === TYPES.region) return cur;
    }
    return undefined;
}

/**
 * A resource's site: from the enclosing Region component's outputs, else from the resource's
 * own location or its provider's region (a resource a fork added outside any Region).
 */
export function siteOf(r: PolicyResource): Site {
    const region = enclosingRegion(r);
    if (region) {
        const p = region.props;
        return { region: p.regionName, cloud: p.cloud, location: p.location, jurisdiction: p.jurisdiction };
    }
    const cloud: Cloud | undefined = r.type.startsWith("aws:") ? "aws" : r.type.startsWith("gcp:") ? "gcp" : undefined;
    if (!cloud) return {};
    const location = known(() => r.props.region) ?? known(() => r.provider?.props.region);
    if (typeof location !== "string") return { cloud };
    return { cloud, location, jurisdiction: findLocation(cloud, location)?.jurisdiction };
}

export function describe(r: PolicyResource): string {
    const site = siteOf(r);
    const where = site.region ?? site.location;
    return `${r.type.split(":").pop()} "${r.name}"${where ? ` (${where})` : ""}`;
}

/** The deployment's topology: the Olympus component's, else any Region's; undefined without either. */
export function topologyOf(resources: PolicyResource[]): "single-primary" | "per-region" | undefined {
    const olympus = resources.find((r) => r.type === TYPES.olympus);
    const t = olympus?.props.topology ?? resources.find((r) => r.type === TYPES.region)?.props.topology;
    return t === "single-primary" || t === "per-region" ? t : undefined;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL databases and their replication graph.

export interface PgNode {
    readonly resource: PolicyResource;
    readonly kind: "self-managed" | "rds" | "aurora" | "cloudsql";
    readonly writer: boolean;
    /** The database this one streams from; undefined for a writer or when it cannot be resolved. */
    upstream?: PgNode;
    /** What the replica names as its source, for messages when it cannot be resolved. */
    readonly upstreamRef?: string;
    readonly site: Site;
}

const isPostgresEngine = (engine: unknown) => typeof engine === "string" && /postgres/i.test(engine);

/** What a self-managed node is told to be: the `db-config` its server applies (JSON in a secret version). */
export interface DbConfigView {
    readonly resource: PolicyResource;
    readonly role?: string;
    /** HOST:PORT of the upstream. */
    readonly upstream?: string;
    readonly pgHba: string;
    readonly postgresqlConf: string;
}

const SECRET_VERSIONS = ["aws:secretsmanager/secretVersion:SecretVersion", "gcp:secretmanager/secretVersion:SecretVersion"];

/** Every db-config in the stack, by the region it is in. */
export function dbConfigs(resources: PolicyResource[]): Map<string, DbConfigView> {
    const out = new Map<string, DbConfigView>();
    for (const r of resources.filter((x) => SECRET_VERSIONS.includes(x.type))) {
        const text = known(() => r.props.secretString ?? r.props.secretData);
        if (typeof text !== "string" || !text.startsWith("{")) continue;
        let value: Record<string, unknown>;
        try {
            value = JSON.parse(text);
        } catch {
            continue;
        }
        if (typeof value.pgHba !== "string" || typeof value.postgresqlConf !== "string") continue;
        const region = siteOf(r).region;
        if (!region) continue;
        out.set(region, {
            resource: r, pgHba: value.pgHba, postgresqlConf: value.postgresqlConf,
            role: typeof value.role === "string" ? value.role : undefined,
            upstream: typeof value.upstream === "string" ? value.upstream : undefined,
        });
    }
    return out;
}

function nodeOf(r: PolicyResource, configs: ReadonlyMap<string, DbConfigView>): Omit<PgNode, "upstream"> | undefined {
    const p = r.props;
    switch (r.type) {
        case TYPES.postgresNode: {
            const site = { ...siteOf(r), region: p.region ?? siteOf(r).region };
            // The server does what its db-config says; the component's outputs only describe the plan.
            const config = site.region ? configs.get(site.region) : undefined;
            const role = config?.role ?? p.role;
            return {
                resource: r, kind: "self-managed", site,
                writer: role === "primary" || role === "independent",
                upstreamRef: config ? config.upstream : (p.upstream ?? undefined),
            };
        }
        case TYPES.rdsInstance: {
            const replica = isSet(() => p.replicateSourceDb);
            // A replica inherits its engine from its source and may not declare one.
            if (!isPostgresEngine(known(() => p.engine)) && !replica) return undefined;
            return { resource: r, kind: "rds", site: siteOf(r), writer: !replica, upstreamRef: known(() => p.replicateSourceDb) };
        }
        case TYPES.rdsCluster: {
            if (!isPostgresEngine(known(() => p.engine))) return undefined;
            // A secondary cluster of an Aurora global database is read-only: it joins the global
            // cluster without master credentials of its own.
            const secondary = isSet(() => p.globalClusterIdentifier) && !isSet(() => p.masterUsername) && !isSet(() => p.snapshotIdentifier);
            const replica = isSet(() => p.replicationSourceIdentifier) || secondary;
            const upstreamRef = known(() => p.replicationSourceIdentifier) ?? (secondary ? known(() => p.globalClusterIdentifier) : undefined);
            return { resource: r, kind: "aurora", site: siteOf(r), writer: !replica, upstreamRef };
        }
        case TYPES.cloudSql: {
            const version = known(() => p.databaseVersion);
            if (typeof version !== "string" || !version.startsWith("POSTGRES")) return undefined;
            const replica = isSet(() => p.masterInstanceName);
            return { resource: r, kind: "cloudsql", site: siteOf(r), writer: !replica, upstreamRef: known(() => p.masterInstanceName) };
        }
        default:
            return undefined;
    }
}

/** Properties through which a replica names its source, per kind. */
const SOURCE_PROPERTY: Readonly<Record<PgNode["kind"], string>> = {
    "self-managed": "upstream",
    rds: "replicateSourceDb",
    aurora: "replicationSourceIdentifier",
    cloudsql: "masterInstanceName",
};

/** Every PostgreSQL database in the stack, each replica linked to the database it streams from. */
export function postgresNodes(resources: PolicyResource[]): PgNode[] {
    const configs = dbConfigs(resources);
    const nodes: PgNode[] = resources.map((r) => nodeOf(r, configs)).filter((n): n is PgNode => n !== undefined);
    for (const n of nodes) {
        if (n.writer) continue;
        // The surest link is the dependency the engine recorded for the source property: it holds
        // during preview, when an ARN or name is not known yet.
        const deps = n.resource.propertyDependencies?.[SOURCE_PROPERTY[n.kind]] ?? [];
        n.upstream = nodes.find((m) => m !== n && deps.some((d) => d.urn === m.resource.urn));
        if (n.upstream || n.upstreamRef === undefined) continue;
        const ref = n.upstreamRef;
        const host = ref.replace(/:\d+$/, "");
        n.upstream = nodes.find((m) => m !== n && (
            n.kind === "self-managed" ? m.kind === "self-managed" && (m.site.region === ref ||
                [known(() => m.resource.props.publicAddress), known(() => m.resource.props.privateAddress)].includes(host))
                : n.kind === "aurora" && m.kind === "aurora" && m.writer && known(() => m.resource.props.globalClusterIdentifier) === ref ? true
                    : [known(() => m.resource.props.arn), known(() => m.resource.props.identifier), known(() => m.resource.props.clusterIdentifier),
                        known(() => m.resource.props.name), known(() => m.resource.props.id)].includes(ref)));
    }
    return nodes;
}

// ---------------------------------------------------------------------------------------------
// Network: which firewall rules open which ports to which ranges.

/** A CIDR no broader than the thresholds: anything wider is "the internet" for these policies. */
export function isInternetWide(cidr: string, limits: { ipv4MinPrefix: number; ipv6MinPrefix: number }): boolean {
    const [addr, bitsText] = cidr.trim().split("/");
    const bits = bitsText === undefined ? (addr.includes(":") ? 128 : 32) : Number(bitsText);
    return addr.includes(":") ? bits < limits.ipv6MinPrefix : bits < limits.ipv4MinPrefix;
}

/** Whether a from/to port pair (AWS style: -1 or protocol "-1" meaning all) covers `port`. */
export function coversPort(protocol: unknown, from: unknown, to: unknown, port: number): boolean {
    const proto = String(protocol ?? "").toLowerCase();
    if (proto === "-1" || proto === "all") return true;
    if (proto !== "tcp" && proto !== "6") return false;
    const f = Number(from ?? 0);
    const t = Number(to ?? 65535);
    if (f === -1 || t === -1) return true;
    return f <= port && port <= t;
}

/** Whether a GCP firewall `allows` entry covers `port`. */
export function gcpAllowCovers(allow: { protocol?: string; ports?: string[] }, port: number): boolean {
    const proto = String(allow.protocol ?? "").toLowerCase();
    if (proto === "all") return true;
    if (proto !== "tcp" && proto !== "6") return false;
    if (!allow.ports || allow.ports.length === 0) return true;
    return allow.ports.some((spec) => {
        const [a, b] = String(spec).split("-").map(Number);
        return b === undefined ? a === port : a <= port && port <= b;
    });
}

export interface IngressRule {
    /** The sources a rule admits: CIDR ranges. */
    readonly cidrs: string[];
    /** Which of the given ports it opens. */
    readonly ports: number[];
}

/** The ingress a firewall-like resource opens to the given ports, in one shape for AWS and GCP. */
export function ingressRules(r: { type: string; props: Record<string, any> }, ports: readonly number[]): IngressRule[] {
    const p = r.props;
    const open = (test: (port: number) => boolean) => ports.filter(test);
    switch (r.type) {
        case TYPES.securityGroup:
            return (known(() => p.ingress) ?? []).map((rule: Record<string, any>) => ({
                cidrs: [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])],
                ports: open((port) => coversPort(rule.protocol, rule.fromPort, rule.toPort, port)),
            }));
        case TYPES.securityGroupRule:
            if (known(() => p.type) !== "ingress") return [];
            return [{
                cidrs: [...(known(() => p.cidrBlocks) ?? []), ...(known(() => p.ipv6CidrBlocks) ?? [])],
                ports: open((port) => coversPort(p.protocol, p.fromPort, p.toPort, port)),
            }];
        case TYPES.sgIngressRule:
            return [{
                cidrs: [known(() => p.cidrIpv4), known(() => p.cidrIpv6)].filter((c): c is string => typeof c === "string"),
                ports: open((port) => coversPort(p.ipProtocol, p.fromPort, p.toPort, port)),
            }];
        case TYPES.gcpFirewall: {
            if ((known(() => p.direction) ?? "INGRESS") !== "INGRESS" || known(() => p.disabled) === true) return [];
            const allows: { protocol?: string; ports?: string[] }[] = known(() => p.allows) ?? [];
            const ranges: string[] = known(() => p.sourceRanges) ?? [];
            const otherSources = [known(() => p.sourceTags), known(() => p.sourceServiceAccounts)].some((x) => Array.isArray(x) && x.length > 0);
            return [{
                // GCP admits 0.0.0.0/0 to an ingress rule that names no source at all.
                cidrs: ranges.length === 0 && !otherSources ? ["0.0.0.0/0"] : ranges,
                ports: open((port) => allows.some((a) => gcpAllowCovers(a, port))),
            }];
        }
        default:
            return [];
    }
}

/** IPv4 address as a number, or undefined. */
function ipv4(addr: string): number | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
    return m ? m.slice(1).reduce((acc, o) => acc * 256 + Number(o), 0) : undefined;
}

/** Whether two IPv4 ranges (or addresses) overlap. IPv6 ranges never match here. */
export function rangesOverlap(a: string, b: string): boolean {
    const parse = (c: string) => {
        const [addr, bits] = c.split("/");
        const base = ipv4(addr);
        return base === undefined ? undefined : { base, bits: bits === undefined ? 32 : Number(bits) };
    };
    const x = parse(a);
    const y = parse(b);
    if (!x || !y) return false;
    const bits = Math.min(x.bits, y.bits);
    const size = 2 ** (32 - bits);
    return Math.floor(x.base / size) === Math.floor(y.base / size);
}

/** Addresses and ranges that belong to each Olympus region (public addresses and private ranges). */
export function regionAddresses(resources: PolicyResource[]): Map<string, { site: Site; ranges: string[] }> {
    const out = new Map<string, { site: Site; ranges: string[] }>();
    for (const r of resources) {
        const site = siteOf(r);
        if (!site.region) continue;
        const p = r.props;
        const ranges: unknown[] = [];
        switch (r.type) {
            case TYPES.region: ranges.push(known(() => p.originAddress), known(() => p.addresses?.app), known(() => p.addresses?.database)); break;
            case "aws:ec2/vpc:Vpc": ranges.push(known(() => p.cidrBlock)); break;
            case "aws:ec2/eip:Eip": ranges.push(known(() => p.publicIp)); break;
            case "aws:ec2/instance:Instance": ranges.push(known(() => p.publicIp), known(() => p.privateIp)); break;
            case "gcp:compute/subnetwork:Subnetwork": ranges.push(known(() => p.ipCidrRange)); break;
            case "gcp:compute/address:Address": ranges.push(known(() => p.address)); break;
            case "gcp:compute/instance:Instance":
                for (const ni of known(() => p.networkInterfaces) ?? []) {
                    ranges.push(ni.networkIp, ...(ni.accessConfigs ?? []).map((a: { natIp?: string }) => a.natIp));
                }
                break;
            default:
                continue;
        }
        const entry = out.get(site.region) ?? { site, ranges: [] };
        entry.ranges.push(...ranges.filter((x): x is string => typeof x === "string" && x !== ""));
        out.set(site.region, entry);
    }
    return out;
}
