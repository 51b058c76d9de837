// The AWS side of a region: network, and (as later capabilities land) firewall, servers and the
// regional secret copy. Every resource is a child of the Region and uses the Region's AWS provider.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PlannedRegion } from "../../topology/plan";
import { MASTER_KEY_TAG } from "../masterKey";
import { Platform, RegionNetwork } from "./types";

function network(name: string, region: PlannedRegion, parent: pulumi.Resource): RegionNetwork {
    const opts = { parent };
    const tags = (suffix: string) => ({ Name: `${name}-${suffix}`, "olympus:region": region.name });

    // Local Zones and Wavelength Zones are opt-in and lack instance types; keep to the region's own zones.
    const zones = aws.getAvailabilityZonesOutput({
        state: "available",
        filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    }, opts);

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
        cidrBlock: region.cidr,
        enableDnsSupport: true,
        enableDnsHostnames: true,
        tags: tags("vpc"),
    }, opts);

    // Adopt the VPC's default security group and strip its rules, so nothing launched without an
    // explicit group is reachable or can reach out.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: tags("default-sg") }, opts);

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, opts);
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public-rt`, {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
        tags: tags("public-rt"),
    }, opts);

    const zoneSuffix = ["a", "b"] as const;
    const appSubnets = region.subnets.app.map((cidr, i) => {
        const subnet = new aws.ec2.Subnet(`${name}-app-${zoneSuffix[i]}`, {
            vpcId: vpc.id,
            cidrBlock: cidr,
            availabilityZone: zones.names[i],
            // Addresses are attached explicitly (Elastic IPs); nothing gets a public IP by accident.
            mapPublicIpOnLaunch: false,
            tags: tags(`app-${zoneSuffix[i]}`),
        }, opts);
        new aws.ec2.RouteTableAssociation(`${name}-app-${zoneSuffix[i]}-rt`, {
            subnetId: subnet.id,
            routeTableId: publicRoutes.id,
        }, opts);
        return subnet;
    });
    // Data subnets keep the VPC's main route table: local traffic only, no route to the internet.
    const dataSubnets = region.subnets.data.map((cidr, i) => new aws.ec2.Subnet(`${name}-data-${zoneSuffix[i]}`, {
        vpcId: vpc.id,
        cidrBlock: cidr,
        availabilityZone: zones.names[i],
        mapPublicIpOnLaunch: false,
        tags: tags(`data-${zoneSuffix[i]}`),
    }, opts));

    return {
        networkId: vpc.id,
        appSubnetIds: appSubnets.map((s) => s.id),
        dataSubnetIds: dataSubnets.map((s) => s.id),
    };
}

function masterKeyCopy(name: string, region: PlannedRegion, keyset: pulumi.Output<string>, parent: pulumi.Resource): pulumi.Output<string> {
    const opts = { parent };
    const secret = new aws.secretsmanager.Secret(`${name}-master-key`, {
        description: `Olympus master key list for region ${region.name} (a copy; the source is olympus:index:MasterKey)`,
        recoveryWindowInDays: 7,
        tags: { ...MASTER_KEY_TAG, "olympus-role": "copy", "olympus-region": region.name },
    }, opts);
    new aws.secretsmanager.SecretVersion(`${name}-master-key`, { secretId: secret.id, secretString: keyset }, opts);
    return secret.arn;
}

function serverIdentity(name: string, region: PlannedRegion, secrets: Readonly<Record<string, pulumi.Output<string>>>, parent: pulumi.Resource): pulumi.Output<string> {
    const opts = { parent };
    const role = new aws.iam.Role(`${name}-servers`, {
        description: `Olympus servers of region ${region.name}`,
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: { "olympus-region": region.name },
    }, opts);
    new aws.iam.RolePolicy(`${name}-read-secrets`, {
        role: role.id,
        policy: pulumi.all(Object.values(secrets)).apply((arns) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [{
                Sid: "ReadThisRegionsSecretsOnly",
                Effect: "Allow",
                Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                Resource: arns,
            }],
        })),
    }, opts);
    return role.arn;
}

export const awsPlatform: Platform = { network, masterKeyCopy, serverIdentity };
