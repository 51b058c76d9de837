// The AWS side of a region: network, addresses, firewalls, servers, secret copies and the servers'
// IAM identity. Every resource is a child of the Region (or a component under it) and uses the
// region's AWS provider.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_PORT, PlannedRegion } from "../../topology/plan";
import { CLOUDWATCH_NAMESPACE, METRICS } from "../runtime/metrics";
import {
    Firewalls, ManagedDatabase, ManagedDatabaseSpec, MonitoringSpec, PeerNetwork, PeeringRequest, Platform, PublicAddress, RegionNetwork, ServerIdentity, ServerRole, ServerSpec, SharedNetworks,
} from "./types";

const tagsFor = (name: string, region: PlannedRegion, suffix: string) => ({ Name: `${name}-${suffix}`, "olympus-region": region.name });

function network(name: string, region: PlannedRegion, _shared: SharedNetworks, parent: pulumi.Resource): RegionNetwork {
    const opts = { parent };
    const tags = (suffix: string) => tagsFor(name, region, suffix);

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
        routeTableIds: [publicRoutes.id, vpc.mainRouteTableId],
    };
}

function publicAddress(name: string, region: PlannedRegion, role: ServerRole, parent: pulumi.Resource): PublicAddress {
    const eip = new aws.ec2.Eip(`${name}-${role}-ip`, { domain: "vpc", tags: tagsFor(name, region, `${role}-ip`) }, { parent });
    return { ip: eip.publicIp, handle: eip.allocationId };
}

function secret(name: string, region: PlannedRegion, purpose: string, marks: Readonly<Record<string, string>>, parent: pulumi.Resource): pulumi.Output<string> {
    const s = new aws.secretsmanager.Secret(`${name}-${purpose}`, {
        description: `Olympus ${purpose} for region ${region.name}`,
        recoveryWindowInDays: 7,
        tags: { ...marks, "olympus-region": region.name },
    }, { parent });
    return s.arn;
}

function secretValue(name: string, purpose: string, secretArn: pulumi.Output<string>, value: pulumi.Output<string>, parent: pulumi.Resource): void {
    new aws.secretsmanager.SecretVersion(`${name}-${purpose}`, { secretId: secretArn, secretString: value }, { parent });
}

function serverIdentity(name: string, region: PlannedRegion, role: ServerRole, secrets: Readonly<Record<string, pulumi.Output<string>>>,
    parent: pulumi.Resource): ServerIdentity {
    const opts = { parent };
    const iamRole = new aws.iam.Role(`${name}-${role}`, {
        description: `Olympus ${role} server of region ${region.name}`,
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: { "olympus-region": region.name },
    }, opts);
    new aws.iam.RolePolicy(`${name}-${role}-read-secrets`, {
        role: iamRole.id,
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
    if (role === "app") {
        // The metrics publisher: its own namespace only.
        new aws.iam.RolePolicy(`${name}-${role}-put-metrics`, {
            role: iamRole.id,
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{
                    Sid: "PublishOlympusMetricsOnly",
                    Effect: "Allow",
                    Action: "cloudwatch:PutMetricData",
                    Resource: "*",
                    Condition: { StringEquals: { "cloudwatch:namespace": CLOUDWATCH_NAMESPACE } },
                }],
            }),
        }, opts);
    }
    // Session Manager instead of SSH: no port 22 anywhere.
    new aws.iam.RolePolicyAttachment(`${name}-${role}-ssm`, {
        role: iamRole.name,
        policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }, opts);
    const profile = new aws.iam.InstanceProfile(`${name}-${role}`, { role: iamRole.name }, opts);
    return { id: iamRole.arn, profile: profile.name };
}

function firewalls(name: string, region: PlannedRegion, net: RegionNetwork, cloudflareIpv4: pulumi.Output<string[]>, parent: pulumi.Resource): Firewalls {
    const opts = { parent };
    const egress = [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "Packages, images, secret store, replication" }];
    const app = new aws.ec2.SecurityGroup(`${name}-app-sg`, {
        vpcId: net.networkId,
        description: `Olympus app server of ${region.name}: HTTPS from Cloudflare only`,
        ingress: [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: cloudflareIpv4, description: "Cloudflare's published ranges" }],
        egress,
        tags: tagsFor(name, region, "app-sg"),
    }, opts);
    const database = new aws.ec2.SecurityGroup(`${name}-db-sg`, {
        vpcId: net.networkId,
        description: `Olympus database of ${region.name}: PostgreSQL from the plan's peers only`,
        egress,
        tags: tagsFor(name, region, "db-sg"),
    }, opts);
    new aws.vpc.SecurityGroupIngressRule(`${name}-db-from-app`, {
        securityGroupId: database.id,
        referencedSecurityGroupId: app.id,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        description: `PostgreSQL from ${region.name}'s app server`,
    }, opts);
    return { app: app.id, database: database.id };
}

