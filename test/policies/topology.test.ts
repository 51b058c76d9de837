import * as assert from "assert";
import { disallowMultiMaster } from "../../policies/topology/disallowMultiMaster";
import { enforceResidency } from "../../policies/topology/enforceResidency";
import { enforceSingleWriter } from "../../policies/topology/enforceSingleWriter";
import { cloudSql, perRegion, pgNode, rds, replace, region, selfManaged, withProps } from "./fixtures";
import { assertNoViolations, assertViolations, awsProvider, runStackPolicy, stackResource } from "./util";

const WRITER = "In single-primary, exactly one PostgreSQL database takes writes and every replica streams from it.";

describe("olympus-topology-enforce-single-writer", () => {
    it("passes a self-managed primary with a replica in another cloud", async () => {
        assertNoViolations(await runStackPolicy(enforceSingleWriter, selfManaged().resources));
    });

    it("passes an RDS primary with a cross-region read replica", async () => {
        assertNoViolations(await runStackPolicy(enforceSingleWriter, rds().resources));
    });

    it("passes a Cloud SQL primary with a replica linked by instance name", async () => {
        assertNoViolations(await runStackPolicy(enforceSingleWriter, cloudSql().resources));
    });

    it("refuses a second self-managed writer", async () => {
        const f = selfManaged();
        const outcome = await runStackPolicy(enforceSingleWriter, replace(f, "eu-west-db", withProps(f.get("eu-west-db"), { role: "primary", upstream: null })));
        assertViolations(outcome, [{
            message: 'PostgresNode "eu-west-db" (eu-west) takes writes, but PostgresNode "us-east-db" (us-east) is already the writer; ' +
                "single-primary allows exactly one writable PostgreSQL database: make eu-west-db a replica of the primary, or remove it",
            urn: f.get("eu-west-db").urn,
        }]);
    });

    it("refuses an RDS replica that lost its replicateSourceDb (a second writer)", async () => {
        const f = rds();
        const outcome = await runStackPolicy(enforceSingleWriter,
            replace(f, "us-west-db", { ...withProps(f.get("us-west-db"), { replicateSourceDb: undefined, engine: "postgres" }), propertyDependencies: {} }));
        assertViolations(outcome, [{
            message: 'Instance "us-west-db" (us-west) takes writes, but Instance "us-east-db" (us-east) is already the writer; ' +
                "single-primary allows exactly one writable PostgreSQL database: make us-west-db a replica of the primary, or remove it",
        }]);
    });

    it("refuses a Cloud SQL instance without masterInstanceName beside the primary", async () => {
        const f = cloudSql();
        const outcome = await runStackPolicy(enforceSingleWriter, replace(f, "eu-north-db", withProps(f.get("eu-north-db"), { masterInstanceName: undefined })));
        assert.strictEqual(outcome.violations.length, 1);
        assert.match(outcome.violations[0].message, /^DatabaseInstance "eu-north-db" \(eu-north\) takes writes, but DatabaseInstance "eu-west-db" \(eu-west\) is already the writer;/);
    });

    it("keeps the planned primary region's database as the writer when another one appears first", async () => {
        const f = selfManaged();
        const rogue = pgNode(region("ap", "aws", "ap-southeast-1", "SG", f.get("olympus"), "replica", "us-east"), "primary", null);
        const outcome = await runStackPolicy(enforceSingleWriter, [rogue, ...f.resources]);
        assert.deepStrictEqual(outcome.violations.map((v) => v.urn), [rogue.urn]);
    });

    it("refuses a writer outside the plan's primary region", async () => {
        const f = selfManaged();
        const resources = replace(f, "olympus", withProps(f.get("olympus"), { primaryRegion: "eu-west" }));
        const outcome = await runStackPolicy(enforceSingleWriter, resources.map((r) => r.name === "us-east-db" ? withProps(r, { role: "primary" }) : r));
        assert.ok(outcome.violations.some((v) => v.message === 'PostgresNode "us-east-db" (us-east) takes writes, but the plan\'s primary region is eu-west; ' +
            "the writer must be the primary region's database"), JSON.stringify(outcome.violations));
    });

    it("refuses a replica that streams from another replica", async () => {
        const f = selfManaged();
        const ap = region("ap-south", "aws", "ap-southeast-1", "SG", f.get("olympus"), "replica", "eu-west");
        const chained = pgNode(ap, "replica", "eu-west");
        const outcome = await runStackPolicy(enforceSingleWriter, [...f.resources, ap, chained]);
        assertViolations(outcome, [{
            message: 'PostgresNode "ap-south-db" (ap-south) streams from PostgresNode "eu-west-db" (eu-west), which is itself a replica; ' +
                'every replica must stream from the primary PostgresNode "us-east-db" (us-east)',
            urn: chained.urn,
        }]);
    });

    it("refuses an RDS replica whose source is not in the stack", async () => {
        const f = rds();
        const outcome = await runStackPolicy(enforceSingleWriter,
            replace(f, "us-west-db", { ...withProps(f.get("us-west-db"), { replicateSourceDb: "arn:aws:rds:eu-west-1:1:db:elsewhere" }), propertyDependencies: {} }));
        assertViolations(outcome, [{
            message: 'Instance "us-west-db" (us-west) streams from "arn:aws:rds:eu-west-1:1:db:elsewhere", which is not a database of this stack; ' +
                'every replica must stream from the primary Instance "us-east-db" (us-east)',
        }]);
    });

    it("refuses replicas without any writer", async () => {
        const f = selfManaged();
        const outcome = await runStackPolicy(enforceSingleWriter, f.resources.filter((r) => r.name !== "us-east-db"));
        assertViolations(outcome, [{
            message: 'no PostgreSQL database takes writes: PostgresNode "eu-west-db" (eu-west) is a replica of nothing this stack declares; ' +
                "declare the primary (a database without a replication source)",
        }]);
    });

    it("finds RDS databases a fork adds by hand, outside any Region, by their provider's region", async () => {
        const f = selfManaged();
        const stray = stackResource("aws:rds/instance:Instance", "extra", { engine: "postgres" }, { provider: awsProvider("eu-central-1") });
        const outcome = await runStackPolicy(enforceSingleWriter, [...f.resources, stray]);
        assert.match(outcome.violations[0].message, /^Instance "extra" \(eu-central-1\) takes writes, but PostgresNode "us-east-db" \(us-east\) is already the writer;/);
    });

    it("counts the secondary cluster of an Aurora global database as a replica of the primary cluster", async () => {
        const f = selfManaged();
        const bare = f.resources.filter((r) => !r.name.endsWith("-db"));
        const primary = stackResource("aws:rds/cluster:Cluster", "us-east-aurora",
            { engine: "aurora-postgresql", globalClusterIdentifier: "olympus-global", masterUsername: "olympus" }, { parent: f.get("us-east") });
        const secondary = stackResource("aws:rds/cluster:Cluster", "eu-west-aurora",
            { engine: "aurora-postgresql", globalClusterIdentifier: "olympus-global" }, { parent: f.get("eu-west") });
        assertNoViolations(await runStackPolicy(enforceSingleWriter, [...bare, primary, secondary]));
        const second = withProps(secondary, { masterUsername: "olympus" });
        assert.strictEqual((await runStackPolicy(enforceSingleWriter, [...bare, primary, second])).violations.length, 1);
    });

    it("ignores databases that are not PostgreSQL", async () => {
        const f = rds();
        const mysql = stackResource("aws:rds/instance:Instance", "reports", { engine: "mysql" }, { provider: awsProvider("us-east-1") });
        assertNoViolations(await runStackPolicy(enforceSingleWriter, [...f.resources, mysql]));
    });

    it("uses the configured topology for a stack without the Olympus component", async () => {
        const f = rds();
        const bare = f.resources.filter((r) => !r.type.startsWith("olympus:")).map((r) => ({ ...r, parent: undefined }));
        const second = stackResource("aws:rds/instance:Instance", "second", { engine: "postgres" }, { provider: awsProvider("us-west-2") });
        assert.strictEqual((await runStackPolicy(enforceSingleWriter, [...bare, second], { topology: "single-primary" })).violations.length, 1);
        assert.match((await runStackPolicy(enforceSingleWriter, [...bare, second], { topology: "per-region" })).notApplicable!, /^per-region/);
    });

    it("does not apply to per-region stacks, nor to stacks without a database", async () => {
        assert.strictEqual((await runStackPolicy(enforceSingleWriter, perRegion().resources)).notApplicable,
            "per-region has one writer per region; olympus-topology-enforce-residency covers it");
        assert.strictEqual((await runStackPolicy(enforceSingleWriter, selfManaged().resources.filter((r) => !r.name.endsWith("-db")))).notApplicable,
            "the stack declares no PostgreSQL database");
    });

    it("is described for the CLI", () => {
        assert.strictEqual(enforceSingleWriter.description, WRITER);
        assert.strictEqual(enforceSingleWriter.enforcementLevel, "mandatory");
    });
});

