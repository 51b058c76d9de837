// The Pulumi program: config -> plan -> components -> stack outputs. Everything it decides is in
// topology/ (pure, tested); everything it declares is in components/.

import * as pulumi from "@pulumi/pulumi";
import { Olympus, olympusArgs } from "./components/olympus";
import { ConfigError, OlympusConfig, loadConfig } from "./topology/config";
import { planTopology } from "./topology/plan";

function stackConfig(): OlympusConfig {
    try {
        return loadConfig(pulumi.runtime.allConfig());
    } catch (err) {
        // A RunError reaches the person running `pulumi up` as its message alone, without a stack trace.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

export = async () => {
    const config = stackConfig();
    const plan = planTopology(config);
    const olympus = new Olympus("olympus", {
        ...olympusArgs(config, plan),
        cloudflareApiToken: new pulumi.Config("cloudflare").getSecret("apiToken"),
    });

    return {
        topology: plan.topology,
        primaryRegion: plan.primary,
        steering: plan.steering,
        failoverDetectionSeconds: plan.failover.detectionSeconds,
        regions: Object.fromEntries(plan.regions.map((r) => [r.name, {
            cloud: r.cloud,
            location: r.location,
            role: r.role,
            upstream: r.upstream,
            writeRegion: r.writeEndpoint.region,
            readRegion: r.readEndpoint.region,
            originAddress: olympus.regions[r.name].originAddress,
            healthUrl: olympus.regions[r.name].healthUrl,
            writeEndpoint: olympus.regions[r.name].writeEndpoint,
            readEndpoint: olympus.regions[r.name].readEndpoint,
            networkId: olympus.regions[r.name].networkId,
            masterKeySecret: olympus.regions[r.name].masterKeySecret,
            serverIdentity: olympus.regions[r.name].serverIdentity,
        }])),
        edge: {
            loadBalancer: plan.domain,
            loadBalancerId: olympus.edge.loadBalancerId,
            poolIds: olympus.edge.poolIds,
            fallback: olympus.edge.maintenanceHost,
            pinOrder: plan.pinOrder,
        },
        masterKey: {
            source: olympus.masterKey.source,
            store: olympus.masterKey.store,
            location: olympus.masterKey.location,
            generations: olympus.masterKey.generations,
            sourceSecret: olympus.masterKey.sourceSecret,
        },
    };
};
