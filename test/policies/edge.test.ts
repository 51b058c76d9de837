// The edge policies, each alone: a compliant load balancer (pools for two regions with the /healthz
// monitor, the maintenance fallback), then one thing changed per case; and the same stack as a
// preview shows it, with every id unknown and only property dependencies to go by.

import * as assert from "assert";
import { PolicyResource, UnknownValueError } from "@pulumi/policy";
import { enforceGeoCoverage } from "../../policies/edge/enforceGeoCoverage";
import { enforceHealthMonitor } from "../../policies/edge/enforceHealthMonitor";
import { limitMonitorInterval } from "../../policies/edge/limitMonitorInterval";
import { GEO_CODES } from "../../topology/catalog";
import { olympus, region } from "./fixtures";
import { assertNoViolations, assertViolations, runStackPolicy, stackResource } from "./util";

const MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor";
const POOL = "cloudflare:index/loadBalancerPool:LoadBalancerPool";
const LB = "cloudflare:index/loadBalancer:LoadBalancer";
const HEALTHZ = { id: "mon-1", type: "https", method: "GET", path: "/healthz", expectedCodes: "200", interval: 15, timeout: 5, retries: 1, consecutiveDown: 2 };

interface Change {
    monitor?: Record<string, unknown>;
    poolUs?: Record<string, unknown>;
    fallback?: Record<string, unknown>;
    lb?: Record<string, unknown>;
}

/** us-east (203.0.113.10, in its region's range) and eu-west pools, the maintenance fallback, one geo load balancer. */
function edge(change: Change = {}): { resources: PolicyResource[]; get: (n: string) => PolicyResource } {
    const o = olympus("single-primary", "us-east");
    const us = region("us-east", "aws", "us-east-1", "US", o, "primary", null);
    const eu = region("eu-west", "gcp", "europe-west1", "EU", o, "replica", "us-east");
    us.props.originAddress = "203.0.113.10";
    eu.props.originAddress = "198.51.100.20";
    const monitor = stackResource(MONITOR, "edge-healthz", { ...HEALTHZ, ...change.monitor });
    const poolUs = stackResource(POOL, "edge-us-east", { id: "pool-us", name: "olympus-us-east", origins: [{ address: "203.0.113.10" }], monitor: "mon-1", ...change.poolUs },
        { propertyDependencies: { monitor: [monitor] } });
    const poolEu = stackResource(POOL, "edge-eu-west", { id: "pool-eu", name: "olympus-eu-west", origins: [{ address: "198.51.100.20" }], monitor: "mon-1" },
        { propertyDependencies: { monitor: [monitor] } });
    const fallback = stackResource(POOL, "edge-maintenance", { id: "pool-maint", name: "olympus-maintenance", origins: [{ address: "maintenance.ciam.example.com" }], ...change.fallback });
    const regionPools = Object.fromEntries(GEO_CODES.map((c) => [c, ["WEU", "EEU", "ME", "NAF"].includes(c) ? ["pool-eu", "pool-us"] : ["pool-us", "pool-eu"]]));
    const lb = stackResource(LB, "edge-lb", {
        name: "ciam.example.com", steeringPolicy: "geo", regionPools, defaultPools: ["pool-us", "pool-eu"], fallbackPool: "pool-maint", ...change.lb,
    }, { propertyDependencies: { regionPools: [poolUs, poolEu], defaultPools: [poolUs, poolEu], fallbackPool: [fallback] } });
    const resources = [o, us, eu, monitor, poolUs, poolEu, fallback, lb];
    return { resources, get: (n) => resources.find((r) => r.name === n)! };
}

/** A preview: ids of resources not created yet read as unknown. */
function unknownIds(resources: PolicyResource[]): PolicyResource[] {
    return resources.map((r) => {
        if (![MONITOR, POOL, LB].includes(r.type)) return r;
        const props = new Proxy(r.props, {
            get: (t, k: string) => {
                if (k === "id" || k === "monitor" || k === "fallbackPool" || k === "regionPools" || k === "defaultPools") {
                    throw new UnknownValueError("04da6b54-80e4-46f7-96ec-b56ff0331ba9", [k]);
                }
                return t[k];
            },
        });
        return { ...r, props };
    });
}

