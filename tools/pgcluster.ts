// Real PostgreSQL nodes on loopback, built from the rendered files (postgresql.conf, pg_hba.conf,
// the olympus-db script) exactly as a server gets them: for the integration tests and
// `npm run bench:replication`. Each node is a directory tree owned by the postgres OS user; the
// script runs as that user (runuser when this process is root).

import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { PostgresLayout, PostgresTuning, renderPgHba, renderPostgresqlConf } from "../components/database/postgres";
import { renderNodeEnv } from "../components/runtime/databaseServer";
import { FILES_DIR } from "../components/runtime/files";

/** The PostgreSQL majors the rendered files are tested against, newest first. */
export const SUPPORTED_PG_MAJORS = [17, 16, 15, 14] as const;
/** Where Debian's and Ubuntu's postgresql-NN packages put each major's server binaries (NN/bin). */
export const PG_PACKAGE_ROOT = "/usr/lib/postgresql";

/**
 * The server binaries the tests use: $OLYMPUS_PG_BIN when set, else the newest supported major
 * installed, so the tests follow the distribution (Debian 12 ships 15, Ubuntu 24.04 16, Debian 13 17).
 * Undefined when neither exists.
 */
export function findPgBin(env: NodeJS.ProcessEnv = process.env, root = PG_PACKAGE_ROOT): string | undefined {
    const override = env.OLYMPUS_PG_BIN;
    if (override !== undefined && override !== "") return fs.existsSync(path.join(override, "postgres")) ? override : undefined;
    return SUPPORTED_PG_MAJORS.map((major) => path.join(root, String(major), "bin")).find((bin) => fs.existsSync(path.join(bin, "postgres")));
}

/** What is wrong when findPgBin finds nothing, in the words of the prerequisite check. */
export function pgBinProblem(env: NodeJS.ProcessEnv = process.env, root = PG_PACKAGE_ROOT): string {
    const override = env.OLYMPUS_PG_BIN;
    if (override !== undefined && override !== "") return `OLYMPUS_PG_BIN=${override} holds no postgres binary`;
    return `no PostgreSQL server binaries of a supported major (${SUPPORTED_PG_MAJORS.join(", ")}) in ${root}/<major>/bin`;
}

export const PG_BIN = findPgBin() ?? path.join(PG_PACKAGE_ROOT, String(SUPPORTED_PG_MAJORS[0]), "bin");
const PG_USER = "postgres";
const isRoot = process.getuid?.() === 0;

export function postgresAvailable(): string | undefined {
    if (findPgBin() === undefined) return pgBinProblem();
    if (!isRoot && os.userInfo().username !== PG_USER) return `run as root or as ${PG_USER}`;
    return undefined;
}

export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
        srv.on("error", reject);
    });
}

/** The command line that runs `cmd args` as the postgres OS user (through runuser when this process is root). */
export function postgresCommand(cmd: string, args: readonly string[]): [string, string[]] {
    return isRoot ? ["runuser", ["-u", PG_USER, "--", cmd, ...args]] : [cmd, [...args]];
}

