// The self-managed database server: PostgreSQL from Debian's archive on its own data disk. Its
// user-data is the bootstrap (bootstrap.ts) plus "create no cluster"; the rest travels in the
// region's `db-config` secret: the desired role and upstream, postgresql.conf and pg_hba.conf, and
// the files (files/database/: olympus-db, its unit, the mount and apply steps, the node's env file).
// olympus-sync re-reads it every 30 s, so a failover, a new region, a rotated certificate or a fixed
// script is a `pulumi up`, never a rebuilt server (the server ignores user-data changes).

import { Cloud } from "../../topology/catalog";
import { PostgresLayout } from "../database/postgres";
import { ServerEnv, renderServerEnvLines, renderUserData } from "./bootstrap";
import { LIB_DIR, ServerFile, shipped } from "./files";

export const DATA_MOUNT = "/var/lib/olympus";
/** The device name the data disk is attached under (GCP exposes it as /dev/disk/by-id/google-<name>). */
export const DATA_DEVICE_NAME = "olympus-data";
/** The PostgreSQL major Debian 13 ships; others come from the PostgreSQL project's apt repository (PGDG). */
export const DEBIAN_POSTGRES_VERSION = "17";

/** The region's database runtime config: JSON in its `db-config` secret. */
export interface DbConfig {
    readonly role: "primary" | "replica" | "independent";
    /** A replica's upstream, HOST:PORT. */
    readonly upstream?: string;
    readonly postgresqlConf: string;
    readonly pgHba: string;
    /** The replication slots this node keeps for its peers when it is (or becomes) the primary. */
    readonly peerSlots: readonly string[];
    /** What olympus-sync installs, enables, then runs. */
    readonly files: readonly ServerFile[];
    readonly enable: readonly string[];
    readonly apply: string;
}

export function serverLayout(version: string): PostgresLayout {
    return {
        binDir: `/usr/lib/postgresql/${version}/bin`,
        dataDir: `${DATA_MOUNT}/pgdata`,
        configDir: "/etc/olympus/postgres",
        socketDir: "/var/run/postgresql",
        port: 5432,
        listen: "*",
    };
}

/** The node's parameters as data (olympus-db reads them): its binaries, paths, region and databases. */
export function renderNodeEnv(o: { layout: PostgresLayout; region: string; databases: readonly string[] }): string {
    return renderServerEnvLines("Written by the Olympus program (components/runtime/databaseServer.ts).", {
        PG_BIN: o.layout.binDir,
        PG_DATA: o.layout.dataDir,
        PG_CONFIG_DIR: o.layout.configDir,
        PG_SOCKET_DIR: o.layout.socketDir,
        PG_PORT: String(o.layout.port),
        PG_DATABASES: o.databases.join(" "),
        OLYMPUS_REGION: o.region,
    });
}

/** The database server's files: olympus-db and its unit, the mount and apply steps, the node's env file. */
export function databaseServerFiles(o: { version: string; region: string; databases: readonly string[] }): ServerFile[] {
    const layout = serverLayout(o.version);
    return [
        shipped("database/olympus-db", `${LIB_DIR}/olympus-db`),
        shipped("database/apply.sh", `${LIB_DIR}/db-apply.sh`),
        shipped("database/mount-data.sh", `${LIB_DIR}/mount-data.sh`),
        shipped("database/olympus-db.service", "/etc/systemd/system/olympus-db.service"),
        { path: `${layout.configDir}/node.env`, mode: "0644", content: renderNodeEnv({ layout, region: o.region, databases: o.databases }) },
    ];
}

/** What db-config holds besides the node's role and PostgreSQL's configuration. */
export function databaseServerConfig(o: { version: string; region: string; databases: readonly string[] }): Pick<DbConfig, "files" | "enable" | "apply"> {
    // olympus-db.service is enabled by db-apply.sh once the data disk is mounted, never before.
    return { files: databaseServerFiles(o), enable: [], apply: `${LIB_DIR}/db-apply.sh` };
}

/** Debian 13 packages of the database server (another major than 17 comes from PGDG after these). */
export function databasePackages(version: string): string[] {
    return [...(version === DEBIAN_POSTGRES_VERSION ? [`postgresql-${version}`] : ["postgresql-common"]), "jq", "curl", "e2fsprogs", "ca-certificates"];
}

/**
 * The database server's user-data. PostgreSQL 17 is Debian 13's own; another major comes from the
 * PostgreSQL project's repository (PGDG), set up by postgresql-common's script
 * (https://wiki.postgresql.org/wiki/Apt) before it is installed.
 */
export function renderDatabaseUserData(o: { cloud: Cloud; location: string; regionName: string; version: string; secrets: Readonly<Record<string, string>> }): string {
    const env: ServerEnv = { cloud: o.cloud, location: o.location, region: o.regionName, server: "database", secrets: o.secrets, config: "db-config" };
    const debian = o.version === DEBIAN_POSTGRES_VERSION;
    return renderUserData({
        env,
        packages: databasePackages(o.version),
        // The Debian packaging must not create its own cluster: this node runs exactly one, ours.
        early: [{ path: "/etc/postgresql-common/createcluster.d/olympus.conf", mode: "0644", content: "create_main_cluster = false\n" }],
        before: debian ? [] : [
            ["/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh", "-y"],
            ["apt-get", "install", "-y", `postgresql-${o.version}`],
        ],
    });
}
