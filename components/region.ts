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

/**
 * Give it the region's cloud provider through `opts.providers`; it never builds one itself.
 * Its outputs repeat who it is (role, upstream, jurisdiction): the policy pack's stack policies
 * see component outputs, not inputs.
 */
export class Region extends pulumi.ComponentResource {
    readonly regionName: string;
    readonly cloud: PlannedRegion["cloud"];
    readonly location: string;
    readonly jurisdiction: string;
    readonly role: PlannedRegion["role"];
    readonly upstream: string | null;
    readonly topology: Topology;
    readonly networkId: pulumi.Output<string>;
    readonly appSubnetIds: pulumi.Output<string[]>;
    readonly dataSubnetIds: pulumi.Output<string[]>;

    constructor(name: string, args: RegionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Region", name, args, opts);
        const { region } = args;
        const network = PLATFORMS[region.cloud].network(name, region, this);

        this.regionName = region.name;
        this.cloud = region.cloud;
        this.location = region.location;
        this.jurisdiction = region.jurisdiction;
        this.role = region.role;
        this.upstream = region.upstream;
        this.topology = args.topology;
        this.networkId = network.networkId;
        this.appSubnetIds = pulumi.all(network.appSubnetIds);
        this.dataSubnetIds = pulumi.all(network.dataSubnetIds);
        this.registerOutputs({
            regionName: this.regionName,
            cloud: this.cloud,
            location: this.location,
            jurisdiction: this.jurisdiction,
            role: this.role,
            upstream: this.upstream,
            topology: this.topology,
            networkId: this.networkId,
            appSubnetIds: this.appSubnetIds,
            dataSubnetIds: this.dataSubnetIds,
        });
    }
}
