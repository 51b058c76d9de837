import * as assert from "assert";
import { PolicyResource } from "@pulumi/policy";
import { enforceBackups } from "../../policies/database/enforceBackups";
import { enforceReplicationTls } from "../../policies/database/enforceReplicationTls";
import { limitSlotRetention } from "../../policies/database/limitSlotRetention";
import { renderPgHba, renderPostgresqlConf } from "../../components/database/postgres";
import { serverLayout } from "../../components/runtime/databaseServer";
import { cloudSql, rds, replace, selfManaged, withProps } from "./fixtures";
import { assertNoViolations, assertViolations, awsProvider, runStackPolicy, stackResource } from "./util";

const TUNING = { walKeepSize: "1GB", maxWalSize: "2GB", maxSlotWalKeepSize: "20GB", maxConnections: 200 };
const HBA = renderPgHba({ replication: ["203.0.113.7/32"], app: ["10.1.0.10/32"], databases: ["hydra", "kratos", "athena"] });
const CONF = renderPostgresqlConf(serverLayout("16"), TUNING);

/**
 * The self-managed fixture with what the program adds for each node: its db-config (as a secret
 * version in the region), and its data volume: encrypted, protected, snapshotted daily for a week.
 */
function selfManagedFull(change: { hba?: string; conf?: string; volume?: Record<string, unknown>; protect?: boolean; retain?: number; dlm?: boolean } = {}): PolicyResource[] {
    const f = selfManaged();
    const extra: PolicyResource[] = [];
    for (const region of ["us-east", "eu-west"]) {
        const r = f.get(region);
        const node = f.get(`${region}-db`);
        extra.push(stackResource("aws:secretsmanager/secretVersion:SecretVersion", `${region}-db-config`, {
            secretString: JSON.stringify({ role: node.props.role, pgHba: change.hba ?? HBA, postgresqlConf: change.conf ?? CONF }),
        }, { parent: r }));
        const tags = { "olympus-backup": `stack-${region}` };
        extra.push(stackResource("aws:ebs/volume:Volume", `${region}-database-data`, { encrypted: true, size: 100, tags, ...change.volume },
            { parent: node, protect: change.protect ?? true, provider: awsProvider("us-east-1") }));
        if (change.dlm !== false) {
            extra.push(stackResource("aws:dlm/lifecyclePolicy:LifecyclePolicy", `${region}-database-data-snapshots`, {
                state: "ENABLED",
                policyDetails: { resourceTypes: ["VOLUME"], targetTags: tags, schedules: [{ name: "daily", retainRule: { count: change.retain ?? 7 } }] },
            }, { parent: r }));
        }
    }
    return [...f.resources, ...extra];
}

