// The offline engine: runs the real program in-process under Pulumi's mocks for one stack file,
// and records every resource registration as the engine would see it (type, name, parent,
// provider, options, inputs on the wire with secrets still marked) plus the stack outputs.
// Used by `npm run plan`, by the tests, and by the policy-pack tests.

import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { OfflineMocks } from "./mocks";
import { Project, ResolvedConfig, StackFileError, listStacks, readProject, resolveConfig, stackFilePath } from "./stackfile";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/**
 * Pulumi captures a stack trace for every promise it creates (for its leak report) and every
 * resource (for the resource's source position): in a 16-region plan, formatting those traces
 * took 80% of the run. Neither changes what the program declares, and an offline run has no
 * engine to show them, so the offline engine skips both. Deployments are untouched.
 */
function skipDebugAids(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable");
    debuggable.debuggablePromise = <T>(p: Promise<T>) => p;
    (pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites = () => [];
}
skipDebugAids();

/** Pulumi's wire markers. */
const SIG_KEY = pulumi.runtime.specialSigKey;
const SECRET_SIG = pulumi.runtime.specialSecretSig;
const RESOURCE_SIG = pulumi.runtime.specialResourceSig;
const UNKNOWN = pulumi.runtime.unknownValue;
export const REDACTED = "[secret]";

export interface ResourceOptions {
    readonly protect: boolean;
    readonly ignoreChanges: string[];
    readonly deleteBeforeReplace: boolean;
    readonly deleteBeforeReplaceDefined: boolean;
    readonly additionalSecretOutputs: string[];
    readonly aliases: string[];
    readonly customTimeouts?: { create: string; update: string; delete: string };
    readonly retainOnDelete: boolean;
    readonly replaceOnChanges: string[];
}

export interface RecordedResource {
    readonly urn: string;
    readonly id: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** The parent's URN (the stack resource for top-level resources). */
    readonly parent: string;
    /** `urn::id` of the provider resource; empty when the default provider would be used. */
    readonly provider: string;
    readonly dependencies: string[];
    readonly propertyDependencies: Record<string, string[]>;
    readonly options: ResourceOptions;
    /** Inputs exactly as serialised for the engine: secrets and resource references keep their markers. */
    readonly wireInputs: Record<string, unknown>;
    /** The state the (mock) provider returned, in wire form. */
    wireOutputs: Record<string, unknown>;
}

export interface OfflineRun {
    readonly project: string;
    readonly stack: string;
    readonly stackFile: string;
    readonly config: ResolvedConfig;
    readonly resources: RecordedResource[];
    /** Stack outputs in wire form (secrets marked). */
    readonly wireOutputs: Record<string, unknown>;
    readonly calls: { token: string; provider?: string }[];
}

/** Replace secrets by `[secret]`, resource references by their URN, unknowns by `[unknown]`. */
export function redact(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(redact);
    if (value === UNKNOWN) return "[unknown]";
    if (typeof value === "object" && value !== null) {
        const v = value as Record<string, unknown>;
        if (v[SIG_KEY] === SECRET_SIG) return REDACTED;
        if (v[SIG_KEY] === RESOURCE_SIG) return v.urn;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x)]));
    }
    return value;
}

/** The plain value with secret markers removed. For assertions only; never print it. */
export function reveal(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(reveal);
    if (typeof value === "object" && value !== null) {
        const v = value as Record<string, unknown>;
        if (v[SIG_KEY] === SECRET_SIG) return reveal(v.value);
        if (v[SIG_KEY] === RESOURCE_SIG) return v.urn;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
    }
    return value;
}

/** Whether a wire value is, or contains, a secret. */
export function containsSecret(value: unknown): boolean {
    if (Array.isArray(value)) return value.some(containsSecret);
    if (typeof value === "object" && value !== null) {
        const v = value as Record<string, unknown>;
        return v[SIG_KEY] === SECRET_SIG || Object.values(v).some(containsSecret);
    }
    return false;
}

