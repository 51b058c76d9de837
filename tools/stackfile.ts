// Reads Pulumi.yaml and a stack file the way the Pulumi CLI does, and produces the flat config map
// the program receives (`"olympus:regions"` -> JSON text). `secure:` values cannot be decrypted
// offline, so each becomes a placeholder and its key is marked secret.

import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

export class StackFileError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(problems.join("\n"));
        this.name = "StackFileError";
    }
}

export interface Project {
    readonly name: string;
    readonly dir: string;
    readonly stackConfigDir: string;
    /** Project-level config: declared keys (with their defaults) and plain values. */
    readonly config: Readonly<Record<string, ProjectConfigEntry>>;
}

interface ProjectConfigEntry {
    readonly value?: unknown;
    readonly default?: unknown;
    readonly required: boolean;
}

export interface ResolvedConfig {
    /** Pulumi's wire form: every value a string, structured values as JSON text. */
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
}

export const SECRET_PLACEHOLDER_PREFIX = "offline-placeholder-secret";

function parseYamlFile(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new StackFileError([`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
    }
    const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
        throw new StackFileError(doc.errors.map((e) => {
            const where = e.linePos?.[0] ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})` : "";
            return `${file}: is not valid YAML${where}: ${e.message.split("\n")[0]}`;
        }));
    }
    return doc.toJS();
}

function isMap(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function readProject(dir: string): Project {
    const file = path.join(dir, "Pulumi.yaml");
    const doc = parseYamlFile(file);
    if (!isMap(doc) || typeof doc.name !== "string") {
        throw new StackFileError([`${file}: is not a Pulumi project file (it needs at least name and runtime)`]);
    }
    const config: Record<string, ProjectConfigEntry> = {};
    const raw = isMap(doc.config) ? doc.config : {};
    for (const [key, decl] of Object.entries(raw)) {
        const full = key.includes(":") ? key : `${doc.name}:${key}`;
        if (isMap(decl) && ("type" in decl || "description" in decl || "default" in decl || "value" in decl)) {
            config[full] = { value: decl.value, default: decl.default, required: !("default" in decl) && !("value" in decl) };
        } else {
            config[full] = { value: decl, required: false };
        }
    }
    return {
        name: doc.name,
        dir,
        stackConfigDir: typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : ".",
        config,
    };
}

export function stackFilePath(project: Project, stack: string): string {
    return path.join(project.dir, project.stackConfigDir, `Pulumi.${stack}.yaml`);
}

/** Stack names that have a file in the project's stack config directory. */
export function listStacks(project: Project): string[] {
    const dir = path.join(project.dir, project.stackConfigDir);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/**
 * What an encrypted value stands for offline. Keys the program validates by form get a value of
 * that form (a `--secret` SMTP URL must still plan); any other secret gets a marked string.
 */
function placeholderFor(at: string): string {
    if (/(^|[:.])smtpUrl$/.test(at)) return `smtps://${SECRET_PLACEHOLDER_PREFIX}@smtp.invalid:465/`;
    if (/(^|[:.])invalidationUrl$/.test(at)) return `nats://${SECRET_PLACEHOLDER_PREFIX}.invalid:4222`;
    return `${SECRET_PLACEHOLDER_PREFIX}:${at}`;
}

/** Replace every `{ secure: ... }` by a placeholder; report whether any was found. */
function replaceSecure(value: unknown, at: string, problems: string[]): { value: unknown; secret: boolean } {
    if (isMap(value)) {
        const keys = Object.keys(value);
        if (keys.length === 1 && keys[0] === "secure") {
            if (typeof value.secure !== "string") problems.push(`${at}: secure: must hold the ciphertext text that \`pulumi config set --secret\` wrote`);
            return { value: placeholderFor(at), secret: true };
        }
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const k of keys) {
            const r = replaceSecure(value[k], `${at}.${k}`, problems);
            out[k] = r.value;
            secret ||= r.secret;
        }
        return { value: out, secret };
    }
    if (Array.isArray(value)) {
        let secret = false;
        const out = value.map((v, i) => {
            const r = replaceSecure(v, `${at}[${i}]`, problems);
            secret ||= r.secret;
            return r.value;
        });
        return { value: out, secret };
    }
    return { value, secret: false };
}

function toWire(value: unknown): string {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return JSON.stringify(value);
}

/**
 * The config the program sees for a stack: project-level values and defaults, overridden by the
 * stack file. Like the CLI, a project key declared without a default must be set by the stack.
 */
export function resolveConfig(project: Project, stackFile: string, stack: string): ResolvedConfig {
    const doc = parseYamlFile(stackFile);
    const problems: string[] = [];
    if (doc !== null && doc !== undefined && !isMap(doc)) {
        throw new StackFileError([`${stackFile}: is not a stack file; it must be a YAML map with a config: map`]);
    }
    const stackConfig = isMap(doc) ? doc.config : undefined;
    if (stackConfig !== undefined && stackConfig !== null && !isMap(stackConfig)) {
        throw new StackFileError([`${stackFile}: config: must be a map of namespace:key entries`]);
    }

    const merged: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(project.config)) {
        const v = entry.value ?? entry.default;
        if (v !== undefined) merged[key] = v;
    }
    const secretKeys: string[] = [];
    for (const [key, raw] of Object.entries(stackConfig ?? {})) {
        if (!/^[^:\s]+:[^\s]+$/.test(key)) {
            problems.push(`${stackFile}: config key "${key}" is not of the form <namespace>:<name> (e.g. ${project.name}:${key})`);
            continue;
        }
        const full = key.replace(/^([^:]+):config:/, "$1:");
        const secureProblems: string[] = [];
        const { value, secret } = replaceSecure(raw, full, secureProblems);
        problems.push(...secureProblems.map((p) => `${stackFile}: ${p}`));
        merged[full] = value;
        if (secret) secretKeys.push(full);
    }
    for (const [key, entry] of Object.entries(project.config)) {
        if (entry.required && merged[key] === undefined) {
            problems.push(`${stackFile}: stack '${stack}' is missing configuration value '${key}' (required by Pulumi.yaml)`);
        }
    }
    if (problems.length > 0) throw new StackFileError(problems);

    const values: Record<string, string> = {};
    for (const [key, v] of Object.entries(merged)) {
        if (v === null || v === undefined) continue;
        values[key] = toWire(v);
    }
    return { values, secretKeys };
}
