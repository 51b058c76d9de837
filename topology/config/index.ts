// The typed stack configuration: every `olympus:*` key parsed, defaulted and validated before any
// resource is declared. Every default lives in this folder (STYLE.md rule 8), one parser per section.
// Errors are collected, not thrown one at a time: a person fixing a stack file wants the whole list.

import { Checker, ConfigError } from "./checker";
import { parseDatabase } from "./database";
import { parseEdge } from "./edge";
import { parseGcp, parseSmtpUrl, parseTopology } from "./general";
import { parseMasterKey } from "./masterKey";
import { parseRegionList, parseRegions } from "./regions";
import { parseCache, parseMonitoring, parseReadiness } from "./runtime";
import { parseImages, parseServers } from "./servers";
import { NAMESPACE, OlympusConfig, TOP_LEVEL_KEYS } from "./types";

export * from "./types";
export { ConfigError } from "./checker";
export { KeyTree } from "./keys";
export { cidrsOverlap, defaultCidr } from "./regions";

/**
 * Turn Pulumi's flat config map (`allConfig()`: `"olympus:regions"` → JSON text) into the raw
 * structured object the parser reads. Structured values arrive as JSON text; a dotted key such as
 * `olympus:edge.accountId` (what `pulumi new` prompts and `pulumi config set` without `--path` write)
 * is merged into its parent object.
 */
export function rawConfigFrom(all: Readonly<Record<string, string>>): { raw: Record<string, unknown>; problems: string[] } {
    const raw: Record<string, unknown> = {};
    const problems: string[] = [];
    const prefix = `${NAMESPACE}:`;
    const keys = Object.keys(all).filter((k) => k.startsWith(prefix)).sort((a, b) => a.length - b.length || a.localeCompare(b));
    for (const key of keys) {
        const name = key.slice(prefix.length);
        const text = all[key];
        let value: unknown = text;
        if (/^\s*[[{]/.test(text)) {
            try {
                value = JSON.parse(text);
            } catch {
                problems.push(`${key}: is not valid structured config (JSON); write it as a YAML map or list in the stack file`);
                continue;
            }
        }
        const path = name.split(".");
        let target = raw;
        let ok = true;
        for (const part of path.slice(0, -1)) {
            const next = target[part];
            if (next === undefined) {
                target[part] = {};
            } else if (typeof next !== "object" || next === null || Array.isArray(next)) {
                problems.push(`${key}: cannot be set because ${prefix}${path.slice(0, path.indexOf(part) + 1).join(".")} is not a map`);
                ok = false;
                break;
            }
            target = target[part] as Record<string, unknown>;
        }
        if (!ok) continue;
        const leaf = path[path.length - 1];
        if (target[leaf] !== undefined) {
            problems.push(`${key}: is set twice (as ${key} and inside ${prefix}${path[0]}); keep one`);
            continue;
        }
        target[leaf] = value;
    }
    return { raw, problems };
}

/** Read, parse and validate Pulumi's flat config map. Throws ConfigError listing every problem. */
export function loadConfig(all: Readonly<Record<string, string>>): OlympusConfig {
    const { raw, problems } = rawConfigFrom(all);
    return parseConfig(raw, problems);
}

/** Parse and validate raw `olympus:*` config. Throws ConfigError listing every problem. */
export function parseConfig(raw: Readonly<Record<string, unknown>>, earlier: readonly string[] = []): OlympusConfig {
    const c = new Checker();
    c.problems.push(...earlier);
    c.knownKeys(NAMESPACE, raw, TOP_LEVEL_KEYS);

    // In file order, so problems read top to bottom; later sections read earlier ones (the regions
    // decide the key store's default, readiness bounds the pin).
    const domain = c.domain(`${NAMESPACE}:domain`, raw.domain);
    const topology = parseTopology(c, raw.topology);
    const regions = parseRegions(c, parseRegionList(c, raw.regions), topology);
    const database = parseDatabase(c, raw.database, topology, regions);
    const masterKey = parseMasterKey(c, raw.masterKey, topology, regions);
    const servers = parseServers(c, raw.servers);
    const images = parseImages(c, raw.images);
    const readiness = parseReadiness(c, raw.readiness);
    const edge = parseEdge(c, raw.edge, topology, regions, readiness);
    const smtpUrl = parseSmtpUrl(c, raw.smtpUrl);
    const cache = parseCache(c, raw.cache);
    const monitoring = parseMonitoring(c, raw.monitoring);
    const gcp = parseGcp(c, raw.gcp, regions, masterKey);
    const sections = { domain, topology, regions, database, edge, masterKey, servers, images, readiness, smtpUrl, cache, monitoring, gcp };
    if (c.problems.length > 0) throw new ConfigError(c.problems);
    return complete(sections);
}

type Parsed = { [K in (typeof TOP_LEVEL_KEYS)[number]]: OlympusConfig[K] | undefined };

/**
 * Every section parser returns undefined only after reporting why (the checker's rule); a required
 * section missing without a problem is a bug in a parser, said as one rather than passed on.
 */
function complete(s: Parsed): OlympusConfig {
    const missing = TOP_LEVEL_KEYS.filter((k) => k !== "gcp" && s[k] === undefined);
    if (missing.length > 0) throw new Error(`config parser bug: ${missing.join(", ")} undefined without a reported problem`);
    return s as OlympusConfig;
}