function asPostgres(cmd: string, args: string[], input?: string): { status: number; stdout: string; stderr: string } {
    const [file, argv] = postgresCommand(cmd, args);
    const r = spawnSync(file, argv, { encoding: "utf8", input, env: { ...process.env, LC_ALL: "C.UTF-8" }, maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function chownTree(dir: string): void {
    if (isRoot) execFileSync("chown", ["-R", `${PG_USER}:${PG_USER}`, dir]);
}

/** A private CA and one server certificate for 127.0.0.1, made with openssl (what the program makes with the tls provider). */
export function makeTls(dir: string): { ca: string; cert: string; key: string } {
    fs.mkdirSync(dir, { recursive: true });
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=olympus test CA",
        "-keyout", "ca.key", "-out", "ca.crt");
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr");
    fs.writeFileSync(path.join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt");
    return { ca: path.join(dir, "ca.crt"), cert: path.join(dir, "server.crt"), key: path.join(dir, "server.key") };
}

export const TEST_CREDENTIALS = {
    replicator: "repl-Secret-1", rewind: "rewind-Secret-2", monitor: "monitor-Secret-3",
    hydra: "hydra-Secret-4", kratos: "kratos-Secret-5", athena: "athena-Secret-6",
};

export interface PgNode {
    readonly region: string;
    readonly port: number;
    readonly layout: PostgresLayout;
    readonly root: string;
    /** Run `olympus-db <args>` as postgres. */
    db(...args: string[]): { status: number; stdout: string; stderr: string };
    /** psql as postgres over the local socket. */
    sql(query: string, db?: string): string;
    /** psql over TCP with a connection string (as the postgres OS user). */
    connect(conninfo: string, query: string): { status: number; stdout: string; stderr: string };
    setRole(role: string, upstream?: PgNode): void;
    walBytes(): number;
}

export interface ClusterOptions {
    readonly tuning?: Partial<PostgresTuning>;
    readonly databases?: readonly string[];
}

/** Create `regions.length` nodes (not started), sharing one CA and the same credentials. */
export async function makeNodes(regions: readonly string[], options: ClusterOptions = {}): Promise<{ nodes: PgNode[]; dispose: () => void; base: string }> {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "olympus-pg-"));
    fs.chmodSync(base, 0o755);
    const tls = makeTls(path.join(base, "tls"));
    const databases = options.databases ?? ["hydra", "kratos", "athena"];
    const tuning: PostgresTuning = { walKeepSize: "0", maxSlotWalKeepSize: "1GB", maxWalSize: "1GB", maxConnections: 50, ...options.tuning };
    const nodes: PgNode[] = [];
    for (const region of regions) {
        const root = path.join(base, region);
        const layout: PostgresLayout = {
            binDir: PG_BIN,
            dataDir: path.join(root, "data"),
            configDir: path.join(root, "config"),
            socketDir: path.join(root, "run"),
            port: await freePort(),
            listen: "127.0.0.1",
        };
        for (const d of [layout.configDir, path.join(layout.configDir, "tls"), layout.socketDir]) fs.mkdirSync(d, { recursive: true });
        fs.mkdirSync(layout.dataDir, { recursive: true, mode: 0o700 });
        fs.copyFileSync(tls.ca, path.join(layout.configDir, "tls", "ca.crt"));
        fs.copyFileSync(tls.cert, path.join(layout.configDir, "tls", "server.crt"));
        fs.copyFileSync(tls.key, path.join(layout.configDir, "tls", "server.key"));
        fs.chmodSync(path.join(layout.configDir, "tls", "server.key"), 0o600);
        // What db-apply.sh gives the node: its passwords in a file only postgres reads, and its parameters as data.
        fs.writeFileSync(path.join(layout.configDir, "credentials.json"), JSON.stringify(TEST_CREDENTIALS), { mode: 0o600 });
        fs.writeFileSync(path.join(layout.configDir, "node.env"), renderNodeEnv({ layout, region, databases }));
        fs.writeFileSync(path.join(layout.configDir, "peer-slots.json"), JSON.stringify(regions.filter((r) => r !== region).map((r) => `olympus_${r.replace(/-/g, "_")}`)));
        fs.writeFileSync(path.join(layout.configDir, "postgresql.conf"), renderPostgresqlConf(layout, tuning));
        fs.writeFileSync(path.join(layout.configDir, "pg_hba.conf"), renderPgHba({ replication: ["127.0.0.1/32"], app: ["127.0.0.1/32"], databases }));
        // The very file the servers run (components/runtime/files/database/olympus-db), copied where postgres can read it.
        const script = path.join(root, "olympus-db");
        fs.copyFileSync(path.join(FILES_DIR, "database", "olympus-db"), script);
        fs.chmodSync(script, 0o755);
        chownTree(root);
        const node: PgNode = {
            region, port: layout.port, layout, root,
            db: (...args) => asPostgres("env", [`OLYMPUS_NODE_ENV=${path.join(layout.configDir, "node.env")}`, "bash", script, ...args]),
            sql: (query, db = "postgres") => {
                const r = asPostgres(path.join(PG_BIN, "psql"), ["-X", "-Atq", "-h", layout.socketDir, "-p", String(layout.port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-c", query]);
                if (r.status !== 0) throw new Error(`psql on ${region} failed: ${r.stderr}`);
                return r.stdout.trim();
            },
            connect: (conninfo, query) => asPostgres(path.join(PG_BIN, "psql"), ["-X", "-Atq", "-d", conninfo, "-c", query]),
            setRole: (role, upstream) => {
                const roleFile = path.join(layout.configDir, "role.json");
                fs.writeFileSync(roleFile, JSON.stringify(upstream ? { role, upstream: `127.0.0.1:${upstream.port}` } : { role }));
                chownTree(roleFile);
            },
            walBytes: () => fs.readdirSync(path.join(layout.dataDir, "pg_wal")).filter((f) => /^[0-9A-F]{24}$/.test(f))
                .reduce((sum, f) => sum + fs.statSync(path.join(layout.dataDir, "pg_wal", f)).size, 0),
        };
        nodes.push(node);
    }
    const dispose = () => {
        for (const n of nodes) n.db("stop");
        fs.rmSync(base, { recursive: true, force: true });
    };
    return { nodes, dispose, base };
}
