// The GCP side of a region, the same interface as aws.ts. Every resource is a child of the Region
// (or a component under it) and uses the region's GCP provider (which carries project and region).

import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_PORT, PlannedRegion } from "../../topology/plan";
import { fitUserData } from "../runtime/bootstrap";
import { DATA_DEVICE_NAME } from "../runtime/databaseServer";
import { GCP_METRIC_PREFIX, METRICS } from "../runtime/metrics";
import {
    Firewalls, ManagedDatabase, ManagedDatabaseSpec, MonitoringSpec, Platform, PublicAddress, RegionNetwork, ServerIdentity, ServerRole, ServerSpec, SharedNetworks,
} from "./types";

/** Google's IAP TCP forwarding range: the only source SSH is admitted from (no SSH from the internet). */
export const IAP_RANGE = "35.235.240.0/20";
/** Network tags, per region: the firewall rules of all GCP regions live on one shared network. */
const tag = (region: PlannedRegion, role: ServerRole) => `olympus-${region.name}-${role === "app" ? "app" : "db"}`;

/**
 * The VPC network every GCP region of the stack shares: GCP networks are global and subnets
 * regional, and one network lets every region reach a Cloud SQL primary's private address.
 */
export function sharedNetwork(name: string, parent: pulumi.Resource, provider: pulumi.ProviderResource): NonNullable<SharedNetworks["gcp"]> {
    const net = new gcp.compute.Network(name, {
        description: "Olympus: one network for every GCP region (subnets are regional)",
        autoCreateSubnetworks: false,
        routingMode: "GLOBAL",
    }, { parent, provider });
    return { id: net.id, selfLink: net.selfLink };
}

