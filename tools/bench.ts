// `npm run bench`: start-up speed and memory of the offline plan, as ratios measured in one run
// (this machine is shared and noisy; absolute seconds mean little, ratios from one run do).
//   1. the plan of the default stack against a baseline that only loads @pulumi/pulumi and the
//      three cloud SDKs (goal: the program's own work adds at most 30%);
//   2. the plan at 2, 4, 8 and 16 generated regions (goal: 16 regions cost at most 1.5x 2 regions);
//   3. the type-check: TypeScript 7 (what `npm test` runs) against TypeScript 5's tsc;
//   4. the policy pack's start-up as the CLI starts it, against an empty pack;
//   5. a server's first boot to /healthz 200 (single-region, booted as the machine tests boot it)
//      against a plain boot of the same image (root only).
// Each figure is the median of --runs runs (default 5), with the commands interleaved after one
// warm-up run each. A figure with a goal says MET or MISSED beside it; progress goes to stderr as
// each measurement starts, so the report on stdout stays clean to save or compare.

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LOCATIONS } from "../topology/catalog";
import { bootBenchUnavailable, measureBoot } from "./machines/bootBench";
import { PACK_DIR, startPolicyPack } from "./packProcess";

const ROOT = path.resolve(__dirname, "..");
const PROBE = path.join(__dirname, "bench-probe.js");

interface Sample { seconds: number; maxRssMb: number }
interface Measured { label: string; command: string[]; samples: Sample[] }

