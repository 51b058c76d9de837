// `npm run plan -- [--stack NAME | --stack-file PATH] [--down REGION[,REGION]] [--json]`: the offline
// plan of a stack, with the policy pack evaluated on it. Needs no Pulumi CLI and no cloud account.
// Exit 0: planned, no mandatory violation; 1: the stack's configuration is wrong (every problem
// is printed); 2: bad command line or an internal failure; 3: a mandatory policy fired.

import * as path from "path";
import { Policies } from "@pulumi/policy";
import { PACK_NAME, policies } from "../policies/policies";
import { ConfigError, loadConfig } from "../topology/config";
import { renderMermaid } from "../topology/diagram";
import { planTopology } from "../topology/plan";
import { UnknownRegionError } from "../topology/failover";
import { evaluatePolicies } from "./analyzer";
import { DEFAULT_STACK, PROJECT_DIR, runOffline } from "./engine";
import { formatReport, planReport } from "./report";
import { StackFileError, readProject, resolveConfig, stackFilePath } from "./stackfile";

const USAGE = `usage: npm run plan -- [--stack NAME | --stack-file PATH] [--down REGION[,REGION...]] [--json]
  --stack NAME       a stack in stacks/ (default: ${DEFAULT_STACK})
  --stack-file PATH  any stack file (Pulumi.<name>.yaml)
  --down REGIONS     also show who serves each Cloudflare region code with these regions down
  --diagram          print the topology as a Mermaid flowchart instead (no cloud program is run)
  --json             one JSON document instead of text
exit status: 0 planned; 1 invalid configuration; 2 usage or internal error; 3 a mandatory policy violation`;

interface Args {
    stack?: string;
    stackFile?: string;
    down: string[];
    json: boolean;
    diagram: boolean;
}

function parseArgs(argv: string[]): Args {
    const args: Args = { json: false, down: [], diagram: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (): string => {
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
            return v;
        };
        if (a === "--stack") args.stack = value();
        else if (a === "--stack-file") args.stackFile = value();
        else if (a === "--down") args.down.push(...value().split(",").map((r) => r.trim()).filter(Boolean));
        else if (a === "--json") args.json = true;
        else if (a === "--diagram") args.diagram = true;
        else if (a === "--help" || a === "-h") throw new UsageError("");
        else throw new UsageError(`unknown argument ${a}`);
    }
    return args;
}

class UsageError extends Error {}

/** The stack's config values, the way `runOffline` finds the stack file. */
function stackConfigValues(args: Args): Record<string, string> {
    const project = readProject(PROJECT_DIR);
    if (args.stackFile) {
        const stack = args.stack ?? /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(args.stackFile))?.[1] ?? "offline";
        return resolveConfig(project, path.resolve(args.stackFile), stack).values;
    }
    const stack = args.stack ?? DEFAULT_STACK;
    return resolveConfig(project, stackFilePath(project, stack), stack).values;
}

/** A Pulumi RunError carrying a ConfigError's message: the program refused the configuration. */
function configProblems(err: unknown): string | undefined {
    if (err instanceof ConfigError || err instanceof StackFileError) return err.message;
    const e = err as { __pulumiRunError?: boolean; message?: string };
    if (e && e.__pulumiRunError) return e.message;
    return undefined;
}

/** `policies` is the pack's list; tests may give another. */
export async function main(argv: string[], pack: { policies: Policies } = { policies }): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(argv);
    } catch (err) {
        const msg = (err as Error).message;
        process.stderr.write(`${msg ? `error: ${msg}\n` : ""}${USAGE}\n`);
        return msg ? 2 : 0;
    }
    try {
        if (args.diagram) {
            process.stdout.write(renderMermaid(planTopology(loadConfig(stackConfigValues(args)))));
            return 0;
        }
        const run = await runOffline({ stack: args.stack, stackFile: args.stackFile });
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const version: string = require(path.join(PROJECT_DIR, "policies", "package.json")).version;
        const violations = await evaluatePolicies(run, pack.policies, PACK_NAME, version);
        let report;
        try {
            report = planReport(run, violations, args.down);
        } catch (err) {
            if (err instanceof UnknownRegionError) {
                process.stderr.write(`error: ${err.message}\n${USAGE}\n`);
                return 2;
            }
            throw err;
        }
        process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
        return violations.some((v) => v.enforcementLevel === "mandatory") ? 3 : 0;
    } catch (err) {
        const problems = configProblems(err);
        if (problems !== undefined) {
            process.stderr.write(`error: ${problems}\n`);
            return 1;
        }
        process.stderr.write(`internal error: ${(err as Error).stack ?? String(err)}\n`);
        return 2;
    }
}

if (require.main === module) {
    // exitCode, not exit(): a large JSON document to a pipe must be flushed before the process ends.
    main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
