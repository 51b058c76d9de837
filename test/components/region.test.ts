import * as assert from "assert";
import { loadConfig } from "../../topology/config";
import { planTopology } from "../../topology/plan";
import { countByType, inRegion, inputs, ofType, providerOf, stackRun } from "../helpers";

describe("Region on AWS (us-eu: us-east)", () => {
    it("declares a VPC, an internet gateway, one public route table, four subnets and the servers' role", async () => {
        const run = await stackRun("us-eu");
        assert.deepStrictEqual(countByType(inRegion(run, "us-east")), {
            "aws:ec2/vpc:Vpc": 1,
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
            "aws:ec2/internetGateway:InternetGateway": 1,
            "aws:ec2/routeTable:RouteTable": 1,
            "aws:ec2/subnet:Subnet": 4,
            "aws:ec2/routeTableAssociation:RouteTableAssociation": 2,
            "aws:iam/role:Role": 1,
            "aws:iam/rolePolicy:RolePolicy": 1,
        });
    });

    it("numbers the VPC and subnets from the plan, spreading each tier over two zones", async () => {
        const run = await stackRun("us-eu");
        const region = planTopology(loadConfig(run.config.values)).regions.find((r) => r.name === "us-east")!;
        const vpc = inRegion(run, "us-east").find((r) => r.type === "aws:ec2/vpc:Vpc")!;
        assert.strictEqual(inputs(vpc).cidrBlock, region.cidr);
        const subnets = inRegion(run, "us-east").filter((r) => r.type === "aws:ec2/subnet:Subnet").map(inputs);
        assert.deepStrictEqual(subnets.map((s) => s.cidrBlock), [...region.subnets.app, ...region.subnets.data]);
        assert.deepStrictEqual(subnets.map((s) => s.availabilityZone), ["us-east-1a", "us-east-1b", "us-east-1a", "us-east-1b"]);
        for (const s of subnets) assert.strictEqual(s.mapPublicIpOnLaunch, false);
    });

    it("routes only the app subnets to the internet; data subnets have no internet route", async () => {
        const run = await stackRun("us-eu");
        const r = inRegion(run, "us-east");
        const igw = r.find((x) => x.type === "aws:ec2/internetGateway:InternetGateway")!;
        const table = r.find((x) => x.type === "aws:ec2/routeTable:RouteTable")!;
        assert.deepStrictEqual(inputs(table).routes, [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }]);
        const subnetIds = new Map(r.filter((x) => x.type === "aws:ec2/subnet:Subnet").map((s) => [s.id, s.name]));
        const associated = r.filter((x) => x.type === "aws:ec2/routeTableAssociation:RouteTableAssociation")
            .map((a) => { assert.strictEqual(inputs(a).routeTableId, table.id); return subnetIds.get(inputs(a).subnetId); });
        assert.deepStrictEqual(associated, ["us-east-app-a", "us-east-app-b"]);
    });

    it("strips every rule from the VPC's default security group", async () => {
        const run = await stackRun("us-eu");
        const sg = inputs(inRegion(run, "us-east").find((x) => x.type === "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")!);
        assert.strictEqual(sg.ingress, undefined);
        assert.strictEqual(sg.egress, undefined);
    });

    it("uses an AWS provider for us-east-1 that tags everything with the stack", async () => {
        const run = await stackRun("us-eu");
        const vpc = inRegion(run, "us-east").find((r) => r.type === "aws:ec2/vpc:Vpc")!;
        const provider = inputs(providerOf(run, vpc)!);
        assert.strictEqual(provider.region, "us-east-1");
        assert.deepStrictEqual(JSON.parse(provider.defaultTags).tags, { "olympus-stack": "us-eu", "olympus-project": "olympus" });
    });
});

describe("Region on GCP (us-eu: eu-west)", () => {
    it("declares a custom-mode network, one regional subnet, its master key copy and the servers' account", async () => {
        const run = await stackRun("us-eu");
        assert.deepStrictEqual(countByType(inRegion(run, "eu-west")), {
            "gcp:compute/network:Network": 1,
            "gcp:compute/subnetwork:Subnetwork": 1,
            "gcp:secretmanager/secret:Secret": 1,
            "gcp:secretmanager/secretVersion:SecretVersion": 1,
            "gcp:serviceaccount/account:Account": 1,
            "gcp:secretmanager/secretIamMember:SecretIamMember": 1,
        });
        const net = inputs(inRegion(run, "eu-west").find((r) => r.type === "gcp:compute/network:Network")!);
        assert.strictEqual(net.autoCreateSubnetworks, false);
        assert.strictEqual(net.routingMode, "REGIONAL");
    });

    it("puts the subnet in the region's location with the plan's first app range and private Google access", async () => {
        const run = await stackRun("us-eu");
        const region = planTopology(loadConfig(run.config.values)).regions.find((r) => r.name === "eu-west")!;
        const subnet = inputs(inRegion(run, "eu-west").find((r) => r.type === "gcp:compute/subnetwork:Subnetwork")!);
        assert.strictEqual(subnet.region, "europe-west1");
        assert.strictEqual(subnet.ipCidrRange, region.subnets.app[0]);
        assert.strictEqual(subnet.privateIpGoogleAccess, true);
        assert.ok(subnet.logConfig, "flow logs are on");
    });

    it("uses a GCP provider for the configured project and europe-west1, labelling everything", async () => {
        const run = await stackRun("us-eu");
        const net = inRegion(run, "eu-west").find((r) => r.type === "gcp:compute/network:Network")!;
        const provider = inputs(providerOf(run, net)!);
        assert.strictEqual(provider.project, "olympus-example-project");
        assert.strictEqual(provider.region, "europe-west1");
        assert.deepStrictEqual(JSON.parse(provider.defaultLabels), { "olympus-stack": "us-eu", "olympus-project": "olympus" });
    });
});

describe("component inputs the policy pack reads", () => {
    it("Olympus carries the whole plan", async () => {
        const run = await stackRun("us-eu");
        const plan = planTopology(loadConfig(run.config.values));
        assert.deepStrictEqual(JSON.parse(JSON.stringify(inputs(ofType(run, "olympus:index:Olympus")[0]).plan)), JSON.parse(JSON.stringify(plan)));
    });

    it("each Region carries its slice of the plan and the topology", async () => {
        const run = await stackRun("us-eu");
        const eu = inputs(ofType(run, "olympus:index:Region").find((r) => r.name === "eu-west")!);
        assert.strictEqual(eu.topology, "single-primary");
        assert.strictEqual(eu.region.role, "replica");
        assert.strictEqual(eu.region.upstream, "us-east");
        assert.strictEqual(eu.region.jurisdiction, "EU");
    });

    it("one provider per cloud location, shared by regions in the same location, and one random provider", async () => {
        const run = await stackRun("us-eu");
        assert.deepStrictEqual(run.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.name).sort(),
            ["aws-us-east-1", "gcp-europe-west1", "random"]);
    });
});
