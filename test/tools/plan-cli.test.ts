// `npm run plan` as a person runs it: a child process per case, as the README writes the command.
// Each exit path is checked for its status, its first line, and a standard error without a stack
// frame (Node's crash report after an unhandled rejection is what a user saw before).

import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_DIR } from "../../tools/engine";
import { listStacks, readProject } from "../../tools/stackfile";

interface Outcome {
    readonly code: number | null;
    readonly signal: NodeJS.Signals | null;
    readonly stdout: string;
    readonly stderr: string;
}

interface Run {
    readonly command: string;
    readonly args: readonly string[];
    /** Close our end of the child's stdout after its first chunk, as `| head -1` does. */
    readonly closeAfterFirstChunk?: boolean;
}

const PLAN = (...argv: string[]): Run => ({ command: process.execPath, args: ["-r", "./tools/register.js", "tools/plan.ts", ...argv] });
const NPM_PLAN = (...argv: string[]): Run => ({ command: "npm", args: ["run", "-s", "plan", "--", ...argv] });
/** The command's own entry point with a fault injected into the process first. */
const PLAN_WITH = (inject: string, ...argv: string[]): Run =>
    ({ command: process.execPath, args: ["-r", "./tools/register.js", "-e", `${inject}\nrequire("./tools/plan").cli(${JSON.stringify(argv)});`] });

function execute(run: Run): Promise<Outcome> {
    return new Promise((resolve, reject) => {
        const child = spawn(run.command, run.args, { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => {
            out.push(chunk);
            if (run.closeAfterFirstChunk) child.stdout.destroy();
        });
        child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    });
}

/** Run every case once, a few at a time: each is a Node process of a second or two. */
async function executeAll(runs: ReadonlyMap<string, Run>, parallel: number): Promise<Map<string, Outcome>> {
    const results = new Map<string, Outcome>();
    const queue = [...runs.entries()];
    const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next; next = queue.shift()) results.set(next[0], await execute(next[1]));
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    return results;
}

const firstLine = (text: string): string => text.split("\n")[0];

function assertNoStackTrace(stderr: string): void {
    assert.doesNotMatch(stderr, /^\s+at /m, "a stack frame");
    assert.doesNotMatch(stderr, /Node\.js v/, "Node's crash report");
    assert.doesNotMatch(stderr, /__pulumiRunError/, "a printed RunError object");
    assert.doesNotMatch(stderr, /Unhandled|EPIPE/, "an unhandled rejection or a write to a closed pipe");
}

const VALID = fs.readFileSync(path.join(PROJECT_DIR, "stacks", "Pulumi.us-eu.yaml"), "utf8");

/** The valid default stack with one line changed; fails loudly if the line is not there. */
function broken(from: string, to: string): string {
    assert.ok(VALID.includes(from), `stacks/Pulumi.us-eu.yaml no longer contains ${JSON.stringify(from)}`);
    return VALID.replace(from, to);
}

const STACK_FILES: Record<string, string> = {
    // The README's own example of a refused configuration.
    "multi-master": broken("olympus:topology: single-primary", "olympus:topology: multi-master").replace("serves: [WEU, EEU, NAF, ME]", "serves: [EU, EEU, NAF, ME]"),
    "bad-code": broken("serves: [WEU, EEU, NAF, ME]", "serves: [EU, EEU, NAF, ME]"),
    "no-edge": VALID.slice(0, VALID.indexOf("  olympus:edge:")),
    "duplicate-key": `${VALID}  olympus:domain: other.example.com\n`,
    "not-a-map": "- olympus:domain: ciam.example.com\n- olympus:topology: single-primary\n",
    "unclosed": "config:\n  olympus:regions: [\n",
};

