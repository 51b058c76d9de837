import { StackValidationPolicy } from "@pulumi/policy";
import { POSTGRES_PORTS, TOPOLOGY_SCHEMA, TopologySetting, topologySetting } from "../lib/config";
import { poolLists } from "../lib/edge";
import { TYPES, describe, ingressRules, known, postgresNodes, rangesOverlap, regionAddresses, siteOf, topologyOf } from "../lib/resources";

/**
 * Per-region exists for hard data-residency requirements (EU users' data stays in the EU). A
 * replica in another jurisdiction copies every identity across the border; a database firewall
 * that admits another jurisdiction's servers lets them read it; a load balancer that fails EU
 * users over to a US pool sends their sessions and credentials there. Any one of them breaks
 * the reason the topology was chosen, so it is mandatory.
 */
export const enforceResidency: StackValidationPolicy = {
    name: "olympus-topology-enforce-residency",
    description: "In per-region, no replication, database firewall peering or load-balancer failover across a jurisdiction boundary.",
    enforcementLevel: "mandatory",
    configSchema: TOPOLOGY_SCHEMA,
    validateStack: (args, reportViolation) => {
        const setting = topologySetting(args.getConfig<{ topology?: TopologySetting }>());
        const topology = setting === "auto" ? topologyOf(args.resources) : setting;
        if (topology !== "per-region") args.notApplicable("applies to per-region topologies only");

        for (const n of postgresNodes(args.resources)) {
            const from = n.upstream?.site.jurisdiction;
            const to = n.site.jurisdiction;
            if (n.upstream && from && to && from !== to) {
                reportViolation(`${describe(n.resource)} (${to}) replicates ${describe(n.upstream.resource)} (${from}): ` +
                    "per-region data must not cross a jurisdiction boundary; keep each region's database independent", n.resource.urn);
            }
        }

        const regions = regionAddresses(args.resources);
        for (const r of args.resources) {
            const site = siteOf(r);
            if (!site.jurisdiction) continue;
            const sources = [
                ...ingressRules(r, POSTGRES_PORTS).filter((rule) => rule.ports.length > 0).flatMap((rule) => rule.cidrs),
                ...(r.type === TYPES.cloudSql ? (known(() => r.props.settings?.ipConfiguration?.authorizedNetworks) ?? [])
                    .map((n: { value?: string }) => n.value).filter((v: unknown): v is string => typeof v === "string") : []),
            ];
            for (const [name, other] of regions) {
                if (!other.site.jurisdiction || other.site.jurisdiction === site.jurisdiction) continue;
                const admitted = sources.filter((cidr) => other.ranges.some((range) => rangesOverlap(cidr, range)));
                if (admitted.length > 0) {
                    reportViolation(`${describe(r)} (${site.jurisdiction}) admits PostgreSQL connections from region ${name} ` +
                        `(${other.site.jurisdiction}) via ${admitted.join(", ")}: per-region databases must not peer across a jurisdiction boundary`, r.urn);
                }
            }
        }

        const poolJurisdiction = new Map<string, string>();
        for (const pool of args.resources.filter((r) => r.type === TYPES.cfPool)) {
            const id = known(() => pool.props.id);
            if (typeof id !== "string") continue;
            const addresses = (known(() => pool.props.origins) ?? []).map((o: { address?: string }) => o.address);
            const owner = [...regions.values()].find((reg) => addresses.some((a: unknown) =>
                typeof a === "string" && reg.ranges.some((range) => rangesOverlap(a, range))));
            const jurisdiction = owner?.site.jurisdiction ?? siteOf(pool).jurisdiction;
            if (jurisdiction) poolJurisdiction.set(id, jurisdiction);
        }
        for (const lb of args.resources.filter((r) => r.type === TYPES.cfLoadBalancer)) {
            for (const list of poolLists(lb)) {
                const jurisdictions = [...new Set(list.pools.map((id) => poolJurisdiction.get(id)).filter((j): j is string => j !== undefined))];
                if (jurisdictions.length > 1) {
                    reportViolation(`${describe(lb)} ${list.where} fails over across jurisdictions (${jurisdictions.join(", ")}): ` +
                        "per-region users must never be sent to another jurisdiction's region; use the maintenance fallback instead", lb.urn);
                }
            }
        }
    },
};
