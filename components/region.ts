// One region of the plan, the same from outside on AWS and on GCP: network, firewalls, addresses,
// this region's copies of the master key and the credentials, the servers' identities, the
// database (a self-managed node, or RDS / Cloud SQL) and the app server. `connect` finishes it once
// every region exists: a self-managed database's config (pg_hba admits the peers by address), the
// firewall rules for the other regions, and (managed, on AWS) the peering replicas write through.

import * as pulumi from "@pulumi/pulumi";
import { DatabaseMode, EdgeConfig, ImagesConfig, ReadinessConfig, ServersConfig, Topology } from "../topology/config";
import { POSTGRES_PORT, PlannedRegion } from "../topology/plan";
import { CREDENTIALS_TAG, Credentials } from "./credentials";
import { PostgresNode } from "./database/node";
import { ORIGIN_TLS_TAG } from "./edge";
import { PostgresTuning, renderPgHba, renderPostgresqlConf, slotName } from "./database/postgres";
import { DatabaseCa } from "./database/tls";
import { MASTER_KEY_TAG, MasterKey } from "./masterKey";
import { PLATFORMS } from "./platform";
import { Firewalls, ManagedDatabase, PeeringRequest, Platform, PublicAddress, RegionNetwork, SharedNetworks } from "./platform/types";
import { AppConfig, DatabaseTls, appServerConfig, renderAppUserData } from "./runtime/appServer";
import { DbConfig, databaseServerConfig, serverLayout } from "./runtime/databaseServer";
import { databaseServices } from "./runtime/services";

/** What a Region needs to know of another region to let it in. */
export interface RegionAddresses {
    readonly app: pulumi.Output<string>;
    /** The self-managed database server's public address; undefined with a managed database. */
    readonly database?: pulumi.Output<string>;
}

export interface RegionSettings {
    readonly domain: string;
    readonly databaseMode: DatabaseMode;
    readonly postgresVersion: string;
    /** Days of backups the writers keep. */
    readonly backupRetentionDays: number;
    readonly rdsInstanceClass: string;
    readonly cloudSqlTier: string;
    readonly servers: ServersConfig;
    readonly images: ImagesConfig;
    readonly readiness: ReadinessConfig;
    /** The introspection cache: its TTL, and which pub/sub carries invalidations (never the URL: it is a secret). */
    readonly cache: { readonly introspectionTtlSeconds: number; readonly invalidation: "nats" | "redis" | null };
    /** Where the region's alerts are mailed. */
    readonly alertEmail?: string;
    /** What the origins do for the edge: origin pulls, the pin cookie, writes paused. */
    readonly edge: Pick<EdgeConfig, "authenticatedOriginPulls" | "pin" | "writesPaused">;
}

/** What a replica region needs of the primary region: where writes go, and what it follows. */
export interface PrimaryRef {
    /** The self-managed database's public address, or the managed instance's host. */
    readonly databaseHost: pulumi.Output<string>;
    /** How writes to it are verified (a managed primary: its own region's CA). */
    readonly databaseTls?: pulumi.Output<DatabaseTls>;
    /** Managed: the instance a replica follows (ARN or name); AWS: the VPC to peer with. */
    readonly managed?: { readonly id: pulumi.Output<string>; readonly cloud: string; readonly location: string; readonly networkId: pulumi.Output<string>; readonly cidr: string };
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
    /** The origin certificate, its key and the origin-pull CA (JSON, a secret), copied into this region's store. */
    readonly originTls: pulumi.Output<string>;
    /** Signs this region's database certificate (self-managed only). */
    readonly databaseCa?: DatabaseCa;
    /** Replica regions: the primary region (writes go there; the replica follows it). */
    readonly primary?: PrimaryRef;
    /** Cloudflare's published IPv4 ranges, read at deploy time: the only sources HTTPS is admitted from. */
    readonly cloudflareIpv4: pulumi.Output<string[]>;
    /** Networks this region's cloud shares between regions (GCP: one VPC network). */
    readonly sharedNetworks: SharedNetworks;
}

