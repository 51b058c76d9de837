// Reads Pulumi.yaml and a stack file the way the Pulumi CLI does, and produces the flat config map
// the program receives (`"olympus:regions"` -> JSON text). `secure:` values cannot be decrypted
// offline, so each becomes a placeholder and its key is marked secret.

import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { NAMESPACE } from "../topology/config";

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

export interface ProjectConfigEntry {
    readonly value?: unknown;
    readonly default?: unknown;
    /** Declared in the project's own namespace with neither a value nor a default: every stack must set it. */
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

/** What a project config entry may hold (Pulumi's project.json: `config.additionalProperties`). */
const DECLARATION_ATTRIBUTES = ["type", "items", "description", "secret", "default", "value"];
const CONFIG_TYPES = ["string", "integer", "boolean", "array", "object"];

interface ItemsType { readonly type?: unknown; readonly items?: ItemsType }

const present = (v: unknown) => v !== undefined && v !== null;

/** Pulumi's `configKeyIsNamespacedByProject`: a key without a namespace, or in the project's own. */
export function namespacedByProject(projectName: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(`${projectName}:`);
}

/** Pulumi's `ValidateConfigValue`: whether a typed declaration's default is of its type. */
function ofConfigType(type: unknown, items: ItemsType | undefined, value: unknown): boolean {
    switch (type) {
        case "string": return typeof value === "string";
        case "integer": return Number.isInteger(value) || (typeof value === "string" && /^[+-]?\d+$/.test(value));
        case "boolean": return typeof value === "boolean" || value === "true" || value === "false";
        case "object": return isMap(value);
        default: return Array.isArray(value) && items !== undefined && value.every((v) => ofConfigType(items.type, items.items, v));
    }
}

const typeName = (type: unknown, items: ItemsType | undefined): string =>
    items ? `array<${typeName(items.type, items.items)}>` : String(type);

/**
 * The project's `config:` block, checked by the rules the Pulumi CLI applies when it loads
 * Pulumi.yaml, with Pulumi's own messages (pulumi/pulumi sdk/go/common/workspace/project.go:
 * `RewriteShorthandConfigValues`, `configKeyIsNamespacedByProject` and `(*Project).Validate`; the
 * attributes a declaration may have are project.json's). A key outside the project's namespace
 * (`aws:region`, `pulumi:disable-default-providers`, and `olympus:domain` once a fork renames the
 * project) may only carry a `value`: no `type`, no `default`. A plain value (text, number, boolean,
 * list) is shorthand: a `default` in the project's namespace, a `value` outside it. Pulumi stops at
 * the first problem in map order; this lists them all.
 */
export function checkProjectConfig(projectName: string, raw: unknown): { config: Record<string, ProjectConfigEntry>; problems: string[] } {
    const config: Record<string, ProjectConfigEntry> = {};
    const problems: string[] = [];
    if (!present(raw)) return { config, problems };
    if (!isMap(raw)) {
        problems.push("config: must be a map of configuration keys");
        return { config, problems };
    }
    for (const [key, decl] of Object.entries(raw)) {
        const full = key.includes(":") ? key : `${projectName}:${key}`;
        const own = namespacedByProject(projectName, key);
        const shorthand = typeof decl === "string" || typeof decl === "boolean" || Number.isInteger(decl) || Array.isArray(decl);
        if (shorthand) {
            config[full] = own ? { default: decl, required: false } : { value: decl, required: false };
            continue;
        }
        if (!isMap(decl)) {
            problems.push(`config: ${key}: ${decl === null || decl === undefined ? "has nothing" : `${JSON.stringify(decl)} is not allowed`}; ` +
                "give a value (text, integer, boolean or list) or a declaration { type, description, default, value, secret, items }");
            continue;
        }
        const unknown = Object.keys(decl).filter((a) => !DECLARATION_ATTRIBUTES.includes(a));
        if (unknown.length > 0) {
            problems.push(`config: ${key}: ${unknown.join(", ")} ${unknown.length === 1 ? "is" : "are"} not allowed in a declaration; ` +
                `use ${DECLARATION_ATTRIBUTES.join(", ")} (a structured value goes under value:)`);
            continue;
        }
        if (present(decl.type) && !CONFIG_TYPES.includes(decl.type as string)) {
            problems.push(`config: ${key}: type ${JSON.stringify(decl.type)} is not a config type; use one of ${CONFIG_TYPES.join(", ")}`);
            continue;
        }
        const items = isMap(decl.items) ? decl.items as ItemsType : undefined;
        if (present(decl.default) && present(decl.value)) {
            problems.push(`project config '${key}' cannot have both a 'default' and 'value' attribute`);
        } else if (own) {
            if (decl.type === "array" && !items) {
                problems.push(`The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`);
            } else if (present(decl.type) && present(decl.default) && !ofConfigType(decl.type, items, decl.default)) {
                problems.push(`The default value specified for configuration key '${key}' is not of the expected type '${typeName(decl.type, items)}'`);
            }
        } else if (present(decl.type)) {
            problems.push(`Configuration key '${key}' is not namespaced by the project and should not define a type`);
        } else if (present(decl.default)) {
            problems.push(`Configuration key '${key}' is not namespaced by the project and should not define a default value. ` +
                "Did you mean to use the 'value' attribute instead of 'default'?");
        } else if (!present(decl.value)) {
            problems.push(`Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
        }
        config[full] = {
            ...(present(decl.value) ? { value: decl.value } : {}),
            ...(present(decl.default) ? { default: decl.default } : {}),
            required: own && !present(decl.value) && !present(decl.default),
        };
    }
    return { config, problems };
}

/** Pulumi.yaml, refused where the Pulumi CLI would refuse to load it. */
export function readProject(dir: string): Project {
    const file = path.join(dir, "Pulumi.yaml");
    const doc = parseYamlFile(file);
    if (!isMap(doc) || typeof doc.name !== "string" || doc.name === "") {
        throw new StackFileError([`${file}: is not a Pulumi project file (it needs at least name and runtime)`]);
    }
    // Text under config: is the old spelling of stackConfigDir (Pulumi's RewriteConfigPathIntoStackConfigDir).
    const legacyDir = typeof doc.config === "string" ? doc.config : undefined;
    const { config, problems } = checkProjectConfig(doc.name, legacyDir === undefined ? doc.config : undefined);
    if (legacyDir !== undefined && doc.stackConfigDir !== undefined) {
        problems.push("Should not use both config and stackConfigDir to define the stack directory. Use only stackConfigDir instead.");
    }
    if (problems.length > 0) {
        throw new StackFileError(problems.map((p) => `${file}: ${p} (the Pulumi CLI refuses this project file; the project is named ${doc.name})`));
    }
    return {
        name: doc.name,
        dir,
        stackConfigDir: typeof doc.stackConfigDir === "string" ? doc.stackConfigDir : legacyDir ?? ".",
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
 * stack file. Like the CLI, a key declared in the project's own namespace without a value or a
 * default must be set by the stack.
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
    // The CLI ignores a stack file's unknown top-level keys, so config written without its
    // `config:` root would be dropped in silence and the stack would plan without it.
    const misplaced = isMap(doc) ? Object.keys(doc).filter((k) => k.includes(":")) : [];
    if (misplaced.length > 0) {
        const one = misplaced.length === 1;
        problems.push(`${stackFile}: ${misplaced.join(", ")} ${one ? "is" : "are"} at the top level; put ${one ? "it" : "them"} under config: ` +
            "(a stack file is config: { namespace:key: value })");
    }

    const merged: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(project.config)) {
        const v = entry.value ?? entry.default;
        if (v !== undefined) merged[key] = v;
    }
    const secretKeys: string[] = [];
    for (const [key, raw] of Object.entries(stackConfig ?? {})) {
        if (!/^[^:\s]+:[^\s]+$/.test(key)) {
            problems.push(`${stackFile}: config key "${key}" is not of the form <namespace>:<name> (e.g. ${NAMESPACE}:${key})`);
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