function network(name: string, region: PlannedRegion, shared: SharedNetworks, parent: pulumi.Resource): RegionNetwork {
    if (!shared.gcp) throw new Error(`GCP region ${region.name} needs the stack's shared GCP network`);
    // GCP subnets are regional (they span every zone), so one subnet holds the app and database servers.
    const subnet = new gcp.compute.Subnetwork(`${name}-subnet`, {
        network: shared.gcp.id,
        region: region.location,
        ipCidrRange: region.subnets.app[0],
        privateIpGoogleAccess: true,
        logConfig: { aggregationInterval: "INTERVAL_5_MIN", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    }, { parent });
    return { networkId: shared.gcp.selfLink, appSubnetIds: [subnet.selfLink], dataSubnetIds: [] };
}

function publicAddress(name: string, region: PlannedRegion, role: ServerRole, parent: pulumi.Resource): PublicAddress {
    const address = new gcp.compute.Address(`${name}-${role}-ip`, {
        region: region.location,
        addressType: "EXTERNAL",
        networkTier: "PREMIUM",
        description: `Olympus ${role} server of ${region.name}`,
    }, { parent });
    return { ip: address.address, handle: address.address };
}

function secret(name: string, region: PlannedRegion, purpose: string, marks: Readonly<Record<string, string>>, parent: pulumi.Resource): pulumi.Output<string> {
    const s = new gcp.secretmanager.Secret(`${name}-${purpose}`, {
        // User-managed replication in this region's own location only: the copy lives where it is read.
        replication: { userManaged: { replicas: [{ location: region.location }] } },
        labels: { ...marks, "olympus-region": region.name },
    }, { parent });
    return s.name;
}

function secretValue(name: string, purpose: string, secretName: pulumi.Output<string>, value: pulumi.Output<string>, parent: pulumi.Resource): void {
    new gcp.secretmanager.SecretVersion(`${name}-${purpose}`, { secret: secretName, secretData: value }, { parent });
}

/** A service account id GCP accepts (6-30 characters), unique per stack: region, role and a stack hash. */
function accountId(regionName: string, role: ServerRole): string {
    let h = 0x811c9dc5;
    for (const ch of `${pulumi.getProject()}/${pulumi.getStack()}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return `${regionName.slice(0, 17)}-${role === "app" ? "a" : "d"}-${h.toString(16).padStart(8, "0").slice(0, 7)}`;
}

function serverIdentity(name: string, region: PlannedRegion, role: ServerRole, secrets: Readonly<Record<string, pulumi.Output<string>>>,
    parent: pulumi.Resource): ServerIdentity {
    const opts = { parent };
    const account = new gcp.serviceaccount.Account(`${name}-${role}`, {
        accountId: accountId(region.name, role),
        displayName: `Olympus ${role} server of ${region.name}`,
    }, opts);
    if (role === "app") {
        // The metrics publisher writes time series (it cannot read them, or anything else).
        new gcp.projects.IAMMember(`${name}-${role}-metric-writer`, {
            project: gcp.organizations.getClientConfigOutput(opts).project,
            role: "roles/monitoring.metricWriter",
            member: account.member,
        }, opts);
    }
    // Read access on each secret, not on the project: the servers can read this region's copies only.
    for (const [purpose, secret] of Object.entries(secrets)) {
        new gcp.secretmanager.SecretIamMember(`${name}-${role}-read-${purpose}`, {
            secretId: secret,
            role: "roles/secretmanager.secretAccessor",
            member: account.member,
        }, opts);
    }
    return { id: account.email };
}

function firewalls(name: string, region: PlannedRegion, net: RegionNetwork, cloudflareIpv4: pulumi.Output<string[]>, parent: pulumi.Resource): Firewalls {
    const opts = { parent };
    new gcp.compute.Firewall(`${name}-https-from-cloudflare`, {
        network: net.networkId,
        direction: "INGRESS",
        description: "HTTPS to the origin from Cloudflare's published ranges only",
        allows: [{ protocol: "tcp", ports: ["443"] }],
        sourceRanges: cloudflareIpv4,
        targetTags: [tag(region, "app")],
    }, opts);
    new gcp.compute.Firewall(`${name}-db-from-app`, {
        network: net.networkId,
        direction: "INGRESS",
        description: `PostgreSQL from ${region.name}'s app server`,
        allows: [{ protocol: "tcp", ports: [String(POSTGRES_PORT)] }],
        sourceTags: [tag(region, "app")],
        targetTags: [tag(region, "database")],
    }, opts);
    // Egress: GCP allows every destination unless told otherwise. HTTPS and HTTP stay open (Debian's
    // mirrors, Google's APIs and container registries have no fixed addresses; apt checks every
    // package's signature); PostgreSQL goes to the region's subnet and the plan's peers
    // (reachDatabasePeers); everything else is denied. The metadata server is always reachable
    // (https://cloud.google.com/firewall/docs/firewalls#alwaysallowed).
    const targets = [tag(region, "app"), tag(region, "database")];
    new gcp.compute.Firewall(`${name}-egress-web`, {
        network: net.networkId,
        direction: "EGRESS",
        priority: 1000,
        description: "HTTPS and HTTP out: Google's APIs, container images, Debian's archive",
        allows: [{ protocol: "tcp", ports: ["443", "80"] }],
        destinationRanges: ["0.0.0.0/0"],
        targetTags: targets,
    }, opts);
    new gcp.compute.Firewall(`${name}-egress-region`, {
        network: net.networkId,
        direction: "EGRESS",
        priority: 1000,
        description: `PostgreSQL inside ${region.name}`,
        allows: [{ protocol: "tcp", ports: [String(POSTGRES_PORT)] }],
        destinationRanges: [region.subnets.app[0]],
        targetTags: targets,
    }, opts);
    new gcp.compute.Firewall(`${name}-egress-deny`, {
        network: net.networkId,
        direction: "EGRESS",
        priority: 65000,
        description: "Nothing else out",
        denies: [{ protocol: "all" }],
        destinationRanges: ["0.0.0.0/0"],
        targetTags: targets,
    }, opts);
    // Operators reach the servers through IAP only; no SSH from the internet.
    new gcp.compute.Firewall(`${name}-ssh-from-iap`, {
        network: net.networkId,
        direction: "INGRESS",
        description: "SSH through Identity-Aware Proxy only",
        allows: [{ protocol: "tcp", ports: ["22"] }],
        sourceRanges: [IAP_RANGE],
        targetTags: [tag(region, "app"), tag(region, "database")],
    }, opts);
    return { app: pulumi.output(tag(region, "app")), database: pulumi.output(tag(region, "database")) };
}

/** Arm machine families (Tau T2A, Axion C4A, N4A). */
const ARM_MACHINE = /^(t2a|c4a|n4a)-/;

/**
 * Debian 13, the Debian project's image in `debian-cloud`, the family's current image resolved at
 * deploy time (https://cloud.google.com/compute/docs/images/os-details#debian): a new image
 * replaces the app server, as a new AMI does on AWS. arm64 for Arm machine types.
 */
export function debianImageFamily(machineType: string): string {
    return ARM_MACHINE.test(machineType) ? "debian-13-arm64" : "debian-13";
}

function debianImage(machineType: string, parent: pulumi.Resource): pulumi.Output<string> {
    return gcp.compute.getImageOutput({ family: debianImageFamily(machineType), project: "debian-cloud" }, { parent }).selfLink;
}

