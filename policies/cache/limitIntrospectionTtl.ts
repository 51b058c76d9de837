import { StackValidationPolicy } from "@pulumi/policy";
import { TYPES, describe, known, siteOf } from "../lib/resources";

interface Config {
    maxTtlSeconds?: number;
}

const TTL_IN_USER_DATA = /OLYMPUS_INTROSPECTION_CACHE_TTL["']?:\s*["']?(\d+)s/g;

/**
 * A cached introspection answer outlives a revocation: the token keeps working, in every region,
 * until the answer expires. The multi-region guide's two remedies: a short TTL (bounded
 * staleness), or revocations published to every region. Advisory: how stale a revocation may be
 * is the operator's call, but it should be a decision, not a default nobody looked at.
 */
export const limitIntrospectionTtl: StackValidationPolicy = {
    name: "olympus-cache-limit-introspection-ttl",
    description: "Introspection caches expire within a minute, unless revocations are published to every region.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            maxTtlSeconds: { type: "integer", minimum: 1, maximum: 3600, default: 60, description: "The longest a revoked token may stay valid from a cache without invalidation." },
        },
    },
    validateStack: (args, reportViolation) => {
        const max = args.getConfig<Config>().maxTtlSeconds ?? 60;
        const regions = args.resources.filter((r) => r.type === TYPES.region);
        const servers = args.resources.filter((r) => r.type === "aws:ec2/instance:Instance" || r.type === "gcp:compute/instance:Instance");
        if (regions.length === 0 && servers.length === 0) args.notApplicable("the stack has no Olympus region or server");
        const invalidated = new Map<string, boolean>();
        for (const r of regions) {
            const cache = known(() => r.props.introspectionCache) as { introspectionTtlSeconds?: number; invalidation?: string | null } | undefined;
            const name = known(() => r.props.regionName) ?? r.name;
            invalidated.set(name, Boolean(cache?.invalidation));
            const ttl = Number(cache?.introspectionTtlSeconds);
            if (cache && !cache.invalidation && ttl > max) {
                reportViolation(`region ${name} caches introspection answers for ${ttl} s without invalidation: a revoked token keeps working ` +
                    `that long; keep olympus:cache.introspectionTtlSeconds at ${max} or below, or set olympus:cache.invalidationUrl`, r.urn);
            }
        }
        // Servers a fork configures itself: the TTL the services are started with.
        for (const vm of servers) {
            const userData = String(known(() => vm.props.userData) ?? known(() => vm.props.metadata?.["user-data"]) ?? "");
            const region = siteOf(vm).region;
            if (region && invalidated.get(region)) continue;
            for (const m of userData.matchAll(TTL_IN_USER_DATA)) {
                const ttl = Number(m[1]);
                if (ttl > max && !(region && regions.some((r) => known(() => r.props.regionName) === region && Number(known(() => r.props.introspectionCache?.introspectionTtlSeconds)) === ttl))) {
                    reportViolation(`${describe(vm)} starts services that cache introspection answers for ${ttl} s without invalidation: ` +
                        `a revoked token keeps working that long; keep it at ${max} s or below, or publish revocations`, vm.urn);
                    break;
                }
            }
        }
    },
};