describe("olympus-edge-enforce-health-monitor", () => {
    it("passes pools checked with HTTPS GET /healthz for 200", async () => {
        assertNoViolations(await runStackPolicy(enforceHealthMonitor, edge().resources));
    });

    it("passes the same stack in a preview, where ids are unknown", async () => {
        assertNoViolations(await runStackPolicy(enforceHealthMonitor, unknownIds(edge().resources)));
    });

    it("refuses a region pool without a monitor", async () => {
        const f = edge({ poolUs: { monitor: undefined } });
        f.get("edge-us-east").propertyDependencies.monitor = [];
        assertViolations(await runStackPolicy(enforceHealthMonitor, f.resources), [{
            message: 'pool "olympus-us-east" has no monitor: Cloudflare would count it healthy while its region is down; give it the HTTPS GET /healthz monitor',
            urn: f.get("edge-us-east").urn,
        }]);
    });

    it("refuses a monitor of another path, method, protocol or expected code, naming each", async () => {
        const f = edge({ monitor: { type: "http", method: "HEAD", path: "/", expectedCodes: "2xx" } });
        assertViolations(await runStackPolicy(enforceHealthMonitor, f.resources), ["us-east", "eu-west"].map((r) => ({
            message: `pool "olympus-${r}"'s monitor checks type http (the origins serve HTTPS only), method HEAD, path / (only /healthz answers from the readiness probe), ` +
                'expected codes 2xx (only 200 means ready; 503 is "not ready"); use type https, method GET, path /healthz, expectedCodes "200"',
        })));
    });

    it("takes Cloudflare's defaults for fields left out: a bare monitor checks HTTP GET / for any code", async () => {
        const f = edge({ monitor: { type: undefined, method: undefined, path: undefined, expectedCodes: undefined } });
        const out = await runStackPolicy(enforceHealthMonitor, f.resources);
        assert.strictEqual(out.violations.length, 2);
        assert.match(out.violations[0].message, /checks type http .*, path \/ .*, expected codes \(any\)/);
    });

    it("refuses a pool steered to that the stack does not declare, and a monitor it does not declare", async () => {
        const f = edge({ lb: { defaultPools: ["pool-us", "pool-elsewhere"] }, poolUs: { monitor: "mon-elsewhere" } });
        f.get("edge-us-east").propertyDependencies.monitor = [];
        assertViolations(await runStackPolicy(enforceHealthMonitor, f.resources), [
            { message: 'LoadBalancer "edge-lb" steers to pool pool-elsewhere, which this stack does not declare, so its health check cannot be checked; declare the pool (and its /healthz monitor) in the stack' },
            { message: 'pool "olympus-us-east" uses monitor mon-elsewhere, which this stack does not declare, so it cannot be checked; declare the HTTPS GET /healthz monitor in the stack' },
        ]);
    });

    it("finds an unmonitored pool used only by a rule's override", async () => {
        const f = edge();
        const rogue = stackResource(POOL, "rogue", { id: "pool-rogue", name: "rogue", origins: [{ address: "192.0.2.50" }] });
        f.get("edge-lb").props.rules = [{ name: "pin", overrides: { defaultPools: ["pool-rogue"] } }];
        const out = await runStackPolicy(enforceHealthMonitor, [...f.resources, rogue]);
        assert.deepStrictEqual(out.violations.map((v) => v.urn), [rogue.urn]);
    });

    it("does not apply without a load balancer", async () => {
        const out = await runStackPolicy(enforceHealthMonitor, edge().resources.filter((r) => r.type !== LB));
        assert.strictEqual(out.notApplicable, "the stack has no Cloudflare load balancer");
    });
});

