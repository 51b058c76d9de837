import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { TYPES, describe, known } from "../lib/resources";

const SECRETS = ["aws:secretsmanager/secret:Secret", "gcp:secretmanager/secret:Secret"];
const VERSIONS: Readonly<Record<string, string>> = {
    "aws:secretsmanager/secretVersion:SecretVersion": "secretString",
    "gcp:secretmanager/secretVersion:SecretVersion": "secretData",
};
const VERSION_TARGET: Readonly<Record<string, string>> = {
    "aws:secretsmanager/secretVersion:SecretVersion": "secretId",
    "gcp:secretmanager/secretVersion:SecretVersion": "secret",
};
/** Resources that make key material. */
const GENERATORS = [
    "random:index/randomPassword:RandomPassword", "random:index/randomString:RandomString", "random:index/randomBytes:RandomBytes",
    "random:index/randomId:RandomId", "random:index/randomUuid:RandomUuid", "tls:index/privateKey:PrivateKey",
];

/** Master-key material is tagged (AWS) or labelled (GCP) `olympus-secret: master-key`. */
function isKeySecret(r: PolicyResource): boolean {
    if (!SECRETS.includes(r.type)) return false;
    const marks = { ...(known(() => r.props.tags) ?? {}), ...(known(() => r.props.labels) ?? {}) };
    return marks["olympus-secret"] === "master-key";
}

function ancestor(r: PolicyResource, type: string): PolicyResource | undefined {
    for (let cur = r.parent; cur; cur = cur.parent) if (cur.type === type) return cur;
    return undefined;
}

/** The secret a version belongs to: through the dependency the engine recorded, else by id. */
function secretOf(version: PolicyResource, secrets: PolicyResource[]): PolicyResource | undefined {
    const prop = VERSION_TARGET[version.type];
    const deps = version.propertyDependencies?.[prop] ?? [];
    const target = known(() => version.props[prop]);
    return secrets.find((s) => deps.some((d) => d.urn === s.urn)) ??
        secrets.find((s) => target !== undefined && [known(() => s.props.arn), known(() => s.props.id), known(() => s.props.name)].includes(target));
}

/** Every resource a version's value was computed from, following property dependencies. */
function valueSources(version: PolicyResource): PolicyResource[] {
    const seen = new Set<string>();
    const out: PolicyResource[] = [];
    const visit = (r: PolicyResource) => {
        for (const deps of Object.values(r.propertyDependencies ?? {})) {
            for (const d of deps) {
                if (seen.has(d.urn)) continue;
                seen.add(d.urn);
                out.push(d);
                visit(d);
            }
        }
    };
    for (const d of version.propertyDependencies?.[VERSIONS[version.type]] ?? []) {
        if (!seen.has(d.urn)) {
            seen.add(d.urn);
            out.push(d);
            visit(d);
        }
    }
    return out;
}

/**
 * Olympus encrypts with one keyset: data written in one region must decrypt in every other. So
 * the key is made once, kept in one store (the MasterKey component), and every region holds a
 * copy of that one value: a second generator, a region minting its own key, a copy filled from
 * anywhere but the source, or a region left without a copy would each leave some region unable
 * to read what another wrote.
 */
export const enforceSingleKeySource: StackValidationPolicy = {
    name: "olympus-secrets-enforce-single-key-source",
    description: "One master key source: every region's copy derives from it, nothing else generates a key, and no region lacks a copy.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const { resources } = args;
        const sources = resources.filter((r) => r.type === TYPES.masterKey);
        const regions = resources.filter((r) => r.type === TYPES.region);
        const secrets = resources.filter(isKeySecret);
        if (sources.length === 0 && regions.length === 0 && secrets.length === 0) args.notApplicable("the stack has no Olympus region and no master key");

        if (sources.length === 0) {
            reportViolation("no olympus:index:MasterKey: the regions have no single source for the master key; declare one and copy it to every region");
            return;
        }
        for (const extra of sources.slice(1)) {
            reportViolation(`${describe(extra)} is a second master key source beside ${describe(sources[0])}: ` +
                "different keys per region are not supported (encrypted data is one keyset); keep one MasterKey", extra.urn);
        }
        const source = sources[0];
        const existing = source.props.source === "existing";
        const inSource = (r: PolicyResource) => ancestor(r, TYPES.masterKey) === source;

        const sourceSecrets = secrets.filter(inSource);
        for (const extra of sourceSecrets.slice(1)) {
            reportViolation(`${describe(extra)} is a second source secret in ${describe(source)}; keep one`, extra.urn);
        }
        const versions = resources.filter((r) => VERSIONS[r.type] && secretOf(r, secrets));
        const sourceVersions = versions.filter(inSource);

        for (const secret of secrets) {
            if (!inSource(secret) && !ancestor(secret, TYPES.region)) {
                reportViolation(`${describe(secret)} is marked as master-key material but is neither the source (in ${describe(source)}) ` +
                    "nor a region's copy; remove it, or copy the source into a Region", secret.urn);
            }
        }

        for (const version of versions) {
            const from = valueSources(version);
            for (const g of from.filter((x) => GENERATORS.includes(x.type) && !inSource(x))) {
                reportViolation(`${describe(g)} generates key material for ${describe(version)} outside ${describe(source)}: ` +
                    "no region may make its own key; copy the source's key list instead", g.urn);
            }
            if (inSource(version) || existing) continue;
            if (!from.some((x) => sourceVersions.includes(x))) {
                reportViolation(`${describe(version)} holds a key list that does not come from the source ${describe(source)}; ` +
                    "every region's copy must be the source's value", version.urn);
            }
        }

        // A region reads a copy in its subtree, or the native replica of an AWS source secret.
        const awsSource = sourceSecrets.find((s) => s.type === SECRETS[0]);
        const replicaRegions: string[] = awsSource ? [
            awsSource.provider ? known(() => awsSource.provider!.props.region) : undefined,
            ...(known(() => awsSource.props.replicas) ?? []).map((rep: { region?: string }) => rep.region),
        ].filter((x): x is string => typeof x === "string") : [];
        for (const region of regions) {
            const copies = secrets.filter((s) => ancestor(s, TYPES.region) === region);
            if (copies.length > 1) {
                reportViolation(`region ${region.name} holds ${copies.length} master-key secrets (${copies.map((c) => c.name).join(", ")}): ` +
                    "one copy of the one key list per region", copies[1].urn);
            }
            const replicated = region.props.cloud === "aws" && replicaRegions.includes(region.props.location);
            if (copies.length === 0 && !replicated) {
                reportViolation(`region ${region.name} has no copy of the master key: its servers could not decrypt what other regions wrote; ` +
                    "copy the source's key list into the region's secret store", region.urn);
            }
        }
    },
};
