import * as assert from "assert";
import { KEY_LENGTH, parseKeyset } from "../../components/masterKey";
import { OfflineRun, RecordedResource, containsSecret, isSecretValue, reveal, runOffline } from "../../tools/engine";
import { existingKeyset } from "../../tools/mocks";
import { inRegion, inputs, ofType, providerOf, stackRun, tempStackFile } from "../helpers";

const EDGE = "  olympus:edge: { accountId: 0123456789abcdef0123456789abcdef, zoneId: fedcba9876543210fedcba9876543210 }\n  olympus:smtpUrl: smtps://mailer@smtp.example.com:465/\n";
const US_EU = `  olympus:regions: us-east=aws/us-east-1*, eu-west=gcp/europe-west1\n  olympus:gcp.project: olympus-test-project\n`;
const AWS_THREE = "  olympus:regions: us-east=aws/us-east-1*, us-west=aws/us-west-2, eu-central=aws/eu-central-1\n";

function stack(name: string, regions: string, extra = ""): Promise<OfflineRun> {
    return runOffline({ stackFile: tempStackFile(name, `config:\n  olympus:domain: ciam.example.com\n${regions}${EDGE}${extra}`) });
}

const GENERATOR = "random:index/randomPassword:RandomPassword";
const isKeyMaterial = (r: RecordedResource) => {
    const marks = (inputs(r).tags ?? inputs(r).labels) as Record<string, string> | undefined;
    return marks?.["olympus-secret"] === "master-key";
};
/** Master-key secrets, and the versions stored in them. */
function keySecrets(run: OfflineRun): RecordedResource[] {
    return run.resources.filter((r) => (r.type === AWS_SECRET || r.type === GCP_SECRET) && isKeyMaterial(r));
}
function keyVersions(run: OfflineRun): RecordedResource[] {
    const ids = new Set(keySecrets(run).map((s) => s.urn));
    return [...ofType(run, AWS_VERSION), ...ofType(run, GCP_VERSION)].filter((v) => (v.propertyDependencies.secretId ?? v.propertyDependencies.secret ?? []).some((u) => ids.has(u)));
}
const keyGenerators = (run: OfflineRun) => ofType(run, GENERATOR).filter((g) => g.name.startsWith("master-key-"));
const AWS_SECRET = "aws:secretsmanager/secret:Secret";
const AWS_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const GCP_SECRET = "gcp:secretmanager/secret:Secret";
const GCP_VERSION = "gcp:secretmanager/secretVersion:SecretVersion";

/** The key list every region must hold: the generators' results, newest first, as JSON. */
function generatedKeyset(run: OfflineRun, order: string[]): string {
    const gens = ofType(run, GENERATOR);
    return JSON.stringify(order.map((k) => (reveal(gens.find((g) => g.name === `master-key-${k}`)!.wireOutputs) as { result: string }).result));
}

/** Every place a plaintext value appears outside a secret, in inputs, outputs and stack outputs. */
function plaintext(run: OfflineRun, needle: string): string[] {
    const hits: string[] = [];
    const walk = (v: unknown, where: string): void => {
        if (isSecretValue(v)) return;
        if (typeof v === "string") {
            if (v.includes(needle)) hits.push(where);
        } else if (Array.isArray(v)) {
            v.forEach((x, i) => walk(x, `${where}[${i}]`));
        } else if (v && typeof v === "object") {
            for (const [k, x] of Object.entries(v)) walk(x, `${where}.${k}`);
        }
    };
    for (const r of run.resources) {
        walk(r.wireInputs, `${r.type} ${r.name} inputs`);
        walk(r.wireOutputs, `${r.type} ${r.name} outputs`);
    }
    walk(run.wireOutputs, "stack outputs");
    return hits;
}

function versionValue(r: RecordedResource): unknown {
    return r.type === AWS_VERSION ? r.wireInputs.secretString : r.wireInputs.secretData;
}