describe("olympus-edge-enforce-geo-coverage", () => {
    it("passes every code mapped and the maintenance fallback", async () => {
        assertNoViolations(await runStackPolicy(enforceGeoCoverage, edge().resources));
    });

    it("passes the maintenance fallback listed as the default (per-region), and in a preview", async () => {
        assertNoViolations(await runStackPolicy(enforceGeoCoverage, edge({ lb: { defaultPools: ["pool-maint"] } }).resources));
        assertNoViolations(await runStackPolicy(enforceGeoCoverage, unknownIds(edge().resources)));
    });

    it("refuses codes without a pool list, naming them", async () => {
        const f = edge();
        const map = { ...f.get("edge-lb").props.regionPools };
        delete map.OC;
        map.SAF = [];
        f.get("edge-lb").props.regionPools = map;
        assertViolations(await runStackPolicy(enforceGeoCoverage, f.resources), [{
            message: 'LoadBalancer "edge-lb" has no pool list for OC, SAF: those users would get the default pools, not the region nearest them; map every code in regionPools',
        }]);
    });

    it("refuses a region's pool as the fallback, found by id and, in a preview, by dependency", async () => {
        const f = edge({ lb: { fallbackPool: "pool-eu" } });
        f.get("edge-lb").propertyDependencies.fallbackPool = [f.get("edge-eu-west")];
        const expected = [{
            message: 'LoadBalancer "edge-lb"\'s fallback pool "olympus-eu-west" sends users to a region (region eu-west at 198.51.100.20): ' +
                "the fallback is never health-checked, so it must not be a region; use the maintenance origin",
        }];
        assertViolations(await runStackPolicy(enforceGeoCoverage, f.resources), expected);
        assertViolations(await runStackPolicy(enforceGeoCoverage, unknownIds(f.resources)), expected);
    });

    it("refuses a separate fallback pool that points at a region's origin anyway", async () => {
        const f = edge({ fallback: { origins: [{ address: "maintenance.ciam.example.com" }, { address: "203.0.113.10" }] } });
        assertViolations(await runStackPolicy(enforceGeoCoverage, f.resources), [{
            message: 'LoadBalancer "edge-lb"\'s fallback pool "olympus-maintenance" sends users to a region (region us-east at 203.0.113.10): ' +
                "the fallback is never health-checked, so it must not be a region; use the maintenance origin",
        }]);
    });

    it("refuses a monitored pool it steers to as the fallback, even when no region claims its origin", async () => {
        const f = edge({ lb: { fallbackPool: "pool-eu" } });
        f.get("eu-west").props.originAddress = undefined;
        f.get("edge-lb").propertyDependencies.fallbackPool = [f.get("edge-eu-west")];
        assertViolations(await runStackPolicy(enforceGeoCoverage, f.resources), [{
            message: 'LoadBalancer "edge-lb" falls back to pool "olympus-eu-west", a health-checked pool it also steers to: ' +
                "when every pool is down, Cloudflare would send everyone to a pool it just found dead; fall back to the maintenance pool",
        }]);
    });

    it("refuses a fallback the stack does not declare", async () => {
        const f = edge({ lb: { fallbackPool: "pool-somewhere" } });
        f.get("edge-lb").propertyDependencies.fallbackPool = [];
        assertViolations(await runStackPolicy(enforceGeoCoverage, f.resources), [{
            message: 'LoadBalancer "edge-lb" falls back to pool pool-somewhere, which this stack does not declare, so it cannot be checked; declare the maintenance pool in the stack',
        }]);
    });
});

describe("olympus-edge-limit-monitor-interval (advisory)", () => {
    it("passes the default stack's monitor (40 s to detect)", async () => {
        assertNoViolations(await runStackPolicy(limitMonitorInterval, edge().resources));
    });

    it("flags a monitor that takes longer than the configured bound, with the arithmetic", async () => {
        const f = edge({ monitor: { interval: 60, timeout: 5, retries: 1, consecutiveDown: 3 } });
        assertViolations(await runStackPolicy(limitMonitorInterval, f.resources), [{
            message: 'LoadBalancerMonitor "edge-healthz" takes up to 190 s to mark a dead region down (3 x 60 s + 2 x 5 s), more than 60 s: ' +
                "lower intervalSeconds or consecutiveDown (the plan's shortest interval: free/pro 60 s, business 15 s, enterprise 10 s)",
        }]);
        assertNoViolations(await runStackPolicy(limitMonitorInterval, f.resources, { maxDetectionSeconds: 200 }));
    });

    it("is advisory", () => {
        assert.strictEqual(limitMonitorInterval.enforcementLevel, "advisory");
        assert.strictEqual(enforceHealthMonitor.enforcementLevel, "mandatory");
        assert.strictEqual(enforceGeoCoverage.enforcementLevel, "mandatory");
    });
});
