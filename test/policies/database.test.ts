import * as assert from "assert";
import { disallowPublicAccess } from "../../policies/database/disallowPublicAccess";
import { assertNoViolations, assertViolations, awsProvider, resourceArgs, runResourcePolicy } from "./util";

const SG = "aws:ec2/securityGroup:SecurityGroup";
const FIREWALL = "gcp:compute/firewall:Firewall";
const peers = { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["10.20.0.0/16", "203.0.113.7/32"] };

async function check(type: string, props: Record<string, any>, config: object = {}) {
    return runResourcePolicy(disallowPublicAccess, resourceArgs(type, props, { config, provider: awsProvider("us-east-1") }));
}

describe("olympus-database-disallow-public-access", () => {
    describe("AWS security groups", () => {
        it("passes PostgreSQL open to the peers' addresses only", async () => {
            assertNoViolations(await check(SG, { ingress: [peers] }));
        });

        it("refuses PostgreSQL open to 0.0.0.0/0", async () => {
            assertViolations(await check(SG, { ingress: [peers, { ...peers, cidrBlocks: ["0.0.0.0/0"] }] }), [{
                message: "opens PostgreSQL (port 5432) to 0.0.0.0/0: admit only the database's peers (its app servers and replicas), by address",
            }]);
        });

        it("refuses ::/0 over IPv6", async () => {
            const outcome = await check(SG, { ingress: [{ ...peers, cidrBlocks: [], ipv6CidrBlocks: ["::/0"] }] });
            assert.match(outcome.violations[0].message, /^opens PostgreSQL \(port 5432\) to ::\/0:/);
        });

        it("refuses the internet split in halves (0.0.0.0/1 and 128.0.0.0/1)", async () => {
            const outcome = await check(SG, { ingress: [{ ...peers, cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"] }] });
            assert.match(outcome.violations[0].message, /^opens PostgreSQL \(port 5432\) to 0\.0\.0\.0\/1, 128\.0\.0\.0\/1:/);
        });

        it("refuses an all-protocol rule from anywhere, which includes PostgreSQL", async () => {
            assert.strictEqual((await check(SG, { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] })).violations.length, 1);
        });

        it("refuses a port range spanning 5432", async () => {
            assert.strictEqual((await check(SG, { ingress: [{ protocol: "tcp", fromPort: 5000, toPort: 6000, cidrBlocks: ["0.0.0.0/0"] }] })).violations.length, 1);
        });

        it("refuses PgBouncer's port open to the world by default, and passes it when ports names only 5432", async () => {
            const pgbouncer = { ingress: [{ protocol: "tcp", fromPort: 6432, toPort: 6432, cidrBlocks: ["0.0.0.0/0"] }] };
            const outcome = await check(SG, pgbouncer);
            assert.deepStrictEqual(outcome.violations.map((v) => v.message),
                ["opens PostgreSQL (port 6432) to 0.0.0.0/0: admit only the database's peers (its app servers and replicas), by address"]);
            assertNoViolations(await check(SG, pgbouncer, { ports: [5432] }));
        });

        it("passes HTTPS open to the world (that is the origin's job)", async () => {
            assertNoViolations(await check(SG, { ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }] }));
        });

        it("passes a UDP rule from anywhere", async () => {
            assertNoViolations(await check(SG, { ingress: [{ protocol: "udp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] }] }));
        });

        it("refuses a separate ingress rule resource (aws.vpc.SecurityGroupIngressRule)", async () => {
            const outcome = await check("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                { ipProtocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "0.0.0.0/0", securityGroupId: "sg-1" });
            assert.strictEqual(outcome.violations.length, 1);
        });

        it("refuses an aws.ec2.SecurityGroupRule of type ingress, and passes the same as egress", async () => {
            const rule = { type: "ingress", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] };
            assert.strictEqual((await check("aws:ec2/securityGroupRule:SecurityGroupRule", rule)).violations.length, 1);
            assertNoViolations(await check("aws:ec2/securityGroupRule:SecurityGroupRule", { ...rule, type: "egress" }));
        });

        it("takes the PostgreSQL ports and the width of 'the internet' from config", async () => {
            const custom = { ingress: [{ protocol: "tcp", fromPort: 6432, toPort: 6432, cidrBlocks: ["100.64.0.0/10"] }] };
            assertNoViolations(await check(SG, custom));
            assert.strictEqual((await check(SG, custom, { ports: [6432], ipv4MinPrefix: 12 })).violations.length, 1);
        });
    });

    describe("GCP firewall rules", () => {
        const rule = { direction: "INGRESS", allows: [{ protocol: "tcp", ports: ["5432"] }], sourceRanges: ["10.30.0.0/18"] };

        it("passes PostgreSQL from the region's own subnet", async () => {
            assertNoViolations(await check(FIREWALL, rule));
        });

        it("refuses PostgreSQL from 0.0.0.0/0", async () => {
            assertViolations(await check(FIREWALL, { ...rule, sourceRanges: ["0.0.0.0/0"] }), [{
                message: "opens PostgreSQL (port 5432) to 0.0.0.0/0: admit only the database's peers (its app servers and replicas), by address",
            }]);
        });

        it("refuses all ports (no ports listed), a range spanning 5432, and protocol all", async () => {
            for (const allows of [[{ protocol: "tcp" }], [{ protocol: "tcp", ports: ["5000-6000"] }], [{ protocol: "all" }]]) {
                assert.strictEqual((await check(FIREWALL, { ...rule, allows, sourceRanges: ["0.0.0.0/0"] })).violations.length, 1, JSON.stringify(allows));
            }
        });

        it("passes an egress rule and a disabled rule", async () => {
            assertNoViolations(await check(FIREWALL, { ...rule, direction: "EGRESS", sourceRanges: undefined, destinationRanges: ["0.0.0.0/0"] }));
            assertNoViolations(await check(FIREWALL, { ...rule, disabled: true, sourceRanges: ["0.0.0.0/0"] }));
        });

        it("treats a rule naming no source at all as open to 0.0.0.0/0, as GCP does", async () => {
            assertViolations(await check(FIREWALL, { direction: "INGRESS", allows: rule.allows }), [{
                message: "opens PostgreSQL (port 5432) to 0.0.0.0/0: admit only the database's peers (its app servers and replicas), by address",
            }]);
            assertNoViolations(await check(FIREWALL, { direction: "INGRESS", allows: rule.allows, sourceTags: ["olympus-app"] }));
        });

        it("treats a rule without a direction as ingress, GCP's default", async () => {
            assert.strictEqual((await check(FIREWALL, { allows: rule.allows, sourceRanges: ["0.0.0.0/0"] })).violations.length, 1);
        });
    });

    describe("managed databases", () => {
        it("refuses a publicly accessible RDS instance", async () => {
            assertViolations(await check("aws:rds/instance:Instance", { engine: "postgres", publiclyAccessible: true }), [{
                message: "is publicly accessible (publiclyAccessible: true): keep RDS in private subnets and reach it from the app servers",
            }]);
        });

        it("passes a private RDS instance", async () => {
            assertNoViolations(await check("aws:rds/instance:Instance", { engine: "postgres", publiclyAccessible: false }));
        });

        it("refuses a Cloud SQL instance authorizing the internet", async () => {
            const props = { databaseVersion: "POSTGRES_16", settings: { ipConfiguration: { ipv4Enabled: true, authorizedNetworks: [{ name: "all", value: "0.0.0.0/0" }] } } };
            assertViolations(await check("gcp:sql/databaseInstance:DatabaseInstance", props), [{
                message: "authorizes 0.0.0.0/0 to connect: use private IP, and authorize only the peers' addresses",
            }]);
        });

        it("passes a Cloud SQL instance with private IP only", async () => {
            assertNoViolations(await check("gcp:sql/databaseInstance:DatabaseInstance", { databaseVersion: "POSTGRES_16", settings: { ipConfiguration: { ipv4Enabled: false, privateNetwork: "n" } } }));
        });
    });

    it("does not apply to other resources", async () => {
        assert.strictEqual((await check("aws:s3/bucket:Bucket", { acl: "public-read" })).notApplicable, "applies to firewall rules, RDS and Cloud SQL");
    });
});