function server(name: string, region: PlannedRegion, spec: ServerSpec, parent: pulumi.Resource): pulumi.Output<string> {
    const opts = { parent };
    const zone = gcp.compute.getZonesOutput({ region: region.location, status: "UP" }, opts).names[0];
    const data = spec.dataDiskGb ? new gcp.compute.Disk(`${name}-${spec.role}-data`, {
        zone,
        size: spec.dataDiskGb,
        type: "pd-ssd",
        labels: { "olympus-region": region.name },
    }, { ...opts, protect: true }) : undefined;
    if (data && spec.backupDays) {
        const schedule = new gcp.compute.ResourcePolicy(`${name}-${spec.role}-snapshots`, {
            region: region.location,
            description: `Daily snapshots of ${region.name}'s database disk, kept ${spec.backupDays} days`,
            snapshotSchedulePolicy: {
                schedule: { dailySchedule: { daysInCycle: 1, startTime: "03:00" } },
                retentionPolicy: { maxRetentionDays: spec.backupDays, onSourceDiskDelete: "KEEP_AUTO_SNAPSHOTS" },
                snapshotProperties: { storageLocations: region.location, labels: { "olympus-region": region.name } },
            },
        }, opts);
        new gcp.compute.DiskResourcePolicyAttachment(`${name}-${spec.role}-snapshots`, { disk: data.name, zone, name: schedule.name }, opts);
    }
    // Checked before the instance is declared: a metadata value holds at most 256 KB.
    const userData = spec.userData.apply((text) => {
        const fitted = fitUserData("gcp", text, `${region.name} ${spec.role} server`);
        return "text" in fitted ? fitted.text : text;
    });
    const instance = new gcp.compute.Instance(`${name}-${spec.role}`, {
        zone,
        machineType: spec.size.gcp,
        bootDisk: { initializeParams: { image: debianImage(spec.size.gcp, parent), size: spec.size.diskGb, type: "pd-balanced" } },
        attachedDisks: data ? [{ source: data.id, deviceName: DATA_DEVICE_NAME }] : [],
        networkInterfaces: [{
            subnetwork: spec.network.appSubnetIds[0],
            networkIp: spec.privateIp,
            accessConfigs: [{ natIp: spec.address.handle, networkTier: "PREMIUM" }],
        }],
        serviceAccount: { email: spec.identity.id, scopes: ["cloud-platform"] },
        metadata: {
            "user-data": userData,
            "enable-oslogin": "TRUE",
            "block-project-ssh-keys": "true",
            ...spec.runtimeLabels,
        },
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        tags: [tag(region, spec.role)],
        labels: { "olympus-region": region.name, "olympus-role": spec.role },
        allowStoppingForUpdate: true,
    }, spec.role === "database"
        // A database server keeps its disk and its image: upgraded in place (docs/runbooks/server-upgrades.md).
        ? { ...opts, ignoreChanges: ["metadata[\"user-data\"]", "bootDisk.initializeParams.image"] }
        // A new Debian image or new user-data replaces the app server (stateless), as on AWS.
        : { ...opts, replaceOnChanges: ["metadata", "bootDisk.initializeParams.image"] });
    return instance.id;
}

/**
 * Private services access: Cloud SQL instances get private addresses on the shared network, which
 * every GCP region's servers reach. Made once per stack.
 */
export function sqlPeering(shared: NonNullable<SharedNetworks["gcp"]>, parent: pulumi.Resource, provider: pulumi.ProviderResource): { connection: pulumi.Resource; range: pulumi.Output<string> } {
    const range = new gcp.compute.GlobalAddress("gcp-sql-range", {
        purpose: "VPC_PEERING",
        addressType: "INTERNAL",
        prefixLength: 20,
        network: shared.id,
        description: "Olympus: addresses for Cloud SQL's private IPs",
    }, { parent, provider });
    const connection = new gcp.servicenetworking.Connection("gcp-sql-peering", {
        network: shared.id,
        service: "servicenetworking.googleapis.com",
        reservedPeeringRanges: [range.name],
    }, { parent, provider });
    return { connection, range: pulumi.interpolate`${range.address}/${range.prefixLength}` };
}

/**
 * Cloud SQL for PostgreSQL with a private address only: encrypted connections only, deletion
 * protected; the primary keeps backups with point-in-time recovery and runs highly available; a
 * replica (`source` = the primary's name) follows it from its own region.
 */
