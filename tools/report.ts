// What `npm run plan` shows: the plan's decisions and the resources the program declared, as one
// JSON document (`--json`) or as text for a person. Pure functions over an OfflineRun.

import * as path from "path";
import { GEO_CODES, GEO_CODE_CENTRES } from "../topology/catalog";
import { loadConfig } from "../topology/config";
import { FALLBACK, FailoverView, failoverView } from "../topology/failover";
import { Plan, planTopology } from "../topology/plan";
import { Diagnostic } from "./analyzer";
import { OfflineRun, RecordedResource, redact } from "./engine";

export const SHARED = "(shared)";

export interface PlanReport {
    readonly stack: string;
    readonly stackFile: string;
    readonly domain: string;
    readonly topology: Plan["topology"];
    readonly database: Plan["database"];
    readonly primary: string | null;
    readonly regions: {
        name: string; cloud: string; location: string; city: string; jurisdiction: string; role: string;
        upstream: string | null; serves: string[]; cidr: string; writeRegion: string; readRegion: string; runsMigrations: boolean;
    }[];
    readonly steering: Record<string, readonly string[]>;
    readonly defaultOrder: readonly string[];
    readonly failoverDetectionSeconds: number;
    readonly failoverFormula: string;
    readonly resources: { urn: string; type: string; name: string; parent: string; region: string }[];
    /** Per region (and `(shared)`), resource counts by type. */
    readonly resourceCounts: Record<string, Record<string, number>>;
    /** Stack outputs with secrets replaced by `[secret]`. */
    readonly outputs: unknown;
    /** Where the master key comes from, and how each region holds it. */
    readonly masterKey: {
        source: string; store: string; location: string; generations: string[];
        regions: Record<string, "source" | "native replica" | "copy">;
    };
    /** Who serves each code, and each pinned client, with `down` regions marked unhealthy (`--down`). */
    readonly failover?: FailoverView;
    /** The policy pack's findings on this run (mandatory ones make `plan` exit 3). */
    readonly violations: { policy: string; level: string; resource: string; message: string }[];
}

/** The region a resource belongs to: the nearest `olympus:index:Region` among its ancestors. */
function regionOf(r: RecordedResource, byUrn: ReadonlyMap<string, RecordedResource>): string {
    for (let cur: RecordedResource | undefined = r; cur; cur = byUrn.get(cur.parent)) {
        if (cur.type === "olympus:index:Region") return cur.name;
    }
    return SHARED;
}

export function planReport(run: OfflineRun, violations: readonly Diagnostic[] = [], down?: readonly string[]): PlanReport {
    const plan = planTopology(loadConfig(run.config.values));
    const failover = down && down.length > 0 ? failoverView(plan, down) : undefined;
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const resources = run.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent, region: regionOf(r, byUrn) }));
    const resourceCounts: Record<string, Record<string, number>> = {};
    for (const r of resources) {
        const counts = (resourceCounts[r.region] ??= {});
        counts[r.type] = (counts[r.type] ?? 0) + 1;
    }
    const mk = run.resources.find((r) => r.type === "olympus:index:MasterKey");
    const mkOut = (mk ? redact(mk.wireOutputs) : {}) as { source?: string; store?: string; location?: string; generations?: string[] };
    const isKeyCopy = (r: RecordedResource) => {
        const marks = redact(r.wireInputs) as { tags?: Record<string, string>; labels?: Record<string, string> };
        return (marks.tags ?? marks.labels)?.["olympus-secret"] === "master-key";
    };
    const holds = (name: string): "source" | "native replica" | "copy" => {
        const copy = run.resources.some((r) => isKeyCopy(r) && regionOf(r, byUrn) === name);
        if (copy) return "copy";
        return plan.regions.find((x) => x.name === name)!.location === mkOut.location ? "source" : "native replica";
    };
    return {
        stack: run.stack,
        stackFile: path.relative(process.cwd(), run.stackFile) || run.stackFile,
        domain: plan.domain,
        topology: plan.topology,
        database: plan.database,
        primary: plan.primary,
        regions: plan.regions.map((r) => ({
            name: r.name, cloud: r.cloud, location: r.location, city: r.city, jurisdiction: r.jurisdiction, role: r.role,
            upstream: r.upstream, serves: [...r.serves], cidr: r.cidr,
            writeRegion: r.writeEndpoint.region, readRegion: r.readEndpoint.region, runsMigrations: r.runsMigrations,
        })),
        steering: plan.steering,
        defaultOrder: plan.defaultOrder,
        failoverDetectionSeconds: plan.failover.detectionSeconds,
        failoverFormula: plan.failover.formula,
        resources,
        resourceCounts,
        outputs: redact(run.wireOutputs),
        masterKey: {
            source: mkOut.source ?? "", store: mkOut.store ?? "", location: mkOut.location ?? "", generations: mkOut.generations ?? [],
            regions: Object.fromEntries(plan.regions.map((r) => [r.name, holds(r.name)])),
        },
        ...(failover ? { failover } : {}),
        violations: violations.map((v) => ({ policy: v.policyName, level: v.enforcementLevel, resource: v.urn, message: v.message })),
    };
}