export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports -- the generated protobuf classes are untyped */
const structproto = require("google-protobuf/google/protobuf/struct_pb");

function record(req: any, resp: any, into: Map<string, RecordedResource>): void {
    const timeouts = req.getCustomtimeouts?.();
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps: any, key: string) => { propertyDependencies[key] = deps.getUrnsList(); });
    const urn = resp.getUrn();
    into.set(urn, {
        urn,
        id: resp.getId(),
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        parent: req.getParent(),
        provider: req.getProvider(),
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        options: {
            protect: Boolean(req.getProtect()),
            ignoreChanges: req.getIgnorechangesList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            deleteBeforeReplaceDefined: req.getDeletebeforereplacedefined(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            aliases: req.getAliasurnsList(),
            customTimeouts: timeouts ? { create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() } : undefined,
            retainOnDelete: Boolean(req.getRetainondelete()),
            replaceOnChanges: req.getReplaceonchangesList(),
        },
        wireInputs: req.getObject()?.toJavaScript() ?? {},
        wireOutputs: resp.getObject()?.toJavaScript() ?? {},
    });
}

/**
 * The engine marks the outputs a resource lists in `additionalSecretOutputs` as secret (that is how
 * a generated password's `result` becomes a secret); the mock monitor does not, so this does.
 */
function markSecretOutputs(req: any, resp: any): void {
    const keys: string[] = req.getAdditionalsecretoutputsList();
    const state = resp.getObject()?.toJavaScript();
    if (keys.length === 0 || !state) return;
    for (const key of keys) {
        const v = state[key];
        if (v !== undefined && !isSecretValue(v)) state[key] = { [SIG_KEY]: SECRET_SIG, value: v };
    }
    resp.setObject(structproto.Struct.fromJavaScript(state));
}

function attachRecorder(monitor: any, into: Map<string, RecordedResource>, stackOutputs: { value: Record<string, unknown> }): void {
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: (err: any, resp: any) => void) =>
        register(req, (err: any, resp: any) => {
            if (!err) {
                markSecretOutputs(req, resp);
                record(req, resp, into);
            }
            callback(err, resp);
        });
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: any, callback: (err: any, resp: any) => void) => {
        const urn: string = req.getUrn();
        const outputs = req.getOutputs()?.toJavaScript() ?? {};
        const known = into.get(urn);
        if (known) known.wireOutputs = outputs;
        if (urn.split("::")[2] === "pulumi:pulumi:Stack") stackOutputs.value = outputs;
        registerOutputs(req, callback);
    };
}
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports */

/** Resources in construction order; the stack resource (constructed before the hook) first. */
function sortByDeclaration(resources: RecordedResource[], declared: ReadonlyMap<string, number[]>): RecordedResource[] {
    const taken = new Map<string, number>();
    const position = new Map(resources.map((r) => {
        const key = `${r.type}::${r.name}`;
        const i = taken.get(key) ?? 0;
        taken.set(key, i + 1);
        return [r, declared.get(key)?.[i] ?? -1];
    }));
    return [...resources].sort((a, b) => position.get(a)! - position.get(b)!);
}

/** Stacks that disable default providers must give every resource and call an explicit provider. */
function defaultProviderProblems(run: OfflineRun): string[] {
    const disabled = run.config.values["pulumi:disable-default-providers"];
    if (!disabled) return [];
    const packages: string[] = JSON.parse(disabled);
    const blocked = (type: string) => packages.includes("*") || packages.includes(type.split(":")[0]);
    const problems = run.resources
        .filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && r.provider === "" && blocked(r.type))
        .map((r) => `${r.type} "${r.name}" has no explicit provider, and the stack sets pulumi:disable-default-providers`);
    for (const c of run.calls) {
        if (!c.provider && blocked(c.token)) problems.push(`provider call ${c.token} has no explicit provider, and the stack sets pulumi:disable-default-providers`);
    }
    return problems;
}

