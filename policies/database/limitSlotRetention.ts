import { StackValidationPolicy } from "@pulumi/policy";
import { confSettings, sizeBytes } from "../lib/postgresConfig";
import { TYPES, dbConfigs, known } from "../lib/resources";

interface Config {
    maxFractionOfDisk?: number;
}

/**
 * A replication slot keeps every WAL segment its replica has not confirmed. A replica that dies
 * and is forgotten then grows the primary's pg_wal until the disk is full and the primary (every
 * region's writer) stops. max_slot_wal_keep_size bounds that: past it the slot is invalidated and
 * the replica is rebuilt instead. Advisory: the right bound depends on the disk and on how long a
 * replica outage should be survivable without a rebuild.
 */
export const limitSlotRetention: StackValidationPolicy = {
    name: "olympus-database-limit-slot-retention",
    description: "Replication slots may hold back only a bounded share of the database disk (max_slot_wal_keep_size).",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            maxFractionOfDisk: { type: "number", minimum: 0.01, maximum: 0.9, default: 0.25, description: "The largest share of the data disk slots may hold back." },
        },
    },
    validateStack: (args, reportViolation) => {
        const fraction = args.getConfig<Config>().maxFractionOfDisk ?? 0.25;
        const configs = dbConfigs(args.resources);
        if (configs.size === 0) args.notApplicable("the stack has no self-managed PostgreSQL node");
        const nodes = args.resources.filter((r) => r.type === TYPES.postgresNode);
        for (const [region, c] of configs) {
            const value = confSettings(c.postgresqlConf).get("max_slot_wal_keep_size") ?? "-1";
            const bytes = sizeBytes(value);
            if (bytes < 0 || Number.isNaN(bytes)) {
                reportViolation(`region ${region} lets replication slots hold back unlimited WAL (max_slot_wal_keep_size = ${value}): ` +
                    "a dead replica would fill the primary's disk; set a bound", c.resource.urn);
                continue;
            }
            const node = nodes.find((n) => n.props.region === region);
            const disk = node && args.resources.find((r) => (r.type === "aws:ebs/volume:Volume" || r.type === "gcp:compute/disk:Disk") &&
                (() => { for (let cur = r.parent; cur; cur = cur.parent) if (cur.urn === node.urn) return true; return false; })());
            const diskGb = Number(known(() => disk?.props.size) ?? 0);
            if (diskGb > 0 && bytes > fraction * diskGb * 1024 ** 3) {
                reportViolation(`region ${region}'s slots may hold back ${value} of a ${diskGb} GB data disk, more than ${Math.round(fraction * 100)}%: ` +
                    "lower max_slot_wal_keep_size, or grow the disk", c.resource.urn);
            }
        }
    },
};
