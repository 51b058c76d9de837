// The GCP side of a region, the same interface as aws.ts. Every resource is a child of the Region
// and uses the Region's GCP provider (which carries the project and the region).

import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PlannedRegion } from "../../topology/plan";
import { Platform, RegionNetwork } from "./types";

function network(name: string, region: PlannedRegion, parent: pulumi.Resource): RegionNetwork {
    const opts = { parent };
    const net = new gcp.compute.Network(`${name}-network`, {
        description: `Olympus region ${region.name}`,
        autoCreateSubnetworks: false,
        routingMode: "REGIONAL",
    }, opts);
    // GCP subnets are regional (they span every zone), so one subnet holds the app and database servers.
    const subnet = new gcp.compute.Subnetwork(`${name}-subnet`, {
        network: net.id,
        region: region.location,
        ipCidrRange: region.subnets.app[0],
        privateIpGoogleAccess: true,
        logConfig: { aggregationInterval: "INTERVAL_5_MIN", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    }, opts);
    return { networkId: net.selfLink, appSubnetIds: [subnet.selfLink], dataSubnetIds: [] };
}

export const gcpPlatform: Platform = { network };
