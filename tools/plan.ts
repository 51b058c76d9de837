// `npm run plan -- [--stack NAME | --stack-file PATH] [--down REGION[,REGION]] [--json] [--diagram]`:
// the offline plan of a stack, with the policy pack evaluated on it. Needs no Pulumi CLI and no
// cloud account. Exit 0: planned, no mandatory violation; 1: the stack's configuration is wrong
// (every problem is printed); 2: bad command line or an internal failure; 3: a mandatory policy fired.

import * as fs from "fs";
import * as path from "path";
import { Policies } from "@pulumi/policy";
import { PACK_NAME, policies } from "../policies/policies";
import { ConfigError, loadConfig } from "../topology/config";
import { renderMermaid } from "../topology/diagram";
import { planTopology } from "../topology/plan";
import { UnknownRegionError, failoverView } from "../topology/failover";
import { evaluatePolicies } from "./analyzer";
import { DEFAULT_STACK, PROJECT_DIR, runOffline } from "./engine";
import { formatReport, planReport } from "./report";
import { StackFileError, listStacks, readProject, resolveConfig, stackFilePath } from "./stackfile";

const USAGE = `usage: npm run plan -- [--stack NAME | --stack-file PATH] [--down REGION[,REGION...]] [--json] [--diagram]
  --stack NAME       a stack in stacks/ (default: ${DEFAULT_STACK})
  --stack-file PATH  any stack file (Pulumi.<name>.yaml); not with --stack
  --down REGIONS     also show who serves each Cloudflare region code with these regions down (repeatable)
  --diagram          print the topology as a Mermaid flowchart instead (no cloud program is run);
                     with --json, one JSON document holding it; not with --down
  --json             one JSON document instead of text
  -h, --help         this text
every option also takes its value as --option=VALUE
exit status: 0 planned; 1 invalid configuration; 2 usage or internal error; 3 a mandatory policy violation`;

interface Args {
    stack?: string;
    stackFile?: string;
    down: string[];
    json: boolean;
    diagram: boolean;
    help: boolean;
}

class UsageError extends Error {}

const VALUED = ["--stack", "--stack-file", "--down"] as const;
const FLAGS = ["--json", "--diagram", "--help", "-h"] as const;

/** Levenshtein distance, for "did you mean" on a mistyped option. */
function distance(a: string, b: string): number {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const next = [i];
        for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        row = next;
    }
    return row[b.length];
}

function unknownArgument(a: string): UsageError {
    const name = a.split("=")[0];
    const near = [...VALUED, ...FLAGS].filter((o) => o.startsWith("--") && distance(name, o) <= 2);
    if (near.length > 0) return new UsageError(`unknown argument ${a}; did you mean ${near.join(" or ")}?`);
    if (!a.startsWith("-")) return new UsageError(`unknown argument ${a}; this command takes options only (see --help)`);
    return new UsageError(`unknown argument ${a}`);
}

function parseArgs(argv: string[]): Args {
    const args: Args = { json: false, down: [], diagram: false, help: false };
    // Help wins over everything else on the line, as in git and npm: asking for it is never an error.
    if (argv.some((a) => a === "--help" || a === "-h")) return { ...args, help: true };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const eq = a.startsWith("--") ? a.indexOf("=") : -1;
        const name = eq > 0 ? a.slice(0, eq) : a;
        const inline = eq > 0 ? a.slice(eq + 1) : undefined;
        if ((FLAGS as readonly string[]).includes(name)) {
            if (inline !== undefined) throw new UsageError(`${name} takes no value (got ${a})`);
            if (name === "--json") args.json = true;
            else if (name === "--diagram") args.diagram = true;
            continue;
        }
        if (!(VALUED as readonly string[]).includes(name)) throw unknownArgument(a);
        let value = inline;
        if (value === undefined) {
            // The space form cannot take a value that looks like an option; `--stack-file=-odd.yaml` can.
            const next = argv[i + 1];
            if (next !== undefined && !next.startsWith("-")) value = argv[++i];
        }
        if (!value) throw new UsageError(`${name} needs a value`);
        if (name === "--down") {
            const regions = value.split(",").map((r) => r.trim()).filter(Boolean);
            if (regions.length === 0) throw new UsageError(`--down needs a value: one or more region names, comma-separated`);
            for (const r of regions) if (!args.down.includes(r)) args.down.push(r);
            continue;
        }
        const key = name === "--stack" ? "stack" : "stackFile";
        const earlier = args[key];
        if (earlier !== undefined && earlier !== value) throw new UsageError(`${name} is given twice (${earlier}, ${value}); give it once`);
        args[key] = value;
    }
    if (args.stack !== undefined && args.stackFile !== undefined) {
        throw new UsageError(`--stack and --stack-file are exclusive: a stack file's stack name comes from its file name (Pulumi.<name>.yaml); give one`);
    }
    if (args.diagram && args.down.length > 0) {
        throw new UsageError(`--down does not apply to --diagram: the diagram draws the healthy topology; run --down without --diagram`);
    }
    return args;
}

interface Target {
    readonly stack: string;
    readonly stackFile: string;
}

