// The rendered metrics publisher, run for real: it reads the readiness probe's files and counts
// client connections on a real PostgreSQL as the monitoring role, then publishes. The clouds'
// CLIs are stand-ins on PATH that record what they were asked (this machine has no cloud).

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ROLES } from "../../components/database/postgres";
import { renderMetricsScript } from "../../components/runtime/metrics";
import { PgNode, TEST_CREDENTIALS, makeNodes, postgresAvailable } from "../../tools/pgcluster";

describe("integration: the metrics publisher", function () {
    this.timeout(60_000);
    let node: PgNode;
    let dispose: () => void;
    let dir: string;
    let healthDir: string;
    let conninfo: string;

    before(async () => {
        assert.strictEqual(postgresAvailable(), undefined, "PostgreSQL is required (.ci/run installs it)");
        const cluster = await makeNodes(["metrics"]);
        [node] = cluster.nodes;
        dispose = cluster.dispose;
        const r = node.db("init-primary");
        assert.strictEqual(r.status, 0, r.stderr);
        dir = fs.mkdtempSync(path.join(cluster.base, "metrics-"));
        healthDir = path.join(dir, "health");
        fs.mkdirSync(healthDir);
        const passfile = path.join(dir, "pgpass");
        fs.writeFileSync(passfile, `127.0.0.1:${node.port}:postgres:${ROLES.monitor}:${TEST_CREDENTIALS.monitor}\n`, { mode: 0o600 });
        process.env.PGPASSFILE = passfile;
        conninfo = `host=127.0.0.1 port=${node.port} dbname=postgres user=${ROLES.monitor} sslmode=verify-full sslrootcert=${node.layout.configDir}/tls/ca.crt connect_timeout=2`;
        // The aws stand-in records its arguments; the curl stand-in answers the metadata server and records the POST.
        fs.writeFileSync(path.join(dir, "aws"), `#!/bin/bash\nprintf '%s\\n' "$@" > ${dir}/aws-args\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "curl"), `#!/bin/bash
url="\${@: -1}"
case "$*" in
  *"-X POST"*) for ((i=1; i<=$#; i++)); do if [ "\${!i}" = -d ]; then j=$((i+1)); printf '%s' "\${!j}" > ${dir}/gcp-body; fi; done
               for a in "$@"; do case "$a" in https://*) echo "$a" > ${dir}/gcp-url;; esac; done ;;
  *project/project-id*) echo -n olympus-example-project ;;
  *instance/service-accounts/default/token*) echo '{"access_token":"t0ken"}' ;;
  *instance/zone*) echo -n projects/123/zones/europe-west1-b ;;
  *instance/id*) echo -n 4242 ;;
  *) exit 22 ;;
esac
`, { mode: 0o755 });
    });
    after(() => {
        delete process.env.PGPASSFILE;
        dispose?.();
    });

    const run = (cloud: "aws" | "gcp") => {
        const script = path.join(dir, `metrics-${cloud}.sh`);
        fs.writeFileSync(script, renderMetricsScript({
            cloud, location: cloud === "aws" ? "us-east-1" : "europe-west1", regionName: cloud === "aws" ? "us-east" : "eu-west", healthDir, conninfo,
            aws: path.join(dir, "aws"), curl: path.join(dir, "curl"), psql: path.join(node.layout.binDir, "psql"),
        }), { mode: 0o755 });
        const r = spawnSync("bash", [script], { encoding: "utf8", env: process.env });
        assert.strictEqual(r.status, 0, r.stderr);
    };

    it("publishes ready, the lag the probe last read and the client connections to CloudWatch, labelled with the region", () => {
        fs.writeFileSync(path.join(healthDir, "ready"), "");
        fs.writeFileSync(path.join(healthDir, "lag"), "3.5\n");
        run("aws");
        const args = fs.readFileSync(path.join(dir, "aws-args"), "utf8").trim().split("\n");
        assert.deepStrictEqual(args.slice(0, 6), ["cloudwatch", "put-metric-data", "--region", "us-east-1", "--namespace", "Olympus"]);
        const data = JSON.parse(args[7]) as { MetricName: string; Value: number; Dimensions: unknown[] }[];
        assert.deepStrictEqual(data.map((d) => d.MetricName), ["Ready", "ReplicationLagSeconds", "DatabaseConnections"]);
        assert.deepStrictEqual(data.map((d) => d.Value).slice(0, 2), [1, 3.5]);
        assert.ok(data[2].Value >= 1, "the publisher's own connection counts");
        assert.deepStrictEqual(data[0].Dimensions, [{ Name: "Region", Value: "us-east" }]);
    });

    it("publishes not-ready, and leaves the lag out while the replica does not stream, so the lag alert fires", () => {
        fs.rmSync(path.join(healthDir, "ready"));
        fs.writeFileSync(path.join(healthDir, "lag"), "");
        run("aws");
        const data = JSON.parse(fs.readFileSync(path.join(dir, "aws-args"), "utf8").trim().split("\n")[7]) as { MetricName: string; Value: number }[];
        assert.deepStrictEqual(data.map((d) => [d.MetricName, d.MetricName === "Ready" ? d.Value : "n"]), [["Ready", 0], ["DatabaseConnections", "n"]]);
    });

    it("writes the same series to Cloud Monitoring as custom metrics of the instance, with the metadata server's token", () => {
        fs.writeFileSync(path.join(healthDir, "ready"), "");
        fs.writeFileSync(path.join(healthDir, "lag"), "12\n");
        run("gcp");
        assert.strictEqual(fs.readFileSync(path.join(dir, "gcp-url"), "utf8").trim(), "https://monitoring.googleapis.com/v3/projects/olympus-example-project/timeSeries");
        const body = JSON.parse(fs.readFileSync(path.join(dir, "gcp-body"), "utf8"));
        assert.deepStrictEqual(body.timeSeries.map((t: { metric: { type: string } }) => t.metric.type), [
            "custom.googleapis.com/olympus/ready", "custom.googleapis.com/olympus/replication_lag_seconds", "custom.googleapis.com/olympus/database_connections",
        ]);
        assert.deepStrictEqual(body.timeSeries[0].resource, { type: "gce_instance", labels: { project_id: "olympus-example-project", instance_id: "4242", zone: "europe-west1-b" } });
        assert.deepStrictEqual(body.timeSeries[1].metric.labels, { region: "eu-west" });
        assert.strictEqual(body.timeSeries[1].points[0].value.doubleValue, 12);
        assert.match(body.timeSeries[0].points[0].interval.endTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });
});
