// The example workflow (.github/workflows/plan-and-policies.yml), read as data: its jobs, steps,
// actions pinned to a major version and their inputs; the test step runs the README's test command
// (as .ci/run does); the preview authenticates with short-lived credentials only and comments on
// the pull request. Every check is shown failing on a copy changed in one place.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { readmeTestCommand } from "../prerequisites";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOW = path.join(ROOT, ".github", "workflows", "plan-and-policies.yml");

interface Step { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { "runs-on": string; needs?: string; if?: string; permissions?: Record<string, string>; env?: Record<string, string>; steps: Step[] }
interface Workflow { permissions?: Record<string, string>; jobs: Record<string, Job> }

/** Secrets that may appear: the Pulumi Cloud and Cloudflare tokens. Cloud keys may not. */
const ALLOWED_SECRETS = ["PULUMI_ACCESS_TOKEN", "CLOUDFLARE_API_TOKEN"];
/** Inputs of the auth actions that take a long-lived key instead of the OIDC token. */
const KEY_INPUTS = ["aws-access-key-id", "aws-secret-access-key", "aws-session-token", "credentials_json"];

const EXPECTED_ACTIONS = {
    test: ["actions/checkout@v7", "actions/setup-node@v7"],
    preview: ["actions/checkout@v7", "actions/setup-node@v7", "aws-actions/configure-aws-credentials@v6", "google-github-actions/auth@v3", "pulumi/actions@v7"],
};

const action = (s: Step) => s.uses?.replace(/@.*$/, "");
const isExpression = (v: unknown) => typeof v === "string" && /^\$\{\{ .+ \}\}$/.test(v);

/** Everything wrong with the workflow, one line each; [] when it is right. */
function workflowProblems(wf: Workflow, testCommand: string): string[] {
    const problems: string[] = [];
    const jobs = Object.keys(wf.jobs ?? {});
    if (jobs.join(",") !== "test,preview") problems.push(`jobs are ${jobs.join(", ")}; expected test, preview`);
    if (JSON.stringify(wf.permissions) !== JSON.stringify({ contents: "read" })) problems.push("workflow permissions should be contents: read only");
    for (const [name, job] of Object.entries(wf.jobs ?? {})) {
        for (const s of job.steps ?? []) {
            if (s.uses !== undefined && !/^[\w.-]+\/[\w.-]+@v\d+$/.test(s.uses)) problems.push(`${name}: ${s.uses} is not pinned to a major version (owner/repo@vN)`);
            for (const input of KEY_INPUTS) if (s.with?.[input] !== undefined) problems.push(`${name}: ${s.uses} takes a long-lived key (${input})`);
        }
        const uses = (job.steps ?? []).flatMap((s) => (s.uses === undefined ? [] : [s.uses]));
        const expected = EXPECTED_ACTIONS[name as keyof typeof EXPECTED_ACTIONS];
        if (expected !== undefined && uses.join(" ") !== expected.join(" ")) problems.push(`${name}: uses ${uses.join(", ")}; expected ${expected.join(", ")}`);
    }
    const text = YAML.stringify(wf);
    for (const m of text.matchAll(/secrets\.([A-Za-z0-9_]+)/g)) {
        if (!ALLOWED_SECRETS.includes(m[1])) problems.push(`references the secret ${m[1]}; cloud credentials must come from OIDC, not a stored key`);
    }

    const test = wf.jobs?.test;
    if (test !== undefined) {
        if (!/^ubuntu-/.test(test["runs-on"])) problems.push(`test: runs on ${test["runs-on"]}; expected a hosted Ubuntu runner`);
        const node = test.steps.find((s) => action(s) === "actions/setup-node");
        if (String(node?.with?.["node-version"]) !== "20") problems.push("test: setup-node should install Node.js 20 (package.json engines)");
        const runs = test.steps.flatMap((s) => (s.run === undefined ? [] : [s.run.trim()]));
        if (runs[0] !== testCommand) problems.push(`test: the first run step is \`${runs[0]}\`, not the README's test command \`${testCommand}\``);
        if (!runs.some((r) => /for file in stacks\/Pulumi\.\*\.yaml/.test(r) && /npm run -s plan -- --stack-file "\$file"/.test(r))) {
            problems.push("test: no step plans every stack file offline with the policy pack");
        }
    }

    const preview = wf.jobs?.preview;
    if (preview !== undefined) {
        if (preview.needs !== "test") problems.push("preview: should need the test job");
        const perms = preview.permissions ?? {};
        if (perms["id-token"] !== "write") problems.push("preview: needs permissions id-token: write for GitHub's OIDC token");
        if (perms["pull-requests"] !== "write") problems.push("preview: needs permissions pull-requests: write to comment");
        const step = (name: string) => preview.steps.find((s) => action(s) === name);
        const aws = step("aws-actions/configure-aws-credentials");
        if (!isExpression(aws?.with?.["role-to-assume"])) problems.push("preview: configure-aws-credentials should assume a role (role-to-assume) with the OIDC token");
        if (aws?.with?.["aws-region"] === undefined) problems.push("preview: configure-aws-credentials needs aws-region");
        const gcp = step("google-github-actions/auth");
        for (const input of ["workload_identity_provider", "service_account"]) {
            if (!isExpression(gcp?.with?.[input])) problems.push(`preview: google-github-actions/auth needs ${input} (workload identity federation)`);
        }
        const pulumi = step("pulumi/actions");
        const w = pulumi?.with ?? {};
        if (w.command !== "preview") problems.push(`preview: pulumi/actions runs ${String(w.command)}; expected preview`);
        if (w["comment-on-pr"] !== true) problems.push("preview: pulumi/actions should comment on the pull request (comment-on-pr: true)");
        if (w.policyPacks !== "policies" || !fs.existsSync(path.join(ROOT, String(w.policyPacks), "PulumiPolicy.yaml"))) {
            problems.push("preview: pulumi/actions should run the policy pack in policies/ (policyPacks: policies)");
        }
        if (w["stack-name"] !== "${{ matrix.stack }}") problems.push("preview: pulumi/actions should preview the matrix's stack");
        const order = [aws, gcp, pulumi].map((s) => (s === undefined ? -1 : preview.steps.indexOf(s)));
        if (!(order[0] >= 0 && order[0] < order[2] && order[1] >= 0 && order[1] < order[2])) problems.push("preview: credentials must be in place before the preview");
    }
    return problems;
}

describe("the example workflow", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const testCommand = readmeTestCommand(readme);
    const workflow = (): Workflow => YAML.parse(fs.readFileSync(WORKFLOW, "utf8")) as Workflow;
    const problemsWith = (edit: (wf: Workflow) => void) => {
        const wf = workflow();
        edit(wf);
        return workflowProblems(wf, testCommand);
    };

    it("has a test job and a preview job, with pinned actions, short-lived credentials and a PR comment", () => {
        assert.deepStrictEqual(workflowProblems(workflow(), testCommand), []);
    });

    it("runs the README's test command, which .ci/run runs too", () => {
        assert.strictEqual(testCommand, "npm ci && npm run test:all");
        const ciLines = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8").split("\n").map((l) => l.trim());
        assert.ok(ciLines.includes(testCommand), `.ci/run should run \`${testCommand}\``);
        assert.strictEqual(ciLines.filter((l) => /^npm (run )?test/.test(l) || /&& npm (run )?test/.test(l)).length, 1, "one test command in .ci/run");
    });

    it("refuses a test step that is not the README's command", () => {
        assert.deepStrictEqual(problemsWith((wf) => { wf.jobs.test.steps[2].run = "npm ci\nnpm test"; }),
            ["test: the first run step is `npm ci\nnpm test`, not the README's test command `npm ci && npm run test:all`"]);
    });

    it("refuses a long-lived cloud key, in the environment or as an action input", () => {
        assert.deepStrictEqual(problemsWith((wf) => {
            wf.jobs.preview.env = { ...wf.jobs.preview.env, AWS_ACCESS_KEY_ID: "${{ secrets.AWS_ACCESS_KEY_ID }}" };
        }), ["references the secret AWS_ACCESS_KEY_ID; cloud credentials must come from OIDC, not a stored key"]);
        assert.deepStrictEqual(problemsWith((wf) => {
            const gcp = wf.jobs.preview.steps.find((s) => action(s) === "google-github-actions/auth")!;
            gcp.with = { credentials_json: "${{ secrets.GOOGLE_CREDENTIALS }}" };
        }), [
            "preview: google-github-actions/auth@v3 takes a long-lived key (credentials_json)",
            "references the secret GOOGLE_CREDENTIALS; cloud credentials must come from OIDC, not a stored key",
            "preview: google-github-actions/auth needs workload_identity_provider (workload identity federation)",
            "preview: google-github-actions/auth needs service_account (workload identity federation)",
        ]);
    });

    it("refuses a preview without the OIDC token permission, the PR comment or the policy pack", () => {
        assert.deepStrictEqual(problemsWith((wf) => { delete wf.jobs.preview.permissions!["id-token"]; }),
            ["preview: needs permissions id-token: write for GitHub's OIDC token"]);
        const pulumi = (wf: Workflow) => wf.jobs.preview.steps.find((s) => action(s) === "pulumi/actions")!.with!;
        assert.deepStrictEqual(problemsWith((wf) => { pulumi(wf)["comment-on-pr"] = false; }),
            ["preview: pulumi/actions should comment on the pull request (comment-on-pr: true)"]);
        assert.deepStrictEqual(problemsWith((wf) => { delete pulumi(wf).policyPacks; }),
            ["preview: pulumi/actions should run the policy pack in policies/ (policyPacks: policies)"]);
    });

    it("refuses an action on a branch or an unexpected major", () => {
        assert.deepStrictEqual(problemsWith((wf) => { wf.jobs.preview.steps.find((s) => action(s) === "pulumi/actions")!.uses = "pulumi/actions@main"; }), [
            "preview: pulumi/actions@main is not pinned to a major version (owner/repo@vN)",
            "preview: uses actions/checkout@v7, actions/setup-node@v7, aws-actions/configure-aws-credentials@v6, google-github-actions/auth@v3, pulumi/actions@main; " +
                "expected actions/checkout@v7, actions/setup-node@v7, aws-actions/configure-aws-credentials@v6, google-github-actions/auth@v3, pulumi/actions@v7",
        ]);
    });
});
