// The app server's metrics, rendered: every minute, whether this region is ready (the readiness
// probe's `ready` file), how far behind its replica is (the lag the probe last read), and how
// many clients its database serves, published to the region's own cloud (CloudWatch namespace
// `Olympus`, or Cloud Monitoring `custom.googleapis.com/olympus/*`), labelled with the region.
// The region's dashboard and alerts read them. Pure: the tests run it with stand-in cloud CLIs.

import { Cloud } from "../../topology/catalog";

export const CLOUDWATCH_NAMESPACE = "Olympus";
/** Metric names: CloudWatch's, and Cloud Monitoring's (under custom.googleapis.com/olympus/). */
export const METRICS = {
    ready: { aws: "Ready", gcp: "ready" },
    lag: { aws: "ReplicationLagSeconds", gcp: "replication_lag_seconds" },
    connections: { aws: "DatabaseConnections", gcp: "database_connections" },
} as const;
export const GCP_METRIC_PREFIX = "custom.googleapis.com/olympus";

export interface MetricsOptions {
    readonly cloud: Cloud;
    readonly location: string;
    readonly regionName: string;
    readonly healthDir: string;
    /** libpq connection string of the local database as the monitoring role (password from PGPASSFILE). */
    readonly conninfo: string;
    readonly psql?: string;
    /** The commands used to publish (tests put stand-ins on PATH). */
    readonly aws?: string;
    readonly curl?: string;
    /** GCP: the metadata server (tests point it at a stand-in). */
    readonly metadataUrl?: string;
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export function renderMetricsScript(o: MetricsOptions): string {
    const publish = o.cloud === "aws" ? `publish() { # JSON list of {name, value}
    local data
    data=$(jq -c --arg region ${q(o.regionName)} '[.[] | {MetricName: .name, Value: .value, Unit: "None", Dimensions: [{Name: "Region", Value: $region}]}]' <<< "$1")
    ${o.aws ?? "aws"} cloudwatch put-metric-data --region ${q(o.location)} --namespace ${CLOUDWATCH_NAMESPACE} --metric-data "$data"
}` : `md() { ${o.curl ?? "curl"} -sf -H 'Metadata-Flavor: Google' "${o.metadataUrl ?? "http://metadata.google.internal"}/computeMetadata/v1/$1"; }
publish() { # JSON list of {name, value}
    local project instance zone token now body
    project=$(md project/project-id)
    instance=$(md instance/id)
    zone=$(md instance/zone); zone=\${zone##*/}
    token=$(md instance/service-accounts/default/token | jq -r .access_token)
    now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
    body=$(jq -c --arg region ${q(o.regionName)} --arg project "$project" --arg instance "$instance" --arg zone "$zone" --arg now "$now" \\
        '{timeSeries: [.[] | {metric: {type: ("${GCP_METRIC_PREFIX}/" + .name), labels: {region: $region}},
          resource: {type: "gce_instance", labels: {project_id: $project, instance_id: $instance, zone: $zone}},
          points: [{interval: {endTime: $now}, value: {doubleValue: .value}}]}]}' <<< "$1")
    ${o.curl ?? "curl"} -sf -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \\
        "https://monitoring.googleapis.com/v3/projects/$project/timeSeries" -d "$body" > /dev/null
}`;
    const name = (m: keyof typeof METRICS) => METRICS[m][o.cloud];
    return `#!/bin/bash
# olympus-metrics: this region's health, replication lag and database connections, to ${o.cloud === "aws" ? "CloudWatch" : "Cloud Monitoring"}.
# Run every minute by olympus-metrics.timer. Rendered by components/runtime/metrics.ts.
set -uo pipefail
HEALTH_DIR=${q(o.healthDir)}
${publish}
ready=0
[ -e "$HEALTH_DIR/ready" ] && ready=1
points=$(jq -nc --argjson v "$ready" '[{name: "${name("ready")}", value: $v}]')
# Published only while the replica streams: when it stops, the lag alert sees no data and fires.
lag=$(cat "$HEALTH_DIR/lag" 2>/dev/null || true)
if [[ "$lag" =~ ^[0-9]+(\\.[0-9]+)?$ ]]; then
    points=$(jq -c --argjson v "$lag" '. + [{name: "${name("lag")}", value: $v}]' <<< "$points")
fi
connections=$(${o.psql ?? "psql"} -X -Atq -d ${q(o.conninfo)} -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'" 2>/dev/null || true)
if [[ "$connections" =~ ^[0-9]+$ ]]; then
    points=$(jq -c --argjson v "$connections" '. + [{name: "${name("connections")}", value: $v}]' <<< "$points")
fi
publish "$points"
`;
}
