import { StackValidationPolicy } from "@pulumi/policy";
import { describePool, loadBalancerPools, poolMonitor } from "../lib/edge";
import { TYPES, describe, known } from "../lib/resources";

/**
 * Failover is only as good as the health check behind it: a pool without a monitor is always
 * "healthy", so its region keeps receiving users while it is down; a monitor that checks anything
 * but /healthz misses what makes a region unready (a replica too far behind, a service down),
 * because only /healthz answers from the readiness probe. Every pool a load balancer steers to
 * must be checked with GET /healthz, over HTTPS, expecting 200 and nothing else. The fallback pool
 * is exempt: Cloudflare never health-checks it (the geo-coverage policy keeps it from being a region).
 */
export const enforceHealthMonitor: StackValidationPolicy = {
    name: "olympus-edge-enforce-health-monitor",
    description: "Every pool a load balancer steers to is monitored with HTTPS GET /healthz expecting 200.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const lbs = args.resources.filter((r) => r.type === TYPES.cfLoadBalancer);
        if (lbs.length === 0) args.notApplicable("the stack has no Cloudflare load balancer");
        for (const lb of lbs) {
            const { steering, fallback, undeclared } = loadBalancerPools(lb, args.resources);
            for (const id of undeclared) {
                reportViolation(`${describe(lb)} steers to pool ${id}, which this stack does not declare, so its health check cannot be checked; ` +
                    "declare the pool (and its /healthz monitor) in the stack", lb.urn);
            }
            // The fallback is never health-checked, wherever it is listed (olympus-edge-enforce-geo-coverage keeps it from being a region).
            for (const pool of steering.filter((s) => s.urn !== fallback?.urn)) {
                const { monitor, id, set } = poolMonitor(pool, args.resources);
                if (!set) {
                    reportViolation(`${describePool(pool)} has no monitor: Cloudflare would count it healthy while its region is down; ` +
                        "give it the HTTPS GET /healthz monitor", pool.urn);
                    continue;
                }
                if (!monitor) {
                    reportViolation(`${describePool(pool)} uses monitor ${id ?? "(unknown)"}, which this stack does not declare, so it cannot be checked; ` +
                        "declare the HTTPS GET /healthz monitor in the stack", pool.urn);
                    continue;
                }
                const m = monitor.props;
                const problems: string[] = [];
                const type = known(() => m.type) ?? "http";
                if (type !== "https") problems.push(`type ${type} (the origins serve HTTPS only)`);
                const method = known(() => m.method) ?? "GET";
                if (method !== "GET") problems.push(`method ${method}`);
                const p = known(() => m.path) ?? "/";
                if (p !== "/healthz") problems.push(`path ${p} (only /healthz answers from the readiness probe)`);
                const codes = known(() => m.expectedCodes);
                if (codes !== "200") problems.push(`expected codes ${codes ?? "(any)"} (only 200 means ready; 503 is "not ready")`);
                if (known(() => m.expectedBody)) problems.push("an expected body");
                if (problems.length > 0) {
                    reportViolation(`${describePool(pool)}'s monitor checks ${problems.join(", ")}; ` +
                        "use type https, method GET, path /healthz, expectedCodes \"200\"", monitor.urn);
                }
            }
        }
    },
};