describe("olympus-topology-disallow-multi-master", () => {
    it("passes every compliant topology", async () => {
        for (const f of [selfManaged(), rds(), cloudSql(), perRegion()]) assertNoViolations(await runStackPolicy(disallowMultiMaster, f.resources));
    });

    it("refuses two databases replicating each other", async () => {
        const f = selfManaged();
        const outcome = await runStackPolicy(disallowMultiMaster, replace(f, "us-east-db", withProps(f.get("us-east-db"), { role: "replica", upstream: "eu-west" })));
        assertViolations(outcome, [{
            message: 'replication loop PostgresNode "us-east-db" (us-east) -> PostgresNode "eu-west-db" (eu-west) -> PostgresNode "us-east-db" (us-east): ' +
                "databases replicating each other are multi-master; replicas must form a tree under one writer",
        }]);
    });

    it("refuses two writers for the same region", async () => {
        const f = perRegion();
        const twin = stackResource("aws:rds/instance:Instance", "us-twin", { engine: "postgres" }, { parent: f.get("us"), provider: awsProvider("us-east-1") });
        assertViolations(await runStackPolicy(disallowMultiMaster, [...f.resources, twin]), [{
            message: 'PostgresNode "us-db" (us) and Instance "us-twin" (us) both take writes for region us: two writers sharing the same ' +
                "identities are multi-master; keep one writer and make the other a replica",
            urn: twin.urn,
        }]);
    });

    it("refuses an RDS parameter group that turns on logical replication", async () => {
        const pg = stackResource("aws:rds/parameterGroup:ParameterGroup", "pg", { family: "postgres16", parameters: [{ name: "rds.logical_replication", value: "1" }] },
            { provider: awsProvider("us-east-1") });
        assertViolations(await runStackPolicy(disallowMultiMaster, [...rds().resources, pg]), [{
            message: 'ParameterGroup "pg" (us-east-1) enables logical replication (rds.logical_replication=1): it is how multi-master setups ' +
                "exchange writes; use physical streaming replication, or set allowLogicalDecoding if you only stream changes out",
        }]);
    });

    it("allows logical decoding settings when configured to, for change streams out", async () => {
        const pg = stackResource("aws:rds/parameterGroup:ParameterGroup", "pg", { parameters: [{ name: "rds.logical_replication", value: "1" }] });
        assertNoViolations(await runStackPolicy(disallowMultiMaster, [...rds().resources, pg], { allowLogicalDecoding: true }));
    });

    it("refuses Cloud SQL's logical decoding and pglogical flags", async () => {
        const f = cloudSql();
        const flagged = withProps(f.get("eu-west-db"), { settings: { databaseFlags: [{ name: "cloudsql.logical_decoding", value: "on" }, { name: "cloudsql.enable_pglogical", value: "on" }] } });
        assertViolations(await runStackPolicy(disallowMultiMaster, replace(f, "eu-west-db", flagged)), [{
            message: 'DatabaseInstance "eu-west-db" (eu-west) enables logical replication (cloudsql.logical_decoding=on, cloudsql.enable_pglogical=on): ' +
                "it is how multi-master setups exchange writes; use physical streaming replication, or set allowLogicalDecoding if you only stream changes out",
        }]);
    });

    it("refuses a self-managed node with wal_level logical", async () => {
        const f = selfManaged();
        const outcome = await runStackPolicy(disallowMultiMaster, replace(f, "eu-west-db", withProps(f.get("eu-west-db"), { walLevel: "logical" })));
        assert.match(outcome.violations[0].message, /^PostgresNode "eu-west-db" \(eu-west\) enables logical replication \(wal_level=logical\)/);
    });

    for (const [what, resource, expected] of [
        ["a logical replication subscription", stackResource("postgresql:index/subscription:Subscription", "sub", { publications: ["olympus"] }), 'Subscription "sub" is a logical replication subscription'],
        ["the BDR extension", stackResource("postgresql:index/extension:Extension", "bdr", { name: "bdr" }), 'Extension "bdr" is the bdr extension (multi-master replication)'],
        ["a continuous DMS task", stackResource("aws:dms/replicationTask:ReplicationTask", "sync", { migrationType: "full-load-and-cdc" }), 'ReplicationTask "sync" is a DMS task replicating changes continuously (full-load-and-cdc)'],
        ["an Aurora multi-master cluster", stackResource("aws:rds/cluster:Cluster", "aurora", { engine: "aurora-postgresql", engineMode: "multimaster" }), 'Cluster "aurora" is an Aurora multi-master cluster'],
    ] as const) {
        it(`refuses ${what}`, async () => {
            const outcome = await runStackPolicy(disallowMultiMaster, [...selfManaged().resources, resource], { allowLogicalDecoding: true });
            assertViolations(outcome, [{
                message: `${expected}: replicating writes between databases is multi-master, which Olympus does not support; use physical streaming replication from the one primary`,
                urn: resource.urn,
            }]);
        });
    }

    it("passes an extension that has nothing to do with replication", async () => {
        assertNoViolations(await runStackPolicy(disallowMultiMaster, [...selfManaged().resources, stackResource("postgresql:index/extension:Extension", "crypto", { name: "pgcrypto" })]));
    });
});

