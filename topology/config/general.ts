// The small top-level keys: domain (in the checker), topology, smtpUrl and gcp.

import { Checker, show } from "./checker";
import { MasterKeyConfig, NAMESPACE, RegionConfig, GcpConfig, GCP_KEYS, TOPOLOGIES, Topology } from "./types";

const MULTI_MASTER = /^(multi[-_ ]?(master|primary|writer|leader)|active[-_ ]?active|master[-_ ]?master|bdr|option[-_ ]?c)$/i;

export function parseTopology(c: Checker, value: unknown): Topology | undefined {
    const path = `${NAMESPACE}:topology`;
    if (value === undefined) return "single-primary";
    if (typeof value !== "string") {
        c.fail(path, `${show(value)} is not a topology`, "use single-primary or per-region");
        return undefined;
    }
    if ((TOPOLOGIES as readonly string[]).includes(value)) return value as Topology;
    if (MULTI_MASTER.test(value.trim())) {
        c.fail(path, `"${value}" is not supported: two writer regions would accept conflicting writes to the same ` +
            `identities, sessions and credentials, and Olympus has no conflict resolution (option C of the ` +
            `multi-region guide)`,
            "use single-primary (one writer, read replicas elsewhere) or per-region (an independent database per region)");
        return undefined;
    }
    c.fail(path, `"${value}" is not a topology`, "use single-primary or per-region");
    return undefined;
}

export function parseSmtpUrl(c: Checker, value: unknown): string | undefined {
    const path = `${NAMESPACE}:smtpUrl`;
    const url = c.string(path, value, { required: "set the SMTP server Kratos sends mail through, as a secret: pulumi config set --secret olympus:smtpUrl smtps://user:password@smtp.example.com:465/" });
    if (url === undefined) return undefined;
    let parsed: URL | undefined;
    try {
        parsed = new URL(url);
    } catch {
        parsed = undefined;
    }
    if (!parsed || !["smtp:", "smtps:"].includes(parsed.protocol) || parsed.hostname === "") {
        c.fail(path, "is not an smtp:// or smtps:// URL with a host", "use e.g. smtps://user:password@smtp.example.com:465/ (set it with --secret)");
        return undefined;
    }
    return url;
}

const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;

export function parseGcp(c: Checker, value: unknown, regions: RegionConfig[], masterKey: MasterKeyConfig | undefined): GcpConfig | undefined {
    const path = `${NAMESPACE}:gcp`;
    const g = value === undefined ? {} : c.map(path, value, GCP_KEYS);
    if (!g) return undefined;
    const firstGcp = regions.find((r) => r.cloud === "gcp");
    if (g.project === undefined) {
        if (firstGcp) {
            c.fail(`${path}.project`, `missing, but region ${firstGcp.name} runs on GCP`,
                "set the GCP project ID to deploy into, e.g. olympus:gcp.project: my-project-123");
        } else if (masterKey?.cloud === "gcp") {
            c.fail(`${path}.project`, "missing, but the master key's store is GCP Secret Manager",
                "set the GCP project ID that holds the store, e.g. olympus:gcp.project: my-project-123");
        }
        return undefined;
    }
    const project = c.string(`${path}.project`, g.project, {});
    if (project === undefined) return undefined;
    if (!GCP_PROJECT.test(project)) {
        c.fail(`${path}.project`, `"${project}" is not a GCP project ID`,
            "use 6-30 lower-case letters, digits and '-', starting with a letter and not ending with '-'");
        return undefined;
    }
    return { project };
}
