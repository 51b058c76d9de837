// Two real PostgreSQL servers on loopback, bootstrapped and operated by the rendered files alone
// (postgresql.conf, pg_hba.conf, the olympus-db script, the readiness probe): streaming over TLS
// with scram, writes refused on the replica, the slot cap that protects the primary's disk, the
// rebuild after the slot is lost, promotion, and the former primary rewound into a replica.

import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROLES, slotName } from "../../components/database/postgres";
import { FILES_DIR } from "../../components/runtime/files";
import { PgNode, TEST_CREDENTIALS, makeNodes, postgresAvailable } from "../../tools/pgcluster";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        try {
            if (check()) return;
        } catch { /* not yet */ }
        await sleep(200);
    }
    throw new Error(`timed out waiting for ${what}`);
}

function ok(r: { status: number; stdout: string; stderr: string }, what: string): string {
    assert.strictEqual(r.status, 0, `${what} failed:\n${r.stderr}`);
    return r.stdout.trim();
}

const tls = (n: PgNode) => `sslmode=verify-full sslrootcert=${n.layout.configDir}/tls/ca.crt`;
const asApp = (n: PgNode, user: string, db: string, extra = tls(n)) =>
    `host=127.0.0.1 port=${n.port} user=${user} dbname=${db} password=${TEST_CREDENTIALS[user as "hydra"] ?? ""} ${extra}`;

/** WAL written on a node, in bytes, by filling a table and switching segments. */
function writeWal(n: PgNode, megabytes: number): void {
    n.sql("CREATE TABLE IF NOT EXISTS ballast (x text)", "hydra");
    for (let written = 0; written < megabytes; written += 16) {
        n.sql("INSERT INTO ballast SELECT repeat(md5(random()::text), 32) FROM generate_series(1, 8000); SELECT pg_switch_wal();", "hydra");
    }
    n.sql("CHECKPOINT");
}

