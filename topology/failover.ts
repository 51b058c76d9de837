// Failover you can see before it happens: who serves each Cloudflare region code (and each pinned
// client) when some regions are down, with the load balancer's semantics: walk the code's pool
// list in order, skip pools marked unhealthy, and when none is left use the fallback pool (the
// maintenance origin, never a region). Pure: `npm run plan -- --down REGION` prints it.

import { GEO_CODES, GEO_CODE_CENTRES, GeoCode } from "./catalog";
import { DeploymentState, STATE_SUMMARY, USER_OPERATIONS, outcome } from "./operations";
import { Plan } from "./plan";

/** Where requests end up when every listed region is down. */
export const FALLBACK = "maintenance";

export interface ServedCode {
    readonly code: GeoCode;
    readonly name: string;
    /** The pool list the load balancer walks. */
    readonly order: readonly string[];
    /** The first healthy region of `order`, or FALLBACK. */
    readonly servedBy: string;
    /** Served by a region other than the first choice. */
    readonly failedOver: boolean;
}

export interface FailoverView {
    readonly down: readonly string[];
    /**
     * Regions whose /healthz fails as a result: the down ones and, while the single-primary's primary
     * is down, every region (their services depend on the primary's database; see operations.ts).
     */
    readonly unready: readonly string[];
    readonly codes: readonly ServedCode[];
    /** Pinned clients, by the region whose origin set the pin: where they go now. */
    readonly pinned: Readonly<Record<string, string>>;
    /** What users can do meanwhile (the operations table of topology/operations.ts, for this state). */
    readonly state: DeploymentState;
    readonly summary: string;
    readonly operations: readonly { readonly operation: string; readonly request: string; readonly works: boolean; readonly result: string }[];
}

export class UnknownRegionError extends Error {}

function firstHealthy(order: readonly string[], down: ReadonlySet<string>): string {
    return order.find((r) => !down.has(r)) ?? FALLBACK;
}

export function failoverView(plan: Plan, down: readonly string[]): FailoverView {
    const names = plan.regions.map((r) => r.name);
    const unknown = down.filter((d) => !names.includes(d));
    if (unknown.length > 0) {
        throw new UnknownRegionError(`--down ${unknown.join(", ")}: no such region in this stack; its regions are ${names.join(", ")}`);
    }
    const state: DeploymentState = plan.primary !== null && down.includes(plan.primary) ? "primary-down" : "region-down";
    const unready = new Set(state === "primary-down" ? names : down);
    const codes = GEO_CODES.map((code) => {
        const order = plan.steering[code];
        const servedBy = firstHealthy(order, unready);
        return { code, name: GEO_CODE_CENTRES[code].name, order, servedBy, failedOver: servedBy !== order[0] };
    });
    const pinned = Object.fromEntries(plan.regions.map((r) => [r.name, firstHealthy(plan.pinOrder[r.pinValue], unready)]));
    const operations = USER_OPERATIONS.map((op) => ({ operation: op.operation, request: `${op.method} ${op.path}`, ...outcome(op, state, plan.topology) }));
    return { down: [...down], unready: names.filter((n) => unready.has(n)), codes, pinned, state, summary: STATE_SUMMARY[state], operations };
}
