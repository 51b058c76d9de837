// Operations as the offline engine records them: a dashboard and alerts per region in its own
// cloud, the global /healthz view from three continents, the metrics publisher's permissions, and
// the introspection cache passed to the services.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { OfflineRun, isSecretValue, reveal, runOffline } from "../../tools/engine";
import { inRegion, inputs, ofType, regionConfig, serverFile, stackRun, tempStackFile } from "../helpers";

const byRegion = (run: OfflineRun, type: string, region: string) => inRegion(run, region).filter((r) => r.type === type);
const appServer = (run: OfflineRun, region: string) =>
    inRegion(run, region).find((r) => r.name === `${region}-app` && (r.type === "aws:ec2/instance:Instance" || r.type === "gcp:compute/instance:Instance"))!;

describe("monitoring on AWS (aws-global)", () => {
    it("gives every region a dashboard of health, lag, connections and load, in its own location", async () => {
        const run = await stackRun("aws-global");
        for (const [region, location] of [["us-east", "us-east-1"], ["eu-west", "eu-west-1"]]) {
            const [dash] = byRegion(run, "aws:cloudwatch/dashboard:Dashboard", region);
            const body = JSON.parse(inputs(dash).dashboardBody);
            assert.deepStrictEqual(body.widgets.map((w: { properties: { title: string } }) => w.properties.title.replace(`${region}: `, "")),
                ["ready (1) or not (0), as /healthz answers", "replication lag (s)", "database connections", "load (CPU %)"]);
            assert.ok(body.widgets.every((w: { properties: { region: string } }) => w.properties.region === location));
            const metrics = JSON.stringify(body);
            assert.ok(metrics.includes(`["Olympus","Ready","Region","${region}"`), region);
            assert.ok(metrics.includes(`"AWS/EC2","CPUUtilization","InstanceId","${appServer(run, region).id}"`), region);
            const rds = byRegion(run, "aws:rds/instance:Instance", region)[0];
            assert.ok(metrics.includes(`"AWS/RDS","DatabaseConnections","DBInstanceIdentifier","${reveal(rds.wireOutputs.identifier)}"`), region);
        }
    });

    it("alarms on an unhealthy or silent region everywhere, and on replica lag in replica regions only, mailed through SNS", async () => {
        const run = await stackRun("aws-global");
        const alarms = (region: string) => byRegion(run, "aws:cloudwatch/metricAlarm:MetricAlarm", region).map(inputs);
        for (const region of ["us-east", "eu-west", "ap-southeast"]) {
            const unhealthy = alarms(region).find((a) => a.metricName === "Ready")!;
            assert.deepStrictEqual([unhealthy.namespace, unhealthy.dimensions, unhealthy.comparisonOperator, unhealthy.threshold, unhealthy.treatMissingData],
                ["Olympus", { Region: region }, "LessThanThreshold", 1, "breaching"], region);
            const topic = byRegion(run, "aws:sns/topic:Topic", region)[0];
            assert.deepStrictEqual(unhealthy.alarmActions, [reveal(topic.wireOutputs.arn)]);
            const sub = inputs(byRegion(run, "aws:sns/topicSubscription:TopicSubscription", region)[0]);
            assert.deepStrictEqual([sub.protocol, sub.endpoint], ["email", "oncall@example.com"]);
        }
        assert.strictEqual(alarms("us-east").length, 1, "the primary has no replica lag");
        const lag = alarms("eu-west").find((a) => a.metricName === "ReplicationLagSeconds")!;
        assert.deepStrictEqual([lag.comparisonOperator, lag.threshold, lag.statistic, lag.treatMissingData], ["GreaterThanThreshold", 30, "Maximum", "breaching"]);
    });

    it("lets the app server publish its own namespace's metrics and nothing else of CloudWatch", async () => {
        const run = await stackRun("aws-global");
        const policy = JSON.parse(inputs(inRegion(run, "eu-west").find((r) => r.name === "eu-west-app-put-metrics")!).policy);
        assert.deepStrictEqual(policy.Statement, [{
            Sid: "PublishOlympusMetricsOnly", Effect: "Allow", Action: "cloudwatch:PutMetricData", Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": "Olympus" } },
        }]);
        assert.strictEqual(inRegion(run, "us-east").filter((r) => r.name === "us-east-database-put-metrics").length, 0);
    });

    it("sends no mail when no address is configured (us-eu)", async () => {
        const run = await stackRun("us-eu");
        assert.strictEqual(ofType(run, "aws:sns/topic:Topic").length, 0);
        assert.strictEqual(inputs(byRegion(run, "aws:cloudwatch/metricAlarm:MetricAlarm", "us-east")[0]).alarmActions, undefined);
    });
});

