// The whole deployment: one provider per cloud location (and one each for random, tls and
// Cloudflare), the one master key, the shared credentials, the database CA and the origin
// certificates, then one Region per planned region, the primary first, each region connected to
// its peers, and finally the edge: the Cloudflare load balancer in front of them all.

import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { Cloud } from "../topology/catalog";
import { EdgeConfig, MasterKeyConfig, OlympusConfig } from "../topology/config";
import { Plan } from "../topology/plan";
import { Credentials } from "./credentials";
import { DatabaseCa } from "./database/tls";
import { Edge, OriginTls } from "./edge";
import { MasterKey } from "./masterKey";
import { sharedNetwork, sqlPeering } from "./platform/gcp";
import { SharedNetworks } from "./platform/types";
import { cloudProviders, providerKey } from "./providers";
import { PrimaryRef, Region, RegionSettings } from "./region";

export interface OlympusArgs {
    /** The topology plan (`planTopology`). Plain data: the policy pack reads it from this component's inputs. */
    readonly plan: Plan;
    /** Where the one master key comes from and lives. */
    readonly masterKey: MasterKeyConfig;
    /** Cloudflare: account, zone, monitor, affinity, pin, origin pulls, notifications. */
    readonly edge: EdgeConfig;
    /** What every region runs: domain, PostgreSQL version, server sizes, images, readiness. */
    readonly settings: RegionSettings;
    /** Kratos' SMTP URL. Pass it as a secret: it usually holds a password. */
    readonly smtpUrl: pulumi.Input<string>;
    /** The introspection cache's invalidation channel (NATS or Redis URL), a secret; none for the TTL alone. */
    readonly cacheInvalidationUrl?: pulumi.Input<string>;
    /** The GCP project for every GCP region (and a GCP key store). Required when one is used. */
    readonly gcpProject?: string;
    /** The Cloudflare API token; without it the provider reads CLOUDFLARE_API_TOKEN. */
    readonly cloudflareApiToken?: pulumi.Input<string>;
}

/** The Olympus arguments a validated stack config and its plan give. */
export function olympusArgs(config: OlympusConfig, plan: Plan): OlympusArgs {
    return {
        plan,
        masterKey: config.masterKey,
        settings: {
            domain: config.domain,
            databaseMode: config.database.mode,
            rdsInstanceClass: config.database.rdsInstanceClass,
            cloudSqlTier: config.database.cloudSqlTier,
            postgresVersion: config.database.version,
            backupRetentionDays: config.database.backupRetentionDays,
            servers: config.servers,
            images: config.images,
            readiness: config.readiness,
            ...(config.monitoring.alertEmail ? { alertEmail: config.monitoring.alertEmail } : {}),
            cache: {
                introspectionTtlSeconds: config.cache.introspectionTtlSeconds,
                invalidation: !config.cache.invalidationUrl ? null : /^rediss?:/.test(config.cache.invalidationUrl) ? "redis" : "nats",
            },
            edge: { authenticatedOriginPulls: config.edge.authenticatedOriginPulls, pin: config.edge.pin, writesPaused: config.edge.writesPaused },
        },
        edge: config.edge,
        smtpUrl: pulumi.secret(config.smtpUrl),
        ...(config.cache.invalidationUrl ? { cacheInvalidationUrl: pulumi.secret(config.cache.invalidationUrl) } : {}),
        gcpProject: config.gcp?.project,
    };
}

export class Olympus extends pulumi.ComponentResource {
    readonly topology: Plan["topology"];
    /** The writer region in single-primary; null in per-region. */
    readonly primaryRegion: string | null;
    readonly masterKey: MasterKey;
    readonly regions: Readonly<Record<string, Region>>;
    readonly edge: Edge;

