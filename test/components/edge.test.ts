// The edge as the offline engine records it: the load balancer's pool lists are the plan's
// steering table, every region pool has the /healthz monitor, the fallback is the maintenance
// Worker (never a region), the pin rule, origin TLS with authenticated origin pulls, SSL strict,
// cache rules, notifications; and the maintenance Worker itself, run in Node's fetch runtime.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import { GEO_CODES } from "../../topology/catalog";
import { loadConfig } from "../../topology/config";
import { FALLBACK, failoverView } from "../../topology/failover";
import { Plan, planTopology } from "../../topology/plan";
import { OfflineRun, RecordedResource, isSecretValue, reveal, runOffline } from "../../tools/engine";
import { inRegion, inputs, ofType, removeTempDir, serverFile, stackRun, tempDir, tempStackFile } from "../helpers";

const LB = "cloudflare:index/loadBalancer:LoadBalancer";
const POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool";
const MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor";

const planOf = (run: OfflineRun): Plan => planTopology(loadConfig(run.config.values));
const only = (run: OfflineRun, type: string): RecordedResource => {
    const found = ofType(run, type);
    assert.strictEqual(found.length, 1, `one ${type}`);
    return found[0];
};
/** Pool id -> the region it serves ("maintenance" for the fallback). */
function poolNames(run: OfflineRun): Map<string, string> {
    return new Map(ofType(run, POOL).map((p) => [p.id, inputs(p).origins[0].name]));
}