describe("olympus-topology-enforce-residency", () => {
    it("passes independent EU and US regions that keep to themselves", async () => {
        assertNoViolations(await runStackPolicy(enforceResidency, perRegion().resources));
    });

    it("does not apply to single-primary", async () => {
        assert.strictEqual((await runStackPolicy(enforceResidency, selfManaged().resources)).notApplicable, "applies to per-region topologies only");
    });

    it("refuses a replica of another jurisdiction's database", async () => {
        const f = perRegion();
        const outcome = await runStackPolicy(enforceResidency, replace(f, "us-db", withProps(f.get("us-db"), { role: "replica", upstream: "eu" })));
        assertViolations(outcome, [{
            message: 'PostgresNode "us-db" (us) (US) replicates PostgresNode "eu-db" (eu) (EU): per-region data must not cross a jurisdiction boundary; ' +
                "keep each region's database independent",
        }]);
    });

    it("refuses an RDS read replica in the US of an EU database", async () => {
        const f = perRegion();
        const euDb = stackResource("aws:rds/instance:Instance", "eu-rds", { engine: "postgres", arn: "arn:eu" }, { parent: f.get("eu"), provider: awsProvider("eu-west-1") });
        const usCopy = stackResource("aws:rds/instance:Instance", "us-rds", { replicateSourceDb: "arn:eu" }, { parent: f.get("us"), provider: awsProvider("us-east-1") });
        const outcome = await runStackPolicy(enforceResidency, [...f.resources, euDb, usCopy]);
        assert.deepStrictEqual(outcome.violations.map((v) => v.urn), [usCopy.urn]);
    });

    it("refuses an EU database firewall that admits the US region's address", async () => {
        const f = perRegion();
        const open = withProps(f.get("eu-db-fw"), { sourceRanges: ["10.30.0.0/18", "203.0.113.10/32"] });
        assertViolations(await runStackPolicy(enforceResidency, replace(f, "eu-db-fw", open)), [{
            message: 'Firewall "eu-db-fw" (eu) (EU) admits PostgreSQL connections from region us (US) via 203.0.113.10/32: ' +
                "per-region databases must not peer across a jurisdiction boundary",
        }]);
    });

    it("refuses a US security group that admits the EU subnet to PostgreSQL", async () => {
        const f = perRegion();
        const open = withProps(f.get("us-db-sg"), { ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["10.30.0.0/16"] }] });
        const outcome = await runStackPolicy(enforceResidency, replace(f, "us-db-sg", open));
        assert.match(outcome.violations[0].message, /^SecurityGroup "us-db-sg" \(us\) \(US\) admits PostgreSQL connections from region eu \(EU\) via 10\.30\.0\.0\/16:/);
    });

    it("passes a rule that admits another jurisdiction on a port that is not PostgreSQL", async () => {
        const f = perRegion();
        const https = withProps(f.get("us-db-sg"), { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["203.0.113.20/32"] }] });
        assertNoViolations(await runStackPolicy(enforceResidency, replace(f, "us-db-sg", https)));
    });

    it("refuses a geo steering list that fails EU users over to the US pool", async () => {
        const f = perRegion();
        const lb = f.get("lb");
        const mixed = withProps(lb, { regionPools: { ...lb.props.regionPools, WEU: ["pool-eu", "pool-us"] } });
        assertViolations(await runStackPolicy(enforceResidency, replace(f, "lb", mixed)), [{
            message: 'LoadBalancer "lb" regionPools.WEU fails over across jurisdictions (EU, US): per-region users must never be sent to ' +
                "another jurisdiction's region; use the maintenance fallback instead",
        }]);
    });

    it("refuses a region pool as the fallback, which every list falls back to", async () => {
        const f = perRegion();
        const outcome = await runStackPolicy(enforceResidency, replace(f, "lb", withProps(f.get("lb"), { fallbackPool: "pool-us" })));
        assert.deepStrictEqual(outcome.violations.map((v) => v.message.split(" fails over")[0]), ['LoadBalancer "lb" regionPools.WEU', 'LoadBalancer "lb" regionPools.EEU']);
    });

    it("refuses mixed default pools and rule overrides", async () => {
        const f = perRegion();
        const lb = withProps(f.get("lb"), {
            defaultPools: ["pool-eu", "pool-us"],
            rules: [{ name: "pin", overrides: { regionPools: { WEU: ["pool-us"] }, fallbackPool: "pool-eu" } }],
        });
        const outcome = await runStackPolicy(enforceResidency, replace(f, "lb", lb));
        assert.deepStrictEqual(outcome.violations.map((v) => v.message.split(" fails over")[0]),
            ['LoadBalancer "lb" defaultPools', 'LoadBalancer "lb" rules[pin].overrides.regionPools.WEU']);
    });
});
