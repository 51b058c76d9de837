import * as assert from "assert";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../../topology/config";
import { planTopology } from "../../topology/plan";
import { REDACTED, containsSecret, redact, runInMocks, runOffline } from "../../tools/engine";
import { inputs, ofType, providerOf, shippedStacks, stackRun, tempStackFile } from "../helpers";

const CONFIG = {
    values: { "pulumi:disable-default-providers": '["*"]' },
    secretKeys: [],
};

describe("offline engine", () => {
    for (const stack of shippedStacks()) {
        describe(`stack ${stack}`, () => {
            it("runs the real program and records one Region per planned region under one Olympus", async () => {
                const run = await stackRun(stack);
                const plan = planTopology(loadConfig(run.config.values));
                assert.strictEqual(ofType(run, "pulumi:pulumi:Stack").length, 1);
                const [olympus] = ofType(run, "olympus:index:Olympus");
                assert.ok(olympus, "no Olympus component");
                const regions = ofType(run, "olympus:index:Region");
                assert.deepStrictEqual(regions.map((r) => r.name), plan.regions.map((r) => r.name));
                for (const r of regions) assert.strictEqual(r.parent, olympus.urn);
            });

            it("gives every cloud resource an explicit provider for its own region's location", async () => {
                const run = await stackRun(stack);
                const plan = planTopology(loadConfig(run.config.values));
                const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
                for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
                    const provider = providerOf(run, r);
                    assert.ok(provider, `${r.type} ${r.name} has no explicit provider`);
                    let region = byUrn.get(r.parent);
                    while (region && region.type !== "olympus:index:Region") region = byUrn.get(region.parent);
                    if (!region) continue;
                    const planned = plan.regions.find((p) => p.name === region!.name)!;
                    const pkg = r.type.split(":")[0];
                    if (pkg !== "aws" && pkg !== "gcp") continue;
                    assert.strictEqual(provider.type, `pulumi:providers:${planned.cloud}`, `${r.type} ${r.name}`);
                    assert.strictEqual(inputs(provider).region, planned.location, `${r.type} ${r.name}`);
                }
            });

            it("resolves every stack output", async () => {
                const run = await stackRun(stack);
                const outputs = redact(run.wireOutputs) as { regions: Record<string, { networkId: string }> };
                assert.ok(Object.keys(outputs.regions).length > 0);
                for (const [name, r] of Object.entries(outputs.regions)) assert.ok(r.networkId && r.networkId !== "[unknown]", name);
            });
        });
    }

    it("answers with realistic, repeatable ids, ARNs and self-links", async () => {
        const a = await stackRun("us-eu");
        const b = await runOffline({ stack: "us-eu" });
        const vpc = ofType(a, "aws:ec2/vpc:Vpc")[0];
        assert.match(vpc.id, /^vpc-[0-9a-f]{17}$/);
        assert.match(String(vpc.wireOutputs.arn), /^arn:aws:ec2:us-east-1:\d{12}:vpc\/vpc-[0-9a-f]{17}$/);
        const net = ofType(a, "gcp:compute/network:Network")[0];
        assert.match(String(net.wireOutputs.selfLink), /^https:\/\/www\.googleapis\.com\/compute\/v1\/projects\/olympus-example-project\/global\/networks\/gcp-network-[0-9a-f]{7}$/);
        assert.deepStrictEqual(b.resources.map((r) => [r.urn, r.id]), a.resources.map((r) => [r.urn, r.id]));
    });

    it("refuses a resource declared without a provider when default providers are disabled", async () => {
        await assert.rejects(runInMocks(async () => {
            new aws.ec2.Vpc("stray", { cidrBlock: "10.9.0.0/16" });
        }, { project: "olympus", stack: "t", config: CONFIG }),
        /aws:ec2\/vpc:Vpc "stray" has no explicit provider, and the stack sets pulumi:disable-default-providers/);
    });

    it("refuses a provider call without a provider when default providers are disabled", async () => {
        await assert.rejects(runInMocks(async () => {
            await aws.getAvailabilityZones({});
        }, { project: "olympus", stack: "t", config: CONFIG }),
        /provider call aws:index\/getAvailabilityZones:getAvailabilityZones has no explicit provider/);
    });

    it("throws on a provider call it has no answer for", async () => {
        await assert.rejects(runInMocks(async () => {
            const provider = new aws.Provider("p", { region: "us-east-1" });
            await aws.getCallerIdentity({}, { provider });
        }, { project: "olympus", stack: "t", config: CONFIG }),
        /no answer for the provider call aws:index\/getCallerIdentity:getCallerIdentity; add one to tools\/mocks.ts/);
    });

    it("keeps secret outputs marked, and redacts them for display", async () => {
        const run = await runInMocks(async () => ({ token: pulumi.secret("s3cr3t"), plain: "visible" }),
            { project: "olympus", stack: "t", config: CONFIG });
        assert.ok(containsSecret(run.wireOutputs.token));
        assert.deepStrictEqual(redact(run.wireOutputs), { token: REDACTED, plain: "visible" });
    });

    it("runs a stack file given by path, with its secure values as placeholder secrets", async () => {
        const file = tempStackFile("elsewhere", `config:
  olympus:domain: id.example.org
  olympus:regions: solo=aws/eu-west-1*
  olympus:edge.accountId: 0123456789abcdef0123456789abcdef
  olympus:edge.zoneId: fedcba9876543210fedcba9876543210
  olympus:smtpUrl: smtps://mailer@smtp.example.com:465/
  cloudflare:apiToken:
    secure: v1:AAAABBBB:CCCCDDDD
`);
        const run = await runOffline({ stackFile: file });
        assert.strictEqual(run.stack, "elsewhere");
        assert.deepStrictEqual(run.config.secretKeys, ["cloudflare:apiToken"]);
        assert.deepStrictEqual(ofType(run, "olympus:index:Region").map((r) => r.name), ["solo"]);
    });

    it("says which stacks exist when asked for one that does not", async () => {
        await assert.rejects(runOffline({ stack: "nope" }), (err: Error) =>
            err.message === `no stack file for stack "nope" (stacks/Pulumi.nope.yaml); the shipped stacks are: ${shippedStacks().join(", ")}; or pass --stack-file PATH`);
    });
});