describe("Edge (us-eu): the load balancer follows the plan", () => {
    it("maps every Cloudflare region code to the plan's pool list, in order", async () => {
        const run = await stackRun("us-eu");
        const lb = inputs(only(run, LB));
        const names = poolNames(run);
        const plan = planOf(run);
        assert.deepStrictEqual(Object.keys(lb.regionPools).sort(), [...GEO_CODES].sort());
        for (const code of GEO_CODES) assert.deepStrictEqual(lb.regionPools[code].map((id: string) => names.get(id)), plan.steering[code], code);
        assert.deepStrictEqual(lb.defaultPools.map((id: string) => names.get(id)), plan.defaultOrder);
        assert.deepStrictEqual([lb.name, lb.steeringPolicy, lb.proxied, lb.adaptiveRouting], ["ciam.example.com", "geo", true, { failoverAcrossPools: true }]);
    });

    it("falls back to the maintenance Worker, which is no region's pool", async () => {
        const run = await stackRun("us-eu");
        const lb = inputs(only(run, LB));
        const names = poolNames(run);
        assert.strictEqual(names.get(lb.fallbackPool), "maintenance");
        const listed = new Set([...Object.values(lb.regionPools).flat(), ...lb.defaultPools] as string[]);
        assert.ok(!listed.has(lb.fallbackPool), "the fallback is never in a steering list");
        const fallback = inputs(ofType(run, POOL).find((p) => p.id === lb.fallbackPool)!);
        assert.deepStrictEqual([fallback.origins[0].address, fallback.monitor], ["maintenance.ciam.example.com", undefined]);
        const domain = inputs(only(run, "cloudflare:index/workersCustomDomain:WorkersCustomDomain"));
        const script = inputs(only(run, "cloudflare:index/workersScript:WorkersScript"));
        assert.deepStrictEqual([domain.hostname, domain.service], ["maintenance.ciam.example.com", script.scriptName]);
    });

    it("gives every region one pool: its origin address, the /healthz monitor, checks from near the region", async () => {
        const run = await stackRun("us-eu");
        const monitor = only(run, MONITOR);
        const outputs = reveal(run.wireOutputs) as { regions: Record<string, { originAddress: string }> };
        const plan = planOf(run);
        const regionPools = ofType(run, POOL).filter((p) => inputs(p).origins[0].name !== "maintenance");
        assert.strictEqual(regionPools.length, plan.regions.length);
        for (const region of plan.regions) {
            const pool = inputs(regionPools.find((p) => inputs(p).origins[0].name === region.name)!);
            assert.deepStrictEqual([pool.origins.length, pool.origins[0].address, pool.monitor, pool.checkRegions],
                [1, outputs.regions[region.name].originAddress, monitor.id, region.checkRegions], region.name);
        }
        assert.deepStrictEqual(plan.regions.map((r) => r.checkRegions), [["ENAM", "WNAM"], ["WEU", "EEU"]]);
    });

    it("monitors HTTPS GET /healthz for 200 with the domain as Host, on the stack's timing", async () => {
        const run = await stackRun("us-eu");
        const m = inputs(only(run, MONITOR));
        assert.deepStrictEqual(
            [m.type, m.method, m.path, m.expectedCodes, m.header, m.followRedirects, m.allowInsecure, m.interval, m.timeout, m.retries, m.consecutiveDown, m.consecutiveUp],
            ["https", "GET", "/healthz", "200", { Host: ["ciam.example.com"] }, false, false, 15, 5, 1, 2, 2]);
    });

    it("keeps sessions on their origin with cookie affinity, drains, and fails over within a session", async () => {
        const run = await stackRun("us-eu");
        const lb = inputs(only(run, LB));
        assert.deepStrictEqual([lb.sessionAffinity, lb.sessionAffinityTtl, lb.sessionAffinityAttributes],
            ["cookie", 1800, { samesite: "Lax", secure: "Always", drainDuration: 60, zeroDowntimeFailover: "sticky" }]);
        assert.strictEqual(lb.ttl, undefined, "a proxied load balancer's TTL is Cloudflare's");
    });

    it("pins a client carrying the pin cookie to the primary, steering off, then the rest in failover order", async () => {
        const run = await stackRun("us-eu");
        const lb = inputs(only(run, LB));
        const names = poolNames(run);
        assert.strictEqual(lb.rules.length, 1);
        const [rule] = lb.rules;
        assert.deepStrictEqual([rule.name, rule.condition, rule.terminates, rule.disabled, rule.overrides.steeringPolicy],
            ["olympus-pin-to-primary", 'http.cookie contains "olympus_pin="', true, false, "off"]);
        assert.deepStrictEqual(rule.overrides.defaultPools.map((id: string) => names.get(id)), ["us-east", "eu-west"]);
    });

    it("sets SSL Full (strict), TLS 1.2 at least, and HTTPS always", async () => {
        const run = await stackRun("us-eu");
        const settings = Object.fromEntries(ofType(run, "cloudflare:index/zoneSetting:ZoneSetting").map((z) => [inputs(z).settingId, inputs(z).value]));
        assert.deepStrictEqual(settings, { ssl: "strict", min_tls_version: "1.2", always_use_https: "on" });
    });

    it("caches Hera's hashed assets for a year at the edge, and never the APIs or /healthz", async () => {
        const run = await stackRun("us-eu");
        const rs = inputs(only(run, "cloudflare:index/ruleset:Ruleset"));
        assert.deepStrictEqual([rs.kind, rs.phase], ["zone", "http_request_cache_settings"]);
        const [api, assets] = rs.rules;
        assert.deepStrictEqual(api.actionParameters, { cache: false });
        for (const p of ['http.request.uri.path eq "/healthz"', 'starts_with(http.request.uri.path, "/oauth2/")', 'starts_with(http.request.uri.path, "/self-service/")']) {
            assert.ok(api.expression.includes(p), p);
        }
        assert.ok(api.expression.startsWith('(http.host eq "ciam.example.com" and ('));
        assert.deepStrictEqual(assets.actionParameters, { cache: true, edgeTtl: { mode: "override_origin", default: 31536000 }, browserTtl: { mode: "respect_origin" } });
        assert.ok(assets.expression.includes('starts_with(http.request.uri.path, "/assets/")'));
    });

    it("sends no notifications unless an address is configured", async () => {
        const run = await stackRun("us-eu");
        assert.strictEqual(ofType(run, "cloudflare:index/notificationPolicy:NotificationPolicy").length, 0);
    });
});