    constructor(name: string, args: OlympusArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Olympus", name, { plan: args.plan, masterKey: args.masterKey, settings: args.settings }, opts);
        const { plan } = args;
        const providers = cloudProviders([...plan.regions, args.masterKey], {
            gcpProject: args.gcpProject,
            labels: { "olympus-stack": pulumi.getStack(), "olympus-project": pulumi.getProject() },
        }, this);
        const provider = (p: { cloud: Cloud; location: string }) => providers.get(providerKey(p.cloud, p.location))!;
        // Providers that are not tied to a location exist once, like the per-location ones.
        const randomProvider = new random.Provider("random", {}, { parent: this });
        const tlsProvider = new tls.Provider("tls", {}, { parent: this });
        const cloudflareProvider = new cloudflare.Provider("cloudflare", { apiToken: args.cloudflareApiToken }, { parent: this });

        this.masterKey = new MasterKey("master-key", {
            config: args.masterKey,
            awsRegionLocations: plan.regions.filter((r) => r.cloud === "aws").map((r) => r.location),
        }, { parent: this, providers: [provider(args.masterKey), randomProvider] });
        const credentials = new Credentials("credentials", {
            smtpUrl: pulumi.secret(args.smtpUrl),
            ...(args.cacheInvalidationUrl ? { cacheInvalidationUrl: pulumi.secret(args.cacheInvalidationUrl) } : {}),
        }, { parent: this, providers: [randomProvider] });
        const originTls = new OriginTls("origin-tls", { domain: plan.domain, edge: args.edge }, { parent: this, providers: [tlsProvider, cloudflareProvider] });
        // Self-managed nodes get certificates from the stack's own CA; RDS and Cloud SQL bring their own.
        const databaseCa = args.settings.databaseMode === "self-managed"
            ? new DatabaseCa("database-ca", {}, { parent: this, providers: [tlsProvider] })
            : undefined;
        const cloudflareIpv4 = cloudflare.getIpRangesOutput({}, { provider: cloudflareProvider, parent: this }).ipv4Cidrs;
        const firstGcp = plan.regions.find((r) => r.cloud === "gcp");
        let gcpNetwork = firstGcp ? sharedNetwork("gcp-network", this, provider(firstGcp)) : undefined;
        if (gcpNetwork && args.settings.databaseMode === "managed") {
            // Cloud SQL's private addresses come from a range peered into the shared network, once per stack.
            const peering = sqlPeering(gcpNetwork, this, provider(firstGcp!));
            gcpNetwork = { ...gcpNetwork, sqlPeering: peering.connection, sqlRange: peering.range };
        }
        const sharedNetworks: SharedNetworks = { gcp: gcpNetwork };

        // The primary first: every replica region writes to its database and streams from it.
        const ordered = [...plan.regions].sort((a, b) => Number(b.role === "primary") - Number(a.role === "primary"));
        const regions: Record<string, Region> = {};
        for (const region of ordered) {
            regions[region.name] = new Region(region.name, {
                region,
                topology: plan.topology,
                settings: args.settings,
                masterKey: this.masterKey,
                credentials,
                originTls: originTls.bundle,
                databaseCa,
                primary: region.upstream ? primaryRef(regions[region.upstream]) : undefined,
                cloudflareIpv4,
                sharedNetworks,
            }, { parent: this, providers: [provider(region), tlsProvider] });
        }
        for (const region of Object.values(regions)) region.connect(regions);
        this.edge = new Edge("edge", {
            plan,
            edge: args.edge,
            origins: plan.regions.map((r) => ({ name: r.name, address: regions[r.name].originAddress })),
        }, { parent: this, providers: [cloudflareProvider] });

        this.topology = plan.topology;
        this.primaryRegion = plan.primary;
        this.regions = Object.fromEntries(plan.regions.map((r) => [r.name, regions[r.name]]));
        this.registerOutputs({ topology: this.topology, primaryRegion: this.primaryRegion, masterKey: this.masterKey, regions: this.regions, edge: this.edge });
    }
}

/** What a replica region needs of the region it follows. */
function primaryRef(primary: Region): PrimaryRef {
    const managed = primary.managedDatabase;
    return managed
        ? {
            databaseHost: managed.host,
            databaseTls: managed.tls,
            managed: { id: managed.id, cloud: primary.cloud, location: primary.location, networkId: primary.networkId, cidr: primary.cidr },
        }
        : { databaseHost: primary.addresses.database! };
}
