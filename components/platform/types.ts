// The one interface both clouds implement, so a Region looks the same from outside whichever
// cloud it runs on. Each function declares its resources as children of the parent it is given,
// which carries the region's provider.

import * as pulumi from "@pulumi/pulumi";
import { ServerSize } from "../../topology/config";
import { PlannedRegion } from "../../topology/plan";
import { DatabaseTls } from "../runtime/appServer";

/** The region's private network. */
export interface RegionNetwork {
    /** The VPC id (AWS) or network self-link (GCP). */
    readonly networkId: pulumi.Output<string>;
    /** Subnets for the app and self-managed database servers, one per zone (GCP: one regional subnet). */
    readonly appSubnetIds: pulumi.Output<string>[];
    /** Private subnets for managed databases, one per zone (GCP: none; Cloud SQL peers with the network). */
    readonly dataSubnetIds: pulumi.Output<string>[];
    /** AWS: the route tables of the app and data subnets (routes to peered VPCs go in both). */
    readonly routeTableIds?: pulumi.Output<string>[];
}

/** A peering a replica region asked the primary region's VPC for. */
export interface PeeringRequest {
    readonly id: pulumi.Output<string>;
    /** The requesting region's name, and its app subnets (its app server writes from there). */
    readonly region: string;
    readonly vpcCidr: string;
    readonly appCidrs: readonly string[];
}

/** One end of a VPC peering between two AWS regions. */
export interface PeerNetwork {
    readonly networkId: pulumi.Output<string>;
    readonly location: string;
    readonly cidr: string;
}

/** A static public address: an Elastic IP (AWS) or a reserved external address (GCP). */
export interface PublicAddress {
    readonly ip: pulumi.Output<string>;
    /** What the server attaches: the EIP allocation id (AWS) or the address itself (GCP). */
    readonly handle: pulumi.Output<string>;
}

/** What a region's servers run as. */
export interface ServerIdentity {
    /** The IAM role ARN (AWS) or service account email (GCP). */
    readonly id: pulumi.Output<string>;
    /** The instance profile (AWS only). */
    readonly profile?: pulumi.Output<string>;
}

/** The firewall groups of a region: security group ids (AWS) or network tags (GCP). */
export interface Firewalls {
    readonly app: pulumi.Output<string>;
    readonly database: pulumi.Output<string>;
}

export type ServerRole = "app" | "database";

