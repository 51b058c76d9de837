// The checker every section parser reports through: one message format for every rule (STYLE.md
// rule 7): `<key path>: <what is wrong>; <what is allowed>`. Problems are collected, never thrown one at a time.

import { NAMESPACE } from "./types";

/** Every configuration problem found, each one line: what is wrong, where, and what is allowed. */
export class ConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

/** An address mail can be sent to: something@domain.tld, no spaces. */
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;

export function parseCidr(cidr: string): { base: number; bits: number } {
    const [addr, bits] = cidr.split("/");
    const base = addr.split(".").reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
    return { base, bits: Number(bits) };
}

export function show(v: unknown): string {
    if (typeof v === "string") return `"${v}"`;
    if (v === null) return "null";
    if (Array.isArray(v)) return "a list";
    if (typeof v === "object") return "a map";
    return String(v);
}

export function editDistance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
    }
    return d[a.length][b.length];
}

export class Checker {
    readonly problems: string[] = [];

    fail(path: string, what: string, allowed: string): void {
        this.problems.push(`${path}: ${what}; ${allowed}`);
    }

    /** A map whose keys are all known; unknown keys are reported (a typo must not silently mean "default"). */
    map<K extends string>(path: string, value: unknown, keys: readonly K[]): Partial<Record<K, any>> | undefined {
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            this.fail(path, `${show(value)} is not a map`, `write a YAML map with keys ${keys.join(", ")}`);
            return undefined;
        }
        this.knownKeys(path, value as Record<string, unknown>, keys);
        return value as Partial<Record<K, unknown>>;
    }

    knownKeys(path: string, value: Readonly<Record<string, unknown>>, keys: readonly string[]): void {
        const sep = path === NAMESPACE ? ":" : ".";
        for (const key of Object.keys(value)) {
            if (keys.includes(key)) continue;
            const near = keys.find((k) => editDistance(k.toLowerCase(), key.toLowerCase()) <= 2);
            this.fail(`${path}${sep}${key}`, `is not a known key${near ? ` (did you mean ${near}?)` : ""}`,
                `use one of ${keys.join(", ")}`);
        }
    }

    string(path: string, value: unknown, opts: { required?: string }): string | undefined {
        if (value === undefined || value === null || value === "") {
            if (opts.required) this.fail(path, "missing", opts.required);
            return undefined;
        }
        if (typeof value !== "string") {
            this.fail(path, `${show(value)} is not text`, "write a string");
            return undefined;
        }
        return value;
    }

    oneOf<T extends string>(path: string, value: unknown, allowed: readonly T[], what: string): T | undefined {
        if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
        this.fail(path, value === undefined ? "missing" : `${show(value)} is not a supported ${what}`,
            `use ${allowed.length === 2 ? allowed.join(" or ") : `one of ${allowed.join(", ")}`}`);
        return undefined;
    }

    /** Booleans arrive as YAML booleans, or as text from `pulumi config set --path`. */
    boolean(path: string, value: unknown): boolean | undefined {
        if (value === undefined) return undefined;
        if (typeof value === "boolean") return value;
        if (value === "true" || value === "false") return value === "true";
        this.fail(path, `${show(value)} is not a boolean`, "use true or false");
        return undefined;
    }

    integer(path: string, value: unknown, range: { min: number; max: number; why?: string }): number | undefined {
        const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
        const allowed = `use a whole number from ${range.min} to ${range.max}${range.why ? ` ${range.why}` : ""}`;
        if (typeof n !== "number" || !Number.isInteger(n)) {
            this.fail(path, `${show(value)} is not a whole number`, allowed);
            return undefined;
        }
        if (n < range.min || n > range.max) {
            this.fail(path, `${n} is ${n < range.min ? "below the minimum" : "above the maximum"}`, allowed);
            return undefined;
        }
        return n;
    }

    domain(path: string, value: unknown): string | undefined {
        const s = this.string(path, value, { required: "set the public hostname users reach, e.g. ciam.example.com" });
        if (s === undefined) return undefined;
        // A URL pasted from the browser: say what to keep, not only that it is wrong.
        const url = /^[a-z][a-z0-9+.-]*:\/\/([^/?#:]+)(?::\d+)?([/?#].*)?$/i.exec(s.trim());
        if (url) {
            this.fail(path, `"${s}" is a URL, not a hostname`, `drop the scheme${url[2] && url[2] !== "/" ? " and the path" : ""}: write ${url[1].toLowerCase()}`);
            return undefined;
        }
        if (/[A-Z]/.test(s) && s.toLowerCase() !== s && /^[a-z0-9.-]+$/.test(s.toLowerCase())) {
            this.fail(path, `"${s}" has upper-case letters`, `write it in lower case: ${s.toLowerCase()}`);
            return undefined;
        }
        const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
        const labels = s.split(".");
        const valid = s.length <= 253 && labels.length >= 2 && labels.every((l) => label.test(l)) && !/^\d+$/.test(labels[labels.length - 1]);
        if (!valid) {
            this.fail(path, `"${s}" is not a valid DNS hostname`,
                "use two or more dot-separated labels of lower-case letters, digits and '-', e.g. ciam.example.com");
            return undefined;
        }
        return s;
    }

    cloudflareId(path: string, value: unknown, what: "account" | "zone"): string | undefined {
        const where = what === "account" ? "the dashboard's Account Home > Account ID" : "the zone's Overview page > Zone ID";
        const s = this.string(path, value, { required: `set your Cloudflare ${what} ID (32 hex characters, from ${where})` });
        if (s === undefined) return undefined;
        if (!CLOUDFLARE_ID.test(s)) {
            this.fail(path, `"${s}" is not a Cloudflare ${what} ID`, `use the 32 lower-case hex characters from ${where}`);
            return undefined;
        }
        return s;
    }

    cidr(path: string, value: unknown): string | undefined {
        const s = this.string(path, value, {});
        if (s === undefined) return undefined;
        const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
        const octets = m ? m.slice(1, 5).map(Number) : [];
        const bits = m ? Number(m[5]) : NaN;
        const isPrivate = m !== null && (octets[0] === 10 || (octets[0] === 172 && octets[1] >= 16 && octets[1] <= 31) ||
            (octets[0] === 192 && octets[1] === 168));
        if (!m || octets.some((o) => o > 255) || !isPrivate || bits < 16 || bits > 22) {
            this.fail(path, `"${s}" is not a private IPv4 range from /16 to /22`,
                "use an RFC 1918 range such as 10.42.0.0/16 (room for the app and database subnets in two zones)");
            return undefined;
        }
        const { base } = parseCidr(s);
        const mask = (~0 << (32 - bits)) >>> 0;
        if (((base & mask) >>> 0) !== base) {
            this.fail(path, `"${s}" has host bits set`, `use the network address, e.g. ${[0, 8, 16, 24].map((sh) => (((base & mask) >>> (24 - sh)) & 255)).join(".")}/${bits}`);
            return undefined;
        }
        return s;
    }
}
