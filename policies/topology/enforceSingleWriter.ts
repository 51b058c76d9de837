import { StackValidationPolicy } from "@pulumi/policy";
import { TOPOLOGY_SCHEMA, TopologySetting, topologySetting } from "../lib/config";
import { PgNode, TYPES, describe, postgresNodes, topologyOf } from "../lib/resources";

/**
 * Single-primary means one database takes every write (registration, password changes, session
 * creation) and every other region streams from it. A second writer splits identities between
 * two databases that never reconcile; a replica that streams from anything but the primary
 * serves data the primary may have overwritten, and is lost when its source is. Either is the
 * kind of drift that turns a regional failover into data loss, so it is mandatory.
 */
export const enforceSingleWriter: StackValidationPolicy = {
    name: "olympus-topology-enforce-single-writer",
    description: "In single-primary, exactly one PostgreSQL database takes writes and every replica streams from it.",
    enforcementLevel: "mandatory",
    configSchema: TOPOLOGY_SCHEMA,
    validateStack: (args, reportViolation) => {
        const setting = topologySetting(args.getConfig<{ topology?: TopologySetting }>());
        const topology = setting === "auto" ? topologyOf(args.resources) ?? "single-primary" : setting;
        if (topology !== "single-primary") {
            args.notApplicable("per-region has one writer per region; olympus-topology-enforce-residency covers it");
        }
        const nodes = postgresNodes(args.resources);
        if (nodes.length === 0) args.notApplicable("the stack declares no PostgreSQL database");

        const plannedPrimary: string | undefined = args.resources.find((r) => r.type === TYPES.olympus)?.props.primaryRegion ?? undefined;
        const writers = nodes.filter((n) => n.writer);
        if (writers.length === 0) {
            const replicas = nodes.map(describe_).join(", ");
            reportViolation(`no PostgreSQL database takes writes: ${replicas} ${nodes.length === 1 ? "is a replica" : "are replicas"} ` +
                "of nothing this stack declares; declare the primary (a database without a replication source)", nodes[0].resource.urn);
            return;
        }
        // The writer in the planned primary region is the primary; any other writer is the extra one.
        const primary = writers.find((w) => plannedPrimary !== undefined && w.site.region === plannedPrimary) ?? writers[0];
        for (const w of writers) {
            if (w === primary) continue;
            reportViolation(`${describe_(w)} takes writes, but ${describe_(primary)} is already the writer; single-primary ` +
                `allows exactly one writable PostgreSQL database: make ${w.resource.name} a replica of the primary, or remove it`, w.resource.urn);
        }
        if (plannedPrimary !== undefined && primary.site.region !== undefined && primary.site.region !== plannedPrimary) {
            reportViolation(`${describe_(primary)} takes writes, but the plan's primary region is ${plannedPrimary}; ` +
                "the writer must be the primary region's database", primary.resource.urn);
        }
        for (const n of nodes) {
            if (n.writer) continue;
            if (!n.upstream) {
                reportViolation(`${describe_(n)} streams from ${n.upstreamRef ? `"${n.upstreamRef}"` : "a source"}, which is not a ` +
                    `database of this stack; every replica must stream from the primary ${describe_(primary)}`, n.resource.urn);
            } else if (n.upstream !== primary) {
                reportViolation(`${describe_(n)} streams from ${describe_(n.upstream)}, which is ${n.upstream.writer ? "a second writer" : "itself a replica"}; ` +
                    `every replica must stream from the primary ${describe_(primary)}`, n.resource.urn);
            }
        }
    },
};

function describe_(n: PgNode): string {
    return describe(n.resource);
}
