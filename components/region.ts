// One region of the plan, the same from outside on AWS and on GCP: its network now, and its
// servers, database node and runtime as those capabilities land.

import * as pulumi from "@pulumi/pulumi";
import { Topology } from "../topology/config";
import { PlannedRegion } from "../topology/plan";
import { awsPlatform } from "./platform/aws";
import { gcpPlatform } from "./platform/gcp";
import { Platform } from "./platform/types";

export interface RegionArgs {
    /** This region's slice of the plan (role, upstream, endpoints, peers). Plain data: policies read it. */
    readonly region: PlannedRegion;
    /** The deployment's topology, so a policy can judge this region without the rest of the stack. */
    readonly topology: Topology;
}

const PLATFORMS: Readonly<Record<PlannedRegion["cloud"], Platform>> = { aws: awsPlatform, gcp: gcpPlatform };

/** Give it the region's cloud provider through `opts.providers`; it never builds one itself. */
export class Region extends pulumi.ComponentResource {
    readonly networkId: pulumi.Output<string>;
    readonly appSubnetIds: pulumi.Output<string[]>;
    readonly dataSubnetIds: pulumi.Output<string[]>;

    constructor(name: string, args: RegionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Region", name, args, opts);
        const network = PLATFORMS[args.region.cloud].network(name, args.region, this);

        this.networkId = network.networkId;
        this.appSubnetIds = pulumi.all(network.appSubnetIds);
        this.dataSubnetIds = pulumi.all(network.dataSubnetIds);
        this.registerOutputs({
            networkId: this.networkId,
            appSubnetIds: this.appSubnetIds,
            dataSubnetIds: this.dataSubnetIds,
        });
    }
}
