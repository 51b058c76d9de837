#!/bin/bash
# olympus-metrics: this region's health (1 ready, 0 not), its replica's lag (only while it streams:
# when it stops, the lag alert sees no data and fires) and its database's client connections,
# published to the region's own cloud (CloudWatch namespace Olympus, or Cloud Monitoring
# custom.googleapis.com/olympus/*) labelled with the region. Run every minute by olympus-metrics.timer.
set -uo pipefail
LIB=${OLYMPUS_LIB:-/usr/local/lib/olympus}
# shellcheck source=../server/cloud.sh
. "$LIB/cloud.sh"
CONFIG=${OLYMPUS_APP_CONFIG:-/etc/olympus/secrets/app-config}
HEALTH_DIR=${OLYMPUS_HEALTH_DIR:-/run/olympus/health}
PSQL=${OLYMPUS_PSQL:-psql}
case "$OLYMPUS_CLOUD" in aws) ready=Ready lag=ReplicationLagSeconds connections=DatabaseConnections ;;
    *) ready=ready lag=replication_lag_seconds connections=database_connections ;; esac

value=0
[ -e "$HEALTH_DIR/ready" ] && value=1
points=$(jq -nc --arg n "$ready" --argjson v "$value" '[{name: $n, value: $v}]')
seconds=$(cat "$HEALTH_DIR/lag" 2>/dev/null || true)
if [[ "$seconds" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    points=$(jq -c --arg n "$lag" --argjson v "$seconds" '. + [{name: $n, value: $v}]' <<< "$points")
fi
conninfo="host=$(jq -r .readHost "$CONFIG") port=$(jq -r .port "$CONFIG") dbname=postgres user=$(jq -r .monitorRole "$CONFIG") connect_timeout=2"
count=$("$PSQL" -X -Atq -d "$conninfo" -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'" 2>/dev/null || true)
if [[ "$count" =~ ^[0-9]+$ ]]; then
    points=$(jq -c --arg n "$connections" --argjson v "$count" '. + [{name: $n, value: $v}]' <<< "$points")
fi
metrics_put "$points" || { echo "olympus-metrics: publishing failed" >&2; exit 1; }
