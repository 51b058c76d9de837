// The GCP side of a region, the same interface as aws.ts. Every resource is a child of the Region
// and uses the Region's GCP provider (which carries the project and the region).

import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { PlannedRegion } from "../../topology/plan";
import { MASTER_KEY_TAG } from "../masterKey";
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

function masterKeyCopy(name: string, region: PlannedRegion, keyset: pulumi.Output<string>, parent: pulumi.Resource): pulumi.Output<string> {
    const opts = { parent };
    const secret = new gcp.secretmanager.Secret(`${name}-master-key`, {
        // User-managed replication in this region's own location only: the copy lives where it is read.
        replication: { userManaged: { replicas: [{ location: region.location }] } },
        labels: { ...MASTER_KEY_TAG, "olympus-role": "copy", "olympus-region": region.name },
    }, opts);
    new gcp.secretmanager.SecretVersion(`${name}-master-key`, { secret: secret.id, secretData: keyset }, opts);
    return secret.name;
}

/** A service account id GCP accepts (6-30 characters), unique per stack: region name plus a stack hash. */
function accountId(regionName: string): string {
    let h = 0x811c9dc5;
    for (const ch of `${pulumi.getProject()}/${pulumi.getStack()}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return `${regionName}-${h.toString(16).padStart(8, "0").slice(0, 7)}`;
}

function serverIdentity(name: string, region: PlannedRegion, secrets: Readonly<Record<string, pulumi.Output<string>>>, parent: pulumi.Resource): pulumi.Output<string> {
    const opts = { parent };
    const account = new gcp.serviceaccount.Account(`${name}-servers`, {
        accountId: accountId(region.name),
        displayName: `Olympus servers of region ${region.name}`,
    }, opts);
    // Read access on each secret, not on the project: the servers can read this region's copy only.
    for (const [purpose, secret] of Object.entries(secrets)) {
        new gcp.secretmanager.SecretIamMember(`${name}-read-${purpose}`, {
            secretId: secret,
            role: "roles/secretmanager.secretAccessor",
            member: account.member,
        }, opts);
    }
    return account.email;
}

export const gcpPlatform: Platform = { network, masterKeyCopy, serverIdentity };