/** Ubuntu 24.04 LTS, from Canonical's public SSM parameter; arm64 for Graviton types. */
function ubuntuAmi(instanceType: string, parent: pulumi.Resource): pulumi.Output<string> {
    const arch = /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) ? "arm64" : "amd64";
    return aws.ssm.getParameterOutput({ name: `/aws/service/canonical/ubuntu/server/24.04/stable/current/${arch}/hvm/ebs-gp3/ami-id` }, { parent }).value;
}

function server(name: string, region: PlannedRegion, spec: ServerSpec, parent: pulumi.Resource): pulumi.Output<string> {
    const opts = { parent };
    const instance = new aws.ec2.Instance(`${name}-${spec.role}`, {
        ami: ubuntuAmi(spec.size.aws, parent),
        instanceType: spec.size.aws,
        subnetId: spec.network.appSubnetIds[0],
        privateIp: spec.privateIp,
        vpcSecurityGroupIds: [spec.role === "app" ? spec.firewalls.app : spec.firewalls.database],
        iamInstanceProfile: spec.identity.profile,
        userData: spec.userData,
        // The app server is rebuilt from its user-data; the database server keeps running and takes
        // its role from tags (its data lives on its own volume either way).
        userDataReplaceOnChange: spec.role === "app",
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1, instanceMetadataTags: "enabled" },
        rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: spec.size.diskGb, deleteOnTermination: true },
        monitoring: true,
        tags: { ...tagsFor(name, region, spec.role), ...spec.runtimeLabels },
    }, {
        ...opts,
        // A new Ubuntu image is published every few weeks; adopting one is a deliberate replacement.
        ignoreChanges: ["ami", ...(spec.role === "database" ? ["userData"] : [])],
    });
    new aws.ec2.EipAssociation(`${name}-${spec.role}-ip`, { allocationId: spec.address.handle, instanceId: instance.id }, opts);
    if (spec.dataDiskGb) {
        const backupTag = { "olympus-backup": `${pulumi.getStack()}-${region.name}` };
        const volume = new aws.ebs.Volume(`${name}-${spec.role}-data`, {
            availabilityZone: instance.availabilityZone,
            size: spec.dataDiskGb,
            type: "gp3",
            encrypted: true,
            tags: { ...tagsFor(name, region, `${spec.role}-data`), ...backupTag },
        }, { ...opts, protect: true });
        if (spec.backupDays) dailySnapshots(`${name}-${spec.role}-data`, region, backupTag, spec.backupDays, parent);
        new aws.ec2.VolumeAttachment(`${name}-${spec.role}-data`, {
            deviceName: "/dev/sdf",
            volumeId: volume.id,
            instanceId: instance.id,
            // Stop PostgreSQL's instance before detaching, never yank a mounted disk.
            stopInstanceBeforeDetaching: true,
        }, opts);
    }
    return instance.id;
}

/** Daily EBS snapshots (Data Lifecycle Manager) of the volumes carrying `targetTags`, kept `days` days. */
function dailySnapshots(name: string, region: PlannedRegion, targetTags: Record<string, string>, days: number, parent: pulumi.Resource): void {
    const opts = { parent };
    const role = new aws.iam.Role(`${name}-snapshots`, {
        description: `Data Lifecycle Manager for ${region.name}'s database volume`,
        assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
    }, opts);
    new aws.iam.RolePolicyAttachment(`${name}-snapshots`, {
        role: role.name,
        policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole",
    }, opts);
    new aws.dlm.LifecyclePolicy(`${name}-snapshots`, {
        description: `Daily snapshots of ${region.name}'s database volume, kept ${days} days`,
        executionRoleArn: role.arn,
        state: "ENABLED",
        policyDetails: {
            resourceTypes: ["VOLUME"],
            targetTags,
            schedules: [{
                name: `daily, kept ${days} days`,
                createRule: { interval: 24, intervalUnit: "HOURS", times: "03:00" },
                retainRule: { count: days },
                copyTags: true,
            }],
        },
    }, opts);
}

/**
 * RDS for PostgreSQL in the region's private data subnets: encrypted, never publicly accessible,
 * TLS forced, deletion protected, a week of backups. A replica (`source` = the primary's ARN) is
 * encrypted with a key of its own region, as cross-region replicas must be.
 */
