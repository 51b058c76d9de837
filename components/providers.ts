// One provider per cloud location, created once at the top and handed to every Region in that
// location (STYLE.md rule 6). Stacks also set `pulumi:disable-default-providers: ["*"]`, so a
// resource that forgets its provider fails instead of landing in some default region.

import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Cloud } from "../topology/catalog";

export interface CloudProviderSettings {
    /** The GCP project every GCP region deploys into; required when the plan has a GCP region. */
    readonly gcpProject?: string;
    /** Tags (AWS) and labels (GCP) put on every resource. */
    readonly labels: Readonly<Record<string, string>>;
}

/** A label value GCP accepts: lower-case letters, digits, '_' and '-', at most 63 characters. */
function gcpLabel(value: string): string {
    return value.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}

export function providerKey(cloud: Cloud, location: string): string {
    return `${cloud}-${location}`;
}

/** Providers keyed by `providerKey(cloud, location)`, one per distinct location, children of `parent`. */
export function cloudProviders(locations: readonly { cloud: Cloud; location: string }[], settings: CloudProviderSettings,
    parent: pulumi.Resource): Map<string, pulumi.ProviderResource> {
    const providers = new Map<string, pulumi.ProviderResource>();
    for (const { cloud, location } of locations) {
        const key = providerKey(cloud, location);
        if (providers.has(key)) continue;
        if (cloud === "aws") {
            providers.set(key, new aws.Provider(key, {
                region: location as aws.Region,
                defaultTags: { tags: { ...settings.labels } },
            }, { parent }));
        } else {
            if (!settings.gcpProject) throw new Error(`a GCP location (${location}) is used but no GCP project was given`);
            providers.set(key, new gcp.Provider(key, {
                project: settings.gcpProject,
                region: location,
                defaultLabels: Object.fromEntries(Object.entries(settings.labels).map(([k, v]) => [gcpLabel(k), gcpLabel(v)])),
            }, { parent }));
        }
    }
    return providers;
}