describe("Edge: origin TLS and authenticated origin pulls", () => {
    it("gets an Origin CA certificate for the domain from a key that stays a secret", async () => {
        const run = await stackRun("us-eu");
        const cert = inputs(only(run, "cloudflare:index/originCaCertificate:OriginCaCertificate"));
        assert.deepStrictEqual([cert.hostnames, cert.requestType], [["ciam.example.com", "*.ciam.example.com"], "origin-ecc"]);
        const key = ofType(run, "tls:index/privateKey:PrivateKey").find((k) => k.name === "origin-tls-origin")!;
        assert.ok(isSecretValue(key.wireOutputs.privateKeyPem));
    });

    it("uploads the zone's client certificate, turns origin pulls on, and gives every region's origin the CA", async () => {
        const run = await stackRun("us-eu");
        const upload = only(run, "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate");
        assert.ok(isSecretValue(upload.wireInputs.privateKey));
        const settings = only(run, "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings");
        assert.deepStrictEqual(inputs(settings), { zoneId: "fedcba9876543210fedcba9876543210", enabled: true });
        assert.ok(settings.dependencies.includes(upload.urn), "enabled only once the certificate is there");
        const ca = reveal(ofType(run, "tls:index/selfSignedCert:SelfSignedCert").find((c) => c.name === "origin-tls-pull-ca")!.wireOutputs.certPem);
        const originCert = reveal(only(run, "cloudflare:index/originCaCertificate:OriginCaCertificate").wireOutputs.certificate);
        for (const region of ["us-east", "eu-west"]) {
            const version = inRegion(run, region).find((r) => r.name === `${region}-origin-tls` && /secretVersion/.test(r.type))!;
            const value = version.wireInputs.secretString ?? version.wireInputs.secretData;
            assert.ok(isSecretValue(value), `${region}'s copy is a secret`);
            const bundle = JSON.parse(String(reveal(value)));
            assert.deepStrictEqual([bundle.cert, bundle.pullCa], [originCert, ca]);
            assert.match(bundle.key, /PRIVATE KEY/);
        }
    });

    it("tells Caddy to serve the origin certificate and require Cloudflare's client certificate", async () => {
        const run = await stackRun("us-eu");
        for (const vm of ofType(run, "aws:ec2/instance:Instance").concat(ofType(run, "gcp:compute/instance:Instance")).filter((v) => /-app$/.test(v.name))) {
            const caddyfile = serverFile(run, vm.name.replace(/-app$/, ""), "app", "/etc/caddy/Caddyfile");
            assert.ok(caddyfile.includes("\ttls /etc/olympus/tls/origin.crt /etc/olympus/tls/origin.key {\n\t\tclient_auth {\n\t\t\tmode verify_if_given\n" +
                "\t\t\ttrusted_ca_cert_file /etc/olympus/tls/origin-pull-ca.pem"), vm.name);
            assert.ok(!/tls internal/.test(caddyfile), vm.name);
            const region = vm.name.replace(/-app$/, "");
            assert.ok(caddyfile.includes(`header @identityWrite +Set-Cookie "olympus_pin=${region}.; Max-Age=300; Path=/; Secure; HttpOnly; SameSite=Lax"`), vm.name);
        }
    });
});