export interface RunOptions {
    /** A stack in the project's stack directory; default DEFAULT_STACK. */
    readonly stack?: string;
    /** Any stack file; the stack name is taken from `Pulumi.<name>.yaml` unless `stack` is given. */
    readonly stackFile?: string;
    readonly projectDir?: string;
}

export const DEFAULT_STACK = "us-eu";

/** Runs are serialised: Pulumi's runtime state is process-global. */
let queue: Promise<unknown> = Promise.resolve();

function resolveStack(project: Project, options: RunOptions): { stack: string; stackFile: string } {
    if (options.stackFile) {
        const file = path.resolve(options.stackFile);
        const stack = options.stack ?? /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1] ?? "offline";
        return { stack, stackFile: file };
    }
    const stack = options.stack ?? DEFAULT_STACK;
    const stackFile = stackFilePath(project, stack);
    if (!listStacks(project).includes(stack)) {
        throw new StackFileError([`no stack file for stack "${stack}" (${path.relative(process.cwd(), stackFile)}); ` +
            `the shipped stacks are: ${listStacks(project).join(", ")}; or pass --stack-file PATH`]);
    }
    return { stack, stackFile };
}

export interface MockRunSettings {
    readonly project: string;
    readonly stack: string;
    readonly config: ResolvedConfig;
    /** Where the config came from (shown in reports). */
    readonly stackFile?: string;
}

/**
 * Run any program under the offline mocks and record what it declares: the real program
 * (`runOffline`), or a test's program built from the real components.
 */
export function runInMocks(program: () => Promise<Record<string, unknown> | void>, settings: MockRunSettings): Promise<OfflineRun> {
    const next = queue.then(() => runOnce(program, settings));
    queue = next.catch(() => undefined);
    return next;
}

/** Run the program offline for one stack. */
export async function runOffline(options: RunOptions = {}): Promise<OfflineRun> {
    const project = readProject(options.projectDir ?? PROJECT_DIR);
    const { stack, stackFile } = resolveStack(project, options);
    const config = resolveConfig(project, stackFile, stack);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program: () => Promise<Record<string, unknown>> = require(path.join(project.dir, "index.ts"));
    return runInMocks(program, { project: project.name, stack, config, stackFile });
}

async function runOnce(program: () => Promise<Record<string, unknown> | void>, settings: MockRunSettings): Promise<OfflineRun> {
    const mocks = new OfflineMocks();
    await pulumi.runtime.setMocks(mocks, settings.project, settings.stack, false);
    const recorded = new Map<string, RecordedResource>();
    const stackOutputs = { value: {} as Record<string, unknown> };
    attachRecorder(pulumi.runtime.getMonitor(), recorded, stackOutputs);
    pulumi.runtime.setAllConfig(settings.config.values, settings.config.secretKeys);

    // Resources register as their inputs resolve, in no fixed order; a stack transformation sees
    // each one as it is constructed, which gives the listing the program's own order.
    const declared = new Map<string, number[]>();
    let seq = 0;
    try {
        await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation(({ type, name }) => {
                const key = `${type}::${name}`;
                declared.set(key, [...(declared.get(key) ?? []), seq++]);
                return undefined;
            });
            return (await program()) ?? {};
        });
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        await (pulumi.runtime as any).waitForRPCs();
    } catch (err) {
        if (mocks.unanswered.length > 0) throw new Error(mocks.unanswered.join("\n"));
        throw err;
    }

    const run: OfflineRun = {
        project: settings.project,
        stack: settings.stack,
        stackFile: settings.stackFile ?? "(in memory)",
        config: settings.config,
        resources: sortByDeclaration([...recorded.values()], declared),
        wireOutputs: stackOutputs.value,
        calls: mocks.calls,
    };
    const problems = defaultProviderProblems(run);
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return run;
}
