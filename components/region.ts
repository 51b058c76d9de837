// One region of the plan, the same from outside on AWS and on GCP: network, firewalls, addresses,
// this region's copies of the master key and the credentials, the servers' identities, the
// database node and the app server. `connect` finishes it once every region exists: the database's
// config (pg_hba admits the peers by address) and the firewall rules for the other regions.

import * as pulumi from "@pulumi/pulumi";
import { ImagesConfig, ReadinessConfig, ServersConfig, Topology } from "../topology/config";
import { POSTGRES_PORT, PlannedRegion } from "../topology/plan";
import { CREDENTIALS_TAG, Credentials } from "./credentials";
import { PostgresNode } from "./database/node";
import { PostgresTuning, renderPgHba, renderPostgresqlConf } from "./database/postgres";
import { DatabaseCa } from "./database/tls";
import { MASTER_KEY_TAG, MasterKey } from "./masterKey";
import { PLATFORMS } from "./platform";
import { Firewalls, PublicAddress, RegionNetwork, SharedNetworks } from "./platform/types";
import { AppConfig, renderAppUserData } from "./runtime/appServer";
import { DbConfig, serverLayout } from "./runtime/databaseServer";
import { databaseServices } from "./runtime/services";

/** What a Region needs to know of another region to let it in. */
export interface RegionAddresses {
    readonly app: pulumi.Output<string>;
    readonly database: pulumi.Output<string>;
}

export interface RegionSettings {
    readonly domain: string;
    readonly postgresVersion: string;
    /** Days of backups the writers keep. */
    readonly backupRetentionDays: number;
    readonly servers: ServersConfig;
    readonly images: ImagesConfig;
    readonly readiness: ReadinessConfig;
}

export interface RegionArgs {
    /** This region's slice of the plan (role, upstream, endpoints, peers). Plain data: policies read it. */
    readonly region: PlannedRegion;
    /** The deployment's topology, so a policy can judge this region without the rest of the stack. */
    readonly topology: Topology;
    readonly settings: RegionSettings;
    /** The one master key: the region copies its key list (or reads its native replica), never makes one. */
    readonly masterKey: MasterKey;
    /** The shared service credentials, copied into this region's store. */
    readonly credentials: Credentials;
    /** Signs this region's database certificate. */
    readonly databaseCa: DatabaseCa;
    /** Replica regions: the primary region's database address (writes go there; the replica streams from it). */
    readonly primaryDatabase?: pulumi.Output<string>;
    /** Cloudflare's published IPv4 ranges, read at deploy time: the only sources HTTPS is admitted from. */
    readonly cloudflareIpv4: pulumi.Output<string[]>;
    /** Networks this region's cloud shares between regions (GCP: one VPC network). */
    readonly sharedNetworks: SharedNetworks;
}

