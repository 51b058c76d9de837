// database.mode: managed. RDS on AWS (aws-global) and Cloud SQL on GCP (gcp-global): one primary,
// cross-region read replicas of it, private addresses only, TLS enforced, backups on the writer;
// the replica regions' app servers write to the primary's private endpoint (AWS: through a VPC
// peering the primary accepts); the writer's app server creates the service roles with the admin.

import * as assert from "assert";
import { loadConfig } from "../../topology/config";
import { planTopology } from "../../topology/plan";
import { OfflineRun, RecordedResource, isSecretValue, reveal } from "../../tools/engine";
import { inRegion, inputs, ofType, providerOf, stackRun } from "../helpers";

const byRegion = (run: OfflineRun, type: string, region: string) => inRegion(run, region).filter((r) => r.type === type);
const one = (run: OfflineRun, type: string, region: string): RecordedResource => {
    const found = byRegion(run, type, region);
    assert.strictEqual(found.length, 1, `${region}: one ${type}`);
    return found[0];
};
const out = (r: RecordedResource) => reveal(r.wireOutputs) as Record<string, any>;
const appConfig = (run: OfflineRun, region: string) => {
    const v = inRegion(run, region).find((r) => r.name === `${region}-app-config` && /secretVersion/.test(r.type))!;
    return JSON.parse(String(reveal(v.wireInputs.secretString ?? v.wireInputs.secretData)));
};
const planned = (run: OfflineRun, name: string) => planTopology(loadConfig(run.config.values)).regions.find((r) => r.name === name)!;
const providerRegion = (run: OfflineRun, r: RecordedResource) => inputs(providerOf(run, r)!).region;

