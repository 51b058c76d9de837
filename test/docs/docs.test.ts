// The docs checked against the code: every command they give exists, every config key they name is
// one the program reads, every stack they show plans, the topology pictures are current, and each
// runbook's config change does, in the offline engine, what the runbook says it does.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { LIB_DIR } from "../../components/runtime/files";
import { TOP_LEVEL_KEYS, loadConfig } from "../../topology/config";
import { planTopology } from "../../topology/plan";
import { renderTopologiesDoc, TOPOLOGIES_DOC } from "../../tools/docs";
import { OfflineRun, PROJECT_DIR, reveal, runOffline } from "../../tools/engine";
import { rawConfigFrom } from "../../topology/config";
import { inRegion, inputs, ofType, stackRun, tempStackFile } from "../helpers";

const DOCS = [
    path.join(PROJECT_DIR, "README.md"),
    ...fs.readdirSync(path.join(PROJECT_DIR, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join(PROJECT_DIR, "docs", f)),
    ...fs.readdirSync(path.join(PROJECT_DIR, "docs", "runbooks")).map((f) => path.join(PROJECT_DIR, "docs", "runbooks", f)),
];
const text = (f: string) => fs.readFileSync(f, "utf8");
const rel = (f: string) => path.relative(PROJECT_DIR, f);
const stackText = (stack: string) => fs.readFileSync(path.join(PROJECT_DIR, "stacks", `Pulumi.${stack}.yaml`), "utf8");

/** Edit a shipped stack's YAML and run it offline. */
function edited(stack: string, edit: (config: Record<string, any>) => void): Promise<OfflineRun> {
    const doc = YAML.parse(stackText(stack));
    edit(doc.config);
    return runOffline({ stackFile: tempStackFile(stack, YAML.stringify(doc)) });
}

const secretJson = (run: OfflineRun, region: string, purpose: string) => {
    const v = inRegion(run, region).find((r) => r.name === `${region}-${purpose}` && /secretVersion/.test(r.type))!;
    return JSON.parse(String(reveal(v.wireInputs.secretString ?? v.wireInputs.secretData)));
};

describe("docs: what they say exists", () => {
    it("every `npm run` script they give is in package.json", () => {
        const scripts = Object.keys(JSON.parse(text(path.join(PROJECT_DIR, "package.json"))).scripts);
        for (const f of DOCS) {
            for (const m of text(f).matchAll(/npm run (?:-s )?([a-z:]+)/g)) assert.ok(scripts.includes(m[1]), `${rel(f)}: npm run ${m[1]}`);
        }
    });

    it("every olympus: key they name is one the program reads", () => {
        for (const f of DOCS) {
            for (const m of text(f).matchAll(/olympus:([A-Za-z]+)(?![:A-Za-z])/g)) {
                assert.ok((TOP_LEVEL_KEYS as readonly string[]).includes(m[1]), `${rel(f)}: olympus:${m[1]}`);
            }
        }
    });

    it("every server file they point at is one the servers are given", async () => {
        const run = await stackRun("us-eu");
        const written = new Set<string>();
        for (const vm of [...ofType(run, "aws:ec2/instance:Instance"), ...ofType(run, "gcp:compute/instance:Instance")]) {
            const ud = String(vm.type.startsWith("aws:") ? inputs(vm).userData : inputs(vm).metadata["user-data"]);
            for (const f of YAML.parse(ud).write_files as { path: string }[]) written.add(f.path);
        }
        // The rest arrives through each region's config secret.
        for (const v of run.resources.filter((r) => /secretVersion/.test(r.type) && /-(app|db)-config$/.test(r.name))) {
            for (const f of JSON.parse(String(reveal(v.wireInputs.secretString ?? v.wireInputs.secretData))).files as { path: string }[]) written.add(f.path);
        }
        for (const f of DOCS) {
            for (const m of text(f).matchAll(new RegExp(`${LIB_DIR}/[a-z.-]+`, "g"))) assert.ok(written.has(m[0]), `${rel(f)}: ${m[0]}`);
        }
    });

    it("every stack a runbook shows is a valid stack file", () => {
        for (const f of DOCS.filter((d) => d.includes("runbooks"))) {
            for (const m of text(f).matchAll(/```yaml\n([\s\S]*?)```/g)) {
                const doc = YAML.parse(m[1]);
                if (!doc?.config) continue;
                const flat = Object.fromEntries(Object.entries(doc.config as Record<string, unknown>)
                    .map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
                assert.strictEqual(rawConfigFrom(flat).problems.length, 0, rel(f));
                assert.doesNotThrow(() => planTopology(loadConfig(flat)), `${rel(f)}: a stack that does not plan`);
            }
        }
    });

    it("docs/topologies.md is what `npm run docs` writes from the shipped stacks", () => {
        assert.strictEqual(text(TOPOLOGIES_DOC), renderTopologiesDoc(), "run `npm run docs` and commit docs/topologies.md");
    });
});

describe("runbooks: the config changes do what they say", () => {
    it("regional failover: the replica becomes the writer, the former primary follows it, the key stays where it was", async () => {
        const before = await stackRun("us-eu");
        const after = await edited("us-eu", (c) => {
            c["olympus:regions"][0].primary = false;
            c["olympus:regions"][1].primary = true;
        });
        const euDb = (run: OfflineRun) => (reveal(ofType(run, "olympus:database:PostgresNode").find((n) => n.name === "eu-west-db")!.wireOutputs) as { publicAddress: string }).publicAddress;
        assert.strictEqual(secretJson(after, "eu-west", "db-config").role, "primary");
        assert.deepStrictEqual([secretJson(after, "us-east", "db-config").role, secretJson(after, "us-east", "db-config").upstream], ["replica", `${euDb(after)}:5432`]);
        assert.deepStrictEqual([secretJson(after, "us-east", "app-config").writer, secretJson(after, "us-east", "app-config").writeHost], [false, euDb(after)]);
        assert.strictEqual(secretJson(after, "eu-west", "app-config").writer, true);
        // The master key's source and its generated value are the same resources as before.
        const keyUrns = (run: OfflineRun) => run.resources.filter((r) => r.urn.includes("MasterKey$")).map((r) => r.urn).sort();
        assert.deepStrictEqual(keyUrns(after), keyUrns(before));
        // The load balancer's defaults and the pin now start at eu-west.
        const lb = inputs(ofType(after, "cloudflare:index/loadBalancer:LoadBalancer")[0]);
        const pools = new Map(ofType(after, "cloudflare:index/loadBalancerPool:LoadBalancerPool").map((p) => [p.id, inputs(p).origins[0].name]));
        assert.strictEqual(pools.get(lb.defaultPools[0]), "eu-west");
        assert.strictEqual(pools.get(lb.rules[0].overrides.defaultPools[0]), "eu-west");
    });

    it("adding a region: a replica of the primary, admitted by the primary, with its own pool", async () => {
        const run = await edited("us-eu", (c) => {
            c["olympus:regions"].push({ name: "ap-southeast", cloud: "aws", location: "ap-southeast-1", serves: ["SEAS", "NEAS", "SAS", "OC"] });
        });
        const db = secretJson(run, "ap-southeast", "db-config");
        assert.strictEqual(db.role, "replica");
        const apDb = (reveal(ofType(run, "olympus:database:PostgresNode").find((n) => n.name === "ap-southeast-db")!.wireOutputs) as { publicAddress: string }).publicAddress;
        assert.ok(secretJson(run, "us-east", "db-config").pgHba.includes(`${apDb}/32`), "the primary admits the new database");
        assert.ok(ofType(run, "cloudflare:index/loadBalancerPool:LoadBalancerPool").some((p) => inputs(p).origins[0].name === "ap-southeast"));
    });

    it("single-region to multi-region: nothing of the existing region is replaced", async () => {
        const single = await stackRun("single-region");
        const grown = await edited("single-region", (c) => {
            c["olympus:regions"][0].serves = ["ENAM", "WNAM", "NSAM", "SSAM"];
            c["olympus:regions"].push({ name: "eu-west", cloud: "gcp", location: "europe-west1", serves: ["WEU", "EEU", "NAF", "ME"] });
            c["olympus:gcp"] = { project: "olympus-example-project" };
        });
        const urns = (run: OfflineRun) => inRegion(run, "us-east").map((r) => r.urn);
        for (const urn of urns(single)) assert.ok(urns(grown).includes(urn), `${urn} is gone`);
        for (const name of ["us-east-app", "us-east-database"]) {
            const vm = (run: OfflineRun) => inputs(inRegion(run, "us-east").find((r) => r.name === name && r.type === "aws:ec2/instance:Instance")!).userData;
            assert.strictEqual(vm(grown), vm(single), `${name}'s user-data changed: it would be rebuilt`);
        }
        assert.strictEqual(secretJson(grown, "eu-west", "db-config").role, "replica");
    });

    it("removing a region: the primary stops admitting it, and its pool leaves every list", async () => {
        const run = await edited("aws-global", (c) => { c["olympus:regions"].splice(2, 1); });
        assert.strictEqual(ofType(run, "olympus:index:Region").length, 2);
        const lb = inputs(ofType(run, "cloudflare:index/loadBalancer:LoadBalancer")[0]);
        const pools = new Map(ofType(run, "cloudflare:index/loadBalancerPool:LoadBalancerPool").map((p) => [p.id, inputs(p).origins[0].name]));
        assert.ok(Object.values(lb.regionPools).flat().every((id) => pools.get(id as string) !== "ap-southeast"));
        assert.ok(!run.resources.some((r) => r.name.startsWith("us-east-db-from-ap-southeast")), "the primary's database no longer admits it");
    });

    it("key rotation: one new generation, every region's copy holds both keys, newest first", async () => {
        const run = await edited("us-eu", (c) => { c["olympus:masterKey"].keys = ["k2", "k1"]; });
        const generators = ofType(run, "random:index/randomPassword:RandomPassword").filter((r) => r.urn.includes("MasterKey$")).map((r) => r.name).sort();
        assert.deepStrictEqual(generators, ["master-key-k1", "master-key-k2"]);
        const copy = inRegion(run, "eu-west").find((r) => r.name === "eu-west-master-key" && /secretVersion/.test(r.type))!;
        const keys = JSON.parse(String(reveal(copy.wireInputs.secretData)));
        const value = (n: string) => reveal(ofType(run, "random:index/randomPassword:RandomPassword").find((r) => r.name === n)!.wireOutputs.result);
        assert.deepStrictEqual(keys, [value("master-key-k2"), value("master-key-k1")]);
    });

    it("pausing writes: every region's app-config says so", async () => {
        const run = await edited("us-eu", (c) => { c["olympus:edge"].writesPaused = true; });
        for (const region of ["us-east", "eu-west"]) assert.strictEqual(secretJson(run, region, "app-config").writesPaused, true, region);
    });
});