function table(rows: string[][]): string[] {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")}`.trimEnd());
}

export function formatReport(rep: PlanReport): string {
    const out: string[] = [];
    out.push(`Olympus offline plan: stack ${rep.stack} (${rep.stackFile})`);
    out.push(`${rep.domain} · ${rep.topology}` +
        `${rep.primary ? ` (writer: ${rep.primary})` : ""} · ${rep.database.mode} PostgreSQL ${rep.database.version}`);
    out.push("", "Regions");
    out.push(...table([
        ["NAME", "ROLE", "CLOUD", "LOCATION", "LAW", "UPSTREAM", "CIDR", "SERVES FIRST"],
        ...rep.regions.map((r) => [r.name, r.role, r.cloud, `${r.location} (${r.city})`, r.jurisdiction, r.upstream ?? "-", r.cidr, r.serves.join(" ") || "-"]),
    ]));
    out.push("", "Database endpoints (Hydra and Kratos get both)");
    out.push(...table([
        ["REGION", "WRITES GO TO", "READS GO TO", "MIGRATIONS"],
        ...rep.regions.map((r) => [r.name, r.writeRegion === r.name ? `${r.writeRegion} (local)` : r.writeRegion,
            `${r.readRegion} (local)`, r.runsMigrations ? "runs them" : "never"]),
    ]));
    out.push("", "Geo steering (Cloudflare region -> regions in failover order)");
    out.push(...table(GEO_CODES.map((code) => [code, GEO_CODE_CENTRES[code].name, rep.steering[code].join(" -> ")])));
    out.push(`  default pools: ${rep.defaultOrder.length > 0 ? rep.defaultOrder.join(" -> ") : "none (per-region: the maintenance fallback only)"}`);
    out.push("", `Failover detection: at most ${rep.failoverDetectionSeconds} s (${rep.failoverFormula})`);
    if (rep.failover) {
        const f = rep.failover;
        const also = f.unready.filter((r) => !f.down.includes(r));
        out.push("", `With ${f.down.join(", ")} down${also.length > 0 ? `, and so ${also.join(", ")} not ready (they depend on the primary)` : ""} ` +
            "(Cloudflare walks each list, skips unhealthy pools, then the fallback)");
        out.push(...table([["CODE", "REGION", "SERVED BY", ""], ...f.codes.map((c) => [c.code, c.name,
            c.servedBy === FALLBACK ? `${FALLBACK} (every listed region is down)` : c.servedBy, c.failedOver ? `failed over from ${c.order[0]}` : ""])]));
        out.push(...Object.entries(f.pinned).map(([region, to]) => `  clients pinned by ${region}: ${to}`));
        out.push("", `What users can do meanwhile (${f.state}): ${f.summary}`);
        out.push(...table([["OPERATION", "REQUEST", "RESULT"], ...f.operations.map((o) => [o.operation, o.request, o.result])]));
    }
    const mk = rep.masterKey;
    out.push("", `Master key: ${mk.source}${mk.generations.length > 0 ? ` (generations, newest first: ${mk.generations.join(", ")})` : ""}, ` +
        `kept in ${mk.store} ${mk.location}`);
    out.push(...Object.entries(mk.regions).map(([name, how]) => `  ${name}: ${how === "copy" ? "a copy in its own store" : how === "source" ? "reads the source (same location)" : "reads the native replica"}`));
    const total = rep.resources.length;
    out.push("", `Resources: ${total}`);
    const groups = [...rep.regions.map((r) => r.name), SHARED].filter((g) => rep.resourceCounts[g]);
    for (const g of groups) {
        const counts = rep.resourceCounts[g];
        const n = Object.values(counts).reduce((a, b) => a + b, 0);
        out.push(`  ${g} (${n})`);
        out.push(...Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => `    ${String(count).padStart(3)}  ${type}`));
    }
    out.push("", rep.violations.length === 0 ? "Policies: no violations" : `Policies: ${rep.violations.length} violation${rep.violations.length === 1 ? "" : "s"}`);
    for (const v of rep.violations) {
        const [description, ...detail] = v.message.split("\n");
        out.push(`  [${v.level}] ${v.policy}: ${v.resource}`, `    ${detail.join(" ") || description}`);
    }
    return out.join("\n");
}