describe("monitoring on GCP (gcp-global)", () => {
    it("gives every region a dashboard and alert policies on its custom metrics, with an email channel", async () => {
        const run = await stackRun("gcp-global");
        for (const region of ["us-central", "eu-west", "asia-east"]) {
            const dash = JSON.parse(inputs(byRegion(run, "gcp:monitoring/dashboard:Dashboard", region)[0]).dashboardJson);
            assert.strictEqual(dash.mosaicLayout.tiles.length, 4);
            const text = JSON.stringify(dash);
            assert.ok(text.includes(`metric.type=\\"custom.googleapis.com/olympus/ready\\" AND resource.type=\\"gce_instance\\" AND metric.label.region=\\"${region}\\"`), region);
            assert.ok(text.includes("cloudsql.googleapis.com/database/postgresql/num_backends"), region);
            const policies = byRegion(run, "gcp:monitoring/alertPolicy:AlertPolicy", region).map(inputs);
            assert.strictEqual(policies.length, region === "us-central" ? 1 : 2, region);
            const unhealthy = policies[0];
            assert.deepStrictEqual([unhealthy.combiner, unhealthy.conditions[0].conditionThreshold.comparison, unhealthy.conditions[0].conditionThreshold.thresholdValue,
                unhealthy.conditions[1].conditionAbsent.duration], ["OR", "COMPARISON_LT", 1, "300s"]);
            const channel = byRegion(run, "gcp:monitoring/notificationChannel:NotificationChannel", region)[0];
            assert.deepStrictEqual([inputs(channel).type, inputs(channel).labels, unhealthy.notificationChannels], ["email", { email_address: "oncall@example.com" }, [channel.id]]);
        }
        const lag = byRegion(run, "gcp:monitoring/alertPolicy:AlertPolicy", "eu-west").map(inputs)[1];
        assert.deepStrictEqual([lag.conditions[0].conditionThreshold.comparison, lag.conditions[0].conditionThreshold.thresholdValue], ["COMPARISON_GT", 30]);
    });

    it("lets the app server's account write metrics, and the database server's not", async () => {
        const run = await stackRun("us-eu");
        const members = byRegion(run, "gcp:projects/iAMMember:IAMMember", "eu-west").map(inputs);
        const appAccount = inRegion(run, "eu-west").find((r) => r.type === "gcp:serviceaccount/account:Account" && r.name === "eu-west-app")!;
        assert.deepStrictEqual(members.map((m) => [m.project, m.role, m.member]),
            [["olympus-example-project", "roles/monitoring.metricWriter", reveal(appAccount.wireOutputs.member)]]);
    });
});

