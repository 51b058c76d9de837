// The Olympus master encryption key: one key list, in one secret store, pushed to every region.
// Different keys per region are not supported (encrypted data is one keyset), so no region ever
// makes its own: the regions copy `keyset` from here. Rotation follows Hydra's rules: the list is
// newest first, the first key encrypts and every key decrypts.

import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { MasterKeyConfig } from "../topology/config";

/** Tags (AWS) and labels (GCP) that mark master-key material; the policy pack reads them. */
export const MASTER_KEY_TAG = { "olympus-secret": "master-key" } as const;

/**
 * The length of every key: Kratos' secrets.cipher (xchacha20-poly1305) takes keys of exactly 32
 * characters (https://www.ory.sh/docs/kratos/reference/configuration, secrets.cipher), and Hydra's
 * secrets.system at least 16. An existing key of another length is refused at preview.
 */
export const KEY_LENGTH = 32;

/**
 * Read a key list from a secret's text: a JSON list of keys, newest first, or one bare key.
 * Throws with what is wrong, since the text comes from a store the program does not control.
 */
export function parseKeyset(text: string, where: string): string[] {
    const trimmed = text.trim();
    let keys: unknown;
    if (trimmed.startsWith("[")) {
        try {
            keys = JSON.parse(trimmed);
        } catch {
            throw new Error(`${where}: holds text that starts like a JSON list but is not one; store ["newest-key", "older-key", ...]`);
        }
    } else {
        keys = trimmed === "" ? [] : [trimmed];
    }
    if (!Array.isArray(keys) || keys.length === 0) {
        throw new Error(`${where}: holds no key; store a JSON list of keys, newest first: ["newest-key", "older-key"]`);
    }
    keys.forEach((k, i) => {
        if (typeof k !== "string" || /[\s,]/.test(k)) {
            throw new Error(`${where}: key ${i + 1} of ${keys.length} is not a key of ${KEY_LENGTH} characters without spaces or commas`);
        }
        if (k.length !== KEY_LENGTH) {
            throw new Error(`${where}: key ${i + 1} of ${keys.length} has ${k.length} characters; Kratos' cipher needs exactly ${KEY_LENGTH}, ` +
                `so store keys of ${KEY_LENGTH} characters (e.g. \`openssl rand -hex 16\`)`);
        }
    });
    if (new Set(keys).size !== keys.length) throw new Error(`${where}: lists the same key twice`);
    return keys as string[];
}

export interface MasterKeyArgs {
    /** Where the key comes from and lives; see `olympus:masterKey` in the README. */
    readonly config: MasterKeyConfig;
    /**
     * The locations of the plan's AWS regions. When the source is a generated AWS secret, each one
     * (other than the store's own) gets a native Secrets Manager replica instead of a copy.
     */
    readonly awsRegionLocations: readonly string[];
}

/** Give it the store's provider through `opts.providers`. */
export class MasterKey extends pulumi.ComponentResource {
    readonly source: MasterKeyConfig["source"];
    readonly store: MasterKeyConfig["store"];
    readonly location: string;
    /** Key generations, newest first (generated keys only). */
    readonly generations: readonly string[];
    /** The key list as JSON, newest first: what every region's copy holds. A secret. */
    readonly keyset: pulumi.Output<string>;
    /** The source secret: its ARN (AWS) or resource name (GCP). */
    readonly sourceSecret: pulumi.Output<string>;
    /** AWS locations served by a native replica of the source secret (no copy of their own). */
    readonly replicaLocations: readonly string[];

    constructor(name: string, args: MasterKeyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:MasterKey", name, args, opts);
        const { config } = args;
        const parent = { parent: this };
        const tags = { ...MASTER_KEY_TAG, "olympus-role": "source" };
        const where = `the ${config.store} secret ${config.name ?? ""} in ${config.location}`.replace("  ", " ");

        let keyset: pulumi.Output<string>;
        let sourceSecret: pulumi.Output<string>;
        let replicaLocations: string[] = [];
        if (config.source === "generated") {
            const generations = config.keys.map((k) => new random.RandomPassword(`${name}-${k}`, {
                length: KEY_LENGTH,
                special: false,
            }, parent));
            const generated = pulumi.secret(pulumi.all(generations.map((g) => g.result)).apply((keys) => JSON.stringify(keys)));
            if (config.cloud === "aws") {
                replicaLocations = [...new Set(args.awsRegionLocations)].filter((l) => l !== config.location);
                const secret = new aws.secretsmanager.Secret(`${name}-source`, {
                    name: config.name,
                    description: "Olympus master encryption key list, newest first (the one source of truth)",
                    replicas: replicaLocations.map((region) => ({ region })),
                    recoveryWindowInDays: 30,
                    tags,
                }, parent);
                const version = new aws.secretsmanager.SecretVersion(`${name}-source`, { secretId: secret.id, secretString: generated }, parent);
                // Regions copy the stored value, so every copy provably derives from the source.
                keyset = pulumi.secret(version.secretString.apply((v) => v ?? ""));
                sourceSecret = secret.arn;
            } else {
                const secret = new gcp.secretmanager.Secret(`${name}-source`, {
                    secretId: config.name,
                    replication: { userManaged: { replicas: [{ location: config.location }] } },
                    labels: tags,
                }, parent);
                const version = new gcp.secretmanager.SecretVersion(`${name}-source`, { secret: secret.id, secretData: generated }, parent);
                keyset = pulumi.secret(version.secretData.apply((v) => v ?? ""));
                sourceSecret = secret.name;
            }
        } else if (config.cloud === "aws") {
            const read = aws.secretsmanager.getSecretVersionOutput(
                { secretId: config.name!, ...(config.version ? { versionId: config.version } : { versionStage: "AWSCURRENT" }) }, parent);
            keyset = pulumi.secret(read.secretString.apply((v) => JSON.stringify(parseKeyset(v, where))));
            sourceSecret = read.arn;
        } else {
            const read = gcp.secretmanager.getSecretVersionOutput({ secret: config.name!, version: config.version ?? "latest" }, parent);
            keyset = pulumi.secret(read.secretData.apply((v) => JSON.stringify(parseKeyset(v, where))));
            sourceSecret = read.name;
        }

        this.source = config.source;
        this.store = config.store;
        this.location = config.location;
        this.generations = config.keys;
        this.keyset = keyset;
        this.sourceSecret = sourceSecret;
        this.replicaLocations = replicaLocations;
        this.registerOutputs({
            source: this.source,
            store: this.store,
            location: this.location,
            generations: this.generations,
            keyset: this.keyset,
            sourceSecret: this.sourceSecret,
            replicaLocations: this.replicaLocations,
        });
    }

    /** The ARN of the native replica in an AWS location, or undefined when that location needs a copy. */
    replicaArn(location: string): pulumi.Output<string> | undefined {
        if (this.store !== "aws-secrets-manager" || this.source !== "generated") return undefined;
        if (location === this.location) return this.sourceSecret;
        if (!this.replicaLocations.includes(location)) return undefined;
        return this.sourceSecret.apply((arn) => arn.replace(/^(arn:[^:]+:secretsmanager:)[^:]+:/, `$1${location}:`));
    }
}