function managedDatabase(name: string, region: PlannedRegion, spec: ManagedDatabaseSpec, parent: pulumi.Resource): ManagedDatabase {
    const opts = { parent };
    const subnets = new aws.rds.SubnetGroup(`${name}-db`, { subnetIds: spec.network.dataSubnetIds, tags: tagsFor(name, region, "db-subnets") }, opts);
    const params = new aws.rds.ParameterGroup(`${name}-db`, {
        family: `postgres${spec.version}`,
        description: "Olympus: TLS only, scram-sha-256, connections logged",
        parameters: [
            { name: "rds.force_ssl", value: "1" },
            { name: "password_encryption", value: "scram-sha-256" },
            { name: "log_connections", value: "1" },
        ],
    }, opts);
    const common = {
        instanceClass: spec.size,
        dbSubnetGroupName: subnets.name,
        parameterGroupName: params.name,
        vpcSecurityGroupIds: [spec.firewalls.database],
        publiclyAccessible: false,
        storageEncrypted: true,
        backupRetentionPeriod: spec.backupDays,
        deletionProtection: true,
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        performanceInsightsEnabled: true,
        caCertIdentifier: "rds-ca-rsa2048-g1",
        tags: tagsFor(name, region, "db"),
    };
    const instance = spec.source
        ? new aws.rds.Instance(`${name}-db`, {
            ...common,
            replicateSourceDb: spec.source,
            kmsKeyId: new aws.kms.Key(`${name}-db`, {
                description: `Olympus read replica of region ${region.name}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
            }, opts).arn,
            skipFinalSnapshot: true,
        }, opts)
        : new aws.rds.Instance(`${name}-db`, {
            ...common,
            engine: "postgres",
            engineVersion: spec.version,
            allocatedStorage: spec.storageGb,
            maxAllocatedStorage: spec.storageGb * 4,
            storageType: "gp3",
            multiAz: true,
            username: "olympus_admin",
            password: spec.adminPassword,
            finalSnapshotIdentifier: `olympus-${region.name}-final`,
        }, opts);
    return {
        id: instance.arn,
        metricsId: instance.identifier,
        host: instance.address,
        adminUser: "olympus_admin",
        tls: pulumi.output({ sslMode: "verify-full" as const, caUrl: `https://truststore.pki.rds.amazonaws.com/${region.location}/${region.location}-bundle.pem` }),
    };
}

function requestPeering(name: string, region: PlannedRegion, net: RegionNetwork, peer: PeerNetwork, parent: pulumi.Resource): pulumi.Output<string> {
    // Cross-region: the request is accepted on the other side (acceptPeering), never auto-accepted here.
    const peering = new aws.ec2.VpcPeeringConnection(`${name}-to-primary`, {
        vpcId: net.networkId,
        peerVpcId: peer.networkId,
        ...(peer.location === region.location ? { autoAccept: true } : { peerRegion: peer.location }),
        tags: tagsFor(name, region, "to-primary"),
    }, { parent });
    return peering.id;
}

function acceptPeering(name: string, region: PlannedRegion, net: RegionNetwork, fw: Firewalls, request: PeeringRequest, parent: pulumi.Resource): pulumi.Output<string> {
    const opts = { parent };
    const accepter = new aws.ec2.VpcPeeringConnectionAccepter(`${name}-from-${request.region}`, {
        vpcPeeringConnectionId: request.id,
        autoAccept: true,
        tags: tagsFor(name, region, `from-${request.region}`),
    }, opts);
    routeThroughPeering(name, region, net, { label: request.region, cidr: request.vpcCidr }, accepter.vpcPeeringConnectionId, parent);
    request.appCidrs.forEach((cidr, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-db-from-${request.region}-app-${i}`, {
        securityGroupId: fw.database,
        cidrIpv4: cidr,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        description: `PostgreSQL from ${request.region}'s app subnet, through the VPC peering`,
    }, opts));
    return accepter.vpcPeeringConnectionId;
}

function routeThroughPeering(name: string, region: PlannedRegion, net: RegionNetwork, peer: { readonly label: string; readonly cidr: string },
    peeringId: pulumi.Output<string>, parent: pulumi.Resource): void {
    (net.routeTableIds ?? []).forEach((routeTableId, i) => new aws.ec2.Route(`${name}-to-${peer.label}-${i}`, {
        routeTableId,
        destinationCidrBlock: peer.cidr,
        vpcPeeringConnectionId: peeringId,
    }, { parent }));
}

/**
 * A CloudWatch dashboard for the region (health, replication lag, database connections, load) and
 * two alarms: the region unhealthy (or silent) for three minutes, and (replica regions) the lag
 * above the readiness limit (or not streaming) for three minutes; mailed through SNS when an
 * address is configured.
 */
function monitoring(name: string, region: PlannedRegion, spec: MonitoringSpec, parent: pulumi.Resource): void {
    const opts = { parent };
    const dims = { Region: region.name };
    const topic = spec.alertEmail ? new aws.sns.Topic(`${name}-alerts`, { tags: tagsFor(name, region, "alerts") }, opts) : undefined;
    if (topic) new aws.sns.TopicSubscription(`${name}-alerts-email`, { topic: topic.arn, protocol: "email", endpoint: spec.alertEmail! }, opts);
    const actions = topic ? { alarmActions: [topic.arn], okActions: [topic.arn] } : {};
    new aws.cloudwatch.MetricAlarm(`${name}-unhealthy`, {
        alarmDescription: `Olympus region ${region.name} is not ready (its /healthz answers 503), or its server stopped reporting`,
        namespace: CLOUDWATCH_NAMESPACE, metricName: METRICS.ready.aws, dimensions: dims,
        statistic: "Minimum", period: 60, evaluationPeriods: 3, threshold: 1, comparisonOperator: "LessThanThreshold",
        treatMissingData: "breaching",
        ...actions,
        tags: tagsFor(name, region, "unhealthy"),
    }, opts);
    if (spec.replica) {
        new aws.cloudwatch.MetricAlarm(`${name}-replication-lag`, {
            alarmDescription: `Olympus region ${region.name}'s replica is more than ${spec.maxLagSeconds} s behind the primary, or not streaming`,
            namespace: CLOUDWATCH_NAMESPACE, metricName: METRICS.lag.aws, dimensions: dims,
            statistic: "Maximum", period: 60, evaluationPeriods: 3, threshold: spec.maxLagSeconds, comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "breaching",
            ...actions,
            tags: tagsFor(name, region, "replication-lag"),
        }, opts);
    }
    const olympus = (metric: string, stat: string) => [CLOUDWATCH_NAMESPACE, metric, "Region", region.name, { stat }];
    const widget = (i: number, title: string, metrics: unknown[], extra: Record<string, unknown> = {}) => ({
        type: "metric", x: (i % 2) * 12, y: Math.floor(i / 2) * 6, width: 12, height: 6,
        properties: { title, metrics, region: region.location, period: 60, view: "timeSeries", stacked: false, ...extra },
    });
    new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
        dashboardName: `olympus-${pulumi.getStack()}-${region.name}`.replace(/[^A-Za-z0-9_-]/g, "-"),
        dashboardBody: pulumi.all([spec.appServer, spec.databaseServer ?? pulumi.output(undefined), spec.managedDatabase ?? pulumi.output(undefined)])
            .apply(([app, db, managed]) => JSON.stringify({
                widgets: [
                    widget(0, `${region.name}: ready (1) or not (0), as /healthz answers`, [olympus(METRICS.ready.aws, "Minimum")],
                        { yAxis: { left: { min: 0, max: 1 } } }),
                    widget(1, `${region.name}: replication lag (s)`, [
                        olympus(METRICS.lag.aws, "Maximum"),
                        ...(managed && spec.replica ? [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", managed, { stat: "Maximum" }]] : []),
                    ], { annotations: { horizontal: [{ label: "readiness limit", value: spec.maxLagSeconds }] } }),
                    widget(2, `${region.name}: database connections`, [
                        olympus(METRICS.connections.aws, "Maximum"),
                        ...(managed ? [["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", managed, { stat: "Maximum" }]] : []),
                    ]),
                    widget(3, `${region.name}: load (CPU %)`, [
                        ["AWS/EC2", "CPUUtilization", "InstanceId", app, { stat: "Average", label: "app server" }],
                        ...(db ? [["AWS/EC2", "CPUUtilization", "InstanceId", db, { stat: "Average", label: "database server" }]] : []),
                        ...(managed ? [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", managed, { stat: "Average", label: "RDS" }]] : []),
                    ]),
                ],
            })),
    }, opts);
}

function admitDatabasePeers(name: string, region: PlannedRegion, _net: RegionNetwork, fw: Firewalls,
    peers: readonly { readonly label: string; readonly address: pulumi.Output<string> }[], parent: pulumi.Resource): void {
    for (const peer of peers) {
        new aws.vpc.SecurityGroupIngressRule(`${name}-db-from-${peer.label}`, {
            securityGroupId: fw.database,
            cidrIpv4: pulumi.interpolate`${peer.address}/32`,
            ipProtocol: "tcp",
            fromPort: POSTGRES_PORT,
            toPort: POSTGRES_PORT,
            description: `PostgreSQL from ${peer.label}`,
        }, { parent });
    }
}

export const awsPlatform: Platform = {
    network, publicAddress, secret, secretValue, serverIdentity, firewalls, server, managedDatabase,
    requestPeering, acceptPeering, routeThroughPeering, monitoring, admitDatabasePeers,
};
