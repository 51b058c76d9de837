import * as assert from "assert";
import { limitIntrospectionTtl } from "../../policies/cache/limitIntrospectionTtl";
import { olympus, region } from "./fixtures";
import { assertNoViolations, assertViolations, awsProvider, runStackPolicy, stackResource } from "./util";

function stack(cache: { introspectionTtlSeconds: number; invalidation: string | null }, userDataTtl?: number) {
    const o = olympus("single-primary", "us-east");
    const us = region("us-east", "aws", "us-east-1", "US", o, "primary", null);
    us.props.introspectionCache = cache;
    const vm = stackResource("aws:ec2/instance:Instance", "us-east-app", {
        userData: `#cloud-config\nwrite_files:\n  - content: "services:\\n  hera:\\n    environment:\\n      OLYMPUS_INTROSPECTION_CACHE_TTL: ${userDataTtl ?? cache.introspectionTtlSeconds}s\\n"\n`,
    }, { parent: us, provider: awsProvider("us-east-1") });
    return { resources: [o, us, vm], us, vm };
}

describe("olympus-cache-limit-introspection-ttl (advisory)", () => {
    it("passes the default minute", async () => {
        assertNoViolations(await runStackPolicy(limitIntrospectionTtl, stack({ introspectionTtlSeconds: 60, invalidation: null }).resources));
    });

    it("passes a longer cache whose revocations are published", async () => {
        assertNoViolations(await runStackPolicy(limitIntrospectionTtl, stack({ introspectionTtlSeconds: 900, invalidation: "nats" }).resources));
    });

    it("flags a longer cache without invalidation, once per region", async () => {
        const s = stack({ introspectionTtlSeconds: 300, invalidation: null });
        assertViolations(await runStackPolicy(limitIntrospectionTtl, s.resources), [{
            message: "region us-east caches introspection answers for 300 s without invalidation: a revoked token keeps working that long; " +
                "keep olympus:cache.introspectionTtlSeconds at 60 or below, or set olympus:cache.invalidationUrl",
            urn: s.us.urn,
        }]);
        assertNoViolations(await runStackPolicy(limitIntrospectionTtl, s.resources, { maxTtlSeconds: 300 }));
    });

    it("flags a server a fork started with a longer TTL than its region says", async () => {
        const s = stack({ introspectionTtlSeconds: 60, invalidation: null }, 3600);
        assertViolations(await runStackPolicy(limitIntrospectionTtl, s.resources), [{
            message: 'Instance "us-east-app" (us-east) starts services that cache introspection answers for 3600 s without invalidation: ' +
                "a revoked token keeps working that long; keep it at 60 s or below, or publish revocations",
            urn: s.vm.urn,
        }]);
    });

    it("is advisory, and does not apply to a stack without regions or servers", async () => {
        assert.strictEqual(limitIntrospectionTtl.enforcementLevel, "advisory");
        assert.strictEqual((await runStackPolicy(limitIntrospectionTtl, [olympus("single-primary", "us-east")])).notApplicable, "the stack has no Olympus region or server");
    });
});