describe("olympus-database-enforce-replication-tls", () => {
    it("passes the rendered pg_hba and postgresql.conf", async () => {
        assertNoViolations(await runStackPolicy(enforceReplicationTls, selfManagedFull()));
    });

    it("refuses a pg_hba line that admits replication without TLS", async () => {
        const hba = `${HBA}host replication olympus_replicator 203.0.113.9/32 scram-sha-256\n`;
        const outcome = await runStackPolicy(enforceReplicationTls, selfManagedFull({ hba }));
        assert.deepStrictEqual(outcome.violations.map((v) => v.message), [
            'region us-east\'s pg_hba.conf admits connections without TLS ("host replication olympus_replicator 203.0.113.9/32 scram-sha-256"): use hostssl, or reject',
            'region eu-west\'s pg_hba.conf admits connections without TLS ("host replication olympus_replicator 203.0.113.9/32 scram-sha-256"): use hostssl, or reject',
        ]);
    });

    it("refuses TLS turned off, and a minimum below TLS 1.3 unless configured", async () => {
        const off = await runStackPolicy(enforceReplicationTls, selfManagedFull({ conf: CONF.replace("ssl = on", "ssl = off") }));
        assert.strictEqual(off.violations[0].message, "region us-east's postgresql.conf does not turn TLS on (ssl = off): set ssl = on");
        const old = selfManagedFull({ conf: CONF.replace("'TLSv1.3'", "'TLSv1.2'") });
        assert.strictEqual((await runStackPolicy(enforceReplicationTls, old)).violations[0].message,
            "region us-east's postgresql.conf accepts TLSv1.2: require TLSv1.3 or newer (ssl_min_protocol_version)");
        assertNoViolations(await runStackPolicy(enforceReplicationTls, old, { minTlsVersion: "TLSv1.2" }));
    });

    it("refuses Cloud SQL that accepts unencrypted connections, passes ENCRYPTED_ONLY", async () => {
        const f = cloudSql();
        assertViolations(await runStackPolicy(enforceReplicationTls, f.resources), [
            { message: 'DatabaseInstance "eu-west-db" (eu-west) accepts unencrypted connections: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY' },
            { message: 'DatabaseInstance "eu-north-db" (eu-north) accepts unencrypted connections: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY' },
        ]);
        const encrypted = f.resources.map((r) => (r.type.startsWith("gcp:sql") ? withProps(r, { settings: { ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" } } }) : r));
        assertNoViolations(await runStackPolicy(enforceReplicationTls, encrypted));
    });

    it("refuses an RDS parameter group with rds.force_ssl = 0, and PostgreSQL 14 on RDS without one that forces it", async () => {
        const f = rds();
        const group = stackResource("aws:rds/parameterGroup:ParameterGroup", "pg", { name: "olympus-pg", parameters: [{ name: "rds.force_ssl", value: "0" }] });
        assert.strictEqual((await runStackPolicy(enforceReplicationTls, [...f.resources, group])).violations[0].message,
            'ParameterGroup "pg" turns TLS off (rds.force_ssl = 0): set it to 1');
        const old = replace(f, "us-east-db", withProps(f.get("us-east-db"), { engineVersion: "14.12" }));
        assert.strictEqual((await runStackPolicy(enforceReplicationTls, old)).violations[0].message,
            'Instance "us-east-db" (us-east) runs PostgreSQL 14, which accepts plaintext unless a parameter group sets rds.force_ssl = 1');
        const forced = withProps(group, { parameters: [{ name: "rds.force_ssl", value: "1" }] });
        assertNoViolations(await runStackPolicy(enforceReplicationTls, [...replace(f, "us-east-db", withProps(f.get("us-east-db"), { engineVersion: "14.12", parameterGroupName: "olympus-pg" })), forced]));
        assertNoViolations(await runStackPolicy(enforceReplicationTls, replace(f, "us-east-db", withProps(f.get("us-east-db"), { engineVersion: "16.4" }))));
    });
});

describe("olympus-database-enforce-backups", () => {
    it("passes a self-managed primary whose data volume is encrypted, protected and snapshotted for a week", async () => {
        assertNoViolations(await runStackPolicy(enforceBackups, selfManagedFull()));
    });

    it("refuses a self-managed primary without snapshots, with too few, unprotected, or unencrypted", async () => {
        const message = async (c: Parameters<typeof selfManagedFull>[0]) => (await runStackPolicy(enforceBackups, selfManagedFull(c))).violations.map((v) => v.message);
        assert.deepStrictEqual(await message({ dlm: false }), ['PostgresNode "us-east-db" (us-east) takes writes, but no snapshot schedule (Data Lifecycle Manager) covers its data volume']);
        assert.deepStrictEqual(await message({ retain: 3 }), ['PostgresNode "us-east-db" (us-east) takes writes, but its snapshots are kept 3 days, fewer than 7']);
        assert.deepStrictEqual(await message({ protect: false }), ['PostgresNode "us-east-db" (us-east) takes writes, but its data disk is not protected from deletion (protect: true)']);
        assert.deepStrictEqual(await message({ volume: { encrypted: false } }), ['PostgresNode "us-east-db" (us-east) takes writes, but its data volume is not encrypted']);
    });

    it("checks only writers: a replica without backups passes", async () => {
        const resources = selfManagedFull().filter((r) => r.name !== "eu-west-database-data-snapshots");
        assertNoViolations(await runStackPolicy(enforceBackups, resources));
    });

    it("passes an RDS writer with a week of backups, deletion protection and encryption; refuses each gap", async () => {
        const f = rds();
        const good = { backupRetentionPeriod: 7, deletionProtection: true, storageEncrypted: true };
        assertNoViolations(await runStackPolicy(enforceBackups, replace(f, "us-east-db", withProps(f.get("us-east-db"), good))));
        const bad = replace(f, "us-east-db", withProps(f.get("us-east-db"), { backupRetentionPeriod: 1, deletionProtection: false, storageEncrypted: false }));
        assertViolations(await runStackPolicy(enforceBackups, bad), [{
            message: 'Instance "us-east-db" (us-east) takes writes, but it keeps backups 1 days (backupRetentionPeriod), fewer than 7; deletionProtection is off; its storage is not encrypted (storageEncrypted)',
        }]);
        assertNoViolations(await runStackPolicy(enforceBackups, replace(f, "us-east-db", withProps(f.get("us-east-db"), { ...good, backupRetentionPeriod: 3 })), { minRetentionDays: 3 }));
    });

    it("refuses a Cloud SQL writer without point-in-time recovery", async () => {
        const f = cloudSql();
        const settings = { backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: false, backupRetentionSettings: { retainedBackups: 7 } } };
        assertViolations(await runStackPolicy(enforceBackups, replace(f, "eu-west-db", withProps(f.get("eu-west-db"), { settings }))), [{
            message: 'DatabaseInstance "eu-west-db" (eu-west) takes writes, but point-in-time recovery is off',
        }]);
    });
});

describe("olympus-database-limit-slot-retention (advisory)", () => {
    it("passes a fifth of the data disk", async () => {
        assertNoViolations(await runStackPolicy(limitSlotRetention, selfManagedFull()));
        assert.strictEqual(limitSlotRetention.enforcementLevel, "advisory");
    });

    it("refuses unlimited slot retention", async () => {
        const outcome = await runStackPolicy(limitSlotRetention, selfManagedFull({ conf: CONF.replace("max_slot_wal_keep_size = '20GB'", "max_slot_wal_keep_size = -1") }));
        assert.strictEqual(outcome.violations[0].message, "region us-east lets replication slots hold back unlimited WAL (max_slot_wal_keep_size = -1): a dead replica would fill the primary's disk; set a bound");
    });

    it("refuses a bound larger than the configured share of the disk", async () => {
        const outcome = await runStackPolicy(limitSlotRetention, selfManagedFull({ conf: CONF.replace("'20GB'", "'50GB'") }));
        assert.strictEqual(outcome.violations[0].message, "region us-east's slots may hold back 50GB of a 100 GB data disk, more than 25%: lower max_slot_wal_keep_size, or grow the disk");
        assertNoViolations(await runStackPolicy(limitSlotRetention, selfManagedFull({ conf: CONF.replace("'20GB'", "'50GB'") }), { maxFractionOfDisk: 0.5 }));
    });

    it("does not apply without a self-managed node", async () => {
        assert.strictEqual((await runStackPolicy(limitSlotRetention, rds().resources)).notApplicable, "the stack has no self-managed PostgreSQL node");
    });
});