describe("npm run plan, run as a child process", () => {
    let dir: string;
    const file = (name: string): string => path.join(dir, `Pulumi.${name}.yaml`);
    let results: Map<string, Outcome>;
    const result = (name: string): Outcome => {
        const r = results.get(name);
        assert.ok(r, `no run named ${name}`);
        return r;
    };
    const shipped = listStacks(readProject(PROJECT_DIR));

    before(async function () {
        this.timeout(300_000); // about 25 processes of a few seconds each, four at a time
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "olympus-plan-cli-"));
        for (const [name, text] of Object.entries(STACK_FILES)) fs.writeFileSync(file(name), text);
        const programThrows = (what: string) =>
            `const plan = require("./topology/plan"); const real = plan.planTopology;
             plan.planTopology = (c) => { if (new Error().stack.includes(${JSON.stringify(path.join(PROJECT_DIR, "index.ts:"))})) throw ${what}; return real(c); };`;
        results = await executeAll(new Map<string, Run>([
            ["ok", PLAN("--stack=us-eu")],
            ["down", PLAN(`--stack-file=${path.join(PROJECT_DIR, "stacks", "Pulumi.us-eu.yaml")}`, "--down=us-east", "--down", "us-east,eu-west", "--json")],
            ["multi-master", NPM_PLAN("--stack-file", file("multi-master"))],
            ["bad-code", PLAN("--stack-file", file("bad-code"))],
            ["no-edge", PLAN("--stack-file", file("no-edge"))],
            ["duplicate-key", PLAN("--stack-file", file("duplicate-key"))],
            ["not-a-map", PLAN("--stack-file", file("not-a-map"))],
            ["unclosed", PLAN("--stack-file", file("unclosed"))],
            ["unknown-stack", PLAN("--stack", "nope")],
            ["missing-file", PLAN("--stack-file", file("absent"))],
            ["unknown-option", PLAN("--stak", "us-eu")],
            ["no-value", PLAN("--json", "--stack-file")],
            ["value-is-an-option", PLAN("--stack", "--json")],
            ["stack-and-file", PLAN("--stack", "us-eu", "--stack-file", file("bad-code"))],
            ["stack-twice", PLAN("--stack", "us-eu", "--stack=eu-residency")],
            ["down-unknown", PLAN("--down", "us-east,mars")],
            ["diagram", PLAN("--diagram")],
            ["diagram-json", PLAN("--diagram", "--json", "--stack", "eu-residency")],
            ["diagram-broken", PLAN("--diagram", "--stack-file", file("multi-master"))],
            ["diagram-down", PLAN("--diagram", "--down", "us-east")],
            ["help", PLAN("--stak", "--help")],
            ["closed-pipe", { ...PLAN("--stack", "aws-global", "--json"), closeAfterFirstChunk: true }],
            ["head", { command: "bash", args: ["-o", "pipefail", "-c", "npm run -s plan -- --stack aws-global --json | head -1"] }],
            ["program-refuses", PLAN_WITH(programThrows(`new (require("@pulumi/pulumi").RunError)("refused by the program")`), "--stack", "us-eu")],
            ["program-bug", PLAN_WITH(programThrows(`new Error("injected bug")`), "--stack", "us-eu")],
            ["stray-rejection", PLAN_WITH(`setTimeout(() => Promise.reject(new Error("stray bug")), 0);`, "--diagram")],
        ]), 4);
    });

    after(() => {
        fs.rmSync(dir, { recursive: true, force: true });
    });

    describe("a stack", () => {
        it("plans a shipped stack with --stack=NAME and exits 0", () => {
            const r = result("ok");
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(firstLine(r.stdout), "Olympus offline plan: stack us-eu (stacks/Pulumi.us-eu.yaml)");
            assert.strictEqual(r.stderr, "");
        });

        it("refuses a stack that is not shipped with exit 2, naming the shipped ones", () => {
            const r = result("unknown-stack");
            assert.strictEqual(r.code, 2);
            assert.strictEqual(r.stdout, "");
            assert.strictEqual(firstLine(r.stderr),
                `error: --stack nope: no such stack (stacks/Pulumi.nope.yaml does not exist); use one of ${shipped.join(", ")}, or --stack-file PATH`);
            assertNoStackTrace(r.stderr);
        });

        it("refuses a --stack-file that does not exist with exit 2", () => {
            const r = result("missing-file");
            assert.strictEqual(r.code, 2);
            assert.strictEqual(firstLine(r.stderr), `error: --stack-file ${file("absent")}: no such file`);
            assertNoStackTrace(r.stderr);
        });
    });

    describe("a stack file the program refuses", () => {
        const cases: [string, string, string, RegExp[]][] = [
            ["multi-master", "the README's multi-master example, through npm", "error: invalid stack configuration (2 problems):",
                [/\n {2}- olympus:topology: "multi-master" is not supported: /, /\n {2}- olympus:regions\[1\]\.serves\[0\]: "EU" is not a Cloudflare region code;/]],
            ["bad-code", "a bad region code", "error: invalid stack configuration (1 problem):",
                [/\n {2}- olympus:regions\[1\]\.serves\[0\]: "EU" is not a Cloudflare region code; use one of /]],
            ["no-edge", "a stack without olympus:edge", "error: invalid stack configuration (1 problem):", [/\n {2}- olympus:edge\b/]],
        ];
        for (const [name, what, first, details] of cases) {
            it(`exits 1 on ${what}, printing every problem without a stack trace`, () => {
                const r = result(name);
                assert.strictEqual(r.code, 1, r.stderr);
                assert.strictEqual(r.stdout, "");
                assert.strictEqual(firstLine(r.stderr), first);
                for (const detail of details) assert.match(r.stderr, detail);
                assertNoStackTrace(r.stderr);
            });
        }

        it("exits 1 on a file that is not a map", () => {
            const r = result("not-a-map");
            assert.strictEqual(r.code, 1);
            assert.strictEqual(firstLine(r.stderr), `error: ${file("not-a-map")}: is not a stack file; it must be a YAML map with a config: map`);
            assertNoStackTrace(r.stderr);
        });

        it("exits 1 on YAML that does not parse or repeats a key, with the line and column", () => {
            const unclosed = result("unclosed");
            assert.strictEqual(unclosed.code, 1);
            assert.match(firstLine(unclosed.stderr), new RegExp(`^error: ${file("unclosed").replace(/[.]/g, "\\.")}: is not valid YAML \\(line \\d+, column \\d+\\): `));
            assertNoStackTrace(unclosed.stderr);
            const duplicate = result("duplicate-key");
            assert.strictEqual(duplicate.code, 1);
            assert.match(firstLine(duplicate.stderr), /: is not valid YAML \(line \d+, column 3\): Map keys must be unique/);
            assertNoStackTrace(duplicate.stderr);
        });

        it("reports a refusal thrown by the program itself (a RunError) once, exit 1", () => {
            const r = result("program-refuses");
            assert.strictEqual(r.code, 1, r.stderr);
            assert.strictEqual(r.stderr, "error: refused by the program\n");
        });
    });

    describe("the command line", () => {
        it("takes the = form of every option, and --down repeated or comma-separated", () => {
            const r = result("down");
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(firstLine(r.stdout), "{");
            const doc = JSON.parse(r.stdout);
            assert.strictEqual(doc.stack, "us-eu");
            assert.deepStrictEqual(doc.failover.down, ["us-east", "eu-west"]);
        });

        const usage: [string, string, string][] = [
            ["unknown-option", "an unknown option", "error: unknown argument --stak; did you mean --stack?"],
            ["no-value", "an option missing its value", "error: --stack-file needs a value"],
            ["value-is-an-option", "an option whose value is another option", "error: --stack needs a value"],
            ["stack-and-file", "--stack with --stack-file", "error: --stack and --stack-file are exclusive: a stack file's stack name comes from its file name (Pulumi.<name>.yaml); give one"],
            ["stack-twice", "two different --stack values", "error: --stack is given twice (us-eu, eu-residency); give it once"],
            ["down-unknown", "--down with a region the stack does not have", "error: --down mars: no such region in this stack; its regions are us-east, eu-west"],
        ];
        for (const [name, what, first] of usage) {
            it(`exits 2 on ${what}, with the error and then the usage`, () => {
                const r = result(name);
                assert.strictEqual(r.code, 2, r.stderr);
                assert.strictEqual(r.stdout, "");
                assert.strictEqual(firstLine(r.stderr), first);
                assert.match(r.stderr, /\nusage: npm run plan -- /);
                assertNoStackTrace(r.stderr);
            });
        }

        it("prints the usage, --diagram included, on stdout and exits 0 for --help, whatever else is given", () => {
            const r = result("help");
            assert.strictEqual(r.code, 0);
            assert.strictEqual(r.stderr, "");
            assert.strictEqual(firstLine(r.stdout),
                "usage: npm run plan -- [--stack NAME | --stack-file PATH] [--down REGION[,REGION...]] [--json] [--diagram]");
        });
    });

    describe("--diagram", () => {
        it("draws the default stack as Mermaid and exits 0", () => {
            const r = result("diagram");
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(firstLine(r.stdout), "flowchart TB");
            assert.strictEqual(r.stderr, "");
        });

        it("with --json, prints one JSON document holding the Mermaid text", () => {
            const r = result("diagram-json");
            assert.strictEqual(r.code, 0, r.stderr);
            const doc = JSON.parse(r.stdout);
            assert.deepStrictEqual(Object.keys(doc), ["stack", "stackFile", "mermaid"]);
            assert.strictEqual(doc.stack, "eu-residency");
            assert.strictEqual(doc.stackFile, "stacks/Pulumi.eu-residency.yaml");
            assert.match(doc.mermaid, /^flowchart TB\n/);
        });

        it("exits 1 on a refused configuration, without a stack trace", () => {
            const r = result("diagram-broken");
            assert.strictEqual(r.code, 1);
            assert.strictEqual(r.stdout, "");
            assert.strictEqual(firstLine(r.stderr), "error: invalid stack configuration (2 problems):");
            assertNoStackTrace(r.stderr);
        });

        it("refuses --down with exit 2: the diagram draws the healthy topology", () => {
            const r = result("diagram-down");
            assert.strictEqual(r.code, 2);
            assert.strictEqual(firstLine(r.stderr), "error: --down does not apply to --diagram: the diagram draws the healthy topology; run --down without --diagram");
            assertNoStackTrace(r.stderr);
        });
    });

    describe("a closed standard output", () => {
        it("ends the command quietly with the plan's status when the reader goes away", () => {
            const r = result("closed-pipe");
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(firstLine(r.stdout), "{");
            assert.throws(() => JSON.parse(r.stdout), "the reader left before the end of the document");
            assert.strictEqual(r.stderr, "");
        });

        it("is quiet as `npm run -s plan | head -1` under pipefail", () => {
            const r = result("head");
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(r.stdout, "{\n");
            assert.strictEqual(r.stderr, "");
        });
    });

    describe("a bug", () => {
        it("in the program is reported once as an internal error, exit 2, with its trace", () => {
            const r = result("program-bug");
            assert.strictEqual(r.code, 2);
            assert.strictEqual(firstLine(r.stderr), "internal error: Error: injected bug");
            assert.strictEqual(r.stderr.split("internal error").length - 1, 1, r.stderr);
            assert.doesNotMatch(r.stderr, /Node\.js v|Unhandled/);
        });

        it("outside main (a rejection no one handles) is an internal error, exit 2, even after a plan printed", () => {
            const r = result("stray-rejection");
            assert.strictEqual(r.code, 2);
            assert.strictEqual(firstLine(r.stdout), "flowchart TB");
            assert.strictEqual(firstLine(r.stderr), "internal error: Error: stray bug");
            assert.doesNotMatch(r.stderr, /Node\.js v/);
        });
    });
});