describe("integration: PostgreSQL streaming replication from the rendered files", function () {
    this.timeout(180_000);
    let primary: PgNode;
    let replica: PgNode;
    let dispose: () => void;

    before(async function () {
        const missing = postgresAvailable();
        assert.strictEqual(missing, undefined, `PostgreSQL is required for these tests (.ci/run installs it): ${missing}`);
        const cluster = await makeNodes(["us-east", "eu-west"], { tuning: { walKeepSize: "64MB", maxSlotWalKeepSize: "1GB" } });
        [primary, replica] = cluster.nodes;
        dispose = cluster.dispose;
    });
    after(() => dispose?.());

    it("bootstraps the primary: roles, service databases and a slot for each peer", () => {
        primary.setRole("primary");
        ok(primary.db("converge"), "converge to primary");
        assert.strictEqual(primary.sql("SELECT pg_is_in_recovery()"), "f");
        assert.strictEqual(primary.sql("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database WHERE datname IN ('hydra','kratos','athena')"), "athena,hydra,kratos");
        assert.strictEqual(primary.sql(`SELECT rolreplication FROM pg_roles WHERE rolname = '${ROLES.replication}'`), "t");
        assert.strictEqual(primary.sql(`SELECT pg_has_role('${ROLES.monitor}', 'pg_monitor', 'member')`), "t");
        assert.strictEqual(primary.sql("SELECT slot_name FROM pg_replication_slots"), slotName("eu-west"));
        assert.strictEqual(primary.sql("SELECT count(*) FROM pg_authid WHERE rolname LIKE 'olympus_%' AND rolpassword NOT LIKE 'SCRAM-SHA-256$%'"), "0",
            "every password is stored as a scram verifier");
    });

    it("bootstraps the replica from the primary with pg_basebackup through its slot", () => {
        replica.setRole("replica", primary);
        ok(replica.db("converge"), "converge to replica");
        assert.strictEqual(replica.sql("SELECT pg_is_in_recovery()"), "t");
        const conninfo = fs.readFileSync(path.join(replica.layout.dataDir, "postgresql.auto.conf"), "utf8");
        assert.match(conninfo, new RegExp(`^primary_slot_name = '${slotName("eu-west")}'$`, "m"));
        assert.match(conninfo, /^primary_conninfo = '.*sslmode=verify-full.*'$/m);
        assert.match(conninfo, /passfile=/);
        assert.doesNotMatch(conninfo, /password=/, "no password written inline in primary_conninfo");
    });

    it("streams a row written on the primary to the replica", async () => {
        primary.sql("CREATE TABLE identities (id int PRIMARY KEY, email text)", "kratos");
        primary.sql("INSERT INTO identities VALUES (1, 'ada@example.com')", "kratos");
        await until(() => replica.sql("SELECT email FROM identities WHERE id = 1", "kratos") === "ada@example.com", "the row on the replica");
    });

    it("refuses writes on the replica", () => {
        const r = replica.connect(asApp(replica, "kratos", "kratos"), "INSERT INTO identities VALUES (2, 'x')");
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /cannot execute INSERT in a read-only transaction/);
    });

    it("replicates over TLS 1.3 as the replication-only role, and the slot is active", () => {
        const row = primary.sql("SELECT s.ssl, s.version, a.usename, a.application_name FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.backend_type = 'walsender'");
        assert.strictEqual(row, `t|TLSv1.3|${ROLES.replication}|${slotName("eu-west")}`);
        assert.strictEqual(primary.sql("SELECT active, wal_status FROM pg_replication_slots"), "t|reserved");
    });

    it("refuses a plaintext connection, and the replication role on a normal database", () => {
        const plain = primary.connect(asApp(primary, "hydra", "hydra", "sslmode=disable"), "SELECT 1");
        assert.match(plain.stderr, /pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "hydra", database "hydra", no encryption/);
        const repl = primary.connect(`host=127.0.0.1 port=${primary.port} user=${ROLES.replication} dbname=hydra password=${TEST_CREDENTIALS.replicator} ${tls(primary)}`, "SELECT 1");
        assert.match(repl.stderr, /pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "olympus_replicator", database "hydra", SSL encryption/);
        const wrong = primary.connect(`host=127.0.0.1 port=${primary.port} user=hydra dbname=hydra password=wrong ${tls(primary)}`, "SELECT 1");
        assert.match(wrong.stderr, /password authentication failed for user "hydra"/);
        const service = primary.connect(asApp(primary, "hydra", "hydra"), "SELECT current_user");
        assert.strictEqual(ok(service, "service login"), "hydra");
    });

    it("makes a new peer region's slot on the running primary from its db-config, without a restart", () => {
        const peers = path.join(primary.layout.configDir, "peer-slots.json");
        const pid = primary.sql("SELECT pg_postmaster_start_time()");
        fs.writeFileSync(peers, JSON.stringify([slotName("eu-west"), slotName("ap-new")]));
        try {
            ok(primary.db("slots"), "slots");
            assert.strictEqual(primary.sql("SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots"), `${slotName("ap-new")},${slotName("eu-west")}`);
            assert.strictEqual(primary.sql("SELECT pg_postmaster_start_time()"), pid, "the primary kept running");
            fs.writeFileSync(path.join(replica.layout.configDir, "peer-slots.json"), JSON.stringify([slotName("us-east"), slotName("ap-new")]));
            ok(replica.db("slots"), "slots on a replica");
            assert.strictEqual(replica.sql("SELECT count(*) FROM pg_replication_slots"), "0", "a replica makes its slots when promoted");
        } finally {
            primary.sql(`SELECT pg_drop_replication_slot('${slotName("ap-new")}')`);
            // Back to what each node's db-config says: the other region's slot.
            fs.writeFileSync(peers, JSON.stringify([slotName("eu-west")]));
            fs.writeFileSync(path.join(replica.layout.configDir, "peer-slots.json"), JSON.stringify([slotName("us-east")]));
        }
    });

    it("reports the real lag to the readiness probe: 503 while replay is paused behind, 200 once it catches up", async () => {
        const dir = fs.mkdtempSync(path.join(replica.root, "health-"));
        const config = path.join(dir, "app-config");
        const passfile = path.join(dir, "pgpass");
        fs.writeFileSync(passfile, `127.0.0.1:${replica.port}:postgres:${ROLES.monitor}:${TEST_CREDENTIALS.monitor}\n`, { mode: 0o600 });
        // What the probe reads of app-config: where the local database is, and the replica region's lag limit.
        const limit = (seconds: number | null) => fs.writeFileSync(config, JSON.stringify({
            readiness: { checks: [], timeoutSeconds: 2 }, maxReplicationLagSeconds: seconds, readHost: "127.0.0.1", port: replica.port, monitorRole: ROLES.monitor,
        }));
        const run = () => new Promise<{ status: number; stdout: string }>((resolve) => {
            const child = spawn("bash", [path.join(FILES_DIR, "app", "readiness.sh"), "--once"], {
                env: {
                    ...process.env, PGPASSFILE: passfile, PGSSLMODE: "verify-full", PGSSLROOTCERT: `${replica.layout.configDir}/tls/ca.crt`,
                    OLYMPUS_APP_CONFIG: config, OLYMPUS_HEALTH_DIR: path.join(dir, "health"), OLYMPUS_PSQL: path.join(replica.layout.binDir, "psql"),
                },
                stdio: ["ignore", "pipe", "inherit"],
            });
            let stdout = "";
            child.stdout.on("data", (d) => { stdout += d; });
            child.on("close", (status) => resolve({ status: status ?? -1, stdout }));
        });
        limit(2);
        assert.strictEqual((await run()).status, 0, "caught up: ready");
        replica.sql("SELECT pg_wal_replay_pause()");
        primary.sql("INSERT INTO identities VALUES (3, 'grace@example.com')", "kratos");
        await sleep(3500);
        const behind = await run();
        assert.strictEqual(behind.status, 1);
        const seconds = Number(/replication: ([\d.]+)s behind \(at most 2s\)/.exec(behind.stdout)?.[1]);
        assert.ok(seconds >= 3 && seconds < 60, `lag reported: ${behind.stdout}`);
        assert.strictEqual(Number(ok(replica.db("lag"), "lag")) >= 3, true);
        limit(null);
        assert.strictEqual((await run()).status, 0, "a writer region does not gate on lag");
        limit(2);
        replica.sql("SELECT pg_wal_replay_resume()");
        primary.sql("INSERT INTO identities VALUES (4, 'heartbeat@example.com')", "kratos");
        await until(() => Number(replica.db("lag").stdout) < 2, "replay to catch up");
        assert.strictEqual((await run()).status, 0, "caught up again: ready");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("keeps a former primary stopped while the region it must follow is not promoted yet, and lets it serve again as primary", () => {
        // The failover's two syncs race: the former primary may converge before the new one promotes.
        primary.setRole("replica", replica);
        const r = primary.db("converge");
        assert.strictEqual(r.status, 75, r.stderr);
        assert.match(r.stderr, /fenced: 127\.0\.0\.1:\d+ is not a primary yet \(t\); staying stopped until it is/);
        assert.notStrictEqual(primary.connect(asApp(primary, "hydra", "hydra"), "SELECT 1").status, 0, "fenced: it takes no connection");
        assert.strictEqual(replica.sql("SELECT pg_is_in_recovery()"), "t", "the replica is untouched");
        // Put back as it was, for the failover below.
        primary.setRole("primary");
        ok(primary.db("converge"), "back to primary");
        assert.strictEqual(primary.sql("SELECT pg_is_in_recovery()"), "f");
    });

    it("promotes the replica when its role becomes primary: it takes writes and keeps a slot for the old primary", () => {
        replica.setRole("primary");
        ok(replica.db("converge"), "converge to primary");
        assert.strictEqual(replica.sql("SELECT pg_is_in_recovery()"), "f");
        replica.sql("INSERT INTO identities VALUES (10, 'after-failover@example.com')", "kratos");
        assert.strictEqual(replica.sql("SELECT slot_name FROM pg_replication_slots"), slotName("us-east"));
    });

    it("fences the former primary: told to follow the new one, it is rewound into a replica before it accepts anything", async () => {
        // The former primary took a write the new primary never saw: it must be discarded.
        primary.sql("INSERT INTO identities VALUES (99, 'split-brain@example.com')", "kratos");
        primary.setRole("replica", replica);
        const r = primary.db("converge");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /fencing: this node was a primary; rebuilding it as a replica of 127\.0\.0\.1:\d+/);
        assert.match(r.stderr, /pg_rewind: servers diverged at WAL location/);
        assert.match(r.stderr, /rewound onto 127\.0\.0\.1:\d+/);
        assert.strictEqual(primary.sql("SELECT pg_is_in_recovery()"), "t");
        await until(() => primary.sql("SELECT count(*) FROM identities WHERE id = 10", "kratos") === "1", "the new primary's write on the former primary");
        assert.strictEqual(primary.sql("SELECT count(*) FROM identities WHERE id = 99", "kratos"), "0", "the divergent write is gone");
        assert.strictEqual(replica.sql("SELECT active FROM pg_replication_slots"), "t");
    });
});