function runOnce(command: string[]): Sample {
    const rssFile = path.join(os.tmpdir(), `olympus-bench-${process.pid}-${Date.now()}.rss`);
    const start = process.hrtime.bigint();
    const res = spawnSync(command[0], command.slice(1), {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, NODE_OPTIONS: `--require ${PROBE}`, OLYMPUS_BENCH_RSS_FILE: rssFile },
        maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    let maxRssMb = NaN;
    if (fs.existsSync(rssFile)) {
        maxRssMb = Number(fs.readFileSync(rssFile, "utf8")) / 1024;
        fs.rmSync(rssFile, { force: true });
    }
    if (res.status !== 0) throw new CommandFailed(`${command.join(" ")} failed (${res.status}):\n${res.stdout}${res.stderr}`);
    return { seconds, maxRssMb };
}

/** A measured command that did not succeed: its own output says why, so no stack trace follows it. */
class CommandFailed extends Error {}

/** The goals, as ratios a figure must stay at or under. */
export const GOALS = { planOverBaseline: 1.3, sixteenOverTwoRegions: 1.5 } as const;

/**
 * `MET` or `MISSED` for a ratio against the most it may be, with the goal stated. The ratio is
 * judged as printed (two decimals), so a row never shows x1.30 MISSED against a goal of x1.30.
 */
export function verdict(ratio: number, atMost: number): string {
    const goal = `goal: at most x${atMost.toFixed(2)}`;
    if (!Number.isFinite(ratio)) return `NOT MEASURED (${goal})`;
    return `${Number(ratio.toFixed(2)) <= atMost ? "MET" : "MISSED"} (${goal})`;
}

const benchStart = Date.now();

/** One line on stderr as a measurement starts, with the time since the bench started. */
function progress(message: string): void {
    process.stderr.write(`bench [${((Date.now() - benchStart) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
}

/** One untimed warm-up run of each command (disk caches, the transpile cache), then `runs` timed rounds. */
function measure(title: string, items: { label: string; command: string[] }[], runs: number, warmUp = true): Measured[] {
    progress(`${title}: ${items.length} commands, ${warmUp ? "1 warm-up + " : ""}${runs} run${runs === 1 ? "" : "s"} each`);
    const out: Measured[] = items.map((i) => ({ ...i, samples: [] }));
    if (warmUp) for (const m of out) runOnce(m.command);
    for (let r = 0; r < runs; r++) {
        if (runs > 1) progress(`${title}: run ${r + 1} of ${runs}`);
        for (const m of out) m.samples.push(runOnce(m.command));
    }
    return out;
}

/** A stack file with `n` regions, alternating AWS and GCP locations, the first one primary. */
function generatedStack(n: number, dir: string): string {
    const aws = [...LOCATIONS.aws.keys()];
    const gcp = [...LOCATIONS.gcp.keys()];
    const regions = Array.from({ length: n }, (_, i) => {
        const cloud = i % 2 === 0 ? "aws" : "gcp";
        const location = cloud === "aws" ? aws[Math.floor(i / 2) % aws.length] : gcp[Math.floor(i / 2) % gcp.length];
        return `    - { name: r${i + 1}, cloud: ${cloud}, location: ${location}, cidr: 10.${20 + i}.0.0/16${i === 0 ? ", primary: true" : ""} }`;
    });
    const file = path.join(dir, `Pulumi.bench-${n}.yaml`);
    fs.writeFileSync(file, `config:
  olympus:domain: ciam.example.com
  olympus:regions:
${regions.join("\n")}
  olympus:gcp: { project: olympus-bench-project }
  olympus:edge: { accountId: 0123456789abcdef0123456789abcdef, zoneId: fedcba9876543210fedcba9876543210 }
  olympus:smtpUrl: smtps://mailer@smtp.example.com:465/
`);
    return file;
}

/**
 * Start-up of the policy pack as the CLI starts it (ts-node with type-checking on), against an
 * empty pack started the same way: the least any TypeScript pack costs.
 */
async function packStartup(runs: number): Promise<string[]> {
    const empty = path.join(ROOT, ".bench", "empty-pack");
    fs.mkdirSync(empty, { recursive: true });
    fs.writeFileSync(path.join(empty, "package.json"), JSON.stringify({ name: "empty-pack", version: "0.0.0" }));
    fs.copyFileSync(path.join(PACK_DIR, "tsconfig.json"), path.join(empty, "tsconfig.json"));
    fs.writeFileSync(path.join(empty, "index.ts"), 'import { PolicyPack } from "@pulumi/policy";\nnew PolicyPack("empty", { policies: [] });\n');
    const samples: Record<string, number[]> = { empty: [], olympus: [] };
    progress(`policy pack start-up: 2 packs, 1 warm-up + ${runs} run${runs === 1 ? "" : "s"} each`);
    for (let i = 0; i <= runs; i++) {
        for (const [label, dir] of [["empty", empty], ["olympus", PACK_DIR]] as const) {
            const pack = await startPolicyPack({ dir });
            pack.stop();
            if (i > 0) samples[label].push(pack.startupSeconds);
        }
    }
    const e = median(samples.empty);
    const o = median(samples.olympus);
    return [
        "Policy pack start-up, as the CLI starts it (ratio to an empty pack)",
        `  ${"empty pack (new PolicyPack with no policies)".padEnd(56)} ${e.toFixed(2).padStart(6)} s  x1.00`,
        `  ${"olympus pack (policies/)".padEnd(56)} ${o.toFixed(2).padStart(6)} s  x${(o / e).toFixed(2)}`,
    ];
}

/** A server's first boot to /healthz 200, against a plain boot of the same image (one run each). */
async function serverBoot(): Promise<string[]> {
    const title = "Server boot: single-region's first boot to /healthz 200 (ratio to a plain boot of the same Debian 13 image)";
    const unavailable = bootBenchUnavailable();
    if (unavailable) return [title, `  not measured: ${unavailable}`];
    progress("server boot: a plain machine, then single-region's servers from their user-data, 1 run each");
    const b = await measureBoot((line) => progress(line));
    return [
        title,
        `  ${"plain boot to the end of cloud-init (empty user-data)".padEnd(56)} ${b.plainSeconds.toFixed(1).padStart(6)} s  x1.00`,
        `  ${"first boot to /healthz 200 (packages, files, services)".padEnd(56)} ${b.toHealthySeconds.toFixed(1).padStart(6)} s  x${(b.toHealthySeconds / b.plainSeconds).toFixed(2)}`,
    ];
}

async function main(): Promise<void> {
    const runsArg = process.argv.indexOf("--runs");
    const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "olympus-bench-"));
    const node = process.execPath;
    // The same command as `npm run plan`, without npm's own start-up in front of it.
    const plan = (...args: string[]) => [node, "-r", "./tools/register.js", "tools/plan.ts", "--json", ...args];

    try {
        const startup = measure("start-up", [
            { label: "baseline: load @pulumi/pulumi, aws, gcp, cloudflare", command: [node, "-e", "require('@pulumi/pulumi');require('@pulumi/aws');require('@pulumi/gcp');require('@pulumi/cloudflare')"] },
            { label: "offline plan of the default stack (us-eu)", command: plan() },
        ], runs);
        const scale = measure("scale (2, 4, 8, 16 regions)", [2, 4, 8, 16].map((n) => ({ label: `offline plan, ${n} regions`, command: plan("--stack-file", generatedStack(n, dir)) })), runs);
        const typecheck = measure("type-check (TypeScript 7, TypeScript 5)", [
            { label: "type-check, TypeScript 7 (npm run typecheck)", command: [node, "node_modules/typescript7/bin/tsc", "--noEmit", "--noCheck", "false", "-p", "."] },
            { label: "type-check, TypeScript 5 tsc", command: [node, "node_modules/typescript/bin/tsc", "--noEmit", "--noCheck", "false", "-p", "."] },
        ], 1, false);

        const seconds = (m: Measured) => median(m.samples.map((s) => s.seconds));
        /** A figure's row; `goal` (the most its time ratio may be) adds MET or MISSED. */
        const row = (m: Measured, base: Measured, goal?: number) => {
            const t = seconds(m);
            const rss = median(m.samples.map((s) => s.maxRssMb));
            const brss = median(base.samples.map((s) => s.maxRssMb));
            const ratio = t / seconds(base);
            return `  ${m.label.padEnd(56)} ${t.toFixed(2).padStart(6)} s  x${ratio.toFixed(2)}   ${rss.toFixed(0).padStart(4)} MB  x${(rss / brss).toFixed(2)}` +
                (goal === undefined ? "" : `   ${verdict(ratio, goal)}`);
        };
        const lines = [
            `olympus bench: ${os.cpus().length} cores, node ${process.version}, median of ${runs} runs (type-check: 1 run)`,
            "",
            `Start-up (ratio to the baseline; goal: the plan at most x${GOALS.planOverBaseline.toFixed(2)})`,
            ...startup.map((m, i) => row(m, startup[0], i === 1 ? GOALS.planOverBaseline : undefined)),
            "",
            `Scale (ratio to 2 regions; goal: 16 regions at most x${GOALS.sixteenOverTwoRegions.toFixed(2)})`,
            ...scale.map((m, i) => row(m, scale[0], i === scale.length - 1 ? GOALS.sixteenOverTwoRegions : undefined)),
            "",
            "Type-check (ratio to TypeScript 7)",
            ...typecheck.map((m) => row(m, typecheck[0])),
            "",
            ...await packStartup(Math.min(runs, 3)),
            "",
            ...await serverBoot(),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`${err instanceof CommandFailed ? `error: ${err.message}` : err.stack ?? err}\n`);
        process.exit(1);
    });
}
