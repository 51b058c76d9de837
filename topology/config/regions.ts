// olympus:regions: the list (or its shorthand), each region's fields, and the checks across regions
// (unique names, one primary, each geo code served once, no overlapping ranges).

import { CLOUDS, Cloud, GEO_CODES, GeoCode, LOCATIONS, findLocation } from "../catalog";
import { Checker, editDistance, parseCidr, show } from "./checker";
import { NAMESPACE, REGION_KEYS, RegionConfig, Topology } from "./types";

/**
 * The region list is a YAML list of maps, or (for `pulumi new` prompts and the command line) the
 * shorthand `us-east=aws/us-east-1*, eu-west=gcp/europe-west1`, where `*` marks the primary.
 */
export function parseRegionList(c: Checker, value: unknown): unknown[] {
    const path = `${NAMESPACE}:regions`;
    const example = "e.g. [{ name: us-east, cloud: aws, location: us-east-1, primary: true }]";
    if (value === undefined || value === null || (typeof value === "string" && value.trim() === "")) {
        c.fail(path, "no regions", `list at least one region, ${example}`);
        return [];
    }
    if (typeof value === "string") return parseRegionShorthand(c, path, value);
    if (!Array.isArray(value)) {
        c.fail(path, `${show(value)} is not a list of regions`, `write a YAML list, ${example}`);
        return [];
    }
    if (value.length === 0) c.fail(path, "no regions", `list at least one region, ${example}`);
    return value;
}

export function parseRegionShorthand(c: Checker, path: string, text: string): unknown[] {
    const entries = text.split(/[,\s]+/).filter((e) => e !== "");
    const out: unknown[] = [];
    entries.forEach((entry, i) => {
        const m = /^([^=]+)=([^/]+)\/([^*]+)(\*)?$/.exec(entry);
        if (!m) {
            c.fail(`${path}[${i}]`, `"${entry}" is not a region`, "write name=cloud/location, with * after the primary's location, e.g. us-east=aws/us-east-1*");
            return;
        }
        out.push({ name: m[1], cloud: m[2], location: m[3], primary: m[4] === "*" });
    });
    return out;
}

export const CLOUD_NAMES: Readonly<Record<Cloud, string>> = { aws: "an AWS", gcp: "a GCP" };
const REGION_NAME = /^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/;

