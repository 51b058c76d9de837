// A picture of a plan, as Mermaid: Cloudflare's load balancer, the pool each region code tries
// first, every region with its services and its database's role, the streams from the primary,
// and the maintenance fallback. Pure: `npm run plan -- --diagram` prints it, and
// `npm run docs` writes every shipped stack's into docs/topologies.md.

import { GEO_CODES } from "./catalog";
import { Plan } from "./plan";

const id = (name: string) => name.replace(/[^A-Za-z0-9]/g, "_");

export function renderMermaid(plan: Plan): string {
    const lines: string[] = ["flowchart TB"];
    lines.push(`    users(["Users: 13 Cloudflare region codes"])`);
    lines.push(`    lb{{"Cloudflare load balancer<br/>${plan.domain}<br/>geo steering, /healthz monitor"}}`);
    lines.push(`    maint["maintenance Worker<br/>(fallback: 503, Retry-After)"]`);
    lines.push("    users --> lb");
    for (const r of plan.regions) {
        const codes = GEO_CODES.filter((c) => plan.steering[c][0] === r.name);
        const db = r.role === "primary" ? "PostgreSQL primary" : r.role === "replica" ? "PostgreSQL replica" : "PostgreSQL (own users)";
        const managed = plan.database.mode === "managed" ? (r.cloud === "aws" ? "RDS" : "Cloud SQL") : "self-managed";
        lines.push(`    subgraph ${id(r.name)}["${r.name}: ${r.cloud} ${r.location} (${r.city}, ${r.jurisdiction})"]`);
        lines.push(`        ${id(r.name)}_app["Caddy → Hera, Hydra, Kratos, Athena${r.runsMigrations ? "<br/>runs migrations" : ""}"]`);
        lines.push(`        ${id(r.name)}_db[("${db}<br/>${managed} ${plan.database.version}")]`);
        lines.push(`        ${id(r.name)}_app -- "${r.writeEndpoint.region === r.name ? "reads, writes" : "reads"}" --> ${id(r.name)}_db`);
        lines.push("    end");
        lines.push(`    lb -- "${codes.length > 0 ? codes.join(" ") : "failover only"}" --> ${id(r.name)}_app`);
        if (r.writeEndpoint.region !== r.name) lines.push(`    ${id(r.name)}_app -. "writes" .-> ${id(r.writeEndpoint.region)}_db`);
        if (r.upstream) lines.push(`    ${id(r.upstream)}_db == "streams WAL (TLS)" ==> ${id(r.name)}_db`);
    }
    lines.push(`    lb -. "every listed region down" .-> maint`);
    return `${lines.join("\n")}\n`;
}
