import { StackValidationPolicy } from "@pulumi/policy";
import { CF_MONITOR } from "../lib/edge";
import { describe, known } from "../lib/resources";

interface Config {
    maxDetectionSeconds?: number;
}

/**
 * How long a dead region keeps receiving users: up to consecutiveDown checks, one interval apart,
 * plus every attempt of the last check timing out. Advisory: a slow check costs availability, not
 * data, and the right bound depends on the plan (intervals of 60 s below Business) and the SLO.
 */
export const limitMonitorInterval: StackValidationPolicy = {
    name: "olympus-edge-limit-monitor-interval",
    description: "Health monitors notice a dead region quickly (consecutiveDown x interval + attempts x timeout within a bound).",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            maxDetectionSeconds: { type: "integer", minimum: 10, maximum: 3600, default: 60, description: "The longest acceptable time for a monitor to mark a dead region down." },
        },
    },
    validateStack: (args, reportViolation) => {
        const max = args.getConfig<Config>().maxDetectionSeconds ?? 60;
        const monitors = args.resources.filter((r) => r.type === CF_MONITOR);
        if (monitors.length === 0) args.notApplicable("the stack has no load-balancer monitor");
        for (const m of monitors) {
            // Cloudflare's defaults when a field is left out.
            const interval = Number(known(() => m.props.interval) ?? 60);
            const timeout = Number(known(() => m.props.timeout) ?? 5);
            const retries = Number(known(() => m.props.retries) ?? 2);
            const down = Number(known(() => m.props.consecutiveDown) ?? 1);
            const detection = down * interval + (retries + 1) * timeout;
            if (detection > max) {
                reportViolation(`${describe(m)} takes up to ${detection} s to mark a dead region down (${down} x ${interval} s + ${retries + 1} x ${timeout} s), ` +
                    `more than ${max} s: lower intervalSeconds or consecutiveDown (the plan's shortest interval: free/pro 60 s, business 15 s, enterprise 10 s)`, m.urn);
            }
        }
    },
};
