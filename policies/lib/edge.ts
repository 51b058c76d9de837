// What the edge policies know about Cloudflare load balancing: a load balancer's pool lists (geo,
// default, country, PoP, and each rule's overrides), the pools it steers to and the one it falls
// back to, resolved to the pool resources by id or, while ids are unknown during a preview, by the
// engine's property dependencies.

import { PolicyResource } from "@pulumi/policy";
import { TYPES, known } from "./resources";

export const CF_MONITOR = "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor";

/** Every pool list of a load balancer, by where it is (`regionPools.WEU`, `rules[pin].overrides.defaultPools`, ...). */
export function poolLists(lb: PolicyResource): { where: string; pools: string[] }[] {
    const p = lb.props;
    const lists: { where: string; pools: string[] }[] = [];
    const fallback = known(() => p.fallbackPool);
    const add = (where: string, pools: unknown, fb: unknown) => {
        if (!Array.isArray(pools)) return;
        lists.push({ where, pools: [...pools, ...(typeof fb === "string" ? [fb] : [])].filter((x): x is string => typeof x === "string") });
    };
    const addMaps = (prefix: string, source: Record<string, any> | undefined, fb: unknown) => {
        add(`${prefix}defaultPools`, known(() => source?.defaultPools), fb);
        for (const key of ["regionPools", "countryPools", "popPools"]) {
            const map = known(() => source?.[key]) as Record<string, unknown> | undefined;
            for (const [code, pools] of Object.entries(map ?? {})) add(`${prefix}${key}.${code}`, pools, fb);
        }
    };
    addMaps("", p, fallback);
    (known(() => p.rules) ?? []).forEach((rule: { name?: string; overrides?: Record<string, any> }, i: number) => {
        addMaps(`rules[${rule.name ?? i}].overrides.`, rule.overrides, rule.overrides?.fallbackPool ?? fallback);
    });
    return lists;
}

const STEERING_KEYS = ["defaultPools", "regionPools", "countryPools", "popPools", "rules"];

/** The ids in a load balancer's steering lists (not the fallback), where known. */
function steeringIds(lb: PolicyResource): Set<string> {
    const ids = new Set<string>();
    const p = lb.props;
    const collect = (source: Record<string, any> | undefined) => {
        for (const id of (known(() => source?.defaultPools) ?? []) as unknown[]) if (typeof id === "string") ids.add(id);
        for (const key of ["regionPools", "countryPools", "popPools"]) {
            for (const list of Object.values((known(() => source?.[key]) ?? {}) as Record<string, unknown>)) {
                if (Array.isArray(list)) for (const id of list) if (typeof id === "string") ids.add(id);
            }
        }
    };
    collect(p);
    for (const rule of (known(() => p.rules) ?? []) as { overrides?: Record<string, any> }[]) collect(rule.overrides);
    return ids;
}

export interface LoadBalancerPools {
    /** Pools the load balancer steers to (any list but the fallback). */
    readonly steering: PolicyResource[];
    /** The fallback pool, when declared in this stack. */
    readonly fallback?: PolicyResource;
    /** Steering pool ids that no pool resource of the stack has (declared elsewhere). */
    readonly undeclared: string[];
}

export function loadBalancerPools(lb: PolicyResource, resources: readonly PolicyResource[]): LoadBalancerPools {
    const pools = resources.filter((r) => r.type === TYPES.cfPool);
    const byId = new Map<string, PolicyResource>();
    for (const pool of pools) {
        const id = known(() => pool.props.id);
        if (typeof id === "string") byId.set(id, pool);
    }
    const deps = lb.propertyDependencies ?? {};
    const steering = new Map<string, PolicyResource>();
    const undeclared: string[] = [];
    for (const id of steeringIds(lb)) {
        const pool = byId.get(id);
        if (pool) steering.set(pool.urn, pool);
        else undeclared.push(id);
    }
    for (const key of STEERING_KEYS) for (const d of deps[key] ?? []) if (d.type === TYPES.cfPool) steering.set(d.urn, d);
    const fallbackId = known(() => lb.props.fallbackPool);
    const fallback = (typeof fallbackId === "string" ? byId.get(fallbackId) : undefined) ??
        (deps.fallbackPool ?? []).find((d) => d.type === TYPES.cfPool);
    return { steering: [...steering.values()], fallback, undeclared };
}

/** The monitor a pool uses: by id among the stack's monitors, else by property dependency. */
export function poolMonitor(pool: PolicyResource, resources: readonly PolicyResource[]): { monitor?: PolicyResource; id?: string; set: boolean } {
    const id = known(() => pool.props.monitor);
    const dep = (pool.propertyDependencies?.monitor ?? []).find((d) => d.type === CF_MONITOR);
    let set: boolean;
    try {
        const v = pool.props.monitor;
        set = typeof v === "string" && v !== "";
    } catch {
        set = true; // computed during preview: set
    }
    if (typeof id === "string") {
        const byId = resources.find((r) => r.type === CF_MONITOR && known(() => r.props.id) === id);
        return { monitor: byId ?? dep, id, set: true };
    }
    return { monitor: dep, set: set || dep !== undefined };
}

/** The origin addresses of a pool, where known. */
export function poolAddresses(pool: PolicyResource): string[] {
    return ((known(() => pool.props.origins) ?? []) as { address?: unknown }[])
        .map((o) => known(() => o.address)).filter((a): a is string => typeof a === "string");
}

export const describePool = (pool: PolicyResource) => `pool "${known(() => pool.props.name) ?? pool.name}"`;
