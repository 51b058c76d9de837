// The whole pack the way the Pulumi CLI sees it: served by a separate process, driven over gRPC
// with the requests the engine sends (GetAnalyzerInfo, Configure, ConfigureStack, Analyze per
// resource with its inputs, AnalyzeStack with final outputs), for the resources the offline
// engine recorded: every shipped stack, and programs built from the real components with one
// thing wrong.

import * as assert from "assert";
import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { MASTER_KEY_TAG } from "../../components/masterKey";
import { Olympus, olympusArgs } from "../../components/olympus";
import { policies } from "../../policies/policies";
import { GEO_CODES } from "../../topology/catalog";
import { loadConfig } from "../../topology/config";
import { planTopology } from "../../topology/plan";
import { Diagnostic, analyzeRequests, analyzeStackRequest, diagnosticsOf } from "../../tools/analyzer";
import { OfflineRun, PROJECT_DIR, runInMocks } from "../../tools/engine";
import { PackProcess, startPolicyPack } from "../../tools/packProcess";
import { readProject, resolveConfig } from "../../tools/stackfile";
import { shippedStacks, stackRun, tempStackFile } from "../helpers";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb");
const emptyproto = require("google-protobuf/google/protobuf/empty_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");

const EDGE = `  olympus:edge: { accountId: 0123456789abcdef0123456789abcdef, zoneId: fedcba9876543210fedcba9876543210 }\n  olympus:smtpUrl: smtps://mailer@smtp.example.com:465/\n`;

const STACKS = {
    "us-eu": null,
    "aws-three": `config:
  olympus:domain: ciam.example.com
  olympus:regions:
    - { name: us-east, cloud: aws, location: us-east-1, primary: true }
    - { name: us-west, cloud: aws, location: us-west-2 }
    - { name: eu-central, cloud: aws, location: eu-central-1 }
${EDGE}`,
    "eu-us-residency": `config:
  olympus:domain: ciam.example.com
  olympus:topology: per-region
  olympus:regions:
    - { name: eu, cloud: aws, location: eu-west-1, serves: [WEU, EEU] }
    - { name: us, cloud: aws, location: us-east-1, serves: [ENAM, WNAM] }
${EDGE}`,
};

function stackConfig(stack: keyof typeof STACKS) {
    const project = readProject(PROJECT_DIR);
    const text = STACKS[stack];
    const file = text === null ? `${PROJECT_DIR}/stacks/Pulumi.${stack}.yaml` : tempStackFile(stack, text);
    return resolveConfig(project, file, stack);
}

/**
 * The real components for a stack, plus whatever `wrong` adds to them; or, with `dbConfig`, one
 * wrong argument: a region's db-config (what its database server applies) changed on its way in,
 * using the value `wrong` returns (another region's database address).
 */
function programWith<T>(stack: keyof typeof STACKS, wrong: (o: Olympus) => T,
    dbConfig?: { region: string; change: (config: Record<string, unknown>, value: T) => Record<string, unknown> }): Promise<OfflineRun> {
    const config = stackConfig(stack);
    return runInMocks(async () => {
        let resolve!: (v: T) => void;
        const value = new Promise<T>((r) => { resolve = r; });
        if (dbConfig) {
            pulumi.runtime.registerStackTransformation((a) => {
                if (a.name !== `${dbConfig.region}-db-config` || !a.type.endsWith("SecretVersion")) return undefined;
                const key = a.props.secretString !== undefined ? "secretString" : "secretData";
                const changed = pulumi.all([a.props[key], pulumi.output(value)]).apply(([text, v]) => JSON.stringify(dbConfig.change(JSON.parse(text), v as T)));
                return { props: { ...a.props, [key]: pulumi.secret(changed) }, opts: a.opts };
            });
        }
        const parsed = loadConfig(config.values);
        const olympus = new Olympus("olympus", olympusArgs(parsed, planTopology(parsed)));
        const v = wrong(olympus);
        resolve(pulumi.Output.isInstance(v) ? await new Promise<T>((r) => (v as pulumi.Output<T>).apply(r)) : v);
    }, { project: "olympus", stack, config });
}