export function parseRegions(c: Checker, list: unknown[], topology: Topology | undefined): RegionConfig[] {
    const regions: RegionConfig[] = [];
    const namesSeen = new Map<string, number>();
    const servedBy = new Map<GeoCode, { name?: string; index: number }>();
    const primaries: number[] = [];
    let primaryUnreadable = false;

    list.forEach((item, i) => {
        const path = `${NAMESPACE}:regions[${i}]`;
        const r = c.map(path, item, REGION_KEYS);
        if (!r) return;

        let name = c.string(`${path}.name`, r.name, { required: "set a region name such as us-east" });
        if (name !== undefined && !REGION_NAME.test(name)) {
            c.fail(`${path}.name`, `"${name}" is not a valid region name`,
                "use 1-20 lower-case letters, digits and '-', starting with a letter and not ending with '-'");
            name = undefined;
        }
        if (name !== undefined) {
            const first = namesSeen.get(name);
            if (first !== undefined) {
                c.fail(`${path}.name`, `"${name}" is already used by ${NAMESPACE}:regions[${first}]`, "give every region a unique name");
                name = undefined;
            } else {
                namesSeen.set(name, i);
            }
        }

        const cloud = c.oneOf(`${path}.cloud`, r.cloud, CLOUDS, "cloud");
        const location = c.string(`${path}.location`, r.location, { required: "set the cloud location, e.g. us-east-1 or europe-west1" });
        if (cloud !== undefined && location !== undefined && !findLocation(cloud, location)) {
            const known = [...LOCATIONS[cloud].keys()].sort();
            const other = CLOUDS.find((o) => o !== cloud && findLocation(o, location));
            const near = known.map((k) => ({ k, d: editDistance(k, location) })).filter((x) => x.d <= 2)
                .sort((a, b) => a.d - b.d)[0]?.k;
            if (other) {
                c.fail(`${path}.location`, `"${location}" is ${CLOUD_NAMES[other]} location, not ${CLOUD_NAMES[cloud]} one`,
                    `set cloud: ${other}, or use ${CLOUD_NAMES[cloud]} location: ${known.join(", ")}`);
            } else {
                c.fail(`${path}.location`, `"${location}" is not ${CLOUD_NAMES[cloud]} location${near ? ` (did you mean ${near}?)` : ""}`,
                    `use one of ${known.join(", ")}`);
            }
        }

        const primaryValue = c.boolean(`${path}.primary`, r.primary);
        if (primaryValue === undefined && r.primary !== undefined) primaryUnreadable = true;
        const primary = primaryValue ?? false;
        if (primary) primaries.push(i);
        if (primary && topology === "per-region") {
            c.fail(`${path}.primary`, "is set, but per-region has no primary region: every region runs its own independent database",
                "remove primary, or use topology single-primary");
        }

        const serves: GeoCode[] = [];
        if (r.serves !== undefined) {
            if (!Array.isArray(r.serves)) {
                c.fail(`${path}.serves`, `${show(r.serves)} is not a list`, `list Cloudflare region codes, e.g. [WEU, EEU]; one of ${GEO_CODES.join(", ")}`);
            } else {
                r.serves.forEach((code: unknown, j: number) => {
                    const at = `${path}.serves[${j}]`;
                    if (typeof code !== "string" || !(GEO_CODES as readonly string[]).includes(code)) {
                        c.fail(at, `${show(code)} is not a Cloudflare region code`, `use one of ${GEO_CODES.join(", ")}`);
                        return;
                    }
                    const g = code as GeoCode;
                    const owner = servedBy.get(g);
                    if (owner && owner.index === i) {
                        c.fail(at, `${g} is listed twice`, "list each code once");
                    } else if (owner) {
                        c.fail(at, `${g} is already served by ${owner.name ? `${owner.name} (${NAMESPACE}:regions[${owner.index}])` : `${NAMESPACE}:regions[${owner.index}]`}`,
                            "each Cloudflare region code can be served first by one region only; the others are its failover");
                    } else {
                        servedBy.set(g, { name, index: i });
                        serves.push(g);
                    }
                });
            }
        }

        const cidr = r.cidr === undefined ? undefined : c.cidr(`${path}.cidr`, r.cidr);
        if (name !== undefined && cloud !== undefined && location !== undefined) {
            regions.push({ name, cloud, location, primary, serves, cidr: cidr ?? defaultCidr(name) });
        }
    });

    if (topology === "single-primary" && list.length > 0) {
        if (primaries.length === 0 && !primaryUnreadable) {
            c.fail(`${NAMESPACE}:regions`, "no region has primary: true, but single-primary needs exactly one writer region",
                "set primary: true on the region whose database takes the writes");
        } else if (primaries.length > 1) {
            const where = primaries.map((i) => `${NAMESPACE}:regions[${i}]`).join(", ");
            c.fail(`${NAMESPACE}:regions`, `${primaries.length} regions have primary: true (${where})`,
                "single-primary allows exactly one writer region; two writers would be multi-master, which is not supported");
        }
    }
    checkCidrOverlaps(c, list, regions);
    return regions;
}

/** A /16 in 10.16.0.0–10.239.0.0 chosen from the region name, so reordering regions never renumbers a VPC. */
export function defaultCidr(name: string): string {
    let h = 0x811c9dc5;
    for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    return `10.${16 + (h % 224)}.0.0/16`;
}

function checkCidrOverlaps(c: Checker, list: unknown[], regions: RegionConfig[]): void {
    for (let i = 0; i < regions.length; i++) {
        for (let j = 0; j < i; j++) {
            if (cidrsOverlap(regions[i].cidr, regions[j].cidr)) {
                const at = list.findIndex((r) => (r as { name?: unknown })?.name === regions[i].name);
                c.fail(`${NAMESPACE}:regions[${at}].cidr`, `${regions[i].cidr} overlaps ${regions[j].name}'s ${regions[j].cidr}`,
                    "give each region its own private range, e.g. cidr: 10.42.0.0/16");
            }
        }
    }
}

export function cidrsOverlap(a: string, b: string): boolean {
    const x = parseCidr(a);
    const y = parseCidr(b);
    const bits = Math.min(x.bits, y.bits);
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return ((x.base & mask) >>> 0) === ((y.base & mask) >>> 0);
}