describe("Edge: stacks that change it", () => {
    const custom = async (name: string, edit: (yaml: string) => string): Promise<OfflineRun> => {
        const base = fs.readFileSync(path.join(__dirname, "..", "..", "stacks", "Pulumi.us-eu.yaml"), "utf8");
        return runOffline({ stackFile: tempStackFile(name, edit(base)) });
    };

    it("notifies the configured email and webhook of every region pool's health changes", async () => {
        const run = await stackRun("eu-residency");
        const policy = ofType(run, "cloudflare:index/notificationPolicy:NotificationPolicy").map(inputs).find((p) => p.alertType === "load_balancing_health_alert")!;
        const webhook = only(run, "cloudflare:index/notificationPolicyWebhooks:NotificationPolicyWebhooks");
        const regionPoolIds = ofType(run, POOL).filter((p) => inputs(p).origins[0].name !== "maintenance").map((p) => p.id);
        assert.deepStrictEqual([policy.alertType, policy.enabled, [...policy.filters.poolIds].sort(), policy.filters.newHealths],
            ["load_balancing_health_alert", true, [...regionPoolIds].sort(), ["Unhealthy", "Healthy"]]);
        assert.deepStrictEqual(policy.mechanisms, { emails: [{ id: "oncall@example.com" }], webhooks: [{ id: webhook.id }] });
        assert.strictEqual(inputs(webhook).url, "https://hooks.example.com/olympus/pool-health");
    });

    it("per-region: no list leaves a jurisdiction, the default is the maintenance page, one pin rule per region", async () => {
        const run = await stackRun("eu-residency");
        const lb = inputs(only(run, LB));
        const names = poolNames(run);
        const plan = planOf(run);
        const law = new Map(plan.regions.map((r) => [r.name, r.jurisdiction]));
        for (const code of GEO_CODES) {
            const order = lb.regionPools[code].map((id: string) => names.get(id));
            assert.strictEqual(new Set(order.map((n: string) => law.get(n))).size, 1, `${code}: ${order}`);
        }
        assert.deepStrictEqual(lb.defaultPools.map((id: string) => names.get(id)), ["maintenance"]);
        assert.deepStrictEqual(lb.rules.map((r: { condition: string; overrides: { defaultPools: string[] } }) =>
            [r.condition, r.overrides.defaultPools.map((id) => names.get(id))]), [
            ['http.cookie contains "olympus_pin=eu-central."', ["eu-central"]],
            ['http.cookie contains "olympus_pin=us-east."', ["us-east"]],
        ]);
    });

    it("single region: one pool, no pin rule, the maintenance fallback", async () => {
        const run = await stackRun("single-region");
        const lb = inputs(only(run, LB));
        const names = poolNames(run);
        assert.deepStrictEqual([...new Set(Object.values(lb.regionPools).flat().map((id) => names.get(id as string)))], ["us-east"]);
        assert.deepStrictEqual([lb.rules, names.get(lb.fallbackPool)], [undefined, "maintenance"]);
        assert.strictEqual(inputs(only(run, MONITOR)).interval, 15, "the business plan's shortest interval");
    });

    it("DNS-only: the TTL from config, no affinity, no rules", async () => {
        const run = await custom("dns-only", (y) => y
            .replace("    plan: business", "    plan: business\n    proxied: false\n    ttlSeconds: 60")
            .replace("    sessionAffinity: { mode: cookie, ttlSeconds: 1800 }\n", ""));
        const lb = inputs(only(run, LB));
        assert.deepStrictEqual([lb.proxied, lb.ttl, lb.sessionAffinity, lb.sessionAffinityAttributes, lb.rules], [false, 60, "none", undefined, undefined]);
    });

    it("without origin pulls: no client certificate anywhere, and Caddy asks for none", async () => {
        const run = await custom("no-aop", (y) => y.replace("    plan: business", "    plan: business\n    authenticatedOriginPulls: false"));
        assert.strictEqual(ofType(run, "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate").length, 0);
        assert.strictEqual(ofType(run, "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings").length, 0);
        const app = ofType(run, "aws:ec2/instance:Instance").find((v) => v.name === "us-east-app")!;
        assert.ok(!String(inputs(app).userData).includes("client_auth"));
    });

    it("writes paused: every region's app-config says so (the origins answer writes 503)", async () => {
        const run = await custom("paused", (y) => y.replace("    plan: business", "    plan: business\n    writesPaused: true"));
        for (const region of ["us-east", "eu-west"]) {
            const v = inRegion(run, region).find((r) => r.name === `${region}-app-config` && /secretVersion/.test(r.type))!;
            assert.strictEqual(JSON.parse(String(reveal(v.wireInputs.secretString ?? v.wireInputs.secretData))).writesPaused, true, region);
        }
    });
});

