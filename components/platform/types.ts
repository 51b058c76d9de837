// The one interface both clouds implement, so a Region looks the same from outside whichever
// cloud it runs on. Each function declares its resources as children of the Region it is given.

import * as pulumi from "@pulumi/pulumi";
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

export interface Platform {
    network(name: string, region: PlannedRegion, parent: pulumi.Resource): RegionNetwork;
    /**
     * This region's copy of the master key list, in this region's secret store, from the one
     * source value. Returns the copy's ARN (AWS) or resource name (GCP).
     */
    masterKeyCopy(name: string, region: PlannedRegion, keyset: pulumi.Output<string>, parent: pulumi.Resource): pulumi.Output<string>;
    /**
     * The identity this region's servers run as: allowed to read these secrets (by purpose, e.g.
     * `master-key`), read-only, and nothing else of the store. Returns the role ARN (AWS) or the
     * service account email (GCP).
     */
    serverIdentity(name: string, region: PlannedRegion, secrets: Readonly<Record<string, pulumi.Output<string>>>, parent: pulumi.Resource): pulumi.Output<string>;
}