describe("managed databases on AWS (aws-global: RDS primary in us-east, replicas in eu-west and ap-southeast)", () => {
    const RDS = "aws:rds/instance:Instance";

    it("declares one RDS instance per region and no database server", async () => {
        const run = await stackRun("aws-global");
        assert.strictEqual(ofType(run, RDS).length, 3);
        for (const region of ["us-east", "eu-west", "ap-southeast"]) {
            one(run, RDS, region);
            assert.deepStrictEqual(byRegion(run, "aws:ec2/instance:Instance", region).map((i) => inputs(i).tags.Name), [`${region}-app`]);
        }
        assert.strictEqual(ofType(run, "olympus:database:PostgresNode").length, 0);
        assert.strictEqual(ofType(run, "olympus:database:CertificateAuthority").length, 0, "RDS brings its own CA");
    });

    it("makes the primary private, encrypted, Multi-AZ, deletion protected, with a week of backups and TLS forced", async () => {
        const run = await stackRun("aws-global");
        const primary = inputs(one(run, RDS, "us-east"));
        assert.strictEqual(primary.replicateSourceDb, undefined);
        assert.deepStrictEqual(
            [primary.engine, primary.engineVersion, primary.instanceClass, primary.publiclyAccessible, primary.storageEncrypted, primary.multiAz,
                primary.deletionProtection, primary.backupRetentionPeriod, primary.username],
            ["postgres", "17", "db.m6i.large", false, true, true, true, 7, "olympus_admin"]);
        assert.ok(isSecretValue(one(run, RDS, "us-east").wireInputs.password), "the admin password is a secret in state");
        const params = inputs(one(run, "aws:rds/parameterGroup:ParameterGroup", "us-east"));
        assert.strictEqual(params.family, "postgres17");
        assert.ok(params.parameters.some((p: { name: string; value: string }) => p.name === "rds.force_ssl" && p.value === "1"));
        // In the data subnets, which have no route to the internet.
        const subnets = inputs(one(run, "aws:rds/subnetGroup:SubnetGroup", "us-east")).subnetIds as string[];
        const dataSubnets = byRegion(run, "aws:ec2/subnet:Subnet", "us-east").filter((s) => /-data-/.test(s.name)).map((s) => s.id);
        assert.deepStrictEqual([...subnets].sort(), [...dataSubnets].sort());
    });

    it("makes each replica a cross-region read replica of the primary's ARN, encrypted with a key of its own region", async () => {
        const run = await stackRun("aws-global");
        const primaryArn = out(one(run, RDS, "us-east")).arn;
        for (const region of ["eu-west", "ap-southeast"]) {
            const replica = one(run, RDS, region);
            const i = inputs(replica);
            assert.strictEqual(i.replicateSourceDb, primaryArn);
            assert.strictEqual(i.password, undefined, "a replica has no password of its own");
            assert.strictEqual(i.publiclyAccessible, false);
            const key = one(run, "aws:kms/key:Key", region);
            assert.strictEqual(i.kmsKeyId, out(key).arn);
            assert.strictEqual(providerRegion(run, key), providerRegion(run, replica));
            assert.notStrictEqual(providerRegion(run, replica), "us-east-1");
        }
    });

    it("peers each replica region's VPC with the primary's, routes both ways, and admits PostgreSQL from the replica's app subnet only", async () => {
        const run = await stackRun("aws-global");
        const primaryVpc = one(run, "aws:ec2/vpc:Vpc", "us-east");
        const sgRules = byRegion(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "us-east").map(inputs);
        const dbSg = byRegion(run, "aws:ec2/securityGroup:SecurityGroup", "us-east").find((s) => /db-sg/.test(s.name))!.id;
        for (const [region, location, cidr] of [["eu-west", "eu-west-1", "10.21.0.0/16"], ["ap-southeast", "ap-southeast-1", "10.185.0.0/16"]]) {
            const request = one(run, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection", region);
            assert.deepStrictEqual([inputs(request).vpcId, inputs(request).peerVpcId, inputs(request).peerRegion, inputs(request).autoAccept],
                [one(run, "aws:ec2/vpc:Vpc", region).id, primaryVpc.id, "us-east-1", undefined]);
            const accepter = byRegion(run, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "us-east")
                .find((a) => inputs(a).vpcPeeringConnectionId === request.id)!;
            assert.ok(accepter, `us-east accepts ${region}'s peering`);
            assert.strictEqual(inputs(accepter).autoAccept, true);
            assert.strictEqual(providerRegion(run, accepter), "us-east-1");
            // Routes: the replica's app and data route tables to the primary's range; the primary's back.
            const there = byRegion(run, "aws:ec2/route:Route", region).map(inputs);
            assert.strictEqual(there.length, 2);
            assert.ok(there.every((r) => r.destinationCidrBlock === "10.217.0.0/16" && r.vpcPeeringConnectionId === request.id));
            const back = byRegion(run, "aws:ec2/route:Route", "us-east").map(inputs).filter((r) => r.destinationCidrBlock === cidr);
            assert.strictEqual(back.length, 2);
            assert.ok(back.every((r) => r.vpcPeeringConnectionId === request.id));
            assert.strictEqual(location, providerRegion(run, request));
            const appSubnets = planned(run, region).subnets.app;
            const admitted = sgRules.filter((r) => r.securityGroupId === dbSg && r.cidrIpv4 !== undefined && r.cidrIpv4.startsWith(cidr.split(".").slice(0, 2).join(".")));
            assert.deepStrictEqual(admitted.map((r) => [r.cidrIpv4, r.fromPort, r.toPort]), appSubnets.map((c) => [c, 5432, 5432]));
        }
        assert.ok(!sgRules.some((r) => r.cidrIpv4 === "0.0.0.0/0" && r.fromPort === 5432));
    });

    it("tells the writer to bootstrap roles with the admin, and every region where to write and read, trusting the CAs of both regions it talks to", async () => {
        const run = await stackRun("aws-global");
        const primaryHost = out(one(run, RDS, "us-east")).address;
        const us = appConfig(run, "us-east");
        assert.deepStrictEqual([us.writer, us.writeHost, us.readHost, us.bootstrapRoles], [true, primaryHost, primaryHost, { adminUser: "olympus_admin" }]);
        assert.deepStrictEqual(us.tls, { sslMode: "verify-full", caUrls: ["https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem"] });
        const eu = appConfig(run, "eu-west");
        assert.deepStrictEqual([eu.writer, eu.writeHost, eu.readHost, eu.bootstrapRoles, eu.maxReplicationLagSeconds],
            [false, primaryHost, out(one(run, RDS, "eu-west")).address, undefined, 30]);
        // RDS CAs are per region: eu-west writes to us-east's primary and reads its own replica, so it trusts both.
        assert.deepStrictEqual(eu.tls.caUrls, ["https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem",
            "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem"]);
    });
});

describe("managed databases on GCP (gcp-global: Cloud SQL primary in us-central, replicas in eu-west and asia-east)", () => {
    const SQL = "gcp:sql/databaseInstance:DatabaseInstance";

    it("peers the shared network with Google's service network once, and every instance waits for it", async () => {
        const run = await stackRun("gcp-global");
        const range = ofType(run, "gcp:compute/globalAddress:GlobalAddress");
        const peering = ofType(run, "gcp:servicenetworking/connection:Connection");
        assert.strictEqual(range.length, 1);
        assert.strictEqual(peering.length, 1);
        assert.deepStrictEqual([inputs(range[0]).purpose, inputs(range[0]).addressType], ["VPC_PEERING", "INTERNAL"]);
        assert.deepStrictEqual(inputs(peering[0]).reservedPeeringRanges, [out(range[0]).name]);
        assert.strictEqual(ofType(run, SQL).length, 3);
        for (const db of ofType(run, SQL)) assert.ok(db.dependencies.includes(peering[0].urn), `${db.name} waits for the peering`);
    });

    it("gives every instance a private address only, encrypted connections only, deletion protection", async () => {
        const run = await stackRun("gcp-global");
        const network = ofType(run, "gcp:compute/network:Network")[0].id;
        for (const db of ofType(run, SQL)) {
            const i = inputs(db);
            assert.deepStrictEqual([i.settings.ipConfiguration.ipv4Enabled, i.settings.ipConfiguration.privateNetwork, i.settings.ipConfiguration.sslMode],
                [false, network, "ENCRYPTED_ONLY"], db.name);
            assert.deepStrictEqual([i.deletionProtection, i.settings.deletionProtectionEnabled, i.databaseVersion], [true, true, "POSTGRES_17"]);
        }
    });

    it("makes the primary highly available with backups and point-in-time recovery, and the others replicas of it in their own region", async () => {
        const run = await stackRun("gcp-global");
        const primary = one(run, SQL, "us-central");
        const p = inputs(primary);
        assert.deepStrictEqual([p.region, p.settings.availabilityType, p.settings.tier, p.masterInstanceName], ["us-central1", "REGIONAL", "db-custom-2-8192", undefined]);
        assert.deepStrictEqual([p.settings.backupConfiguration.enabled, p.settings.backupConfiguration.pointInTimeRecoveryEnabled,
            p.settings.backupConfiguration.backupRetentionSettings.retainedBackups], [true, true, 7]);
        assert.ok(isSecretValue(primary.wireInputs.rootPassword));
        for (const [region, location] of [["eu-west", "europe-west1"], ["asia-east", "asia-east1"]]) {
            const r = inputs(one(run, SQL, region));
            assert.deepStrictEqual([r.region, r.masterInstanceName, r.rootPassword, r.settings.backupConfiguration],
                [location, out(primary).name, undefined, undefined]);
        }
    });

    it("tells the services to verify Cloud SQL's CA (its certificates do not name private addresses)", async () => {
        const run = await stackRun("gcp-global");
        const primary = out(one(run, SQL, "us-central"));
        const us = appConfig(run, "us-central");
        assert.deepStrictEqual([us.writeHost, us.readHost, us.bootstrapRoles], [primary.privateIpAddress, primary.privateIpAddress, { adminUser: "postgres" }]);
        assert.deepStrictEqual(us.tls, { sslMode: "verify-ca", caPem: primary.serverCaCerts[0].cert });
        const eu = appConfig(run, "eu-west");
        const euDb = out(one(run, SQL, "eu-west"));
        assert.deepStrictEqual([eu.writer, eu.writeHost, eu.readHost], [false, primary.privateIpAddress, euDb.privateIpAddress]);
        // The primary's CA (writes) and its own (reads): Cloud SQL instances have CAs of their own.
        assert.strictEqual(eu.tls.caPem, `${primary.serverCaCerts[0].cert}\n${euDb.serverCaCerts[0].cert}`);
    });
});

describe("managed and self-managed user-data", () => {
    it("carries no admin password and no CA file: the server reads both from its secrets", async () => {
        for (const stack of ["aws-global", "gcp-global", "us-eu"]) {
            const run = await stackRun(stack);
            const creds = ofType(run, "random:index/randomPassword:RandomPassword").find((p) => /admin/.test(p.name))!;
            const admin = String(reveal(creds.wireOutputs.result));
            for (const vm of [...ofType(run, "aws:ec2/instance:Instance"), ...ofType(run, "gcp:compute/instance:Instance")]) {
                const i = inputs(vm);
                const text = String(vm.type.startsWith("aws:") ? i.userData : i.metadata["user-data"]);
                assert.ok(!text.includes(admin), `${stack} ${vm.name}`);
                assert.ok(!/^-----BEGIN CERTIFICATE-----$/m.test(text), `${stack} ${vm.name}: the CA comes from app-config`);
            }
        }
    });
});