export interface ServerSpec {
    readonly role: ServerRole;
    readonly size: ServerSize;
    /** A separate data disk, GB (the database server). */
    readonly dataDiskGb?: number;
    /** Daily snapshots of the data disk, kept this many days. */
    readonly backupDays?: number;
    readonly userData: pulumi.Output<string>;
    readonly identity: ServerIdentity;
    readonly network: RegionNetwork;
    readonly firewalls: Firewalls;
    readonly address: PublicAddress;
    readonly privateIp: string;
    /**
     * Instance tags (AWS) or metadata (GCP) the server reads while it runs: changing one is an
     * in-place update, not a replacement (the database node's desired role).
     */
    readonly runtimeLabels?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** Networks shared by regions of one cloud: GCP regions share one global VPC network (subnets are regional). */
export interface SharedNetworks {
    readonly gcp?: {
        readonly id: pulumi.Output<string>;
        readonly selfLink: pulumi.Output<string>;
        /** Private services access for Cloud SQL (managed databases only): instances wait for it. */
        readonly sqlPeering?: pulumi.Resource;
        /** The range Cloud SQL's private addresses come from (CIDR), which the servers may reach on PostgreSQL's port. */
        readonly sqlRange?: pulumi.Output<string>;
    };
}

/** A managed PostgreSQL instance (RDS or Cloud SQL). */
export interface ManagedDatabaseSpec {
    readonly version: string;
    /** RDS instance class, or Cloud SQL tier. */
    readonly size: string;
    readonly storageGb: number;
    readonly backupDays: number;
    readonly network: RegionNetwork;
    readonly firewalls: Firewalls;
    readonly shared: SharedNetworks;
    /** The admin password (a secret): the primary's app server creates the service roles with it. */
    readonly adminPassword: pulumi.Output<string>;
    /** A replica's source: the primary instance's ARN (RDS) or name (Cloud SQL). */
    readonly source?: pulumi.Output<string>;
}

export interface ManagedDatabase {
    /** The instance's ARN (RDS) or name (Cloud SQL). */
    readonly id: pulumi.Output<string>;
    /** How the cloud's metrics name it: the RDS identifier, or Cloud SQL's `project:instance`. */
    readonly metricsId: pulumi.Output<string>;
    /** Where clients connect (a private address or an endpoint name). */
    readonly host: pulumi.Output<string>;
    readonly adminUser: string;
    /** How clients verify the server, and the CA to verify it with. */
    readonly tls: pulumi.Output<DatabaseTls>;
}

/** A region's dashboard and alerts, in its own cloud. */
export interface MonitoringSpec {
    /** The app server (the id `server` returned). */
    readonly appServer: pulumi.Output<string>;
    /** The self-managed database server, if any. */
    readonly databaseServer?: pulumi.Output<string>;
    /** The managed database: RDS identifier, or Cloud SQL `project:instance`. */
    readonly managedDatabase?: pulumi.Output<string>;
    /** A replica region: its lag is charted and alerted on. */
    readonly replica: boolean;
    readonly maxLagSeconds: number;
    /** Where alerts are mailed; without it they are only visible in the console. */
    readonly alertEmail?: string;
}

export interface Platform {
    network(name: string, region: PlannedRegion, shared: SharedNetworks, parent: pulumi.Resource): RegionNetwork;
    publicAddress(name: string, region: PlannedRegion, role: ServerRole, parent: pulumi.Resource): PublicAddress;
    /**
     * A secret in this region's store, marked with `marks` (tags or labels), kept in this region's
     * location only. Returns its ARN (AWS) or resource name (GCP).
     */
    secret(name: string, region: PlannedRegion, purpose: string, marks: Readonly<Record<string, string>>, parent: pulumi.Resource): pulumi.Output<string>;
    /** Store `value` as the current version of a secret made by `secret`. */
    secretValue(name: string, purpose: string, secret: pulumi.Output<string>, value: pulumi.Output<string>, parent: pulumi.Resource): void;
    /** An identity for one server role, allowed to read these secrets (by purpose), read-only, and nothing else of the store. */
    serverIdentity(name: string, region: PlannedRegion, role: ServerRole, secrets: Readonly<Record<string, pulumi.Output<string>>>,
        parent: pulumi.Resource): ServerIdentity;
    /**
     * HTTPS to the app server from Cloudflare's ranges only; PostgreSQL to the database server from
     * the region's own app server only (remote peers come with `admitDatabasePeers`); no SSH.
     */
    firewalls(name: string, region: PlannedRegion, network: RegionNetwork, cloudflareIpv4: pulumi.Output<string[]>, parent: pulumi.Resource): Firewalls;
    server(name: string, region: PlannedRegion, spec: ServerSpec, parent: pulumi.Resource): pulumi.Output<string>;
    /** A managed PostgreSQL primary (no `source`) or cross-region read replica of `source`. */
    managedDatabase(name: string, region: PlannedRegion, spec: ManagedDatabaseSpec, parent: pulumi.Resource): ManagedDatabase;
    /**
     * AWS, managed databases: ask `peer`'s VPC for a peering, from a replica region whose app server
     * writes to the primary's private endpoint. Returns the peering connection's id.
     */
    requestPeering?(name: string, region: PlannedRegion, network: RegionNetwork, peer: PeerNetwork, parent: pulumi.Resource): pulumi.Output<string>;
    /**
     * AWS: accept a peering `requestPeering` asked for, route the requester's CIDR back through it
     * and admit PostgreSQL from the requester's app subnets. Returns the peering's id once accepted.
     */
    acceptPeering?(name: string, region: PlannedRegion, network: RegionNetwork, firewalls: Firewalls,
        request: PeeringRequest, parent: pulumi.Resource): pulumi.Output<string>;
    /** AWS: route `cidr` through an accepted peering, from every route table of the region. */
    routeThroughPeering?(name: string, region: PlannedRegion, network: RegionNetwork, peer: { readonly label: string; readonly cidr: string },
        peeringId: pulumi.Output<string>, parent: pulumi.Resource): void;
    /** The region's dashboard (health, load, database connections, replication lag) and alerts (unhealthy, lag). */
    monitoring(name: string, region: PlannedRegion, spec: MonitoringSpec, parent: pulumi.Resource): void;
    /**
     * PostgreSQL out of this region's servers to these destinations (CIDRs: another region's database
     * server as /32, a managed primary's network): egress is closed but for the web and the region.
     */
    reachDatabasePeers(name: string, region: PlannedRegion, network: RegionNetwork, firewalls: Firewalls,
        peers: readonly { readonly label: string; readonly address: pulumi.Input<string> }[], parent: pulumi.Resource): void;
    /** PostgreSQL from each of these addresses (another region's app or database server) to this region's database. */
    admitDatabasePeers(name: string, region: PlannedRegion, network: RegionNetwork, firewalls: Firewalls,
        peers: readonly { readonly label: string; readonly address: pulumi.Output<string> }[], parent: pulumi.Resource): void;
}
