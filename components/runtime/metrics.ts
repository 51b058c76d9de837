// The metric names the app server's publisher (files/app/metrics.sh) writes every minute, and the
// region's dashboard and alerts read: whether the region is ready, its replica's lag, its database's
// client connections, in CloudWatch namespace `Olympus` or Cloud Monitoring `custom.googleapis.com/olympus/*`,
// labelled with the region. A test checks the script publishes exactly these names.

export const CLOUDWATCH_NAMESPACE = "Olympus";
/** Metric names: CloudWatch's, and Cloud Monitoring's (under custom.googleapis.com/olympus/). */
export const METRICS = {
    ready: { aws: "Ready", gcp: "ready" },
    lag: { aws: "ReplicationLagSeconds", gcp: "replication_lag_seconds" },
    connections: { aws: "DatabaseConnections", gcp: "database_connections" },
} as const;
export const GCP_METRIC_PREFIX = "custom.googleapis.com/olympus";