/** Where the region's services write and read, and how they verify the database. */
interface DatabaseEndpoints {
    readonly writeHost: pulumi.Output<string>;
    readonly readHost: pulumi.Output<string>;
    readonly tls: pulumi.Output<DatabaseTls>;
    /** Managed writers: the admin the app server creates the service roles with. */
    readonly adminUser?: string;
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
    /** The region's private address range. */
    readonly cidr: string;
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
    /** How long introspection answers are cached here, and how revocations reach the cache. */
    readonly introspectionCache: RegionSettings["cache"];
    /** The self-managed database node (undefined with a managed database). */
    readonly database?: PostgresNode;
    /** The managed database (undefined with a self-managed one). */
    readonly managedDatabase?: ManagedDatabase;
    /** Managed, AWS: the peering this replica region asked the primary's VPC for. */
    readonly peeringRequest?: PeeringRequest;

    private readonly plan: PlannedRegion;
    private readonly settings: RegionSettings;
    private readonly net: RegionNetwork;
    private readonly firewalls: Firewalls;
    private dbConfigSecret?: pulumi.Output<string>;
    private tuning?: PostgresTuning;
    /** Managed, GCP: Cloud SQL's private range, which the servers may reach. */
    private readonly sqlRange?: pulumi.Output<string>;
    /** Managed, AWS primary: the peerings accepted, by requesting region. */
    private readonly accepted = new Map<string, pulumi.Output<string>>();

