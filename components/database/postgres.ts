// Self-managed PostgreSQL's configuration, rendered from data: postgresql.conf and pg_hba.conf.
// The node's script (`olympus-db`: bootstrap, replicate, promote, rebuild, converge) is a file,
// components/runtime/files/database/olympus-db. Pure functions parameterised by paths and ports:
// the very same text runs on the servers and in test/integration against real PostgreSQL.

export interface PostgresLayout {
    /** PostgreSQL's binaries, e.g. /usr/lib/postgresql/16/bin. */
    readonly binDir: string;
    readonly dataDir: string;
    /** Where the rendered config, TLS files and the replication passfile live (outside the data directory). */
    readonly configDir: string;
    readonly socketDir: string;
    readonly port: number;
    /** listen_addresses: '*' on a server, 127.0.0.1 in a test. */
    readonly listen: string;
}

export interface PostgresTuning {
    /** WAL kept for standbys without a slot, e.g. "1GB". */
    readonly walKeepSize: string;
    /** WAL between checkpoints (PostgreSQL's default is 1GB): pg_wal never holds much more than this plus the slot cap. */
    readonly maxWalSize: string;
    /** The most WAL a replication slot may hold back: a dead replica never fills the primary's disk. */
    readonly maxSlotWalKeepSize: string;
    readonly maxConnections: number;
}

/** Roles every Olympus database has. Service roles (hydra, kratos, athena) own their databases. */
export const ROLES = { replication: "olympus_replicator", rewind: "olympus_rewind", monitor: "olympus_monitor" } as const;

export interface PeerRules {
    /** Addresses (CIDR) of the database nodes that may stream from this one. */
    readonly replication: readonly string[];
    /** Addresses (CIDR) of the app servers that may use the service databases. */
    readonly app: readonly string[];
    /** Service databases: each database is reached by the role of the same name. */
    readonly databases: readonly string[];
}

/** The physical replication slot a region's replica streams through. */
export function slotName(region: string): string {
    return `olympus_${region.replace(/-/g, "_")}`;
}

/**
 * Values chosen for cross-region streaming:
 * - wal_sender_timeout 20 s: a dead standby connection is dropped quickly, and an idle primary
 *   sends a keepalive every 10 s, so a replica can tell "no news" from "no primary" (the readiness
 *   probe counts the age of the last message from the primary as lag);
 * - wal_receiver_status_interval 5 s and hot_standby_feedback: the primary knows what replicas still
 *   read, so replica queries are not cancelled by vacuum;
 * - max_slot_wal_keep_size bounds what a slot holds back: a replica that is gone longer loses its
 *   slot (and is rebuilt from a fresh base backup) instead of filling the primary's disk;
 * - wal_log_hints and data checksums: a former primary can be rewound with pg_rewind;
 * - TLS 1.3 only, scram-sha-256 only.
 */
export function renderPostgresqlConf(l: PostgresLayout, t: PostgresTuning): string {
    return `# Rendered by components/database/postgres.ts. Do not edit on the server.
hba_file = '${l.configDir}/pg_hba.conf'
listen_addresses = '${l.listen}'
port = ${l.port}
unix_socket_directories = '${l.socketDir}'
max_connections = ${t.maxConnections}

# Authentication and transport
password_encryption = 'scram-sha-256'
ssl = on
ssl_cert_file = '${l.configDir}/tls/server.crt'
ssl_key_file = '${l.configDir}/tls/server.key'
ssl_ca_file = '${l.configDir}/tls/ca.crt'
ssl_min_protocol_version = 'TLSv1.3'

# Streaming replication
wal_level = replica
max_wal_senders = 16
max_replication_slots = 16
wal_keep_size = '${t.walKeepSize}'
max_slot_wal_keep_size = '${t.maxSlotWalKeepSize}'
max_wal_size = '${t.maxWalSize}'
min_wal_size = '32MB'
wal_log_hints = on
hot_standby = on
hot_standby_feedback = on
max_standby_streaming_delay = 30s
wal_sender_timeout = 20s
wal_receiver_timeout = 30s
wal_receiver_status_interval = 5s
wal_retrieve_retry_interval = 5s
recovery_target_timeline = 'latest'

# Logging: who connected, and what replication did
log_connections = on
log_disconnections = on
log_replication_commands = on
log_line_prefix = '%m [%p] %q%u@%d from %h '
`;
}

export function renderPgHba(p: PeerRules): string {
    const row = (...cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(i === 0 ? 8 : 20))).join(" ");
    const lines = [
        "# Rendered by components/database/postgres.ts. Do not edit on the server.",
        "# TLS (hostssl) and scram-sha-256 for every network connection; anything else is rejected.",
        row("local", "all", "postgres", "", "peer"),
        row("local", "all", "all", "", "reject"),
    ];
    for (const peer of p.replication) {
        lines.push(row("hostssl", "replication", ROLES.replication, peer, "scram-sha-256"));
        lines.push(row("hostssl", "postgres", ROLES.rewind, peer, "scram-sha-256"));
    }
    for (const peer of p.app) {
        for (const db of p.databases) lines.push(row("hostssl", db, db, peer, "scram-sha-256"));
        lines.push(row("hostssl", "postgres", ROLES.monitor, peer, "scram-sha-256"));
    }
    lines.push(row("host", "all", "all", "0.0.0.0/0", "reject"), row("host", "all", "all", "::/0", "reject"),
        row("host", "replication", "all", "0.0.0.0/0", "reject"), row("host", "replication", "all", "::/0", "reject"));
    return `${lines.join("\n")}\n`;
}
