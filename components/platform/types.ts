// The one interface both clouds implement, so a Region looks the same from outside whichever
// cloud it runs on. Each function declares its resources as children of the parent it is given,
// which carries the region's provider.

import * as pulumi from "@pulumi/pulumi";
import { ServerSize } from "../../topology/config";
import { PlannedRegion } from "../../topology/plan";

/** The region's private network. */
export interface RegionNetwork {
    /** The VPC id (AWS) or network self-link (GCP). */
    readonly networkId: pulumi.Output<string>;
    /** Subnets for the app and self-managed database servers, one per zone (GCP: one regional subnet). */
    readonly appSubnetIds: pulumi.Output<string>[];
    /** Private subnets for managed databases, one per zone (GCP: none; Cloud SQL peers with the network). */
    readonly dataSubnetIds: pulumi.Output<string>[];
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
    readonly gcp?: { readonly id: pulumi.Output<string>; readonly selfLink: pulumi.Output<string> };
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
    /** PostgreSQL from each of these addresses (another region's app or database server) to this region's database. */
    admitDatabasePeers(name: string, region: PlannedRegion, network: RegionNetwork, firewalls: Firewalls,
        peers: readonly { readonly label: string; readonly address: pulumi.Output<string> }[], parent: pulumi.Resource): void;
}
