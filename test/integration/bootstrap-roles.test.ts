// A managed writer's roles and databases, made by olympus-bootstrap-roles (files/app/bootstrap-roles.sh)
// against a real PostgreSQL whose admin is not a superuser (as RDS' master user and Cloud SQL's
// `postgres` are not): over TLS with the CA checked, idempotent, and a rotated password takes effect.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROLES } from "../../components/database/postgres";
import { serviceSettings } from "../../components/runtime/appServer";
import { FILES_DIR } from "../../components/runtime/files";
import { PgNode, makeNodes, postgresAvailable } from "../../tools/pgcluster";

const ADMIN = "olympus_admin";

describe("integration: a managed writer's roles, made by olympus-bootstrap-roles", function () {
    this.timeout(120_000);
    let node: PgNode;
    let dispose: () => void;
    let dir: string;
    const credentials = {
        admin: "admin-Secret-0", monitor: "monitor-Secret-3", hydra: "hydra-Secret-4", kratos: "kratos-Secret-5", athena: "athena-Secret-6",
        // A password with a quote: the script must not break (or inject) on it.
        replicator: "r'x", rewind: "w", smtpUrl: "smtp://x",
    };

    const writeSecrets = (creds: object, sslMode = "verify-full") => {
        fs.writeFileSync(path.join(dir, "credentials"), JSON.stringify(creds));
        fs.writeFileSync(path.join(dir, "app-config"), JSON.stringify({
            writer: true, writeHost: "127.0.0.1", readHost: "127.0.0.1", port: node.port, maxReplicationLagSeconds: null,
            tls: { sslMode }, bootstrapRoles: { adminUser: ADMIN }, monitorRole: ROLES.monitor, services: serviceSettings(),
        }));
    };
    const runScript = (caFile = `${node.layout.configDir}/tls/ca.crt`) => {
        const r = spawnSync("bash", [path.join(FILES_DIR, "app", "bootstrap-roles.sh")], {
            encoding: "utf8", env: { ...process.env, OLYMPUS_SECRETS_DIR: dir, OLYMPUS_DB_CA: caFile, OLYMPUS_PSQL: `${node.layout.binDir}/psql` },
        });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const login = (user: string, password: string, db: string, query = "SELECT current_user") =>
        node.connect(`host=127.0.0.1 port=${node.port} user=${user} dbname=${db} password=${password} sslmode=verify-full sslrootcert=${node.layout.configDir}/tls/ca.crt`, query);

    before(async function () {
        const missing = postgresAvailable();
        assert.strictEqual(missing, undefined, `PostgreSQL is required for these tests (.ci/run installs it): ${missing}`);
        // A bare server: no service roles or databases, the way RDS and Cloud SQL hand one over.
        const cluster = await makeNodes(["managed"], { databases: [] });
        [node] = cluster.nodes;
        dispose = cluster.dispose;
        const r = node.db("init-primary");
        assert.strictEqual(r.status, 0, r.stderr);
        node.sql(`DROP ROLE ${ROLES.monitor}`);
        node.sql(`CREATE ROLE ${ADMIN} LOGIN CREATEROLE CREATEDB PASSWORD '${credentials.admin}'`);
        // Like a managed database: any user from the network, TLS and scram only.
        fs.writeFileSync(path.join(node.layout.configDir, "pg_hba.conf"), "local all postgres peer\nhostssl all all 127.0.0.1/32 scram-sha-256\n");
        node.sql("SELECT pg_reload_conf()");
        dir = fs.mkdtempSync(path.join(cluster.base, "secrets-"));
    });
    after(() => dispose?.());

    it("creates the service roles and databases, owned by their roles and closed to PUBLIC", () => {
        writeSecrets(credentials);
        const r = runScript();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /roles and databases in place/);
        assert.strictEqual(node.sql(`SELECT rolsuper FROM pg_roles WHERE rolname = '${ADMIN}'`), "f");
        for (const db of ["hydra", "kratos", "athena"]) {
            assert.strictEqual(node.sql(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${db}'`), db);
            const own = login(db, credentials[db as "hydra"], db, "CREATE TABLE t (x int); DROP TABLE t; SELECT current_user");
            assert.strictEqual(own.status, 0, own.stderr);
            assert.strictEqual(own.stdout.trim(), db);
        }
        // Another service's role cannot connect to this service's database.
        const cross = login("kratos", credentials.kratos, "hydra");
        assert.notStrictEqual(cross.status, 0);
        assert.match(cross.stderr, /permission denied for database "hydra"/);
    });

    it("gives the monitoring role pg_monitor, so the readiness probe can read replication state", () => {
        const r = login(ROLES.monitor, credentials.monitor, "postgres", "SELECT pg_has_role(current_user, 'pg_monitor', 'MEMBER')");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout.trim(), "t");
    });

    it("is safe to run again, and a rotated password takes effect while the old one stops working", () => {
        const rotated = { ...credentials, hydra: "hydra-Rotated'7" };
        writeSecrets(rotated);
        const r = runScript();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(login("hydra", "hydra-Rotated'7".replace(/'/g, "\\'"), "hydra").status, 0);
        const old = login("hydra", credentials.hydra, "hydra");
        assert.notStrictEqual(old.status, 0);
        assert.match(old.stderr, /password authentication failed/);
    });

    it("stops, naming it, when a password is missing from the credentials (no empty password is ever set)", () => {
        const { kratos: _dropped, ...without } = credentials;
        writeSecrets(without);
        const r = runScript();
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /olympus-bootstrap-roles: the credentials secret has no kratos/);
    });

    it("refuses a server whose certificate its CA did not sign", () => {
        writeSecrets(credentials);
        const otherCa = path.join(dir, "other-ca.crt");
        spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=other",
            "-keyout", path.join(dir, "other.key"), "-out", otherCa]);
        const r = runScript(otherCa);
        assert.notStrictEqual(r.status, 0);
        assert.match(r.stderr, /certificate verify failed/);
    });
});
