import * as assert from "assert";
import { enforceSingleKeySource } from "../../policies/secrets/enforceSingleKeySource";
import { GENERATOR, masterKeyed, olympus, regionCopy, replace, withProps } from "./fixtures";
import { assertNoViolations, assertViolations, runStackPolicy, stackResource } from "./util";

const run = (resources: Parameters<typeof runStackPolicy>[1]) => runStackPolicy(enforceSingleKeySource, resources);

describe("olympus-secrets-enforce-single-key-source", () => {
    it("passes one generated source, a native replica for us-west and a copy of the source in eu-west", async () => {
        assertNoViolations(await run(masterKeyed().resources));
    });

    it("refuses a region that mints its own key (a per-region key)", async () => {
        const f = masterKeyed();
        const own = stackResource(GENERATOR, "eu-west-key", { length: 32 }, { parent: f.get("eu-west") });
        const resources = [...f.resources.filter((r) => r.parent?.name !== "eu-west"), own, ...regionCopy(f, "eu-west", [own])];
        assertViolations(await run(resources), [
            {
                message: 'RandomPassword "eu-west-key" (eu-west) generates key material for SecretVersion "eu-west-master-key" (eu-west) outside ' +
                    'MasterKey "master-key": no region may make its own key; copy the source\'s key list instead',
                urn: own.urn,
            },
            {
                message: 'SecretVersion "eu-west-master-key" (eu-west) holds a key list that does not come from the source MasterKey "master-key"; ' +
                    "every region's copy must be the source's value",
                urn: resources[resources.length - 1].urn,
            },
        ]);
    });

    it("refuses a copy whose value is written in, not taken from the source", async () => {
        const f = masterKeyed();
        const resources = [...f.resources.filter((r) => r.parent?.name !== "eu-west"), ...regionCopy(f, "eu-west", [])];
        const outcome = await run(resources);
        assert.deepStrictEqual(outcome.violations.map((v) => v.message.split(";")[0]),
            ['SecretVersion "eu-west-master-key" (eu-west) holds a key list that does not come from the source MasterKey "master-key"']);
    });

    it("refuses a second key source", async () => {
        const f = masterKeyed();
        const second = stackResource("olympus:index:MasterKey", "master-key-2", { source: "generated" }, { parent: f.get("olympus") });
        assertViolations(await run([...f.resources, second]), [{
            message: 'MasterKey "master-key-2" is a second master key source beside MasterKey "master-key": different keys per region are not ' +
                "supported (encrypted data is one keyset); keep one MasterKey",
            urn: second.urn,
        }]);
    });

    it("refuses regions without any master key source", async () => {
        const f = masterKeyed();
        const outcome = await run(f.resources.filter((r) => !["master-key", "master-key-k1", "master-key-source"].includes(r.name)));
        assert.strictEqual(outcome.violations[0].message,
            "no olympus:index:MasterKey: the regions have no single source for the master key; declare one and copy it to every region");
    });

    it("refuses a region left without a copy", async () => {
        const f = masterKeyed();
        assertViolations(await run(f.resources.filter((r) => r.parent?.name !== "eu-west")), [{
            message: "region eu-west has no copy of the master key: its servers could not decrypt what other regions wrote; " +
                "copy the source's key list into the region's secret store",
            urn: f.get("eu-west").urn,
        }]);
    });

    it("refuses an AWS region the source is not replicated to and that has no copy", async () => {
        const f = masterKeyed();
        const source = f.resources.find((r) => r.type.endsWith("secret:Secret") && r.name === "master-key-source")!;
        const resources = replace(f, source, withProps(source, { replicas: [] }));
        const outcome = await run(resources);
        assert.deepStrictEqual(outcome.violations.map((v) => v.message.split(":")[0]), ["region us-west has no copy of the master key"]);
    });

    it("passes an AWS region that holds a copy of the source instead of a replica", async () => {
        const f = masterKeyed();
        const source = f.resources.find((r) => r.type.endsWith("secret:Secret") && r.name === "master-key-source")!;
        const sourceVersion = f.resources.find((r) => r.type.endsWith("secretVersion:SecretVersion") && r.name === "master-key-source")!;
        const resources = [...replace(f, source, withProps(source, { replicas: [] })), ...regionCopy(f, "us-west", [sourceVersion])];
        assertNoViolations(await run(resources));
    });

    it("refuses two copies in one region", async () => {
        const f = masterKeyed();
        const sourceVersion = f.resources.find((r) => r.type.endsWith("secretVersion:SecretVersion") && r.name === "master-key-source")!;
        const outcome = await run([...f.resources, ...regionCopy(f, "eu-west", [sourceVersion], "-2")]);
        assert.deepStrictEqual(outcome.violations.map((v) => v.message.split(":")[0]), ["region eu-west holds 2 master-key secrets (eu-west-master-key, eu-west-master-key-2)"]);
    });

    it("refuses master-key material outside the source and the regions", async () => {
        const f = masterKeyed();
        const stray = stackResource("aws:secretsmanager/secret:Secret", "backup-key", { tags: { "olympus-secret": "master-key" } }, { parent: f.get("olympus") });
        const outcome = await run([...f.resources, stray]);
        assert.deepStrictEqual(outcome.violations.map((v) => v.urn), [stray.urn]);
        assert.match(outcome.violations[0].message, /^Secret "backup-key" is marked as master-key material but is neither the source/);
    });

    it("accepts copies of an existing key (read from the store, not generated), and still refuses a generator", async () => {
        const f = masterKeyed();
        const existing = replace(f, "master-key", withProps(f.get("master-key"), { source: "existing" }))
            .filter((r) => r.parent?.name !== "master-key" && r.parent?.name !== "eu-west");
        const read = regionCopy(f, "eu-west", []);
        const west = regionCopy(f, "us-west", []);
        const east = regionCopy(f, "us-east", []);
        assertNoViolations(await run([...existing, ...read, ...west, ...east]));
        const gen = stackResource(GENERATOR, "sneaky", {}, { parent: f.get("us-east") });
        const outcome = await run([...existing, ...read, ...west, ...regionCopy(f, "us-east", [gen]), gen]);
        assert.deepStrictEqual(outcome.violations.map((v) => v.urn), [gen.urn]);
    });

    it("does not apply to a stack with no region and no key", async () => {
        assert.strictEqual((await run([olympus("single-primary", null)])).notApplicable, "the stack has no Olympus region and no master key");
    });
});
