// The AWS side of a region: network, addresses, firewalls, servers, secret copies and the servers'
// IAM identity. Every resource is a child of the Region (or a component under it) and uses the
// region's AWS provider.

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_PORT, PlannedRegion } from "../../topology/plan";
import { fitUserData } from "../runtime/bootstrap";
import { CLOUDWATCH_NAMESPACE, METRICS } from "../runtime/metrics";
import {
    Firewalls, ManagedDatabase, ManagedDatabaseSpec, MonitoringSpec, PeerNetwork, PeeringRequest, Platform, PublicAddress, RegionNetwork, ServerIdentity, ServerRole, ServerSpec, SharedNetworks,
} from "./types";

const tagsFor = (name: string, region: PlannedRegion, suffix: string) => ({ Name: `${name}-${suffix}`, "olympus-region": region.name });

/** What SSM Agent needs for Session Manager, and nothing else. */
export const SESSION_MANAGER_ACTIONS = [
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
];

/**
 * What the servers may reach. HTTPS and HTTP stay open to any address: Debian's mirrors (apt
 * verifies every package's signature) and the AWS APIs (Secrets Manager, CloudWatch, Systems
 * Manager, S3) have no fixed addresses, and the app server pulls its images over HTTPS. PostgreSQL
 * goes only to the region's own network and to the plan's peers (added by admitDatabasePeers).
 * DNS, NTP and the instance metadata service are link-local and never filtered by security groups
 * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html).
 */
const WEB_EGRESS = [
    { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], description: "HTTPS: AWS APIs, container images, the RDS CA bundle" },
    { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"], description: "HTTP: Debian's archive (packages are signed)" },
];

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
    // Session Manager instead of SSH (no port 22 anywhere), with the agent's five calls only: not
    // AmazonSSMManagedInstanceCore, which also reads every SSM parameter of the account
    // (https://docs.aws.amazon.com/systems-manager/latest/userguide/getting-started-create-iam-instance-profile.html).
    new aws.iam.RolePolicy(`${name}-${role}-session-manager`, {
        role: iamRole.id,
        policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{
                Sid: "SessionManagerOnly",
                Effect: "Allow",
                Action: SESSION_MANAGER_ACTIONS,
                Resource: "*",
            }],
        }),
    }, opts);
    const profile = new aws.iam.InstanceProfile(`${name}-${role}`, { role: iamRole.name }, opts);
    return { id: iamRole.arn, profile: profile.name };
}

function firewalls(name: string, region: PlannedRegion, net: RegionNetwork, cloudflareIpv4: pulumi.Output<string[]>, parent: pulumi.Resource): Firewalls {
    const opts = { parent };
    const egress = [...WEB_EGRESS, { protocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, cidrBlocks: [region.cidr], description: "PostgreSQL in the region" }];
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

/**
 * Debian 13, the Debian project's own AMI, from its public SSM parameter
 * (https://wiki.debian.org/Cloud/AmazonEC2Image); arm64 for Graviton types.
 */
export function debianAmiParameter(instanceType: string): string {
    const arch = /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) ? "arm64" : "amd64";
    return `/aws/service/debian/release/13/latest/${arch}`;
}

function server(name: string, region: PlannedRegion, spec: ServerSpec, parent: pulumi.Resource): pulumi.Output<string> {
    const opts = { parent };
    // Checked before the instance is declared: AWS refuses user-data over 16 KB.
    const userData = spec.userData.apply((text) => fitUserData("aws", text, `${region.name} ${spec.role} server`));
    const instance = new aws.ec2.Instance(`${name}-${spec.role}`, {
        ami: aws.ssm.getParameterOutput({ name: debianAmiParameter(spec.size.aws) }, { parent }).value,
        instanceType: spec.size.aws,
        subnetId: spec.network.appSubnetIds[0],
        privateIp: spec.privateIp,
        vpcSecurityGroupIds: [spec.role === "app" ? spec.firewalls.app : spec.firewalls.database],
        iamInstanceProfile: spec.identity.profile,
        userData: userData.apply((u) => ("text" in u ? u.text : undefined)),
        userDataBase64: userData.apply((u) => ("gzipBase64" in u ? u.gzipBase64 : undefined)),
        // The app server is rebuilt from its user-data (stateless; its scripts and settings arrive
        // through app-config, so user-data changes only with the bootstrap). The database server is
        // never rebuilt by the program: its files arrive through db-config.
        userDataReplaceOnChange: spec.role === "app",
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1, instanceMetadataTags: "enabled" },
        rootBlockDevice: { encrypted: true, volumeType: "gp3", volumeSize: spec.size.diskGb, deleteOnTermination: true },
        monitoring: true,
        tags: { ...tagsFor(name, region, spec.role), ...spec.runtimeLabels },
    }, {
        ...opts,
        // A new Debian image replaces the app server on the next `pulumi up`, as on GCP. A database
        // server keeps its disk and its image: it is upgraded in place (docs/runbooks/server-upgrades.md).
        ...(spec.role === "database" ? { ignoreChanges: ["ami", "userData", "userDataBase64"] } : {}),
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
        // Each region's RDS certificates come from that region's CA bundle
        // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html#UsingWithRDS.SSL.RegionCertificates).
        tls: pulumi.output({ sslMode: "verify-full" as const, caUrls: [`https://truststore.pki.rds.amazonaws.com/${region.location}/${region.location}-bundle.pem`] }),
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

function reachDatabasePeers(name: string, region: PlannedRegion, _net: RegionNetwork, fw: Firewalls,
    peers: readonly { readonly label: string; readonly address: pulumi.Input<string> }[], parent: pulumi.Resource): void {
    for (const peer of peers) {
        for (const [role, group] of [["app", fw.app], ["db", fw.database]] as const) {
            new aws.vpc.SecurityGroupEgressRule(`${name}-${role}-to-${peer.label}`, {
                securityGroupId: group,
                cidrIpv4: pulumi.interpolate`${peer.address}`,
                ipProtocol: "tcp",
                fromPort: POSTGRES_PORT,
                toPort: POSTGRES_PORT,
                description: `PostgreSQL to ${peer.label}`,
            }, { parent });
        }
    }
}

export const awsPlatform: Platform = {
    network, publicAddress, secret, secretValue, serverIdentity, firewalls, server, managedDatabase,
    requestPeering, acceptPeering, routeThroughPeering, monitoring, admitDatabasePeers, reachDatabasePeers,
};
