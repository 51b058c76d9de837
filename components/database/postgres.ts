// Self-managed PostgreSQL, rendered: postgresql.conf, pg_hba.conf and the `olympus-db` script that
// bootstraps a primary, builds a replica with pg_basebackup, promotes, rebuilds a former primary
// (pg_rewind, else a fresh base backup), reports replication lag, and converges a node to the role
// it should have. Pure functions parameterised by paths and ports: the very same files run on the
// servers (from cloud-init) and in test/integration against two real PostgreSQL servers.

export interface PostgresLayout {
    /** PostgreSQL's binaries, e.g. /usr/lib/postgresql/16/bin. */
    readonly binDir: string;
    readonly dataDir: string;
    /** Where the rendered config, TLS files and the replication passfile live (outside the data directory). */
    readonly configDir: string;
    readonly socketDir: string;
    /** Where the credentials file (database.json) and TLS bundle arrive. */
    readonly secretsDir: string;
    /** The file holding this node's desired role: {"role": "primary"|"replica"|"independent", "upstream": "host:port"}. */
    readonly roleFile: string;
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

/**
 * Replication lag in seconds as the readiness probe reads it: 0 on a primary; on a replica the
 * larger of how far replay trails what was received and how long ago the primary was last heard
 * from; -1 when the replica is not streaming at all.
 */
export const LAG_SQL = "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 " +
    "WHEN r.status IS DISTINCT FROM 'streaming' THEN -1 " +
    "ELSE round(GREATEST(CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 " +
    "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END, " +
    "EXTRACT(EPOCH FROM now() - r.last_msg_receipt_time))::numeric, 1) END " +
    "FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver r ON true";

export interface ScriptOptions {
    readonly layout: PostgresLayout;
    /** This node's region: names its slot and its application_name on the primary. */
    readonly region: string;
    /**
     * The other regions: the slots a primary keeps for them. On a server this is empty and the
     * list arrives at run time (PEERS_FILE, written from the node's db-config): a region added
     * later must not change the server's user-data.
     */
    readonly peerRegions: readonly string[];
    /** Service databases to create on a primary, each owned by the role of the same name. */
    readonly databases: readonly string[];
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

/** The `olympus-db` script. Run it as the database's OS user (postgres). */
export function renderDbScript(o: ScriptOptions): string {
    const l = o.layout;
    const slots = o.peerRegions.map(slotName);
    return `#!/bin/bash
# olympus-db: bootstrap, replicate, promote, rebuild and converge this PostgreSQL node.
# Rendered by components/database/postgres.ts for region ${o.region}. Run as the postgres OS user.
#   init-primary | init-replica HOST:PORT | start | stop | promote | rebuild HOST:PORT | lag | converge | slots
set -euo pipefail

BIN=${q(l.binDir)}
PGDATA=${q(l.dataDir)}
CONFIG_DIR=${q(l.configDir)}
SOCKET_DIR=${q(l.socketDir)}
SECRETS_DIR=${q(l.secretsDir)}
ROLE_FILE=${q(l.roleFile)}
PORT=${l.port}
SLOT=${q(slotName(o.region))}
PEER_SLOTS=(${slots.map(q).join(" ")})
# The current peers' slots, from the node's db-config (olympus-db-sync keeps this file).
PEERS_FILE="$CONFIG_DIR/peer-slots.json"
if [ -f "$PEERS_FILE" ]; then mapfile -t PEER_SLOTS < <(jq -r '.[]' "$PEERS_FILE"); fi
DATABASES=(${o.databases.map(q).join(" ")})
REPLICATOR=${ROLES.replication}
REWINDER=${ROLES.rewind}
MONITOR=${ROLES.monitor}
PASSFILE="$CONFIG_DIR/replication.pgpass"
export PGCONNECT_TIMEOUT=10

log() { echo "olympus-db[${o.region}]: $*" >&2; }
die() { log "$*"; exit 1; }
secret() { jq -er --arg k "$1" '.[$k]' "$SECRETS_DIR/database.json"; }
local_psql() { "$BIN/psql" -X -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -U postgres -d "\${2:-postgres}" -Atqc "$1"; }
remote_conn() { # HOST:PORT USER DB -> a libpq connection string, TLS verify-full, password from the passfile
    echo "host=\${1%:*} port=\${1##*:} user=$2 dbname=$3 passfile=$PASSFILE sslmode=verify-full sslrootcert=$CONFIG_DIR/tls/ca.crt application_name=$SLOT"
}
running() { "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; }
is_standby() { [ -f "$PGDATA/standby.signal" ]; }
has_data() { [ -f "$PGDATA/PG_VERSION" ]; }

write_passfile() {
    umask 077
    { echo "*:*:*:$REPLICATOR:$(secret replicator)"; echo "*:*:*:$REWINDER:$(secret rewind)"; } > "$PASSFILE.tmp"
    mv -f "$PASSFILE.tmp" "$PASSFILE"
}

start() {
    running && return 0
    "$BIN/pg_ctl" -D "$PGDATA" -o "-c config_file=$CONFIG_DIR/postgresql.conf" -l "$PGDATA/startup.log" -w -t 120 start >/dev/null
}
stop() {
    running || return 0
    "$BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 120 stop >/dev/null
}

# Point a standby at HOST:PORT through this region's slot; no password in primary_conninfo.
configure_standby() {
    local auto="$PGDATA/postgresql.auto.conf"
    touch "$auto"
    grep -vE '^(primary_conninfo|primary_slot_name)' "$auto" > "$auto.tmp" || true
    { echo "primary_conninfo = '$(remote_conn "$1" "$REPLICATOR" replication)'"; echo "primary_slot_name = '$SLOT'"; } >> "$auto.tmp"
    mv -f "$auto.tmp" "$auto"
    touch "$PGDATA/standby.signal"
}

ensure_slots() {
    local s
    for s in "\${PEER_SLOTS[@]}"; do
        # Reserve WAL at once: a standby rewound onto this node streams from the moment of promotion.
        local_psql "SELECT pg_create_physical_replication_slot('$s', true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$s')" >/dev/null
    done
}

set_password() { # ROLE PASSWORD: create or update a login role; the password goes through stdin, never argv
    local_psql "DO \\$\\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$1') THEN CREATE ROLE $1 LOGIN; END IF; END \\$\\$" >/dev/null
    local pw="\${2//\\'/\\'\\'}"
    printf "ALTER ROLE %s WITH LOGIN PASSWORD '%s';\\n" "$1" "$pw" | \\
        "$BIN/psql" -X -v ON_ERROR_STOP=1 -h "$SOCKET_DIR" -p "$PORT" -U postgres -d postgres -Atq -f - >/dev/null
}

init_primary() {
    if ! has_data; then
        log "initialising a new primary in $PGDATA"
        "$BIN/initdb" -D "$PGDATA" -U postgres --data-checksums --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    is_standby && die "init-primary: $PGDATA is a standby; use promote"
    write_passfile
    start
    set_password "$REPLICATOR" "$(secret replicator)"
    local_psql "ALTER ROLE $REPLICATOR WITH REPLICATION" >/dev/null
    set_password "$REWINDER" "$(secret rewind)"
    local f
    for f in "pg_ls_dir(text, boolean, boolean)" "pg_stat_file(text, boolean)" "pg_read_binary_file(text)" "pg_read_binary_file(text, bigint, bigint, boolean)"; do
        local_psql "GRANT EXECUTE ON FUNCTION $f TO $REWINDER" >/dev/null
    done
    set_password "$MONITOR" "$(secret monitor)"
    local_psql "GRANT pg_monitor TO $MONITOR" >/dev/null
    local db
    for db in "\${DATABASES[@]}"; do
        set_password "$db" "$(secret "$db")"
        if [ -z "$(local_psql "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then local_psql "CREATE DATABASE $db OWNER $db" >/dev/null; fi
        local_psql "REVOKE ALL ON DATABASE $db FROM PUBLIC" >/dev/null
    done
    ensure_slots
    log "primary ready: roles, databases and slots (\${PEER_SLOTS[*]:-none}) in place"
}

base_backup() { # UPSTREAM: a fresh copy of the upstream, streaming WAL through this region's slot
    log "base backup from $1 through slot $SLOT"
    write_passfile
    # A slot that was invalidated (wal_status lost) cannot be reused: drop it, let pg_basebackup recreate it.
    "$BIN/pg_receivewal" -d "$(remote_conn "$1" "$REPLICATOR" replication)" --slot="$SLOT" --drop-slot >/dev/null 2>&1 || true
    rm -rf "\${PGDATA:?}"/* "\${PGDATA:?}"/.[!.]* 2>/dev/null || true
    mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
    "$BIN/pg_basebackup" -d "$(remote_conn "$1" "$REPLICATOR" replication)" -D "$PGDATA" \\
        --slot="$SLOT" --create-slot -X stream --checkpoint=fast -R --no-password
    configure_standby "$1"
}

init_replica() {
    [ -n "\${1:-}" ] || die "init-replica needs the primary's HOST:PORT"
    if has_data; then
        is_standby || die "init-replica: $PGDATA holds a primary; use rebuild to turn it into a replica"
        write_passfile
        configure_standby "$1"
    else
        base_backup "$1"
    fi
    start
    log "replica of $1 streaming through slot $SLOT"
}

promote() {
    start
    if [ "$(local_psql "SELECT pg_is_in_recovery()")" = "t" ]; then
        log "promoting"
        "$BIN/pg_ctl" -D "$PGDATA" -w -t 120 promote >/dev/null
        rm -f "$PGDATA/standby.signal"
        # Write the new timeline into pg_control now: pg_rewind compares timelines from it, and
        # would otherwise find "no rewind required" on a former primary that diverged.
        local_psql "CHECKPOINT" >/dev/null
    fi
    ensure_slots
    log "primary: writable, slots for \${PEER_SLOTS[*]:-none} in place"
}

# A former primary, or a replica that fell too far behind, becomes a replica of UPSTREAM: pg_rewind
# when its slot on the upstream is usable, else (or when rewinding fails) a fresh base backup.
rebuild() {
    [ -n "\${1:-}" ] || die "rebuild needs the new primary's HOST:PORT"
    write_passfile
    stop
    # Fenced first (stopped above): a node told to follow another never takes writes again. If the
    # new primary has not been promoted yet (its own sync has not run), stay stopped and try again
    # at the next sync rather than copy from a standby.
    local upstream_recovery
    upstream_recovery=$("$BIN/psql" -X -Atq -d "$(remote_conn "$1" "$REWINDER" postgres)" -c "SELECT pg_is_in_recovery()" 2>/dev/null || echo unreachable)
    if [ "$upstream_recovery" != f ]; then
        log "fenced: $1 is not a primary yet ($upstream_recovery); staying stopped until it is"
        exit 75
    fi
    local status
    status=$("$BIN/psql" -X -Atq -d "$(remote_conn "$1" "$REWINDER" postgres)" \\
        -c "SELECT coalesce((SELECT coalesce(wal_status, 'unreserved') FROM pg_replication_slots WHERE slot_name = '$SLOT'), 'missing')" 2>/dev/null || echo unreachable)
    [ "$status" = unreachable ] && die "rebuild: cannot reach $1"
    local config=()
    # --config-file lets pg_rewind run crash recovery with this node's settings (PostgreSQL 15+).
    "$BIN/pg_rewind" --help | grep -q -- --config-file && config=(--config-file="$CONFIG_DIR/postgresql.conf")
    if has_data && [ "$status" != lost ] && [ "$status" != missing ] && \\
        "$BIN/pg_rewind" -D "$PGDATA" --source-server="$(remote_conn "$1" "$REWINDER" postgres)" "\${config[@]}" >&2; then
        log "rewound onto $1"
        configure_standby "$1"
    else
        log "slot $status on $1, or rewind impossible: taking a fresh base backup"
        base_backup "$1"
    fi
    start
}

lag() {
    local_psql "${LAG_SQL}"
}

# Make this node what ROLE_FILE says it should be. A node told to be a replica never runs as a
# writer: a former primary is rebuilt (fenced) before it accepts anything.
converge() {
    local role upstream
    role=$(jq -er .role "$ROLE_FILE")
    upstream=$(jq -r '.upstream // empty' "$ROLE_FILE")
    case "$role" in
        primary|independent)
            if ! has_data; then init_primary; elif is_standby; then promote; else start; init_primary; fi ;;
        replica)
            [ -n "$upstream" ] || die "converge: a replica needs an upstream in $ROLE_FILE"
            if ! has_data; then init_replica "$upstream"
            elif ! is_standby; then log "fencing: this node was a primary; rebuilding it as a replica of $upstream"; rebuild "$upstream"
            else write_passfile; configure_standby "$upstream"; stop; start; fi ;;
        *) die "converge: unknown role '$role' in $ROLE_FILE" ;;
    esac
}

case "\${1:-}" in
    init-primary) init_primary ;;
    init-replica) init_replica "\${2:-}" ;;
    start) start ;;
    stop) stop ;;
    promote) promote ;;
    rebuild) rebuild "\${2:-}" ;;
    lag) lag ;;
    converge) converge ;;
    # A new peer region: a running primary makes its slot at once (a replica makes them when promoted).
    slots) if running && ! is_standby; then ensure_slots; log "slots for \${PEER_SLOTS[*]:-none} in place"; fi ;;
    *) die "usage: olympus-db init-primary | init-replica HOST:PORT | start | stop | promote | rebuild HOST:PORT | lag | converge | slots" ;;
esac
`;
}