describe("integration: the replication slot cap protects the primary's disk", function () {
    this.timeout(180_000);
    let primary: PgNode;
    let replica: PgNode;
    let dispose: () => void;

    before(async () => {
        assert.strictEqual(postgresAvailable(), undefined);
        const cluster = await makeNodes(["us-east", "ap-south"], { tuning: { walKeepSize: "0", maxSlotWalKeepSize: "64MB", maxWalSize: "48MB" } });
        [primary, replica] = cluster.nodes;
        dispose = cluster.dispose;
        primary.setRole("primary");
        ok(primary.db("converge"), "primary");
        replica.setRole("replica", primary);
        ok(replica.db("converge"), "replica");
    });
    after(() => dispose?.());

    it("invalidates the slot of a dead replica instead of filling the disk, and the rebuild brings it back", async () => {
        ok(replica.db("stop"), "stop the replica");
        writeWal(primary, 256);
        assert.strictEqual(primary.sql(`SELECT wal_status FROM pg_replication_slots WHERE slot_name = '${slotName("ap-south")}'`), "lost");
        const walMb = primary.walBytes() / 1024 / 1024;
        // Bounded by the slot cap plus max_wal_size (and a segment or two in flight), not by what was written.
        assert.ok(walMb <= 64 + 48 + 32, `pg_wal held ${walMb} MB with a 64 MB slot cap and max_wal_size 48 MB after 256 MB of WAL`);
        ok(replica.db("start"), "start the replica");
        await sleep(2000);
        assert.strictEqual(replica.db("lag").stdout.trim(), "-1", "the replica cannot stream: the WAL it needs is gone");
        const rebuilt = replica.db("rebuild", `127.0.0.1:${primary.port}`);
        assert.strictEqual(rebuilt.status, 0, rebuilt.stderr);
        assert.match(rebuilt.stderr, /slot lost on 127\.0\.0\.1:\d+, or rewind impossible: taking a fresh base backup/);
        await until(() => replica.db("lag").stdout.trim() !== "-1", "the rebuilt replica to stream");
        assert.strictEqual(primary.sql(`SELECT active, wal_status FROM pg_replication_slots WHERE slot_name = '${slotName("ap-south")}'`), "t|reserved");
        primary.sql("INSERT INTO ballast VALUES ('after rebuild')", "hydra");
        await until(() => replica.sql("SELECT count(*) FROM ballast WHERE x = 'after rebuild'", "hydra") === "1", "the row on the rebuilt replica");
    });
});
