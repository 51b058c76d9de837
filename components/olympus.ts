// The whole deployment: one provider per cloud location, the one master key, then one Region per
// planned region. Database and edge join here as those capabilities land.

import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Cloud } from "../topology/catalog";
import { MasterKeyConfig } from "../topology/config";
import { Plan } from "../topology/plan";
import { MasterKey } from "./masterKey";
import { cloudProviders, providerKey } from "./providers";
import { Region } from "./region";

export interface OlympusArgs {
    /** The topology plan (`planTopology`). Plain data: the policy pack reads it from this component's inputs. */
    readonly plan: Plan;
    /** Where the one master key comes from and lives. */
    readonly masterKey: MasterKeyConfig;
    /** The GCP project for every GCP region (and a GCP key store). Required when one is used. */
    readonly gcpProject?: string;
}

export class Olympus extends pulumi.ComponentResource {
    readonly topology: Plan["topology"];
    /** The writer region in single-primary; null in per-region. */
    readonly primaryRegion: string | null;
    readonly masterKey: MasterKey;
    readonly regions: Readonly<Record<string, Region>>;

    constructor(name: string, args: OlympusArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Olympus", name, args, opts);
        const { plan } = args;
        const providers = cloudProviders([...plan.regions, args.masterKey], {
            gcpProject: args.gcpProject,
            labels: { "olympus-stack": pulumi.getStack(), "olympus-project": pulumi.getProject() },
        }, this);
        const provider = (p: { cloud: Cloud; location: string }) => providers.get(providerKey(p.cloud, p.location))!;

        // Providers that are not tied to a location exist once, like the per-location ones.
        const randomProvider = new random.Provider("random", {}, { parent: this });

        this.masterKey = new MasterKey("master-key", {
            config: args.masterKey,
            awsRegionLocations: plan.regions.filter((r) => r.cloud === "aws").map((r) => r.location),
        }, { parent: this, providers: [provider(args.masterKey), randomProvider] });

        const regions: Record<string, Region> = {};
        for (const region of plan.regions) {
            regions[region.name] = new Region(region.name, { region, topology: plan.topology, masterKey: this.masterKey }, {
                parent: this,
                providers: [provider(region)],
            });
        }
        this.topology = plan.topology;
        this.primaryRegion = plan.primary;
        this.regions = regions;
        this.registerOutputs({ topology: this.topology, primaryRegion: this.primaryRegion, masterKey: this.masterKey, regions });
    }
}
