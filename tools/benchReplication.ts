// `npm run bench:replication`: two real PostgreSQL nodes on loopback, configured and operated by
// the rendered files (postgresql.conf, pg_hba.conf, olympus-db), streaming over TLS 1.3 with scram
// exactly as on the servers. One run measures:
//   1. base-backup time: a replica bootstrapped from a primary holding a pgbench database;
//   2. replay lag under pgbench load, sampled every --sample-ms: the lag the readiness probe reads
//      (`olympus-db lag`: what /healthz gates on) and the bytes of WAL not yet replayed, p50 and p95;
//   3. catch-up throughput: the replica stopped while --outage-mb MB of WAL is written, then started;
//      the time until it has replayed all of it;
//   4. promotion time: the replica told it is the primary (`olympus-db converge`) until it takes a write.
// Loopback has no network latency: the figures are the database's own cost, the floor a real
// cross-region link adds its round trips to. Ratios compare figures from this one run.
//
//   npm run bench:replication -- [--scale 20] [--seconds 20] [--clients 4] [--outage-mb 256] [--json]

import { spawn } from "child_process";
import * as path from "path";
import { loadConfig } from "../topology/config";
import { failoverTiming } from "../topology/plan";
import { DEFAULT_STACK, PROJECT_DIR } from "./engine";
import { PG_BIN, PgNode, makeNodes, postgresAvailable, postgresCommand } from "./pgcluster";
import { readProject, resolveConfig, stackFilePath } from "./stackfile";

interface Options { scale: number; seconds: number; clients: number; outageMb: number; sampleMs: number; json: boolean }

function parseArgs(argv: readonly string[]): Options {
    const o: Options = { scale: 20, seconds: 20, clients: 4, outageMb: 256, sampleMs: 200, json: false };
    const numeric: Record<string, keyof Options> = { "--scale": "scale", "--seconds": "seconds", "--clients": "clients", "--outage-mb": "outageMb", "--sample-ms": "sampleMs" };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--json") o.json = true;
        else if (numeric[a]) {
            const v = Number(argv[++i]);
            if (!Number.isInteger(v) || v <= 0) throw new Error(`${a}: expected a positive integer, got "${argv[i]}"`);
            (o as unknown as Record<string, number>)[numeric[a]] = v;
        } else throw new Error(`unknown option "${a}"; use --scale N --seconds N --clients N --outage-mb N --sample-ms N --json`);
    }
    return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => Number(process.hrtime.bigint()) / 1e9;
const benchStart = now();

/** One line on stderr as a measurement starts (the report on stdout stays clean to save or compare). */
function progress(message: string): void {
    process.stderr.write(`bench:replication [${(now() - benchStart).toFixed(0).padStart(4)} s] ${message}\n`);
}

function percentile(xs: readonly number[], p: number): number {
    if (xs.length === 0) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** pgbench as the postgres OS user over the primary's local socket. Resolves with its output. */
function pgbench(n: PgNode, args: readonly string[]): Promise<string> {
    const [file, argv] = postgresCommand(path.join(PG_BIN, "pgbench"), ["-h", n.layout.socketDir, "-p", String(n.port), "-U", "postgres", ...args, "hydra"]);
    return new Promise((resolve, reject) => {
        const child = spawn(file, argv, { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => { out += d; });
        child.stderr.on("data", (d) => { out += d; });
        child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`pgbench ${args.join(" ")} failed (${code}):\n${out}`))));
    });
}

function ok(r: { status: number; stderr: string }, what: string): void {
    if (r.status !== 0) throw new Error(`${what} failed:\n${r.stderr}`);
}

const lsn = (n: PgNode) => n.sql("SELECT pg_current_wal_lsn()");
const mb = (bytes: number) => bytes / (1024 * 1024);

async function untilReplayed(replica: PgNode, target: string, timeoutS: number): Promise<void> {
    const end = now() + timeoutS;
    while (now() < end) {
        try {
            if (replica.sql(`SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`) === "t") return;
        } catch { /* starting */ }
        await sleep(50);
    }
    throw new Error(`the replica did not replay up to ${target} within ${timeoutS} s`);
}

