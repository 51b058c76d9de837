// The policy pack's side of an offline run: the Analyze and AnalyzeStack requests the Pulumi
// engine would send for the recorded resources (inputs for Analyze, final outputs for
// AnalyzeStack, options, provider, parent and dependencies filled in), and an in-process
// evaluation of the pack on them through @pulumi/policy's own request handlers. The tests send
// the very same requests to the pack served as a separate process.

import { Policies } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { OfflineRun, RecordedResource } from "./engine";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any -- generated protobuf code is untyped */
const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb");
const structproto = require("google-protobuf/google/protobuf/struct_pb");
const policyServer = require("@pulumi/policy/server");

export type Severity = "advisory" | "mandatory" | "disabled" | "remediate";

export interface Diagnostic {
    readonly policyName: string;
    readonly enforcementLevel: Severity;
    /** The resource the violation is about (the stack, when a policy names none). */
    readonly urn: string;
    readonly message: string;
}

const LEVELS: readonly Severity[] = ["advisory", "mandatory", "disabled", "remediate"];

/**
 * The engine does not send resource references to analyzers: it downgrades each to the
 * resource's id (custom resources) or URN (components). Secrets and unknowns keep their markers.
 */
function downgradeResources(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(downgradeResources);
    if (typeof value === "object" && value !== null) {
        const v = value as Record<string, unknown>;
        if (v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialResourceSig) return v.id !== undefined && v.id !== "" ? v.id : v.urn;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, downgradeResources(x)]));
    }
    return value;
}

function struct(value: Record<string, unknown>): any {
    return structproto.Struct.fromJavaScript(downgradeResources(value));
}

function options(r: RecordedResource): any {
    const o = new analyzerproto.AnalyzerResourceOptions();
    o.setProtect(r.options.protect);
    o.setIgnorechangesList(r.options.ignoreChanges);
    o.setDeletebeforereplace(r.options.deleteBeforeReplace);
    o.setDeletebeforereplacedefined(r.options.deleteBeforeReplaceDefined);
    o.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
    o.setAliasesList(r.options.aliases);
    const t = new analyzerproto.AnalyzerResourceOptions.CustomTimeouts();
    const seconds = (d?: string) => (d ? Number.parseFloat(d) * (d.endsWith("m") ? 60 : d.endsWith("h") ? 3600 : 1) : 0);
    t.setCreate(seconds(r.options.customTimeouts?.create));
    t.setUpdate(seconds(r.options.customTimeouts?.update));
    t.setDelete(seconds(r.options.customTimeouts?.delete));
    o.setCustomtimeouts(t);
    if (r.parent) o.setParent(r.parent);
    return o;
}

function provider(run: OfflineRun, r: RecordedResource): any {
    if (!r.provider) return undefined;
    const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
    const p = run.resources.find((x) => x.urn === urn);
    if (!p) return undefined;
    const msg = new analyzerproto.AnalyzerProviderResource();
    msg.setType(p.type);
    msg.setName(p.name);
    msg.setUrn(p.urn);
    msg.setProperties(struct(p.wireInputs));
    return msg;
}

const isProvider = (r: RecordedResource) => r.type.startsWith("pulumi:providers:");

/** One AnalyzeRequest per resource, with its inputs: what the engine sends as each is registered. */
export function analyzeRequests(run: OfflineRun): any[] {
    return run.resources.filter((r) => !isProvider(r)).map((r) => {
        const req = new analyzerproto.AnalyzeRequest();
        req.setType(r.type);
        req.setName(r.name);
        req.setUrn(r.urn);
        req.setProperties(struct(r.wireInputs));
        req.setOptions(options(r));
        const p = provider(run, r);
        if (p) req.setProvider(p);
        return req;
    });
}

/** The AnalyzeStackRequest: every resource with its final outputs, parent and dependencies. */
export function analyzeStackRequest(run: OfflineRun): any {
    const req = new analyzerproto.AnalyzeStackRequest();
    req.setResourcesList(run.resources.filter((r) => !isProvider(r)).map((r) => {
        const res = new analyzerproto.AnalyzerResource();
        res.setType(r.type);
        res.setName(r.name);
        res.setUrn(r.urn);
        res.setProperties(struct(r.custom ? { ...r.wireOutputs, id: r.id } : r.wireOutputs));
        res.setOptions(options(r));
        const p = provider(run, r);
        if (p) res.setProvider(p);
        if (r.parent) res.setParent(r.parent);
        res.setDependenciesList(r.dependencies);
        const deps = res.getPropertydependenciesMap();
        for (const [key, urns] of Object.entries(r.propertyDependencies)) {
            const d = new analyzerproto.AnalyzerPropertyDependencies();
            d.setUrnsList(urns);
            deps.set(key, d);
        }
        return res;
    }));
    return req;
}

/** Diagnostics from an AnalyzeResponse. */
export function diagnosticsOf(resp: any, stackUrn: string): Diagnostic[] {
    return resp.getDiagnosticsList().map((d: any) => ({
        policyName: d.getPolicyname(),
        enforcementLevel: LEVELS[d.getEnforcementlevel()] ?? "advisory",
        urn: d.getUrn() || stackUrn,
        message: d.getMessage(),
    }));
}

function call(handler: (call: { request: any }, cb: (err: any, resp: any) => void) => void, request: any): Promise<any> {
    return new Promise((resolve, reject) => handler({ request }, (err, resp) => (err ? reject(err) : resolve(resp))));
}

/**
 * Evaluate the pack on an offline run, in this process, through the same request handlers the
 * pack's gRPC server uses. Config is each policy's defaults.
 */
export async function evaluatePolicies(run: OfflineRun, policies: Policies, packName: string, version: string): Promise<Diagnostic[]> {
    const analyze = policyServer.makeAnalyzeRpcFun(packName, version, "advisory", policies);
    const analyzeStack = policyServer.makeAnalyzeStackRpcFun(packName, version, "advisory", policies);
    const stackUrn = run.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.urn ?? "";
    const out: Diagnostic[] = [];
    for (const req of analyzeRequests(run)) out.push(...diagnosticsOf(await call(analyze, req), req.getUrn()));
    out.push(...diagnosticsOf(await call(analyzeStack, analyzeStackRequest(run)), stackUrn));
    return out;
}
