// olympus:masterKey: the one key source (generated or existing), its store and location, and the
// key generations. The store and location default to the writer region's cloud and location.

import { Cloud, LOCATIONS, findLocation } from "../catalog";
import { Checker, show } from "./checker";
import { CLOUD_NAMES } from "./regions";
import { MASTER_KEY_KEYS, MasterKeyConfig, NAMESPACE, RegionConfig, SECRET_STORES, STORE_CLOUD, SecretStore, Topology } from "./types";

const KEY_GENERATION = /^[a-z0-9](?:[a-z0-9-]{0,14}[a-z0-9])?$/;
const SECRET_NAME: Readonly<Record<Cloud, { pattern: RegExp; rule: string }>> = {
    aws: { pattern: /^[A-Za-z0-9/_+=.@-]{1,512}$/, rule: "1-512 letters, digits and /_+=.@-" },
    gcp: { pattern: /^[A-Za-z0-9_-]{1,255}$/, rule: "1-255 letters, digits, '_' and '-'" },
};

export function parseMasterKey(c: Checker, value: unknown, topology: Topology | undefined, regions: RegionConfig[]): MasterKeyConfig | undefined {
    const path = `${NAMESPACE}:masterKey`;
    const m = value === undefined ? {} : c.map(path, value, MASTER_KEY_KEYS);
    if (!m) return undefined;
    const source = m.source === undefined ? "generated" : c.oneOf(`${path}.source`, m.source, ["generated", "existing"] as const, "key source");
    // The default store sits with the writer: the primary region (per-region: the first region).
    const home = regions.find((r) => r.primary) ?? (topology === "per-region" ? regions[0] : undefined) ?? regions[0];
    const defaultStore: SecretStore | undefined = home ? (home.cloud === "aws" ? "aws-secrets-manager" : "gcp-secret-manager") : undefined;
    const store = m.store === undefined ? defaultStore : c.oneOf(`${path}.store`, m.store, SECRET_STORES, "secret store");
    if (!store) return undefined;
    const cloud = STORE_CLOUD[store];

    let location: string | undefined;
    if (m.location !== undefined) {
        location = c.string(`${path}.location`, m.location, {});
        if (location !== undefined && !findLocation(cloud, location)) {
            c.fail(`${path}.location`, `"${location}" is not ${CLOUD_NAMES[cloud]} location, where the ${store} store lives`,
                `use one of ${[...LOCATIONS[cloud].keys()].sort().join(", ")}`);
            location = undefined;
        }
    } else if (home && home.cloud === cloud) {
        location = home.location;
    } else if (home) {
        c.fail(`${path}.location`, `missing: the ${store} store is on ${cloud.toUpperCase()}, but the ${home.primary ? "primary " : ""}region ${home.name} is on ${home.cloud.toUpperCase()}`,
            `set the ${cloud.toUpperCase()} location of the store, e.g. ${[...LOCATIONS[cloud].keys()][0]}`);
    }

    let name: string | undefined;
    if (m.name !== undefined) {
        name = c.string(`${path}.name`, m.name, {});
        if (name !== undefined && !SECRET_NAME[cloud].pattern.test(name)) {
            c.fail(`${path}.name`, `"${name}" is not a valid ${store} secret name`, `use ${SECRET_NAME[cloud].rule}`);
            name = undefined;
        }
    } else if (source === "existing") {
        c.fail(`${path}.name`, "missing, but source is existing", `set the name of the ${store} secret that holds the key list`);
    }

    let keys: string[] = [];
    if (source === "existing") {
        if (m.keys !== undefined) {
            c.fail(`${path}.keys`, "is set, but an existing key is rotated in its own store",
                "remove keys; to rotate, write the new key list as a new version of the existing secret and run pulumi up");
        }
    } else if (m.keys === undefined) {
        keys = ["k1"];
    } else if (!Array.isArray(m.keys) || m.keys.length === 0) {
        c.fail(`${path}.keys`, Array.isArray(m.keys) ? "is an empty rotation list" : `${show(m.keys)} is not a list`,
            "list the key generations newest first, e.g. [k2, k1]: the first encrypts, every one decrypts");
    } else {
        m.keys.forEach((k: unknown, i: number) => {
            if (typeof k !== "string" || !KEY_GENERATION.test(k)) {
                c.fail(`${path}.keys[${i}]`, `${show(k)} is not a key generation name`, "use 1-16 lower-case letters, digits and '-', e.g. k2 or 2026-11");
            } else if (keys.includes(k)) {
                c.fail(`${path}.keys[${i}]`, `"${k}" is listed twice`, "give each key generation a unique name");
            } else {
                keys.push(k);
            }
        });
    }
    if (m.version !== undefined && source !== "existing") {
        c.fail(`${path}.version`, "is set, but only an existing key is read by version", "remove version, or set source: existing");
    }
    const version = m.version === undefined ? undefined : c.string(`${path}.version`, typeof m.version === "number" ? String(m.version) : m.version, {});

    if (!source || !location) return undefined;
    return { source, store, cloud, location, name, keys, version };
}