/** The stack and its file, the way `runOffline` names them; a name or path that leads nowhere is a usage error. */
function resolveTarget(args: Args): Target {
    if (args.stackFile !== undefined) {
        const file = path.resolve(args.stackFile);
        const stat = fs.statSync(file, { throwIfNoEntry: false });
        if (!stat) throw new UsageError(`--stack-file ${args.stackFile}: no such file`);
        if (!stat.isFile()) throw new UsageError(`--stack-file ${args.stackFile}: is not a file`);
        return { stack: /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1] ?? "offline", stackFile: file };
    }
    const project = readProject(PROJECT_DIR);
    const stack = args.stack ?? DEFAULT_STACK;
    const shipped = listStacks(project);
    if (!shipped.includes(stack)) {
        throw new UsageError(`--stack ${stack}: no such stack (${path.relative(PROJECT_DIR, stackFilePath(project, stack))} does not exist); ` +
            `use one of ${shipped.join(", ")}, or --stack-file PATH`);
    }
    return { stack, stackFile: stackFilePath(project, stack) };
}

/** A config problem: the program refused the configuration (directly, or as Pulumi's RunError in the program). */
function configProblems(err: unknown): string | undefined {
    if (err instanceof ConfigError || err instanceof StackFileError) return err.message;
    const e = err as { __pulumiRunError?: boolean; message?: string };
    if (e && e.__pulumiRunError) return e.message;
    return undefined;
}

/** Errors `main` has printed, so that `cli` does not print them again when a promise derived from them is left rejected. */
const reported = new WeakSet<object>();

/** `policies` is the pack's list; tests may give another. */
export async function main(argv: string[], pack: { policies: Policies } = { policies }): Promise<number> {
    try {
        const args = parseArgs(argv);
        if (args.help) {
            process.stdout.write(`${USAGE}\n`);
            return 0;
        }
        const target = resolveTarget(args);
        // Validate before the program runs: a refused configuration is reported here, from pure
        // functions, and never reaches Pulumi's runtime (see `cli` for what happens when it does).
        const config = resolveConfig(readProject(PROJECT_DIR), target.stackFile, target.stack);
        const plan = planTopology(loadConfig(config.values));
        if (args.down.length > 0) failoverView(plan, args.down);
        if (args.diagram) {
            const mermaid = renderMermaid(plan);
            const stackFile = path.relative(process.cwd(), target.stackFile) || target.stackFile;
            process.stdout.write(args.json ? `${JSON.stringify({ stack: target.stack, stackFile, mermaid }, null, 2)}\n` : mermaid);
            return 0;
        }
        const run = await runOffline(target);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const version: string = require(path.join(PROJECT_DIR, "policies", "package.json")).version;
        const violations = await evaluatePolicies(run, pack.policies, PACK_NAME, version);
        const report = planReport(run, violations, args.down);
        process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
        return violations.some((v) => v.enforcementLevel === "mandatory") ? 3 : 0;
    } catch (err) {
        if (typeof err === "object" && err !== null) reported.add(err);
        if (err instanceof UsageError || err instanceof UnknownRegionError) {
            process.stderr.write(`error: ${err.message}\n${USAGE}\n`);
            return 2;
        }
        const problems = configProblems(err);
        if (problems !== undefined) {
            process.stderr.write(`error: ${problems}\n`);
            return 1;
        }
        process.stderr.write(`internal error: ${(err as Error)?.stack ?? String(err)}\n`);
        return 2;
    }
}

/**
 * The command as a process: `main`, plus the two things only a process has.
 *
 * A closed standard output (`plan | head -1`) is not an error: the reader has what it wanted, so
 * the command stops writing and exits with the status the plan already had (a pipeline under
 * `set -o pipefail` still sees a policy violation's 3). Node reports it as an EPIPE error event
 * on the stream, which, unheard, kills the process with a stack trace.
 *
 * Failures outside `main`'s reach: when the program throws inside `runInPulumiStack`, Pulumi's SDK
 * rejects the stack resource's `outputs` Output, and the `isKnown`/`isSecret` promises it derives
 * from it are observed by no one (pulumi/pulumi#8236), so Node sees two unhandled rejections of the
 * error `main` has already caught. Pulumi's own hosts (the language host's `cmd/run`, Automation
 * API's inline server) answer this with process-level handlers that report each distinct error
 * once; the offline engine is a third host, so it does the same. `main` validates the
 * configuration first, so a refused configuration never gets there; what still does is a bug (or a
 * refusal the pre-check missed), and `main` reports it. An error `main` already reported is its own
 * failure seen again; anything else is an internal error, and the exit status becomes 2 whatever
 * `main` returns. Exported so that tests can run the command with a fault injected.
 */
export function cli(argv: string[], pack?: { policies: Policies }): void {
    let stray = false;
    const internal = (err: unknown): void => {
        if (typeof err === "object" && err !== null) {
            if (reported.has(err)) return;
            reported.add(err);
        }
        stray = true;
        process.exitCode = 2;
        process.stderr.write(`internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    };
    for (const stream of [process.stdout, process.stderr]) {
        stream.on("error", (err: NodeJS.ErrnoException) => {
            if (err.code === "EPIPE") stream.destroy();
            else if (stream === process.stdout) internal(err);
            // An unwritable stderr leaves nowhere to report it: the exit status must say it.
            else { stray = true; process.exitCode = 2; }
        });
    }
    process.on("unhandledRejection", internal);
    process.on("uncaughtException", internal);
    // exitCode, not exit(): a large JSON document to a pipe must be flushed before the process ends.
    main(argv, pack).then((code) => { process.exitCode = stray ? 2 : code; }, internal);
}

if (require.main === module) cli(process.argv.slice(2));
