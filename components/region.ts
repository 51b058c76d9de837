// One region of the plan, the same from outside on AWS and on GCP: its network now, and its
// servers, database node and runtime as those capabilities land.

import * as pulumi from "@pulumi/pulumi";
import { Topology } from "../topology/config";
import { PlannedRegion } from "../topology/plan";
import { MasterKey } from "./masterKey";
import { awsPlatform } from "./platform/aws";
import { gcpPlatform } from "./platform/gcp";
import { Platform } from "./platform/types";

export interface RegionArgs {
    /** This region's slice of the plan (role, upstream, endpoints, peers). Plain data: policies read it. */
    readonly region: PlannedRegion;
    /** The deployment's topology, so a policy can judge this region without the rest of the stack. */
    readonly topology: Topology;
    /** The one master key: the region copies its key list (or reads its native replica), never makes one. */
    readonly masterKey: MasterKey;
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
    /** This region's copy of the master key list: an ARN (AWS) or a secret resource name (GCP). */
    readonly masterKeySecret: pulumi.Output<string>;
    /** What this region's servers run as: an IAM role ARN (AWS) or a service account email (GCP). */
    readonly serverIdentity: pulumi.Output<string>;

    constructor(name: string, args: RegionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Region", name, args, opts);
        const { region, masterKey } = args;
        const platform = PLATFORMS[region.cloud];
        const network = platform.network(name, region, this);
        // An AWS region reads the native replica of a generated AWS source; every other region gets a copy.
        const replica = region.cloud === "aws" ? masterKey.replicaArn(region.location) : undefined;
        this.masterKeySecret = replica ?? platform.masterKeyCopy(name, region, masterKey.keyset, this);
        this.serverIdentity = platform.serverIdentity(name, region, { "master-key": this.masterKeySecret }, this);

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
            masterKeySecret: this.masterKeySecret,
            serverIdentity: this.serverIdentity,
        });
    }
}