function managedDatabase(name: string, region: PlannedRegion, spec: ManagedDatabaseSpec, parent: pulumi.Resource): ManagedDatabase {
    const shared = spec.shared.gcp;
    if (!shared) throw new Error(`GCP region ${region.name} needs the stack's shared GCP network`);
    const settings = {
        tier: spec.size,
        diskType: "PD_SSD",
        diskSize: spec.storageGb,
        diskAutoresize: true,
        deletionProtectionEnabled: true,
        ipConfiguration: { ipv4Enabled: false, privateNetwork: shared.id, sslMode: "ENCRYPTED_ONLY", enablePrivatePathForGoogleCloudServices: true },
        databaseFlags: [{ name: "log_connections", value: "on" }, { name: "password_encryption", value: "scram-sha-256" }],
        userLabels: { "olympus-region": region.name },
    };
    const instance = new gcp.sql.DatabaseInstance(`${name}-db`, spec.source ? {
        databaseVersion: `POSTGRES_${spec.version}`,
        region: region.location,
        masterInstanceName: spec.source,
        replicaConfiguration: { failoverTarget: false },
        deletionProtection: true,
        settings: { ...settings, availabilityType: "ZONAL" },
    } : {
        databaseVersion: `POSTGRES_${spec.version}`,
        region: region.location,
        deletionProtection: true,
        rootPassword: spec.adminPassword,
        settings: {
            ...settings,
            availabilityType: "REGIONAL",
            backupConfiguration: {
                enabled: true,
                pointInTimeRecoveryEnabled: true,
                startTime: "03:00",
                transactionLogRetentionDays: Math.min(spec.backupDays, 7),
                backupRetentionSettings: { retainedBackups: spec.backupDays, retentionUnit: "COUNT" },
            },
        },
    }, { parent, dependsOn: shared.sqlPeering ? [shared.sqlPeering] : [] });
    return {
        id: instance.name,
        metricsId: pulumi.interpolate`${instance.project}:${instance.name}`,
        host: instance.privateIpAddress,
        adminUser: "postgres",
        // Cloud SQL's server certificates do not name the private address: verify the CA, not the name.
        tls: instance.serverCaCerts.apply((certs) => ({ sslMode: "verify-ca" as const, caPem: certs[0]?.cert ?? "" })),
    };
}

/**
 * A Cloud Monitoring dashboard for the region (health, replication lag, database connections,
 * load) and two alert policies: the region unhealthy or silent, and (replica regions) the lag
 * above the readiness limit or not reported; mailed when an address is configured.
 */
