#!/bin/bash
# olympus-readiness [--once]: is this region ready to serve? Ready: every local service answers its
# health endpoint with 200 and, in a replica region (app-config maxReplicationLagSeconds set), the
# local replica is streaming and at most that many seconds behind. Keeps $HEALTH_DIR/ready while
# ready (Caddy's /healthz answers 200) and removes it otherwise (503), with the reasons in
# $HEALTH_DIR/status and the last lag in $HEALTH_DIR/lag (the metrics publisher reads both).
# Runs as a service, checking every readiness.intervalSeconds; --once checks once (exit 1: not ready).
set -u
CONFIG=${OLYMPUS_APP_CONFIG:-/etc/olympus/secrets/app-config}
HEALTH_DIR=${OLYMPUS_HEALTH_DIR:-/run/olympus/health}
PSQL=${OLYMPUS_PSQL:-psql}
# Replication lag in seconds: 0 on a primary; on a replica the larger of how far replay trails what
# was received and how long ago the primary was last heard from; -1 when it is not streaming.
LAG_SQL="SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0
    WHEN r.status IS DISTINCT FROM 'streaming' THEN -1
    ELSE round(GREATEST(CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END,
        EXTRACT(EPOCH FROM now() - r.last_msg_receipt_time))::numeric, 1) END
    FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver r ON true"

write() { printf '%s\n' "$2" > "$HEALTH_DIR/.$1.tmp" && mv -f "$HEALTH_DIR/.$1.tmp" "$HEALTH_DIR/$1"; }

check_once() {
    local reasons=() timeout name url code max lag conninfo
    mkdir -p "$HEALTH_DIR"
    if ! jq -e '.readiness.checks | type == "array"' "$CONFIG" >/dev/null 2>&1; then
        reasons+=("config: no readiness checks in $CONFIG")
    else
        timeout=$(jq -r '.readiness.timeoutSeconds // 2' "$CONFIG")
        while IFS=$'\t' read -r name url; do
            code=$(curl -s -o /dev/null -m "$timeout" -w '%{http_code}' "$url") || true
            [ "$code" = 200 ] || reasons+=("$name: ${code:-000}")
        done < <(jq -r '.readiness.checks[] | [.name, .url] | @tsv' "$CONFIG")
    fi
    max=$(jq -r '.maxReplicationLagSeconds // empty' "$CONFIG" 2>/dev/null)
    if [ -n "$max" ]; then
        conninfo="host=$(jq -r .readHost "$CONFIG") port=$(jq -r .port "$CONFIG") dbname=postgres user=$(jq -r .monitorRole "$CONFIG") connect_timeout=2"
        lag=$("$PSQL" -X -Atq -d "$conninfo" -c "$LAG_SQL" 2>/dev/null) || lag=""
        if [ -n "$lag" ] && [ "$lag" != "-1" ]; then write lag "$lag"; else write lag ""; fi
        if [ -z "$lag" ] || [ "$lag" = "-1" ]; then
            reasons+=("replication: not streaming from the primary")
        elif awk -v l="$lag" -v m="$max" 'BEGIN { exit !(l > m) }'; then
            reasons+=("replication: ${lag}s behind (at most ${max}s)")
        fi
    fi
    local was_ready=no
    [ -e "$HEALTH_DIR/ready" ] && was_ready=yes
    if [ ${#reasons[@]} -eq 0 ]; then
        write status "ready $(date -u +%FT%TZ)"
        touch "$HEALTH_DIR/.ready.tmp" && mv -f "$HEALTH_DIR/.ready.tmp" "$HEALTH_DIR/ready"
        [ "$was_ready" = yes ] || echo "olympus-readiness: ready"
        return 0
    fi
    rm -f "$HEALTH_DIR/ready"
    write status "not ready $(date -u +%FT%TZ): $(IFS=';'; echo "${reasons[*]}")"
    [ "$was_ready" = no ] || echo "olympus-readiness: not ready: ${reasons[*]}"
    return 1
}

if [ "${1:-}" = --once ]; then check_once; exit; fi
while true; do
    check_once || true
    sleep "$(jq -r '.readiness.intervalSeconds // 5' "$CONFIG" 2>/dev/null || echo 5)"
done
