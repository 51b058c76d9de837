import * as assert from "assert";
import { Policies } from "@pulumi/policy";
import { spawnSync } from "child_process";
import { GEO_CODES } from "../../topology/catalog";
import { PROJECT_DIR } from "../../tools/engine";
import { main } from "../../tools/plan";
import { tempStackFile } from "../helpers";

/** Run the plan command in-process and capture what it prints. */
async function plan(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return planWith(undefined, ...argv);
}

async function planWith(pack: { policies: Policies } | undefined, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const write = { out: process.stdout.write, err: process.stderr.write };
    process.stdout.write = ((chunk: string) => { out.push(String(chunk)); return true; }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string) => { err.push(String(chunk)); return true; }) as typeof process.stderr.write;
    try {
        const code = await main(argv, pack);
        return { code, stdout: out.join(""), stderr: err.join("") };
    } finally {
        process.stdout.write = write.out;
        process.stderr.write = write.err;
    }
}

const BROKEN = `config:
  olympus:domain: not a domain
  olympus:topology: multi-master
  olympus:regions:
    - { name: us-east, cloud: aws, location: us-east-1, primary: true }
    - { name: us-east, cloud: gcp, location: mars-north1 }
  olympus:edge: { accountId: 0123456789abcdef0123456789abcdef, zoneId: fedcba9876543210fedcba9876543210 }
  olympus:smtpUrl: smtps://mailer@smtp.example.com:465/
`;

