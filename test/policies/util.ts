// Policy test helpers, after pulumi-policy-aws's src/tests/util.ts, updated for what newer
// @pulumi/policy requires of validation args: `stackTags`, and `notApplicable`, which ends a
// validation early with a reason instead of reporting a violation.

import * as assert from "assert";
import {
    PolicyProviderResource, PolicyResource, ResourceValidationArgs, ResourceValidationPolicy,
    StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";

export class NotApplicable extends Error {
    constructor(readonly reason?: string) {
        super(`not applicable: ${reason}`);
    }
}

export interface Outcome {
    /** Violation messages, each with the URN it was reported against. */
    readonly violations: { message: string; urn?: string }[];
    /** The reason given, when the policy declared itself not applicable. */
    readonly notApplicable?: string;
}

const OPTIONS = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

const urnOf = (type: string, name: string) => `urn:pulumi:test::olympus::${type}::${name}`;

export function awsProvider(region: string): PolicyProviderResource {
    return { type: "pulumi:providers:aws", name: `aws-${region}`, urn: urnOf("pulumi:providers:aws", `aws-${region}`), props: { region } };
}

export function gcpProvider(region: string): PolicyProviderResource {
    return { type: "pulumi:providers:gcp", name: `gcp-${region}`, urn: urnOf("pulumi:providers:gcp", `gcp-${region}`), props: { region, project: "p" } };
}

/** Arguments for a resource policy, as the pack's server builds them. */
export function resourceArgs(type: string, props: Record<string, any>, opts: { name?: string; provider?: PolicyProviderResource; config?: object } = {}): ResourceValidationArgs {
    const name = opts.name ?? "subject";
    return {
        type,
        props,
        urn: urnOf(type, name),
        name,
        opts: OPTIONS,
        provider: opts.provider,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => (opts.config ?? {}) as T,
        notApplicable: (reason?: string): never => { throw new NotApplicable(reason); },
    };
}

export async function runResourcePolicy(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<Outcome> {
    const violations: { message: string; urn?: string }[] = [];
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    try {
        for (const v of validations) await v(args, (message, urn) => violations.push({ message, urn }));
    } catch (err) {
        if (err instanceof NotApplicable) return { violations, notApplicable: err.reason };
        throw err;
    }
    return { violations };
}

/** A resource as a stack policy sees it. Link parents and property dependencies after creating. */
export function stackResource(type: string, name: string, props: Record<string, any>,
    opts: { parent?: PolicyResource; provider?: PolicyProviderResource; propertyDependencies?: Record<string, PolicyResource[]>; protect?: boolean } = {}): PolicyResource {
    return {
        type,
        name,
        urn: urnOf(type, name),
        props,
        opts: { ...OPTIONS, protect: opts.protect ?? false, parent: opts.parent?.urn },
        parent: opts.parent,
        provider: opts.provider,
        dependencies: Object.values(opts.propertyDependencies ?? {}).flat(),
        propertyDependencies: opts.propertyDependencies ?? {},
        isType: () => false,
        asType: () => undefined,
    };
}

export async function runStackPolicy(policy: StackValidationPolicy, resources: PolicyResource[], config: object = {}): Promise<Outcome> {
    const violations: { message: string; urn?: string }[] = [];
    const args: StackValidationArgs = {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => { throw new NotApplicable(reason); },
    };
    try {
        await policy.validateStack(args, (message, urn) => violations.push({ message, urn }));
    } catch (err) {
        if (err instanceof NotApplicable) return { violations, notApplicable: err.reason };
        throw err;
    }
    return { violations };
}

export function assertNoViolations(outcome: Outcome): void {
    assert.deepStrictEqual(outcome.violations, [], "expected no violations");
    assert.strictEqual(outcome.notApplicable, undefined, `expected the policy to apply, but: ${outcome.notApplicable}`);
}

/** Exactly these violations, in order; each message compared whole. */
export function assertViolations(outcome: Outcome, expected: { message: string; urn?: string }[]): void {
    assert.deepStrictEqual(outcome.violations.map((v) => ({ message: v.message, ...(expected.some((e) => e.urn) ? { urn: v.urn } : {}) })), expected);
}
