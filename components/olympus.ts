// The whole deployment: one provider per cloud location, then one Region per planned region.
// Master key, database and edge join here as those capabilities land.

import * as pulumi from "@pulumi/pulumi";
import { Plan } from "../topology/plan";
import { cloudProviders, providerKey } from "./providers";
import { Region } from "./region";

export interface OlympusArgs {
    /** The topology plan (`planTopology`). Plain data: the policy pack reads it from this component's inputs. */
    readonly plan: Plan;
    /** The GCP project for every GCP region. Required when the plan has a GCP region. */
    readonly gcpProject?: string;
}

export class Olympus extends pulumi.ComponentResource {
    readonly topology: Plan["topology"];
    /** The writer region in single-primary; null in per-region. */
    readonly primaryRegion: string | null;
    readonly regions: Readonly<Record<string, Region>>;

    constructor(name: string, args: OlympusArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Olympus", name, args, opts);
        const { plan } = args;
        const providers = cloudProviders(plan, {
            gcpProject: args.gcpProject,
            labels: { "olympus-stack": pulumi.getStack(), "olympus-project": pulumi.getProject() },
        }, this);

        const regions: Record<string, Region> = {};
        for (const region of plan.regions) {
            regions[region.name] = new Region(region.name, { region, topology: plan.topology }, {
                parent: this,
                providers: [providers.get(providerKey(region.cloud, region.location))!],
            });
        }
        this.topology = plan.topology;
        this.primaryRegion = plan.primary;
        this.regions = regions;
        this.registerOutputs({ topology: this.topology, primaryRegion: this.primaryRegion, regions });
    }
}