    constructor(name: string, args: RegionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Region", name, { region: args.region, topology: args.topology, settings: args.settings }, opts);
        const { region, settings } = args;
        const platform = PLATFORMS[region.cloud];
        this.plan = region;
        this.settings = settings;

        this.net = platform.network(name, region, args.sharedNetworks, this);
        this.sqlRange = args.sharedNetworks.gcp?.sqlRange;
        this.firewalls = platform.firewalls(name, region, this.net, args.cloudflareIpv4, this);
        const appAddress = platform.publicAddress(name, region, "app", this);

        // The region's copies: an AWS region reads the native replica of a generated AWS source.
        const replica = region.cloud === "aws" ? args.masterKey.replicaArn(region.location) : undefined;
        const masterKeySecret = replica ?? this.copy(platform, "master-key", args.masterKey.keyset, { ...MASTER_KEY_TAG, "olympus-role": "copy" });
        const writer = region.role !== "replica";
        // The app server's passwords; a managed writer's also the admin's, with which it creates the roles.
        const credentialsSecret = this.copy(platform, "credentials", args.credentials.forApp({ admin: writer && settings.databaseMode === "managed" }), { ...CREDENTIALS_TAG });
        const originTlsSecret = this.copy(platform, "origin-tls", args.originTls, { ...ORIGIN_TLS_TAG });

        if (!writer && !args.primary) throw new Error(`region ${region.name} is a replica but has no primary region to follow`);
        let endpoints: DatabaseEndpoints;
        let dbAddress: PublicAddress | undefined;
        if (settings.databaseMode === "self-managed") {
            dbAddress = platform.publicAddress(name, region, "database", this);
            endpoints = this.selfManaged(name, platform, args, dbAddress);
        } else {
            endpoints = this.managed(name, platform, args, args.credentials);
        }

        const appConfigSecret = platform.secret(name, region, "app-config", { "olympus-secret": "runtime-config" }, this);
        const appServer = appServerConfig({
            regionName: region.name,
            domain: settings.domain,
            images: settings.images,
            readinessIntervalSeconds: settings.readiness.checkIntervalSeconds,
            cache: { introspectionTtlSeconds: settings.cache.introspectionTtlSeconds },
            originPulls: settings.edge.authenticatedOriginPulls,
            // Set whether or not the load balancer's rule reads it: turning the rule on, or growing
            // from one region to two, changes only this region's app-config.
            pin: { cookie: settings.edge.pin.cookie, value: region.pinValue, ttlSeconds: settings.edge.pin.ttlSeconds },
        });
        const appConfig: pulumi.Output<AppConfig> = pulumi.all([endpoints.writeHost, endpoints.readHost, endpoints.tls]).apply(([writeHost, readHost, tls]) => ({
            writer,
            writeHost,
            readHost,
            port: POSTGRES_PORT,
            maxReplicationLagSeconds: writer ? null : settings.readiness.maxReplicationLagSeconds,
            tls,
            ...(writer && endpoints.adminUser ? { bootstrapRoles: { adminUser: endpoints.adminUser } } : {}),
            writesPaused: settings.edge.writesPaused,
            ...appServer,
        }));
        platform.secretValue(name, "app-config", appConfigSecret, appConfig.apply((c) => JSON.stringify(c)), this);
        const appIdentity = platform.serverIdentity(name, region, "app",
            { "master-key": masterKeySecret, credentials: credentialsSecret, "app-config": appConfigSecret, "origin-tls": originTlsSecret }, this);

        const appUserData = pulumi.all([masterKeySecret, credentialsSecret, appConfigSecret, originTlsSecret])
            .apply(([masterKey, credentials, appConfigRef, originTls]) => renderAppUserData({
                cloud: region.cloud,
                location: region.location,
                regionName: region.name,
                secrets: { "master-key": masterKey, credentials, "app-config": appConfigRef, "origin-tls": originTls },
            }));
        const appServerId = platform.server(name, region, {
            role: "app",
            size: settings.servers.app,
            userData: appUserData,
            identity: appIdentity,
            network: this.net,
            firewalls: this.firewalls,
            address: appAddress,
            privateIp: region.privateAddresses.app,
        }, this);

        platform.monitoring(name, region, {
            appServer: appServerId,
            databaseServer: this.database?.serverId,
            managedDatabase: this.managedDatabase?.metricsId,
            replica: !writer,
            maxLagSeconds: settings.readiness.maxReplicationLagSeconds,
            alertEmail: settings.alertEmail,
        }, this);

        this.regionName = region.name;
        this.cloud = region.cloud;
        this.location = region.location;
        this.cidr = region.cidr;
        this.jurisdiction = region.jurisdiction;
        this.role = region.role;
        this.upstream = region.upstream;
        this.topology = args.topology;
        this.networkId = this.net.networkId;
        this.originAddress = appAddress.ip;
        this.healthUrl = pulumi.interpolate`https://${appAddress.ip}/healthz`;
        this.writeEndpoint = pulumi.interpolate`${endpoints.writeHost}:${POSTGRES_PORT}`;
        this.readEndpoint = pulumi.interpolate`${endpoints.readHost}:${POSTGRES_PORT}`;
        this.addresses = { app: appAddress.ip, database: dbAddress?.ip };
        this.masterKeySecret = masterKeySecret;
        this.serverIdentity = appIdentity.id;
        this.introspectionCache = settings.cache;
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
            introspectionCache: this.introspectionCache,
            database: this.database,
        });
    }

    private copy(platform: Platform, purpose: string, value: pulumi.Output<string>, marks: Record<string, string>): pulumi.Output<string> {
        const ref = platform.secret(this.plan.name, this.plan, purpose, marks, this);
        platform.secretValue(this.plan.name, purpose, ref, value, this);
        return ref;
    }

    /** A PostgreSQL node on its own server, converged to the role its db-config says (written by `connect`). */
    private selfManaged(name: string, platform: Platform, args: RegionArgs, address: PublicAddress): DatabaseEndpoints {
        const { region, settings } = args;
        const ca = args.databaseCa;
        if (!ca) throw new Error(`region ${region.name}: a self-managed database needs the stack's database CA`);
        const cert = ca.issue(`${name}-db`, `${region.name} database`, [address.ip, region.privateAddresses.database], this);
        const tlsSecret = this.copy(platform, "db-tls", pulumi.secret(pulumi.all([ca.certPem, cert.certPem, cert.keyPem])
            .apply(([ca, c, key]) => JSON.stringify({ ca, cert: c, key }))), { "olympus-secret": "database-tls" });
        const credentials = this.copy(platform, "db-credentials", args.credentials.forDatabase(), { ...CREDENTIALS_TAG });
        this.dbConfigSecret = platform.secret(name, region, "db-config", { "olympus-secret": "runtime-config" }, this);
        const identity = platform.serverIdentity(name, region, "database",
            { "db-credentials": credentials, "db-tls": tlsSecret, "db-config": this.dbConfigSecret }, this);
        const dataDiskGb = settings.servers.database.dataDiskGb;
        this.tuning = {
            walKeepSize: "1GB",
            maxWalSize: "2GB",
            // A slot may hold back a fifth of the data disk: a dead replica loses its slot (and is
            // rebuilt from a base backup) long before the primary runs out of space.
            maxSlotWalKeepSize: `${Math.max(1, Math.floor(dataDiskGb / 5))}GB`,
            maxConnections: 200,
        };
        (this as { database?: PostgresNode }).database = new PostgresNode(`${name}-db`, {
            region,
            version: settings.postgresVersion,
            size: settings.servers.database,
            dataDiskGb,
            backupDays: settings.backupRetentionDays,
            databases: databaseServices().map((s) => s.database),
            network: this.net,
            firewalls: this.firewalls,
            address,
            identity,
            secrets: { "db-credentials": credentials, "db-tls": tlsSecret, "db-config": this.dbConfigSecret },
        }, { parent: this });
        const local = pulumi.output(region.privateAddresses.database);
        return {
            writeHost: region.role === "replica" ? args.primary!.databaseHost : local,
            readHost: local,
            tls: ca.certPem.apply((caPem) => ({ sslMode: "verify-full" as const, caPem })),
        };
    }

    /** RDS or Cloud SQL: a primary, or a read replica of the primary region's instance. */
    private managed(name: string, platform: Platform, args: RegionArgs, credentials: Credentials): DatabaseEndpoints {
        const { region, settings } = args;
        const replicaOf = region.role === "replica" ? args.primary!.managed : undefined;
        if (region.role === "replica" && (!replicaOf || replicaOf.cloud !== region.cloud)) {
            throw new Error(`region ${region.name}: a managed replica must follow a managed primary in the same cloud`);
        }
        const db = platform.managedDatabase(name, region, {
            version: settings.postgresVersion,
            size: region.cloud === "aws" ? settings.rdsInstanceClass : settings.cloudSqlTier,
            storageGb: settings.servers.database.dataDiskGb,
            backupDays: settings.backupRetentionDays,
            network: this.net,
            firewalls: this.firewalls,
            shared: args.sharedNetworks,
            adminPassword: pulumi.secret(credentials.bundle.apply((b) => JSON.parse(b).admin as string)),
            source: replicaOf?.id,
        }, this);
        (this as { managedDatabase?: ManagedDatabase }).managedDatabase = db;
        // Replica regions write to the primary's private endpoint: on AWS through a VPC peering.
        if (replicaOf && region.cloud === "aws" && replicaOf.location !== region.location) {
            const id = platform.requestPeering!(name, region, this.net, { networkId: replicaOf.networkId, location: replicaOf.location, cidr: replicaOf.cidr }, this);
            (this as { peeringRequest?: PeeringRequest }).peeringRequest = { id, region: region.name, vpcCidr: region.cidr, appCidrs: region.subnets.app };
        }
        // A replica region writes to the primary's instance and reads its own: each presents a
        // certificate from its own region's CA (RDS CAs are per region), so it trusts both.
        const tls = !replicaOf || !args.primary?.databaseTls ? db.tls : pulumi.all([args.primary.databaseTls, db.tls]).apply(([p, own]): DatabaseTls => ({
            sslMode: own.sslMode,
            ...(p.caUrls || own.caUrls ? { caUrls: [...new Set([...(p.caUrls ?? []), ...(own.caUrls ?? [])])] } : {}),
            ...(p.caPem || own.caPem ? { caPem: [p.caPem, own.caPem].filter(Boolean).join("\n") } : {}),
        }));
        return {
            writeHost: replicaOf ? args.primary!.databaseHost : db.host,
            readHost: db.host,
            tls,
            adminUser: db.adminUser,
        };
    }

    /** Accept a replica region's peering (once), in this primary region. Returns the peering's id once accepted. */
    private acceptPeering(request: PeeringRequest): pulumi.Output<string> {
        let id = this.accepted.get(request.region);
        if (!id) {
            id = PLATFORMS[this.cloud].acceptPeering!(this.regionName, this.plan, this.net, this.firewalls, request, this);
            this.accepted.set(request.region, id);
        }
        return id;
    }

    /**
     * Admit the plan's peers, once every region exists: a self-managed database's runtime config
     * (pg_hba by address, postgresql.conf, its role and upstream) and the firewall rules for the
     * other regions; managed on AWS, the peerings the replica regions asked for.
     */
    connect(regions: Readonly<Record<string, Region>>): void {
        const region = this.plan;
        const platform = PLATFORMS[region.cloud];
        if (this.settings.databaseMode === "managed") {
            // AWS replica regions write to the primary's private endpoint through a VPC peering.
            if (this.peeringRequest && region.upstream) {
                const primary = regions[region.upstream];
                platform.routeThroughPeering!(region.name, region, this.net, { label: region.upstream, cidr: primary.plan.cidr },
                    primary.acceptPeering(this.peeringRequest), this);
                platform.reachDatabasePeers(region.name, region, this.net, this.firewalls, [{ label: `${region.upstream}-net`, address: primary.plan.cidr }], this);
            }
            // Cloud SQL's private addresses sit in the stack's private services range.
            if (region.cloud === "gcp" && this.sqlRange) {
                platform.reachDatabasePeers(region.name, region, this.net, this.firewalls, [{ label: "cloud-sql", address: this.sqlRange }], this);
            }
            return;
        }
        const address = (peer: string, of: keyof RegionAddresses) => regions[peer].addresses[of]!;
        const remote = (peers: readonly string[]) => peers.filter((p) => p !== region.name);
        const replicationPeers = region.databasePeers.replication.map((p) => address(p, "database"));
        const appPeers = region.databasePeers.app.map((p) => (p === region.name ? pulumi.output(region.privateAddresses.app) : address(p, "app")));
        const upstream = region.upstream ? pulumi.interpolate`${address(region.upstream, "database")}:${POSTGRES_PORT}` : pulumi.output(undefined);
        const dbConfig = pulumi.all([pulumi.all(replicationPeers), pulumi.all(appPeers), upstream]).apply(([repl, app, up]): DbConfig => ({
            role: region.role,
            ...(up ? { upstream: up } : {}),
            postgresqlConf: renderPostgresqlConf(serverLayout(this.settings.postgresVersion), this.tuning!),
            ...databaseServerConfig({ version: this.settings.postgresVersion, region: region.name, databases: databaseServices().map((s) => s.database) }),
            peerSlots: remote(region.databasePeers.replication).map(slotName),
            pgHba: renderPgHba({
                replication: repl.map((ip) => `${ip}/32`),
                app: app.map((ip) => `${ip}/32`),
                databases: databaseServices().map((s) => s.database),
            }),
        }));
        platform.secretValue(region.name, "db-config", this.dbConfigSecret!, dbConfig.apply((c) => JSON.stringify(c)), this);
        platform.reachDatabasePeers(region.name, region, this.net, this.firewalls,
            remote(region.databasePeers.replication).map((p) => ({ label: `${p}-db`, address: pulumi.interpolate`${address(p, "database")}/32` })), this);
        platform.admitDatabasePeers(region.name, region, this.net, this.firewalls, [
            ...remote(region.databasePeers.app).map((p) => ({ label: `${p}-app`, address: address(p, "app") })),
            ...remote(region.databasePeers.replication).map((p) => ({ label: `${p}-db`, address: address(p, "database") })),
        ], this);
    }
}
