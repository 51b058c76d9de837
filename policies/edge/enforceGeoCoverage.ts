import { StackValidationPolicy } from "@pulumi/policy";
import { GEO_CODES } from "../../topology/catalog";
import { describePool, loadBalancerPools, poolAddresses, poolMonitor } from "../lib/edge";
import { TYPES, describe, known, rangesOverlap, regionAddresses } from "../lib/resources";

/**
 * Geo steering sends each of Cloudflare's 13 region codes down its own pool list. A code left out
 * silently gets the default pools, which in per-region is the maintenance page and in
 * single-primary may be a region across the world; so every code is mapped explicitly. And the
 * fallback pool is used exactly when every listed pool is down, without a health check: if it is
 * a region's pool, Cloudflare sends everyone to a region it just found dead (or, in per-region,
 * across a jurisdiction). The fallback must be a pool of its own that is no region.
 */
export const enforceGeoCoverage: StackValidationPolicy = {
    name: "olympus-edge-enforce-geo-coverage",
    description: "Geo load balancers route every Cloudflare region code, and fall back to a pool that is not a region.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const lbs = args.resources.filter((r) => r.type === TYPES.cfLoadBalancer);
        if (lbs.length === 0) args.notApplicable("the stack has no Cloudflare load balancer");
        const regions = regionAddresses(args.resources);
        for (const lb of lbs) {
            const p = lb.props;
            if ((known(() => p.steeringPolicy) ?? "") === "geo") {
                const map = known(() => p.regionPools) as Record<string, unknown> | undefined;
                if (map !== undefined) {
                    const missing = GEO_CODES.filter((code) => !Array.isArray(map[code]) || (map[code] as unknown[]).length === 0);
                    if (missing.length > 0) {
                        reportViolation(`${describe(lb)} has no pool list for ${missing.join(", ")}: those users would get the default pools, ` +
                            "not the region nearest them; map every code in regionPools", lb.urn);
                    }
                }
            }
            const { steering, fallback } = loadBalancerPools(lb, args.resources);
            if (!fallback) {
                const id = known(() => p.fallbackPool);
                if (typeof id === "string") {
                    reportViolation(`${describe(lb)} falls back to pool ${id}, which this stack does not declare, so it cannot be checked; ` +
                        "declare the maintenance pool in the stack", lb.urn);
                }
                continue;
            }
            const addresses = poolAddresses(fallback);
            // The fallback may sit in defaultPools (per-region has no other default that keeps to a
            // jurisdiction); what it must never be is a region: another pool's origin, or a region's address.
            const steeringAddresses = new Set(steering.filter((s) => s.urn !== fallback.urn).flatMap(poolAddresses));
            const regionHit = addresses.map((a) => {
                const owner = [...regions.entries()].find(([, reg]) => reg.ranges.some((range) => rangesOverlap(a, range)));
                if (owner) return `region ${owner[0]} at ${a}`;
                return steeringAddresses.has(a) ? `another pool's origin ${a}` : undefined;
            }).filter((x): x is string => x !== undefined);
            if (regionHit.length > 0) {
                reportViolation(`${describe(lb)}'s fallback ${describePool(fallback)} sends users to a region (${regionHit.join(", ")}): ` +
                    "the fallback is never health-checked, so it must not be a region; use the maintenance origin", fallback.urn);
            } else if (steering.some((s) => s.urn === fallback.urn) && poolMonitor(fallback, args.resources).set) {
                reportViolation(`${describe(lb)} falls back to ${describePool(fallback)}, a health-checked pool it also steers to: ` +
                    "when every pool is down, Cloudflare would send everyone to a pool it just found dead; fall back to the maintenance pool", fallback.urn);
            }
        }
    },
};
