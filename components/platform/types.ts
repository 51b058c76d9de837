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
}
