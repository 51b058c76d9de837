import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { PgNode, describe, known, postgresNodes } from "../lib/resources";

interface Config {
    minRetentionDays?: number;
}

function descendants(root: PolicyResource, resources: PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => {
        for (let cur = r.parent; cur; cur = cur.parent) if (cur.urn === root.urn) return true;
        return false;
    });
}

/** What is missing for a self-managed writer: its data disk encrypted, protected, and snapshotted daily. */
function selfManagedGaps(node: PgNode, resources: PolicyResource[], minDays: number): string[] {
    const own = descendants(node.resource, resources);
    const volume = own.find((r) => r.type === "aws:ebs/volume:Volume");
    const disk = own.find((r) => r.type === "gcp:compute/disk:Disk");
    if (!volume && !disk) return ["it has no separate data disk"];
    const gaps: string[] = [];
    const data = (volume ?? disk)!;
    if (volume && known(() => volume.props.encrypted) !== true) gaps.push("its data volume is not encrypted");
    if (!data.opts.protect) gaps.push("its data disk is not protected from deletion (protect: true)");
    if (volume) {
        const tags: Record<string, string> = known(() => volume.props.tags) ?? {};
        const policies = resources.filter((r) => r.type === "aws:dlm/lifecyclePolicy:LifecyclePolicy" && known(() => r.props.state) !== "DISABLED");
        const covering = policies.find((p) => {
            const target: Record<string, string> = known(() => p.props.policyDetails?.targetTags) ?? {};
            return Object.keys(target).length > 0 && Object.entries(target).every(([k, v]) => tags[k] === v);
        });
        const kept = Math.max(0, ...(known(() => covering?.props.policyDetails?.schedules) ?? []).map((s: { retainRule?: { count?: number; interval?: number } }) => s.retainRule?.count ?? s.retainRule?.interval ?? 0));
        if (!covering) gaps.push("no snapshot schedule (Data Lifecycle Manager) covers its data volume");
        else if (kept < minDays) gaps.push(`its snapshots are kept ${kept} days, fewer than ${minDays}`);
    } else {
        const attached = resources.filter((r) => r.type === "gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment" &&
            (r.propertyDependencies?.disk ?? []).some((d) => d.urn === disk!.urn));
        const schedules = resources.filter((r) => r.type === "gcp:compute/resourcePolicy:ResourcePolicy" &&
            attached.some((a) => (a.propertyDependencies?.name ?? []).some((d) => d.urn === r.urn)));
        const kept = Math.max(0, ...schedules.map((s) => Number(known(() => s.props.snapshotSchedulePolicy?.retentionPolicy?.maxRetentionDays) ?? 0)));
        if (schedules.length === 0) gaps.push("no snapshot schedule is attached to its data disk");
        else if (kept < minDays) gaps.push(`its snapshots are kept ${kept} days, fewer than ${minDays}`);
    }
    return gaps;
}

/**
 * The writer holds the only authoritative copy of every identity: replicas follow its mistakes
 * (a dropped table replicates in milliseconds), so they are no backup. A writer must keep at
 * least a week of restore points, refuse to be deleted by a stray `pulumi destroy`, and encrypt
 * its data at rest.
 */
export const enforceBackups: StackValidationPolicy = {
    name: "olympus-database-enforce-backups",
    description: "Every writable PostgreSQL keeps backups, is protected from deletion and encrypts its data at rest.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7, description: "The fewest days of restore points a writer may keep." },
        },
    },
    validateStack: (args, reportViolation) => {
        const minDays = args.getConfig<Config>().minRetentionDays ?? 7;
        const writers = postgresNodes(args.resources).filter((n) => n.writer);
        if (writers.length === 0) args.notApplicable("the stack declares no writable PostgreSQL database");
        for (const w of writers) {
            const p = w.resource.props;
            const gaps: string[] = [];
            if (w.kind === "rds" || w.kind === "aurora") {
                const days = Number(known(() => p.backupRetentionPeriod) ?? 0);
                if (days < minDays) gaps.push(`it keeps backups ${days} days (backupRetentionPeriod), fewer than ${minDays}`);
                if (known(() => p.deletionProtection) !== true) gaps.push("deletionProtection is off");
                if (known(() => p.storageEncrypted) !== true) gaps.push("its storage is not encrypted (storageEncrypted)");
            } else if (w.kind === "cloudsql") {
                const backup = known(() => p.settings?.backupConfiguration) ?? {};
                if (backup.enabled !== true) gaps.push("backups are off (settings.backupConfiguration.enabled)");
                if (backup.pointInTimeRecoveryEnabled !== true) gaps.push("point-in-time recovery is off");
                const kept = Number(backup.backupRetentionSettings?.retainedBackups ?? 7);
                if (backup.backupRetentionSettings?.retentionUnit !== "TIME" && kept < minDays) gaps.push(`it keeps ${kept} daily backups, fewer than ${minDays}`);
                if (known(() => p.deletionProtection) === false) gaps.push("deletionProtection is off");
            } else {
                gaps.push(...selfManagedGaps(w, args.resources, minDays));
            }
            if (gaps.length > 0) reportViolation(`${describe(w.resource)} takes writes, but ${gaps.join("; ")}`, w.resource.urn);
        }
    },
};
