// One self-managed PostgreSQL node: the database server (with its own encrypted data disk) whose
// boot installs PostgreSQL and converges it to the role in the region's db-config. Its outputs say
// what it is (region, role, upstream, WAL level), which the policy pack reads.

import * as pulumi from "@pulumi/pulumi";
import { ServerSize } from "../../topology/config";
import { POSTGRES_PORT, PlannedRegion } from "../../topology/plan";
import { PLATFORMS } from "../platform";
import { Firewalls, PublicAddress, RegionNetwork, ServerIdentity } from "../platform/types";
import { renderDatabaseUserData } from "../runtime/databaseServer";

export interface PostgresNodeArgs {
    readonly region: PlannedRegion;
    /** PostgreSQL major, e.g. "16". */
    readonly version: string;
    readonly size: ServerSize;
    readonly dataDiskGb: number;
    /** Daily snapshots of the data disk, kept this many days. */
    readonly backupDays: number;
    readonly databases: readonly string[];
    readonly network: RegionNetwork;
    readonly firewalls: Firewalls;
    readonly address: PublicAddress;
    readonly identity: ServerIdentity;
    /** This region's secrets the node reads at boot and every 30 s after, by name (db-config holds its config and files). */
    readonly secrets: Readonly<Record<"db-credentials" | "db-tls" | "db-config", pulumi.Output<string>>>;
}

/** Give it the region's provider (the Region's children inherit it). */
export class PostgresNode extends pulumi.ComponentResource {
    /** The Olympus region (policy pack: which region this writer or replica serves). */
    readonly regionName: string;
    readonly role: PlannedRegion["role"];
    /** The region this node streams from; null for a writer. */
    readonly upstream: string | null;
    /** Physical streaming only: logical decoding is never turned on (it is how multi-master setups exchange writes). */
    readonly walLevel: "replica";
    readonly publicAddress: pulumi.Output<string>;
    readonly privateAddress: string;
    readonly port: number;
    readonly serverId: pulumi.Output<string>;

    constructor(name: string, args: PostgresNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:database:PostgresNode", name, { region: args.region.name, version: args.version }, opts);
        const { region } = args;
        const userData = pulumi.all(args.secrets).apply((secrets) => renderDatabaseUserData({
            cloud: region.cloud,
            location: region.location,
            regionName: region.name,
            version: args.version,
            secrets,
        }));
        this.serverId = PLATFORMS[region.cloud].server(region.name, region, {
            role: "database",
            size: args.size,
            dataDiskGb: args.dataDiskGb,
            backupDays: args.backupDays,
            userData,
            identity: args.identity,
            network: args.network,
            firewalls: args.firewalls,
            address: args.address,
            privateIp: region.privateAddresses.database,
        }, this);

        this.regionName = region.name;
        this.role = region.role;
        this.upstream = region.upstream;
        this.walLevel = "replica";
        this.publicAddress = args.address.ip;
        this.privateAddress = region.privateAddresses.database;
        this.port = POSTGRES_PORT;
        this.registerOutputs({
            region: this.regionName,
            role: this.role,
            upstream: this.upstream,
            walLevel: this.walLevel,
            publicAddress: this.publicAddress,
            privateAddress: this.privateAddress,
            port: this.port,
            serverId: this.serverId,
        });
    }
}
