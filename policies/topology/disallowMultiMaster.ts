import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { PgNode, TYPES, describe, known, postgresNodes } from "../lib/resources";

interface Config {
    /**
     * Allow logical decoding settings (rds.logical_replication, cloudsql.logical_decoding,
     * wal_level logical), e.g. to stream changes out to an analytics pipeline. Subscriptions
     * between databases, BDR and pglogical stay refused.
     */
    allowLogicalDecoding?: boolean;
}

const LOGICAL_FLAGS: Readonly<Record<string, string>> = {
    "rds.logical_replication": "1",
    "cloudsql.logical_decoding": "on",
    "cloudsql.enable_pglogical": "on",
};
const MULTI_MASTER_EXTENSIONS = ["bdr", "pglogical", "spock"];

/** Logical-replication settings in a parameter group, a Cloud SQL flag list or a self-managed node. */
function logicalSettings(r: PolicyResource): string[] {
    const p = r.props;
    const on = (name: string, value: unknown) => LOGICAL_FLAGS[name] !== undefined && String(value).toLowerCase() === LOGICAL_FLAGS[name];
    switch (r.type) {
        case TYPES.rdsParameterGroup:
        case TYPES.rdsClusterParameterGroup:
            return (known(() => p.parameters) ?? []).filter((x: { name: string; value: unknown }) => on(x.name, x.value))
                .map((x: { name: string; value: unknown }) => `${x.name}=${x.value}`);
        case TYPES.cloudSql:
            return (known(() => p.settings?.databaseFlags) ?? []).filter((x: { name: string; value: unknown }) => on(x.name, x.value))
                .map((x: { name: string; value: unknown }) => `${x.name}=${x.value}`);
        case TYPES.postgresNode:
            return p.walLevel === "logical" ? ["wal_level=logical"] : [];
        default:
            return [];
    }
}

/** Resources that replicate writes between databases whatever the decoding settings say. */
function replicationChannel(r: PolicyResource): string | undefined {
    const p = r.props;
    switch (r.type) {
        case TYPES.pgSubscription:
            return "a logical replication subscription";
        case TYPES.pgExtension: {
            const name = String(known(() => p.name) ?? "").toLowerCase();
            return MULTI_MASTER_EXTENSIONS.includes(name) ? `the ${name} extension (multi-master replication)` : undefined;
        }
        case TYPES.dmsReplicationTask: {
            const type = String(known(() => p.migrationType) ?? "");
            return type.includes("cdc") ? `a DMS task replicating changes continuously (${type})` : undefined;
        }
        case TYPES.rdsCluster:
            return known(() => p.engineMode) === "multimaster" ? "an Aurora multi-master cluster" : undefined;
        default:
            return undefined;
    }
}

/** Replication loops: following sources from a database comes back to it. */
function loops(nodes: PgNode[]): PgNode[][] {
    const found: PgNode[][] = [];
    const reported = new Set<PgNode>();
    for (const start of nodes) {
        const path: PgNode[] = [];
        for (let cur: PgNode | undefined = start; cur && !path.includes(cur); cur = cur.upstream) path.push(cur);
        const last = path[path.length - 1];
        if (last?.upstream === start && !path.some((n) => reported.has(n))) {
            path.forEach((n) => reported.add(n));
            found.push(path);
        }
    }
    return found;
}

/**
 * Option C of the multi-region guide, active-active replication, is not supported: two writers
 * accept conflicting changes to the same identity (a password changed in one region while the
 * account is deleted in the other) and Olympus has no conflict resolution. This refuses the
 * resources that express it however they are written: replication loops, two writers for the
 * same region, logical replication between databases, BDR/pglogical, continuous DMS tasks and
 * Aurora multi-master.
 */
export const disallowMultiMaster: StackValidationPolicy = {
    name: "olympus-topology-disallow-multi-master",
    description: "No multi-master PostgreSQL: no second writer sharing identities, no bidirectional or logical replication between databases.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowLogicalDecoding: {
                type: "boolean",
                default: false,
                description: "Allow logical decoding settings (to stream changes out, e.g. CDC to analytics). Subscriptions between databases stay refused.",
            },
        },
    },
    validateStack: (args, reportViolation) => {
        const config = args.getConfig<Config>();
        const nodes = postgresNodes(args.resources);

        for (const loop of loops(nodes)) {
            reportViolation(`replication loop ${[...loop, loop[0]].map((n) => describe(n.resource)).join(" -> ")}: databases replicating ` +
                "each other are multi-master; replicas must form a tree under one writer", loop[0].resource.urn);
        }

        const writersByRegion = new Map<string, PgNode[]>();
        for (const w of nodes.filter((n) => n.writer && n.site.region !== undefined)) {
            writersByRegion.set(w.site.region!, [...(writersByRegion.get(w.site.region!) ?? []), w]);
        }
        for (const [region, writers] of writersByRegion) {
            if (writers.length < 2) continue;
            reportViolation(`${writers.map((w) => describe(w.resource)).join(" and ")} both take writes for region ${region}: ` +
                "two writers sharing the same identities are multi-master; keep one writer and make the other a replica", writers[1].resource.urn);
        }

        for (const r of args.resources) {
            const channel = replicationChannel(r);
            if (channel) {
                reportViolation(`${describe(r)} is ${channel}: replicating writes between databases is multi-master, ` +
                    "which Olympus does not support; use physical streaming replication from the one primary", r.urn);
            }
            if (config.allowLogicalDecoding ?? false) continue;
            const settings = logicalSettings(r);
            if (settings.length > 0) {
                reportViolation(`${describe(r)} enables logical replication (${settings.join(", ")}): it is how multi-master setups ` +
                    "exchange writes; use physical streaming replication, or set allowLogicalDecoding if you only stream changes out", r.urn);
            }
        }
    },
};