describe("the global view: every region's /healthz from three continents", () => {
    it("checks each region's origin over HTTPS for 200, with the domain as Host", async () => {
        const run = await stackRun("us-eu");
        const checks = ofType(run, "cloudflare:index/healthcheck:Healthcheck").map(inputs);
        const outputs = reveal(run.wireOutputs) as { regions: Record<string, { originAddress: string }> };
        assert.deepStrictEqual(checks.map((c) => c.address).sort(), Object.values(outputs.regions).map((r) => r.originAddress).sort());
        for (const c of checks) {
            assert.deepStrictEqual([c.type, c.checkRegions, c.httpConfig.path, c.httpConfig.expectedCodes, c.httpConfig.header, c.httpConfig.method],
                ["HTTPS", ["WNAM", "WEU", "SEAS"], "/healthz", ["200"], { Host: ["ciam.example.com"] }, "GET"]);
        }
    });

    it("notifies on global health changes where notifications are configured", async () => {
        const run = await stackRun("eu-residency");
        const policy = ofType(run, "cloudflare:index/notificationPolicy:NotificationPolicy").map(inputs).find((p) => p.alertType === "health_check_status_notification")!;
        const ids = ofType(run, "cloudflare:index/healthcheck:Healthcheck").map((h) => h.id);
        assert.deepStrictEqual([[...policy.filters.healthCheckIds].sort(), policy.filters.statuses], [[...ids].sort(), ["Unhealthy", "Healthy"]]);
    });

    it("is left out on the free plan, which has no standalone health checks", async () => {
        const base = fs.readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.us-eu.yaml"), "utf8");
        const run = await runOffline({ stackFile: tempStackFile("free", base.replace("plan: business", "plan: free").replace(/    monitor: .*\n/, "")) });
        assert.strictEqual(ofType(run, "cloudflare:index/healthcheck:Healthcheck").length, 0);
    });
});

describe("the introspection cache", () => {
    it("starts Hera and Athena with the TTL, and tells apply.sh where each reads the invalidation URL", async () => {
        const run = await stackRun("us-eu");
        const compose = YAML.parse(serverFile(run, "us-east", "app", "/etc/olympus/compose.yaml"));
        assert.strictEqual(compose.services.hera.environment.OLYMPUS_INTROSPECTION_CACHE_TTL, "60s");
        assert.strictEqual(compose.services.athena.environment.OLYMPUS_INTROSPECTION_CACHE_TTL, "60s");
        assert.strictEqual(compose.services.hydra.environment.OLYMPUS_INTROSPECTION_CACHE_TTL, undefined);
        assert.deepStrictEqual(compose.services.hera.env_file, ["/etc/olympus/env/hera.env"]);
        const services = regionConfig(run, "us-east", "app").services as { name: string; cacheInvalidationSetting?: string }[];
        assert.deepStrictEqual(services.filter((x) => x.cacheInvalidationSetting).map((x) => [x.name, x.cacheInvalidationSetting]),
            [["hera", "OLYMPUS_INTROSPECTION_CACHE_INVALIDATION_URL"], ["athena", "OLYMPUS_INTROSPECTION_CACHE_INVALIDATION_URL"]]);
    });

    it("carries an invalidation URL as a secret, in the credentials, never in user-data", async () => {
        const base = fs.readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.us-eu.yaml"), "utf8");
        const url = "redis://:cache-Password-9@redis.internal:6379/0";
        const run = await runOffline({ stackFile: tempStackFile("cached", `${base}  olympus:cache: { introspectionTtlSeconds: 600, invalidationUrl: "${url}" }\n`) });
        const version = inRegion(run, "us-east").find((r) => r.name === "us-east-credentials" && /secretVersion/.test(r.type))!;
        assert.ok(isSecretValue(version.wireInputs.secretString));
        assert.strictEqual(JSON.parse(String(reveal(version.wireInputs.secretString))).cacheInvalidationUrl, url);
        for (const vm of [appServer(run, "us-east"), appServer(run, "eu-west")]) {
            assert.ok(!JSON.stringify(vm.wireInputs).includes("cache-Password-9"), vm.name);
            const region = vm.name.replace(/-app$/, "");
            assert.strictEqual(YAML.parse(serverFile(run, region, "app", "/etc/olympus/compose.yaml")).services.hera.environment.OLYMPUS_INTROSPECTION_CACHE_TTL, "600s");
        }
        const region = ofType(run, "olympus:index:Region").find((r) => r.name === "us-east")!;
        assert.deepStrictEqual(reveal(region.wireOutputs.introspectionCache), { introspectionTtlSeconds: 600, invalidation: "redis" });
    });
});