describe("the policy pack, served as the Pulumi CLI runs it", function () {
    let pack: PackProcess;

    before(async () => {
        pack = await startPolicyPack();
        const info = await pack.call("getAnalyzerInfo", new emptyproto.Empty());
        // As the CLI does: send every policy's config with the schema defaults filled in.
        const req = new analyzerproto.ConfigureAnalyzerRequest();
        for (const p of info.getPoliciesList()) {
            const schema = p.getConfigschema()?.getProperties()?.toJavaScript() ?? {};
            const defaults = Object.fromEntries(Object.entries(schema).map(([k, v]: [string, any]) => [k, v.default]));
            const config = new analyzerproto.PolicyConfig();
            config.setEnforcementlevel(p.getEnforcementlevel());
            config.setProperties(structproto.Struct.fromJavaScript(defaults));
            req.getPolicyconfigMap().set(p.getName(), config);
        }
        await pack.call("configure", req);
    });

    after(() => pack?.stop());

    async function analyze(run: OfflineRun): Promise<Diagnostic[]> {
        const stackReq = new analyzerproto.AnalyzerStackConfigureRequest();
        stackReq.setStack(run.stack);
        stackReq.setProject(run.project);
        stackReq.setOrganization("offline");
        stackReq.setDryRun(true);
        await pack.call("configureStack", stackReq);
        const out: Diagnostic[] = [];
        for (const req of analyzeRequests(run)) out.push(...diagnosticsOf(await pack.call("analyze", req), req.getUrn()));
        out.push(...diagnosticsOf(await pack.call("analyzeStack", analyzeStackRequest(run)), ""));
        return out;
    }

    const mandatory = (ds: Diagnostic[]) => ds.filter((d) => d.enforcementLevel === "mandatory");

    it("describes itself: name, version, every policy with its level and config schema", async () => {
        const info = await pack.call("getAnalyzerInfo", new emptyproto.Empty());
        assert.strictEqual(info.getName(), "olympus");
        assert.strictEqual(info.getVersion(), require("../../policies/package.json").version);
        assert.ok(info.getSupportsconfig());
        const served = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
        assert.deepStrictEqual(served, policies.map((p) => [p.name, p.enforcementLevel === "advisory" ? analyzerproto.EnforcementLevel.ADVISORY : analyzerproto.EnforcementLevel.MANDATORY]));
        for (const p of info.getPoliciesList()) {
            assert.match(p.getName(), /^olympus-[a-z]+-(missing|disallow|enable|require|enforce|limit)-[a-z-]+$/);
            const tunable = policies.find((x) => x.name === p.getName())!.configSchema;
            assert.deepStrictEqual(Object.keys(p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}).sort(), Object.keys(tunable?.properties ?? {}).sort(), p.getName());
        }
    });

    for (const stack of shippedStacks()) {
        it(`passes the shipped stack ${stack} with no mandatory violation`, async () => {
            assert.deepStrictEqual(mandatory(await analyze(await stackRun(stack))), []);
        });
    }

    it("rejects a second writer in single-primary (olympus-topology-enforce-single-writer)", async () => {
        const run = await programWith("us-eu", (o) => {
            // Compliant in every other way: encrypted connections only, backups with point-in-time recovery.
            new gcp.sql.DatabaseInstance("eu-west-sql", {
                databaseVersion: "POSTGRES_16", region: "europe-west1", deletionProtection: true,
                settings: {
                    tier: "db-custom-2-7680",
                    ipConfiguration: { ipv4Enabled: false, sslMode: "ENCRYPTED_ONLY" },
                    backupConfiguration: { enabled: true, pointInTimeRecoveryEnabled: true },
                },
            }, { parent: o.regions["eu-west"] });
        });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual(found.map((d) => d.policyName), ["olympus-topology-enforce-single-writer"]);
        assert.match(found[0].message, /DatabaseInstance "eu-west-sql" \(eu-west\) takes writes, but PostgresNode "us-east-db" \(us-east\) is already the writer/);
        assert.match(found[0].urn, /::eu-west-sql$/);
    });

    it("passes three AWS regions whose replicas all stream from the primary", async () => {
        assert.deepStrictEqual(mandatory(await analyze(await programWith("aws-three", () => undefined))), []);
    });

    it("rejects a replica told to follow another replica (olympus-topology-enforce-single-writer)", async () => {
        const run = await programWith("aws-three", (o) => o.regions["us-west"].addresses.database, { region: "eu-central", change: (c, westDb) => ({ ...c, upstream: `${westDb}:5432` }) });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual(found.map((d) => d.policyName), ["olympus-topology-enforce-single-writer"]);
        assert.match(found[0].message, /PostgresNode "eu-central-db" \(eu-central\) streams from PostgresNode "us-west-db" \(us-west\), which is itself a replica/);
    });

    it("rejects a cross-jurisdiction replica in per-region (olympus-topology-enforce-residency)", async () => {
        const run = await programWith("eu-us-residency", (o) => o.regions.eu.addresses.database, { region: "us", change: (c, euDb) => ({ ...c, role: "replica", upstream: `${euDb}:5432` }) });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual(found.map((d) => d.policyName), ["olympus-topology-enforce-residency"]);
        assert.match(found[0].message, /PostgresNode "us-db" \(us\) \(US\) replicates PostgresNode "eu-db" \(eu\) \(EU\)/);
    });

    it("rejects an open PostgreSQL port (olympus-database-disallow-public-access)", async () => {
        const run = await programWith("us-eu", (o) => {
            new aws.ec2.SecurityGroup("us-east-open-db", {
                vpcId: o.regions["us-east"].networkId,
                ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] }],
            }, { parent: o.regions["us-east"] });
        });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual(found.map((d) => d.policyName), ["olympus-database-disallow-public-access"]);
        assert.match(found[0].urn, /::us-east-open-db$/);
    });

    it("rejects SSH open to the internet (olympus-region-disallow-ssh-from-internet)", async () => {
        const run = await programWith("us-eu", (o) => {
            new gcp.compute.Firewall("eu-west-ssh", {
                network: o.regions["eu-west"].networkId, allows: [{ protocol: "tcp", ports: ["22"] }], sourceRanges: ["0.0.0.0/0"],
            }, { parent: o.regions["eu-west"] });
        });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual(found.map((d) => d.policyName), ["olympus-region-disallow-ssh-from-internet"]);
    });

    it("rejects a region with its own key (olympus-secrets-enforce-single-key-source)", async () => {
        const run = await programWith("us-eu", (o) => {
            const randomProvider = new random.Provider("eu-random", {}, { parent: o.regions["eu-west"] });
            const own = new random.RandomPassword("eu-west-own-key", { length: 32, special: false }, { parent: o.regions["eu-west"], provider: randomProvider });
            const secret = new gcp.secretmanager.Secret("eu-west-own-key", {
                replication: { userManaged: { replicas: [{ location: "europe-west1" }] } },
                labels: { ...MASTER_KEY_TAG, "olympus-role": "copy", "olympus-region": "eu-west" },
            }, { parent: o.regions["eu-west"] });
            new gcp.secretmanager.SecretVersion("eu-west-own-key", { secret: secret.id, secretData: own.result }, { parent: o.regions["eu-west"] });
        });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual([...new Set(found.map((d) => d.policyName))], ["olympus-secrets-enforce-single-key-source"]);
        assert.deepStrictEqual(found.map((d) => d.message.split("\n")[1].split(":")[0]), [
            'RandomPassword "eu-west-own-key" (eu-west) generates key material for SecretVersion "eu-west-own-key" (eu-west) outside MasterKey "master-key"',
            'SecretVersion "eu-west-own-key" (eu-west) holds a key list that does not come from the source MasterKey "master-key"; every region\'s copy must be the source\'s value',
            "region eu-west holds 2 master-key secrets (eu-west-master-key, eu-west-own-key)",
        ]);
    });

    it("rejects logical replication turned on (olympus-topology-disallow-multi-master)", async () => {
        const run = await programWith("aws-three", (o) => {
            new aws.rds.ParameterGroup("us-east-logical", { family: "postgres16", parameters: [{ name: "rds.logical_replication", value: "1" }] },
                { parent: o.regions["us-east"] });
        });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual(found.map((d) => d.policyName), ["olympus-topology-disallow-multi-master"]);
    });

    it("rejects an extra pool without a health check, steered to by a hand-written load balancer (olympus-edge-enforce-health-monitor)", async () => {
        const run = await programWith("us-eu", (o) => {
            const provider = new cloudflare.Provider("cf-extra", {}, { parent: o });
            const pool = new cloudflare.LoadBalancerPool("extra-pool", {
                accountId: "0123456789abcdef0123456789abcdef", name: "extra", origins: [{ name: "us-east", address: o.regions["us-east"].originAddress }],
            }, { parent: o, provider });
            new cloudflare.LoadBalancer("extra-lb", {
                zoneId: "fedcba9876543210fedcba9876543210", name: "api.ciam.example.com", steeringPolicy: "off",
                defaultPools: [pool.id], fallbackPool: o.edge.fallbackPoolId,
            }, { parent: o, provider });
        });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual(found.map((d) => [d.policyName, d.message.split("\n")[1]]), [[
            "olympus-edge-enforce-health-monitor",
            'pool "extra" has no monitor: Cloudflare would count it healthy while its region is down; give it the HTTPS GET /healthz monitor',
        ]]);
    });

    it("rejects a region's pool as a load balancer's fallback (olympus-edge-enforce-geo-coverage)", async () => {
        const run = await programWith("us-eu", (o) => {
            const provider = new cloudflare.Provider("cf-extra", {}, { parent: o });
            const us = o.edge.poolIds["us-east"];
            new cloudflare.LoadBalancer("extra-lb", {
                zoneId: "fedcba9876543210fedcba9876543210", name: "api.ciam.example.com", steeringPolicy: "geo",
                regionPools: Object.fromEntries(GEO_CODES.map((c) => [c, [us]])), defaultPools: [us], fallbackPool: o.edge.poolIds["eu-west"],
            }, { parent: o, provider });
        });
        const found = mandatory(await analyze(run));
        assert.deepStrictEqual(found.map((d) => d.policyName), ["olympus-edge-enforce-geo-coverage"]);
        assert.match(found[0].message, /fallback pool "olympus-olympus-us-eu-eu-west" sends users to a region \(region eu-west at /);
    });
});