export async function benchReplication(o: Options): Promise<Record<string, unknown>> {
    const missing = postgresAvailable();
    if (missing) throw new Error(`PostgreSQL is needed (npm run test:all installs it): ${missing}`);
    // The server's own settings, with a slot cap above the outage so the slot survives it.
    const { nodes, dispose } = await makeNodes(["us-east", "eu-west"], {
        tuning: { walKeepSize: "0", maxSlotWalKeepSize: `${o.outageMb * 2 + 512}MB`, maxWalSize: "1GB", maxConnections: 50 },
    });
    const [primary, replica] = nodes;
    try {
        progress(`set-up: a primary with a pgbench database of scale ${o.scale}`);
        primary.setRole("primary");
        ok(primary.db("converge"), "primary bootstrap");
        await pgbench(primary, ["-i", "-q", "-s", String(o.scale)]);
        primary.sql("CHECKPOINT");
        const databaseMb = mb(Number(primary.sql("SELECT sum(pg_database_size(datname)) FROM pg_database")));

        // 1. Base backup (pg_basebackup through the slot, over TLS), until the replica streams.
        progress("1/4 base backup: bootstrapping the replica from the primary");
        replica.setRole("replica", primary);
        let t = now();
        ok(replica.db("converge"), "replica bootstrap");
        const baseBackupSeconds = now() - t;

        // 2. Replay lag under load.
        progress(`2/4 replay lag: ${o.clients} pgbench clients for ${o.seconds} s, sampled every ${o.sampleMs} ms`);
        const startLsn = lsn(primary);
        const load = pgbench(primary, ["-n", "-c", String(o.clients), "-j", String(Math.min(o.clients, 2)), "-T", String(o.seconds)]);
        let done = false;
        load.finally(() => { done = true; }).catch(() => undefined);
        const lagSeconds: number[] = [];
        const lagBytes: number[] = [];
        await sleep(1000); // past pgbench's connection set-up
        while (!done) {
            const sampledAt = now();
            const head = lsn(primary);
            lagBytes.push(Math.max(0, Number(replica.sql(`SELECT pg_wal_lsn_diff('${head}', pg_last_wal_replay_lsn())`))));
            lagSeconds.push(Number(replica.db("lag").stdout.trim()));
            await sleep(Math.max(0, o.sampleMs - (now() - sampledAt) * 1000));
        }
        const loadOutput = await load;
        const tps = Number(/tps = ([\d.]+)/.exec(loadOutput)?.[1]);
        const walMbUnderLoad = mb(Number(primary.sql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${startLsn}')`)));
        await untilReplayed(replica, lsn(primary), 120);

        // 3. Catch-up after an outage of outageMb of WAL.
        progress(`3/4 catch-up: replica stopped while ${o.outageMb} MB of WAL is written, then started`);
        ok(replica.db("stop"), "replica stop");
        const before = lsn(primary);
        t = now();
        while (Number(primary.sql(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${before}')`)) < o.outageMb * 1024 * 1024) {
            await pgbench(primary, ["-n", "-c", String(o.clients), "-j", String(Math.min(o.clients, 2)), "-T", "5"]);
        }
        const outageWriteSeconds = now() - t;
        const target = lsn(primary);
        const outageMbWritten = mb(Number(primary.sql(`SELECT pg_wal_lsn_diff('${target}', '${before}')`)));
        const slotStatus = primary.sql("SELECT wal_status FROM pg_replication_slots WHERE slot_name LIKE '%eu_west%'");
        t = now();
        ok(replica.db("start"), "replica start");
        await untilReplayed(replica, target, 600);
        const catchUpSeconds = now() - t;

        // 4. Promotion: the config says eu-west is the primary now; converge until it takes a write.
        progress("4/4 promotion: the replica converges to primary until it takes a write");
        replica.setRole("primary");
        t = now();
        ok(replica.db("converge"), "promotion");
        replica.sql("CREATE TABLE promoted (at timestamptz DEFAULT now()); INSERT INTO promoted DEFAULT VALUES", "hydra");
        const promotionSeconds = now() - t;

        // The default stack's monitor: how long Cloudflare takes, at worst, to mark a failed region down.
        const project = readProject(PROJECT_DIR);
        const config = loadConfig(resolveConfig(project, stackFilePath(project, DEFAULT_STACK), DEFAULT_STACK).values);
        const detection = failoverTiming(config.edge.monitor).detectionSeconds;
        const walRate = walMbUnderLoad / o.seconds;
        return {
            options: o,
            database: { sizeMb: +databaseMb.toFixed(1), pgbenchScale: o.scale },
            baseBackup: { seconds: +baseBackupSeconds.toFixed(2), mbPerSecond: +(databaseMb / baseBackupSeconds).toFixed(1) },
            replayLagUnderLoad: {
                clients: o.clients, seconds: o.seconds, tps: +tps.toFixed(0), walMbPerSecond: +walRate.toFixed(2), samples: lagSeconds.length,
                probeSeconds: { p50: percentile(lagSeconds, 50), p95: percentile(lagSeconds, 95), max: Math.max(...lagSeconds) },
                unreplayedKb: { p50: +(percentile(lagBytes, 50) / 1024).toFixed(1), p95: +(percentile(lagBytes, 95) / 1024).toFixed(1) },
            },
            catchUp: {
                outageMb: +outageMbWritten.toFixed(1), slotDuringOutage: slotStatus, writtenInSeconds: +outageWriteSeconds.toFixed(2),
                seconds: +catchUpSeconds.toFixed(2), mbPerSecond: +(outageMbWritten / catchUpSeconds).toFixed(1),
            },
            promotion: { seconds: +promotionSeconds.toFixed(2) },
            ratios: {
                catchUpVsLoadWalRate: +((outageMbWritten / catchUpSeconds) / walRate).toFixed(1),
                catchUpVsOutageWriting: +(outageWriteSeconds / catchUpSeconds).toFixed(2),
                baseBackupVsCatchUpThroughput: +((databaseMb / baseBackupSeconds) / (outageMbWritten / catchUpSeconds)).toFixed(2),
                promotionVsDefaultDetection: +(promotionSeconds / detection).toFixed(3),
                defaultDetectionSeconds: detection,
            },
        };
    } finally {
        dispose();
    }
}

function report(r: Record<string, any>): string {
    const l = r.replayLagUnderLoad;
    return [
        `Replication on loopback with the rendered configuration (TLS 1.3, scram, one physical slot per replica)`,
        `  database: pgbench scale ${r.database.pgbenchScale}, ${r.database.sizeMb} MB`,
        `  base backup:      ${r.baseBackup.seconds} s (${r.baseBackup.mbPerSecond} MB/s), until the replica streams`,
        `  replay lag under load (${l.clients} clients, ${l.seconds} s, ${l.tps} tps, ${l.walMbPerSecond} MB/s of WAL, ${l.samples} samples):`,
        `    as the readiness probe reads it: p50 ${l.probeSeconds.p50} s, p95 ${l.probeSeconds.p95} s, max ${l.probeSeconds.max} s`,
        `    WAL not yet replayed:            p50 ${l.unreplayedKb.p50} KB, p95 ${l.unreplayedKb.p95} KB`,
        `  catch-up after an outage of ${r.catchUp.outageMb} MB of WAL (slot ${r.catchUp.slotDuringOutage}): ${r.catchUp.seconds} s (${r.catchUp.mbPerSecond} MB/s)`,
        `  promotion (converge to primary, until it takes a write): ${r.promotion.seconds} s`,
        `Ratios (this run)`,
        `  catch-up replays WAL ${r.ratios.catchUpVsLoadWalRate}x as fast as the load generated it (the outage's WAL took ${r.ratios.catchUpVsOutageWriting}x longer to write than to replay)`,
        `  base backup throughput / catch-up throughput: ${r.ratios.baseBackupVsCatchUpThroughput}`,
        `  promotion / the load balancer's worst-case failure detection (${r.ratios.defaultDetectionSeconds} s): ${r.ratios.promotionVsDefaultDetection}`,
    ].join("\n");
}

if (require.main === module) {
    let options: Options;
    try {
        options = parseArgs(process.argv.slice(2));
    } catch (err) {
        console.error(`error: ${(err as Error).message}`);
        process.exit(2);
    }
    benchReplication(options).then((r) => {
        console.log(options.json ? JSON.stringify(r, null, 2) : report(r));
    }).catch((err) => {
        console.error(`error: ${(err as Error).message}`);
        process.exit(1);
    });
}
