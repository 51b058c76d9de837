// The GCP side of a region, the same interface as aws.ts. Every resource is a child of the Region
// (or a component under it) and uses the region's GCP provider (which carries project and region).

import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { POSTGRES_PORT, PlannedRegion } from "../../topology/plan";
import { DATA_DEVICE_NAME } from "../runtime/databaseServer";
import {
    Firewalls, ManagedDatabase, ManagedDatabaseSpec, Platform, PublicAddress, RegionNetwork, ServerIdentity, ServerRole, ServerSpec, SharedNetworks,
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
    const instance = new gcp.compute.Instance(`${name}-${spec.role}`, {
        zone,
        machineType: spec.size.gcp,
        bootDisk: { initializeParams: { image: "ubuntu-os-cloud/ubuntu-2404-lts-amd64", size: spec.size.diskGb, type: "pd-balanced" } },
        attachedDisks: data ? [{ source: data.id, deviceName: DATA_DEVICE_NAME }] : [],
        networkInterfaces: [{
            subnetwork: spec.network.appSubnetIds[0],
            networkIp: spec.privateIp,
            accessConfigs: [{ natIp: spec.address.handle, networkTier: "PREMIUM" }],
        }],
        serviceAccount: { email: spec.identity.id, scopes: ["cloud-platform"] },
        metadata: {
            "user-data": spec.userData,
            "enable-oslogin": "TRUE",
            "block-project-ssh-keys": "true",
            ...spec.runtimeLabels,
        },
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        tags: [tag(region, spec.role)],
        labels: { "olympus-region": region.name, "olympus-role": spec.role },
        allowStoppingForUpdate: true,
    }, spec.role === "database" ? { ...opts, ignoreChanges: ["metadata[\"user-data\"]"] } : { ...opts, replaceOnChanges: ["metadata"] });
    return instance.id;
}

/**
 * Private services access: Cloud SQL instances get private addresses on the shared network, which
 * every GCP region's servers reach. Made once per stack.
 */
export function sqlPeering(shared: NonNullable<SharedNetworks["gcp"]>, parent: pulumi.Resource, provider: pulumi.ProviderResource): pulumi.Resource {
    const range = new gcp.compute.GlobalAddress("gcp-sql-range", {
        purpose: "VPC_PEERING",
        addressType: "INTERNAL",
        prefixLength: 20,
        network: shared.id,
        description: "Olympus: addresses for Cloud SQL's private IPs",
    }, { parent, provider });
    return new gcp.servicenetworking.Connection("gcp-sql-peering", {
        network: shared.id,
        service: "servicenetworking.googleapis.com",
        reservedPeeringRanges: [range.name],
    }, { parent, provider });
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
        host: instance.privateIpAddress,
        adminUser: "postgres",
        // Cloud SQL's server certificates do not name the private address: verify the CA, not the name.
        tls: instance.serverCaCerts.apply((certs) => ({ sslMode: "verify-ca" as const, caPem: certs[0]?.cert ?? "" })),
    };
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

export const gcpPlatform: Platform = { network, publicAddress, secret, secretValue, serverIdentity, firewalls, server, managedDatabase, admitDatabasePeers };