describe("npm run plan", () => {
    it("prints the default stack's regions, endpoints, steering and resources for a person", async () => {
        const { code, stdout } = await plan();
        assert.strictEqual(code, 0);
        assert.match(stdout, /^Olympus offline plan: stack us-eu \(stacks\/Pulumi\.us-eu\.yaml\)/);
        assert.match(stdout, /\n {2}us-east +primary +aws +us-east-1 \(N\. Virginia\) +US +- +10\.\d+\.0\.0\/16 +WNAM ENAM NSAM SSAM/);
        assert.match(stdout, /\n {2}eu-west +replica +gcp +europe-west1 \(Belgium\) +EU +us-east /);
        assert.match(stdout, /\n {2}eu-west +us-east +eu-west \(local\) +never\n/);
        assert.match(stdout, /\n {2}WEU +Western Europe +eu-west -> us-east\n/);
        assert.match(stdout, /Failover detection: at most 40 s/);
        assert.match(stdout, /\n {2}us-east \(\d+\)\n(?: {4}.*\n)*? {6}1 {2}aws:ec2\/vpc:Vpc\n/);
        assert.match(stdout, /\n {2}eu-west \(\d+\)\n(?: {4}.*\n)*? {6}1 {2}gcp:compute\/subnetwork:Subnetwork\n/);
    });

    it("prints one JSON document with --json", async () => {
        const { code, stdout } = await plan("--json", "--stack", "us-eu");
        assert.strictEqual(code, 0);
        const doc = JSON.parse(stdout);
        assert.strictEqual(doc.stack, "us-eu");
        assert.strictEqual(doc.topology, "single-primary");
        assert.deepStrictEqual(doc.regions.map((r: any) => [r.name, r.cloud, r.location, r.role, r.upstream]),
            [["us-east", "aws", "us-east-1", "primary", null], ["eu-west", "gcp", "europe-west1", "replica", "us-east"]]);
        assert.deepStrictEqual(doc.regions[1].serves.slice(0, 4), ["WEU", "EEU", "ME", "NAF"]);
        assert.deepStrictEqual(Object.keys(doc.steering).sort(), [...GEO_CODES].sort());
        assert.deepStrictEqual(doc.steering.ENAM, ["us-east", "eu-west"]);
        assert.strictEqual(doc.failoverDetectionSeconds, 40);
        assert.ok(doc.resources.length > 10);
        for (const r of doc.resources) assert.deepStrictEqual(Object.keys(r).sort(), ["name", "parent", "region", "type", "urn"]);
        assert.strictEqual(doc.resourceCounts["us-east"]["aws:ec2/subnet:Subnet"], 4);
    });

    it("evaluates the policy pack on the plan and reports no violation for the default stack", async () => {
        const { stdout } = await plan();
        assert.match(stdout, /\nPolicies: no violations\n$/);
        assert.deepStrictEqual(JSON.parse((await plan("--json")).stdout).violations, []);
    });

    it("prints each violation (policy, level, resource, message) and exits 3 when a mandatory one fires", async () => {
        const pack: { policies: Policies } = {
            policies: [
                { name: "test-mandatory", description: "Regions are refused.", enforcementLevel: "mandatory",
                    validateResource: (args, report) => { if (args.type === "olympus:index:Region") report(`region ${args.name} refused`); } },
                { name: "test-advisory", description: "VPCs are noted.", enforcementLevel: "advisory",
                    validateResource: (args, report) => { if (args.type === "aws:ec2/vpc:Vpc") report("noted"); } },
            ],
        };
        const { code, stdout } = await planWith(pack);
        assert.strictEqual(code, 3);
        assert.match(stdout, /\nPolicies: 3 violations\n {2}\[mandatory\] test-mandatory: urn:pulumi:us-eu::olympus::\S*olympus:index:Region::us-east\n {4}region us-east refused\n/);
        assert.match(stdout, /\n {2}\[advisory\] test-advisory: urn:\S+::us-east-vpc\n {4}noted/);
        const advisoryOnly = await planWith({ policies: [pack.policies[1]] }, "--json");
        assert.strictEqual(advisoryOnly.code, 0);
        assert.deepStrictEqual(JSON.parse(advisoryOnly.stdout).violations.map((v: any) => [v.policy, v.level]), [["test-advisory", "advisory"]]);
    });

    it("prints every configuration problem and exits 1, without a stack trace", async () => {
        const { code, stdout, stderr } = await plan("--stack-file", tempStackFile("broken", BROKEN));
        assert.strictEqual(code, 1);
        assert.strictEqual(stdout, "");
        assert.match(stderr, /^error: invalid stack configuration \(4 problems\):\n/);
        assert.match(stderr, /\n {2}- olympus:domain: "not a domain" is not a valid DNS hostname;/);
        assert.match(stderr, /\n {2}- olympus:topology: "multi-master" is not supported: /);
        assert.match(stderr, /\n {2}- olympus:regions\[1\]\.name: "us-east" is already used by olympus:regions\[0\];/);
        assert.match(stderr, /\n {2}- olympus:regions\[1\]\.location: "mars-north1" is not a GCP location;/);
        assert.doesNotMatch(stderr, /\n\s+at /);
    });

    it("exits 1 on a stack file that is not YAML", async () => {
        const { code, stderr } = await plan("--stack-file", tempStackFile("junk", "config: [\n"));
        assert.strictEqual(code, 1);
        assert.match(stderr, /^error: .*Pulumi\.junk\.yaml: is not valid YAML \(line \d+, column \d+\)/);
    });

    it("exits 2 on an unknown argument, with the usage", async () => {
        const { code, stderr } = await plan("--stak", "us-eu");
        assert.strictEqual(code, 2);
        assert.match(stderr, /^error: unknown argument --stak; did you mean --stack\?\nusage: npm run plan -- /);
    });

    it("exits 2 when an option lacks its value", async () => {
        const { code, stderr } = await plan("--stack");
        assert.strictEqual(code, 2);
        assert.match(stderr, /^error: --stack needs a value\n/);
    });

    it("is the README's command: works as `npm run plan` in a fresh process", () => {
        const ok = spawnSync("npm", ["run", "-s", "plan"], { cwd: PROJECT_DIR, encoding: "utf8" });
        assert.strictEqual(ok.status, 0, ok.stderr);
        assert.match(ok.stdout, /^Olympus offline plan: stack us-eu/);
        const bad = spawnSync("npm", ["run", "-s", "plan", "--", "--stack-file", tempStackFile("broken", BROKEN)], { cwd: PROJECT_DIR, encoding: "utf8" });
        assert.strictEqual(bad.status, 1);
        assert.match(bad.stderr, /^error: invalid stack configuration/);
    });

    it("writes a whole JSON document to a pipe, however large, and exits with the plan's status", () => {
        const r = spawnSync("npm", ["run", "-s", "plan", "--", "--stack", "aws-global", "--json"], { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(r.stdout.length > 65536, "larger than one pipe buffer");
        assert.strictEqual(JSON.parse(r.stdout).stack, "aws-global");
    });

    it("draws the topology as Mermaid with --diagram, without running the program", () => {
        const r = spawnSync("npm", ["run", "-s", "plan", "--", "--stack", "us-eu", "--diagram"], { cwd: PROJECT_DIR, encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /^flowchart TB\n/);
        assert.match(r.stdout, /us_east_db == "streams WAL \(TLS\)" ==> eu_west_db/);
        assert.match(r.stdout, /eu_west_app -\. "writes" \.-> us_east_db/);
        const bad = spawnSync("npm", ["run", "-s", "plan", "--", "--stack-file", tempStackFile("broken", BROKEN), "--diagram"], { cwd: PROJECT_DIR, encoding: "utf8" });
        assert.strictEqual(bad.status, 1);
    });
});