describe("MasterKey: generated in the primary region's store (us-eu)", () => {
    it("has exactly one key generator, a 32-character key inside the MasterKey component", async () => {
        const run = await stackRun("us-eu");
        const [mk] = ofType(run, "olympus:index:MasterKey");
        const [credentials] = ofType(run, "olympus:index:Credentials");
        const gens = ofType(run, GENERATOR).filter((g) => g.parent !== credentials.urn);
        assert.deepStrictEqual(gens.map((g) => [g.name, g.parent]), [["master-key-k1", mk.urn]]);
        assert.deepStrictEqual({ length: inputs(gens[0]).length, special: inputs(gens[0]).special }, { length: KEY_LENGTH, special: false });
    });

    it("keeps the source in AWS Secrets Manager in us-east-1, holding the generated key list", async () => {
        const run = await stackRun("us-eu");
        const [mk] = ofType(run, "olympus:index:MasterKey");
        const secret = ofType(run, AWS_SECRET).find((s) => s.parent === mk.urn)!;
        assert.strictEqual(inputs(providerOf(run, secret)!).region, "us-east-1");
        assert.deepStrictEqual(inputs(secret).tags, { "olympus-secret": "master-key", "olympus-role": "source" });
        assert.deepStrictEqual(inputs(secret).replicas, [], "no other AWS region to replicate to");
        const version = ofType(run, AWS_VERSION).find((v) => v.parent === mk.urn)!;
        assert.strictEqual(reveal(version.wireInputs.secretString), generatedKeyset(run, ["k1"]));
    });

    it("copies the source's value into eu-west's own Secret Manager secret, replicated only in europe-west1", async () => {
        const run = await stackRun("us-eu");
        const secret = inRegion(run, "eu-west").find((r) => r.type === GCP_SECRET && isKeyMaterial(r))!;
        assert.deepStrictEqual(inputs(secret).replication, { userManaged: { replicas: [{ location: "europe-west1" }] } });
        assert.deepStrictEqual(inputs(secret).labels, { "olympus-secret": "master-key", "olympus-role": "copy", "olympus-region": "eu-west" });
        const version = keyVersions(run).find((v) => v.name === "eu-west-master-key")!;
        assert.strictEqual(reveal(versionValue(version)), generatedKeyset(run, ["k1"]));
        const source = ofType(run, AWS_VERSION).find((v) => v.name === "master-key-source")!;
        assert.deepStrictEqual(version.propertyDependencies.secretData, [source.urn], "the copy is made from the source version");
    });

    it("lets us-east read the source itself: it lives in its own location", async () => {
        const run = await stackRun("us-eu");
        assert.strictEqual(inRegion(run, "us-east").filter((r) => r.type === AWS_SECRET && isKeyMaterial(r)).length, 0);
        const outputs = reveal(run.wireOutputs) as { regions: Record<string, { masterKeySecret: string }>; masterKey: { sourceSecret: string } };
        assert.strictEqual(outputs.regions["us-east"].masterKeySecret, outputs.masterKey.sourceSecret);
    });

    it("lets us-east's app server read the key, the credentials and its runtime config, read-only, and nothing else", async () => {
        const run = await stackRun("us-eu");
        const outputs = reveal(run.wireOutputs) as { regions: Record<string, { masterKeySecret: string }> };
        const policy = JSON.parse(inputs(inRegion(run, "us-east").find((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.name === "us-east-app-read-secrets")!).policy);
        const secretArn = (purpose: string) => inRegion(run, "us-east").find((r) => r.type === AWS_SECRET && r.name === `us-east-${purpose}`)!.wireOutputs.arn;
        assert.deepStrictEqual(policy.Statement, [{
            Sid: "ReadThisRegionsSecretsOnly",
            Effect: "Allow",
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Resource: [outputs.regions["us-east"].masterKeySecret, secretArn("credentials"), secretArn("app-config"), secretArn("origin-tls")],
        }]);
        const dbPolicy = JSON.parse(inputs(inRegion(run, "us-east").find((r) => r.name === "us-east-database-read-secrets")!).policy);
        assert.deepStrictEqual(dbPolicy.Statement[0].Resource, [secretArn("db-credentials"), secretArn("db-tls"), secretArn("db-config")],
            "the database server never reads the master key, nor the app server's credentials (SMTP)");
        const role = inputs(inRegion(run, "us-east").find((r) => r.type === "aws:iam/role:Role")!);
        assert.deepStrictEqual(JSON.parse(role.assumeRolePolicy).Statement[0].Principal, { Service: "ec2.amazonaws.com" });
    });

    it("lets eu-west's app service account read eu-west's copy of the key, as a secret accessor, and the database's not", async () => {
        const run = await stackRun("us-eu");
        const copy = inRegion(run, "eu-west").find((r) => r.type === GCP_SECRET && isKeyMaterial(r))!;
        const accounts = inRegion(run, "eu-west").filter((r) => r.type === "gcp:serviceaccount/account:Account");
        const members = ofType(run, "gcp:secretmanager/secretIamMember:SecretIamMember").map(inputs).filter((m) => m.secretId === copy.wireOutputs.name);
        const app = accounts.find((a) => a.name === "eu-west-app")!;
        assert.deepStrictEqual(members, [{ secretId: copy.wireOutputs.name, role: "roles/secretmanager.secretAccessor", member: `serviceAccount:${app.wireOutputs.email}` }]);
        assert.deepStrictEqual(accounts.map((a) => inputs(a).accountId).map((id) => /^eu-west-[ad]-[0-9a-f]{7}$/.test(id)), [true, true]);
    });

    it("never shows the key in plaintext: not in any input, output or stack output", async () => {
        const run = await stackRun("us-eu");
        const key = JSON.parse(generatedKeyset(run, ["k1"]))[0];
        assert.deepStrictEqual(plaintext(run, key), []);
        for (const r of keyVersions(run)) assert.ok(isSecretValue(versionValue(r)), r.name);
        assert.ok(containsSecret(ofType(run, GENERATOR)[0].wireOutputs.result));
        const mk = ofType(run, "olympus:index:MasterKey")[0];
        assert.ok(isSecretValue(mk.wireOutputs.keyset), "the component's keyset output is secret");
    });
});

describe("MasterKey: three AWS regions", () => {
    it("replicates the source natively to the other AWS regions, which make no copy of their own", async () => {
        const run = await stack("aws-three", AWS_THREE);
        const [source] = keySecrets(run);
        assert.strictEqual(keySecrets(run).length, 1);
        assert.deepStrictEqual(inputs(source).replicas, [{ region: "us-west-2" }, { region: "eu-central-1" }]);
        const outputs = reveal(run.wireOutputs) as { regions: Record<string, { masterKeySecret: string }>; masterKey: { sourceSecret: string } };
        const arn = outputs.masterKey.sourceSecret;
        assert.strictEqual(outputs.regions["us-west"].masterKeySecret, arn.replace(":us-east-1:", ":us-west-2:"));
        assert.strictEqual(outputs.regions["eu-central"].masterKeySecret, arn.replace(":us-east-1:", ":eu-central-1:"));
    });

    it("scopes each region's role to its own replica", async () => {
        const run = await stack("aws-three", AWS_THREE);
        for (const [region, location] of [["us-east", "us-east-1"], ["us-west", "us-west-2"], ["eu-central", "eu-central-1"]]) {
            for (const role of ["app", "database"]) {
                const policy = JSON.parse(inputs(inRegion(run, region).find((r) => r.name === `${region}-${role}-read-secrets`)!).policy);
                assert.deepStrictEqual([...new Set(policy.Statement[0].Resource.map((a: string) => a.split(":")[3]))], [location], `${region} ${role}`);
            }
        }
    });
});

describe("MasterKey rotation", () => {
    it("keeps every generation, newest first, in every region's copy", async () => {
        const run = await stack("rotate", US_EU, "  olympus:masterKey: { keys: [k2, k1] }\n");
        assert.deepStrictEqual(keyGenerators(run).map((g) => g.name), ["master-key-k2", "master-key-k1"]);
        const expected = generatedKeyset(run, ["k2", "k1"]);
        assert.strictEqual(JSON.parse(expected).length, 2);
        for (const v of keyVersions(run)) assert.strictEqual(reveal(versionValue(v)), expected, v.name);
    });

    it("is one config change: the old key stays, every region's copy changes in the same update", async () => {
        const before = await stack("rotate-a", US_EU);
        const after = await stack("rotate-b", US_EU, "  olympus:masterKey: { keys: [k2, k1] }\n");
        const k1 = (run: OfflineRun) => keyGenerators(run).find((g) => g.name === "master-key-k1")!;
        assert.strictEqual(k1(before).urn.split("::").pop(), k1(after).urn.split("::").pop());
        assert.deepStrictEqual(reveal(k1(before).wireOutputs.result), reveal(k1(after).wireOutputs.result));
        const copies = (run: OfflineRun) => keyVersions(run).map((v) => reveal(versionValue(v)));
        for (const [a, b] of copies(before).map((v, i) => [v, copies(after)[i]])) assert.notStrictEqual(a, b);
    });
});

describe("MasterKey: an existing key, read by name", () => {
    it("reads AWS Secrets Manager, generates nothing, and copies the value to every region", async () => {
        const run = await stack("existing-aws", US_EU, "  olympus:masterKey: { source: existing, name: prod/olympus/master-key }\n");
        assert.deepStrictEqual(keyGenerators(run), []);
        assert.deepStrictEqual(run.calls.filter((c) => c.token.includes("SecretVersion")).map((c) => c.token), ["aws:secretsmanager/getSecretVersion:getSecretVersion"]);
        const [mk] = ofType(run, "olympus:index:MasterKey");
        assert.deepStrictEqual(run.resources.filter((r) => r.parent === mk.urn), [], "the source is read, never created");
        const expected = JSON.stringify(JSON.parse(existingKeyset("prod/olympus/master-key")));
        const versions = keyVersions(run);
        assert.deepStrictEqual(versions.map((v) => v.name).sort(), ["eu-west-master-key", "us-east-master-key"]);
        for (const v of versions) assert.strictEqual(reveal(versionValue(v)), expected);
        assert.deepStrictEqual(plaintext(run, JSON.parse(expected)[0]), []);
    });

    it("reads GCP Secret Manager when that is the store", async () => {
        const run = await stack("existing-gcp", US_EU,
            "  olympus:masterKey: { source: existing, store: gcp-secret-manager, location: europe-west1, name: olympus-master-key, version: '3' }\n");
        assert.deepStrictEqual(run.calls.filter((c) => c.token.includes("SecretVersion")).map((c) => c.token), ["gcp:secretmanager/getSecretVersion:getSecretVersion"]);
        assert.strictEqual(keyGenerators(run).length, 0);
    });
});

describe("MasterKey: a store outside the regions", () => {
    it("gets its own provider, and replicates to every AWS region", async () => {
        const run = await stack("store-eu", "  olympus:regions: us-east=aws/us-east-1*, us-west=aws/us-west-2\n",
            "  olympus:masterKey: { store: aws-secrets-manager, location: eu-west-1 }\n");
        const [source] = keySecrets(run);
        assert.strictEqual(inputs(providerOf(run, source)!).region, "eu-west-1");
        assert.deepStrictEqual(inputs(source).replicas, [{ region: "us-east-1" }, { region: "us-west-2" }]);
    });

    it("can be GCP Secret Manager for AWS regions, each then holding an AWS copy", async () => {
        const run = await stack("store-gcp", "  olympus:regions: us-east=aws/us-east-1*\n  olympus:gcp.project: olympus-test-project\n",
            "  olympus:masterKey: { store: gcp-secret-manager, location: us-east4 }\n");
        assert.deepStrictEqual(keySecrets(run).filter((s) => s.type === GCP_SECRET).map((s) => inputs(s).replication), [{ userManaged: { replicas: [{ location: "us-east4" }] } }]);
        assert.deepStrictEqual(inRegion(run, "us-east").filter((r) => r.type === AWS_SECRET && isKeyMaterial(r)).map((r) => r.name), ["us-east-master-key"]);
    });
});

describe("parseKeyset (an existing secret's text)", () => {
    const k = (c: string) => c.repeat(KEY_LENGTH);

    it("reads a JSON list, newest first, and a single bare key", () => {
        assert.deepStrictEqual(parseKeyset(JSON.stringify([k("b"), k("a")]), "S"), [k("b"), k("a")]);
        assert.deepStrictEqual(parseKeyset(`  ${k("a")}\n`, "S"), [k("a")]);
    });

    it("refuses text that is not a key list, saying what is wrong", () => {
        assert.throws(() => parseKeyset("[oops", "S"), { message: 'S: holds text that starts like a JSON list but is not one; store ["newest-key", "older-key", ...]' });
        assert.throws(() => parseKeyset("[]", "S"), { message: 'S: holds no key; store a JSON list of keys, newest first: ["newest-key", "older-key"]' });
        assert.throws(() => parseKeyset("", "S"), /^Error: S: holds no key;/);
        assert.throws(() => parseKeyset('["short"]', "S"),
            { message: "S: key 1 of 1 has 5 characters; Kratos' cipher needs exactly 32, so store keys of 32 characters (e.g. `openssl rand -hex 16`)" });
        assert.throws(() => parseKeyset(JSON.stringify([k("a"), `${k("b")}x`]), "S"),
            { message: "S: key 2 of 2 has 33 characters; Kratos' cipher needs exactly 32, so store keys of 32 characters (e.g. `openssl rand -hex 16`)" });
        assert.throws(() => parseKeyset(JSON.stringify([k("a"), `${k("b").slice(2)},x`]), "S"), { message: "S: key 2 of 2 is not a key of 32 characters without spaces or commas" });
        assert.throws(() => parseKeyset(JSON.stringify([k("a"), k("a")]), "S"), { message: "S: lists the same key twice" });
    });
});