describe("failover view (npm run plan -- --down)", () => {
    it("sends a replica region's users to the next region, where everything works (aws-global)", async () => {
        const plan = planOf(await stackRun("aws-global"));
        const view = failoverView(plan, ["eu-west"]);
        assert.strictEqual(view.state, "region-down");
        assert.deepStrictEqual(view.unready, ["eu-west"]);
        const weu = view.codes.find((c) => c.code === "WEU")!;
        assert.ok(weu.failedOver && weu.servedBy !== "eu-west" && weu.servedBy !== FALLBACK, weu.servedBy);
        assert.ok(view.operations.every((o) => o.works));
    });

    it("with the primary down, every region depends on it: the maintenance page everywhere until promotion (us-eu)", async () => {
        const plan = planOf(await stackRun("us-eu"));
        const view = failoverView(plan, ["us-east"]);
        assert.strictEqual(view.state, "primary-down");
        assert.deepStrictEqual(view.unready, ["us-east", "eu-west"]);
        for (const c of view.codes) assert.strictEqual(c.servedBy, FALLBACK, c.code);
        assert.deepStrictEqual(view.pinned, { "us-east": FALLBACK, "eu-west": FALLBACK });
        assert.ok(view.operations.every((o) => !o.works && /maintenance page/.test(o.result)));
    });

    it("per-region: EU codes never reach the US region, even with the EU region down", async () => {
        const plan = planOf(await stackRun("eu-residency"));
        const view = failoverView(plan, ["eu-central"]);
        for (const c of view.codes.filter((x) => ["WEU", "EEU"].includes(x.code))) assert.strictEqual(c.servedBy, FALLBACK, c.code);
        for (const c of view.codes.filter((x) => ["ENAM", "WNAM"].includes(x.code))) assert.strictEqual(c.servedBy, "us-east", c.code);
        assert.deepStrictEqual(view.pinned, { "eu-central": FALLBACK, "us-east": "us-east" });
    });

    it("everything down: the maintenance page everywhere", async () => {
        const plan = planOf(await stackRun("aws-global"));
        const view = failoverView(plan, plan.regions.map((r) => r.name));
        assert.ok(view.codes.every((c) => c.servedBy === FALLBACK));
    });

    it("refuses a region the stack does not have, naming the ones it has", async () => {
        const plan = planOf(await stackRun("us-eu"));
        assert.throws(() => failoverView(plan, ["us-west"]), /--down us-west: no such region in this stack; its regions are us-east, eu-west/);
    });
});

describe("the maintenance Worker, run for real", () => {
    let worker: { fetch(r: Request): Promise<Response> };
    before(async () => {
        const run = await stackRun("us-eu");
        const script = inputs(only(run, "cloudflare:index/workersScript:WorkersScript"));
        assert.strictEqual(script.mainModule, "worker.js");
        const dir = tempDir("worker");
        const file = path.join(dir, "worker.mjs");
        fs.writeFileSync(file, script.content);
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        const load = new Function("u", "return import(u)") as (u: string) => Promise<{ default: typeof worker }>;
        try {
            worker = (await load(pathToFileURL(file).href)).default;
        } finally {
            // Once imported, the module lives in memory; the file is not needed again.
            removeTempDir(dir);
        }
    });

    it("answers a browser with 503, Retry-After and a page naming the domain, never cached", async () => {
        const res = await worker.fetch(new Request("https://ciam.example.com/login", { headers: { accept: "text/html" } }));
        assert.deepStrictEqual([res.status, res.headers.get("retry-after"), res.headers.get("cache-control"), res.headers.get("content-type")],
            [503, "300", "no-store", "text/html; charset=utf-8"]);
        assert.match(await res.text(), /ciam\.example\.com is down for maintenance/);
    });

    it("answers an API client with a JSON error", async () => {
        const res = await worker.fetch(new Request("https://ciam.example.com/oauth2/token", { method: "POST" }));
        assert.strictEqual(res.status, 503);
        assert.strictEqual((await res.json() as { error: { code: number } }).error.code, 503);
    });
});