function monitoring(name: string, region: PlannedRegion, spec: MonitoringSpec, parent: pulumi.Resource): void {
    const opts = { parent };
    const custom = (metric: string) => `metric.type="${GCP_METRIC_PREFIX}/${metric}" AND resource.type="gce_instance" AND metric.label.region="${region.name}"`;
    const channel = spec.alertEmail ? new gcp.monitoring.NotificationChannel(`${name}-alerts-email`, {
        displayName: `Olympus ${region.name} alerts`, type: "email", labels: { email_address: spec.alertEmail },
    }, opts) : undefined;
    const alert = (suffix: string, displayName: string, metric: string, comparison: string, threshold: number, aligner: string, doc: string) =>
        new gcp.monitoring.AlertPolicy(`${name}-${suffix}`, {
            displayName,
            combiner: "OR",
            conditions: [
                {
                    displayName: `${displayName} (for 3 minutes)`,
                    conditionThreshold: {
                        filter: custom(metric), comparison, thresholdValue: threshold, duration: "180s",
                        aggregations: [{ alignmentPeriod: "60s", perSeriesAligner: aligner }],
                    },
                },
                {
                    displayName: `${region.name} stopped reporting ${metric}`,
                    conditionAbsent: { filter: custom(metric), duration: "300s", aggregations: [{ alignmentPeriod: "60s", perSeriesAligner: aligner }] },
                },
            ],
            documentation: { content: doc, mimeType: "text/markdown" },
            notificationChannels: channel ? [channel.id] : [],
            userLabels: { "olympus-region": region.name },
        }, opts);
    alert("unhealthy", `Olympus ${region.name} unhealthy`, METRICS.ready.gcp, "COMPARISON_LT", 1, "ALIGN_MIN",
        `Olympus region ${region.name} is not ready (its /healthz answers 503), or its server stopped reporting.`);
    if (spec.replica) {
        alert("replication-lag", `Olympus ${region.name} replication lag`, METRICS.lag.gcp, "COMPARISON_GT", spec.maxLagSeconds, "ALIGN_MAX",
            `Olympus region ${region.name}'s replica is more than ${spec.maxLagSeconds} s behind the primary, or not streaming.`);
    }
    const chart = (title: string, series: { filter: string; aligner: string; label: string }[], threshold?: number) => ({
        title,
        xyChart: {
            dataSets: series.map((x) => ({
                plotType: "LINE", legendTemplate: x.label,
                timeSeriesQuery: { timeSeriesFilter: { filter: x.filter, aggregation: { alignmentPeriod: "60s", perSeriesAligner: x.aligner } } },
            })),
            ...(threshold !== undefined ? { thresholds: [{ value: threshold, label: "readiness limit" }] } : {}),
        },
    });
    const instanceName = (id: string) => id.split("/").pop() ?? id;
    new gcp.monitoring.Dashboard(`${name}-dashboard`, {
        dashboardJson: pulumi.all([spec.appServer, spec.databaseServer ?? pulumi.output(undefined), spec.managedDatabase ?? pulumi.output(undefined)])
            .apply(([app, db, managed]) => JSON.stringify({
                displayName: `Olympus ${pulumi.getStack()}: ${region.name}`,
                mosaicLayout: {
                    columns: 12,
                    tiles: [
                        chart(`${region.name}: ready (1) or not (0), as /healthz answers`, [{ filter: custom(METRICS.ready.gcp), aligner: "ALIGN_MIN", label: "ready" }]),
                        chart(`${region.name}: replication lag (s)`, [
                            { filter: custom(METRICS.lag.gcp), aligner: "ALIGN_MAX", label: "lag" },
                            ...(managed && spec.replica ? [{ filter: `metric.type="cloudsql.googleapis.com/database/replication/replica_lag" AND resource.label.database_id="${managed}"`, aligner: "ALIGN_MAX", label: "Cloud SQL replica lag" }] : []),
                        ], spec.maxLagSeconds),
                        chart(`${region.name}: database connections`, [
                            { filter: custom(METRICS.connections.gcp), aligner: "ALIGN_MAX", label: "connections" },
                            ...(managed ? [{ filter: `metric.type="cloudsql.googleapis.com/database/postgresql/num_backends" AND resource.label.database_id="${managed}"`, aligner: "ALIGN_MAX", label: "Cloud SQL backends" }] : []),
                        ]),
                        chart(`${region.name}: load (CPU utilisation)`, [
                            { filter: `metric.type="compute.googleapis.com/instance/cpu/utilization" AND metric.label.instance_name="${instanceName(app)}"`, aligner: "ALIGN_MEAN", label: "app server" },
                            ...(db ? [{ filter: `metric.type="compute.googleapis.com/instance/cpu/utilization" AND metric.label.instance_name="${instanceName(db)}"`, aligner: "ALIGN_MEAN", label: "database server" }] : []),
                            ...(managed ? [{ filter: `metric.type="cloudsql.googleapis.com/database/cpu/utilization" AND resource.label.database_id="${managed}"`, aligner: "ALIGN_MEAN", label: "Cloud SQL" }] : []),
                        ]),
                    ].map((widget, i) => ({ xPos: (i % 2) * 6, yPos: Math.floor(i / 2) * 4, width: 6, height: 4, widget })),
                },
            })),
    }, opts);
}

function admitDatabasePeers(name: string, region: PlannedRegion, net: RegionNetwork, _fw: Firewalls,
    peers: readonly { readonly label: string; readonly address: pulumi.Output<string> }[], parent: pulumi.Resource): void {
    if (peers.length === 0) return;
    new gcp.compute.Firewall(`${name}-db-from-peers`, {
        network: net.networkId,
        direction: "INGRESS",
        description: `PostgreSQL from ${peers.map((p) => p.label).join(", ")}`,
        allows: [{ protocol: "tcp", ports: [String(POSTGRES_PORT)] }],
        sourceRanges: pulumi.all(peers.map((p) => p.address)).apply((ips) => ips.map((ip) => `${ip}/32`)),
        targetTags: [tag(region, "database")],
    }, { parent });
}

function reachDatabasePeers(name: string, region: PlannedRegion, net: RegionNetwork, _fw: Firewalls,
    peers: readonly { readonly label: string; readonly address: pulumi.Input<string> }[], parent: pulumi.Resource): void {
    if (peers.length === 0) return;
    new gcp.compute.Firewall(`${name}-egress-db-peers`, {
        network: net.networkId,
        direction: "EGRESS",
        priority: 1000,
        description: `PostgreSQL to ${peers.map((p) => p.label).join(", ")}`,
        allows: [{ protocol: "tcp", ports: [String(POSTGRES_PORT)] }],
        destinationRanges: pulumi.all(peers.map((p) => p.address)),
        targetTags: [tag(region, "app"), tag(region, "database")],
    }, { parent });
}

export const gcpPlatform: Platform = {
    network, publicAddress, secret, secretValue, serverIdentity, firewalls, server, managedDatabase, monitoring, admitDatabasePeers, reachDatabasePeers,
};