/**
 * Give it the region's cloud provider and the tls provider through `opts.providers`; it never
 * builds one. Its outputs repeat who it is (role, upstream, jurisdiction): the policy pack's stack
 * policies see component outputs, not inputs.
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
    /** The app server's public address: Cloudflare's origin for this region. */
    readonly originAddress: pulumi.Output<string>;
    /** What the load balancer's monitor checks (with the domain as Host). */
    readonly healthUrl: pulumi.Output<string>;
    /** host:port where this region's services write (the primary's database in single-primary). */
    readonly writeEndpoint: pulumi.Output<string>;
    /** host:port where this region's services read: the local database. */
    readonly readEndpoint: pulumi.Output<string>;
    readonly addresses: RegionAddresses;
    /** This region's copy of the master key list: an ARN (AWS) or a secret resource name (GCP). */
    readonly masterKeySecret: pulumi.Output<string>;
    /** What this region's app server runs as: an IAM role ARN (AWS) or a service account email (GCP). */
    readonly serverIdentity: pulumi.Output<string>;
    readonly database: PostgresNode;

    private readonly plan: PlannedRegion;
    private readonly settings: RegionSettings;
    private readonly net: RegionNetwork;
    private readonly firewalls: Firewalls;
    private readonly dbConfigSecret: pulumi.Output<string>;
    private readonly tuning: PostgresTuning;

    constructor(name: string, args: RegionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Region", name, { region: args.region, topology: args.topology, settings: args.settings }, opts);
        const { region, settings } = args;
        const platform = PLATFORMS[region.cloud];

        const net = platform.network(name, region, args.sharedNetworks, this);
        const firewalls = platform.firewalls(name, region, net, args.cloudflareIpv4, this);
        const appAddress: PublicAddress = platform.publicAddress(name, region, "app", this);
        const dbAddress: PublicAddress = platform.publicAddress(name, region, "database", this);

        // The region's copies: an AWS region reads the native replica of a generated AWS source.
        const copy = (purpose: string, value: pulumi.Output<string>, marks: Record<string, string>) => {
            const ref = platform.secret(name, region, purpose, marks, this);
            platform.secretValue(name, purpose, ref, value, this);
            return ref;
        };
        const replica = region.cloud === "aws" ? args.masterKey.replicaArn(region.location) : undefined;
        const masterKeySecret = replica ?? copy("master-key", args.masterKey.keyset, { ...MASTER_KEY_TAG, "olympus-role": "copy" });
        const credentialsSecret = copy("credentials", args.credentials.bundle, { ...CREDENTIALS_TAG });
        const cert = args.databaseCa.issue(`${name}-db`, `${region.name} database`, [dbAddress.ip, region.privateAddresses.database], this);
        const tlsSecret = copy("db-tls", pulumi.secret(pulumi.all([args.databaseCa.certPem, cert.certPem, cert.keyPem])
            .apply(([ca, c, key]) => JSON.stringify({ ca, cert: c, key }))), { "olympus-secret": "database-tls" });
        const appConfigSecret = platform.secret(name, region, "app-config", { "olympus-secret": "runtime-config" }, this);
        this.dbConfigSecret = platform.secret(name, region, "db-config", { "olympus-secret": "runtime-config" }, this);

        const appIdentity = platform.serverIdentity(name, region, "app",
            { "master-key": masterKeySecret, credentials: credentialsSecret, "app-config": appConfigSecret }, this);
        const dbIdentity = platform.serverIdentity(name, region, "database",
            { credentials: credentialsSecret, "db-tls": tlsSecret, "db-config": this.dbConfigSecret }, this);

        const writer = region.role !== "replica";
        if (!writer && !args.primaryDatabase) throw new Error(`region ${region.name} is a replica but has no primary database address`);
        const writeHost = writer ? pulumi.output(region.privateAddresses.database) : args.primaryDatabase!;
        const appConfig: pulumi.Output<AppConfig> = writeHost.apply((host) => ({
            writer,
            writeHost: host,
            readHost: region.privateAddresses.database,
            port: POSTGRES_PORT,
            maxReplicationLagSeconds: writer ? null : settings.readiness.maxReplicationLagSeconds,
        }));
        platform.secretValue(name, "app-config", appConfigSecret, appConfig.apply((c) => JSON.stringify(c)), this);

        const dataDiskGb = settings.servers.database.dataDiskGb;
        this.tuning = {
            walKeepSize: "1GB",
            maxWalSize: "2GB",
            // A slot may hold back a fifth of the data disk: a dead replica loses its slot (and is
            // rebuilt from a base backup) long before the primary runs out of space.
            maxSlotWalKeepSize: `${Math.max(1, Math.floor(dataDiskGb / 5))}GB`,
            maxConnections: 200,
        };
        this.database = new PostgresNode(`${name}-db`, {
            region,
            version: settings.postgresVersion,
            size: settings.servers.database,
            dataDiskGb,
            backupDays: settings.backupRetentionDays,
            databases: databaseServices().map((s) => s.database),
            peerRegions: region.databasePeers.replication,
            network: net,
            firewalls,
            address: dbAddress,
            identity: dbIdentity,
            secrets: { credentials: credentialsSecret, tls: tlsSecret, dbConfig: this.dbConfigSecret },
        }, { parent: this });

        const appUserData = pulumi.all([masterKeySecret, credentialsSecret, appConfigSecret, args.databaseCa.certPem])
            .apply(([masterKey, credentials, appConfigRef, ca]) => renderAppUserData({
                cloud: region.cloud,
                location: region.location,
                regionName: region.name,
                domain: settings.domain,
                images: settings.images,
                secrets: { masterKey, credentials, appConfig: appConfigRef },
                localDatabase: { host: region.privateAddresses.database, port: POSTGRES_PORT },
                databaseCa: ca,
                readinessIntervalSeconds: settings.readiness.checkIntervalSeconds,
            }));
        platform.server(name, region, {
            role: "app",
            size: settings.servers.app,
            userData: appUserData,
            identity: appIdentity,
            network: net,
            firewalls,
            address: appAddress,
            privateIp: region.privateAddresses.app,
        }, this);

        this.plan = region;
        this.settings = settings;
        this.net = net;
        this.firewalls = firewalls;
        this.regionName = region.name;
        this.cloud = region.cloud;
        this.location = region.location;
        this.jurisdiction = region.jurisdiction;
        this.role = region.role;
        this.upstream = region.upstream;
        this.topology = args.topology;
        this.networkId = net.networkId;
        this.originAddress = appAddress.ip;
        this.healthUrl = pulumi.interpolate`https://${appAddress.ip}/healthz`;
        this.writeEndpoint = pulumi.interpolate`${writeHost}:${POSTGRES_PORT}`;
        this.readEndpoint = pulumi.output(`${region.privateAddresses.database}:${POSTGRES_PORT}`);
        this.addresses = { app: appAddress.ip, database: dbAddress.ip };
        this.masterKeySecret = masterKeySecret;
        this.serverIdentity = appIdentity.id;
        this.registerOutputs({
            regionName: this.regionName,
            cloud: this.cloud,
            location: this.location,
            jurisdiction: this.jurisdiction,
            role: this.role,
            upstream: this.upstream,
            topology: this.topology,
            networkId: this.networkId,
            originAddress: this.originAddress,
            healthUrl: this.healthUrl,
            writeEndpoint: this.writeEndpoint,
            readEndpoint: this.readEndpoint,
            addresses: this.addresses,
            masterKeySecret: this.masterKeySecret,
            serverIdentity: this.serverIdentity,
            database: this.database,
        });
    }

    /**
     * Admit the plan's peers, once every region exists: the database's runtime config (pg_hba by
     * address, postgresql.conf, its role and upstream) and the firewall rules for the other regions.
     */
    connect(regions: Readonly<Record<string, RegionAddresses>>): void {
        const region = this.plan;
        const platform = PLATFORMS[region.cloud];
        const address = (peer: string, of: keyof RegionAddresses) => regions[peer][of];
        const remote = (peers: readonly string[]) => peers.filter((p) => p !== region.name);

        const replicationPeers = region.databasePeers.replication.map((p) => address(p, "database"));
        const appPeers = region.databasePeers.app.map((p) => (p === region.name ? pulumi.output(region.privateAddresses.app) : address(p, "app")));
        const upstream = region.upstream ? pulumi.interpolate`${address(region.upstream, "database")}:${POSTGRES_PORT}` : pulumi.output(undefined);
        const dbConfig = pulumi.all([pulumi.all(replicationPeers), pulumi.all(appPeers), upstream]).apply(([repl, app, up]): DbConfig => ({
            role: region.role,
            ...(up ? { upstream: up } : {}),
            postgresqlConf: renderPostgresqlConf(serverLayout(this.settings.postgresVersion), this.tuning),
            pgHba: renderPgHba({
                replication: repl.map((ip) => `${ip}/32`),
                app: app.map((ip) => `${ip}/32`),
                databases: databaseServices().map((s) => s.database),
            }),
        }));
        platform.secretValue(region.name, "db-config", this.dbConfigSecret, dbConfig.apply((c) => JSON.stringify(c)), this);
        platform.admitDatabasePeers(region.name, region, this.net, this.firewalls, [
            ...remote(region.databasePeers.app).map((p) => ({ label: `${p}-app`, address: address(p, "app") })),
            ...remote(region.databasePeers.replication).map((p) => ({ label: `${p}-db`, address: address(p, "database") })),
        ], this);
    }
}
