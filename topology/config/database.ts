// olympus:database: who runs PostgreSQL, which major, how long backups are kept.

import { Checker } from "./checker";
import { DATABASE_KEYS, DATABASE_MODES, DEFAULT_POSTGRES_VERSION, DatabaseConfig, NAMESPACE, POSTGRES_VERSIONS, RegionConfig, Topology } from "./types";

export function parseDatabase(c: Checker, value: unknown, topology: Topology | undefined, regions: RegionConfig[]): DatabaseConfig | undefined {
    const path = `${NAMESPACE}:database`;
    const d = value === undefined ? {} : c.map(path, value, DATABASE_KEYS);
    if (!d) return undefined;
    const mode = d.mode === undefined ? "self-managed" : c.oneOf(`${path}.mode`, d.mode, DATABASE_MODES, "database mode");
    const versionText = d.version === undefined ? DEFAULT_POSTGRES_VERSION : typeof d.version === "number" ? String(d.version) : d.version;
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
