// What every server's user-data is: a #cloud-config document that installs the server's packages
// from Debian's archive and writes a small bootstrap (server.env, cloud.sh, fetch-secrets.sh,
// sync.sh and its timer). Everything else (scripts, units, configuration) arrives through the
// region's config secret, which olympus-sync re-reads every 30 s: a fixed script reaches running
// servers on `pulumi up` without replacing them, and user-data holds references, never a secret.

import * as zlib from "zlib";
import * as YAML from "yaml";
import { Cloud } from "../../topology/catalog";
import { LIB_DIR, ServerFile, shipped } from "./files";

export const SECRETS_DIR = "/etc/olympus/secrets";
export const SERVER_ENV = "/etc/olympus/server.env";

/** What a server needs to know before it can ask its cloud for anything: plain data. */
export interface ServerEnv {
    readonly cloud: Cloud;
    readonly location: string;
    readonly region: string;
    readonly server: "app" | "database";
    /** Secrets this server's identity may read, by name: an ARN (AWS) or projects/P/secrets/S (GCP). */
    readonly secrets: Readonly<Record<string, string>>;
    /** Which of them holds this server's config and files. */
    readonly config: string;
}

/** Characters a server.env value may hold: what ARNs, GCP resource names and region names use. */
const ENV_VALUE = /^[A-Za-z0-9_.:/@=+, -]*$/;

/** KEY="value" lines that both bash (`.`) and systemd (EnvironmentFile) read the same way. */
export function renderServerEnvLines(comment: string, values: Readonly<Record<string, string>>): string {
    for (const [key, value] of Object.entries(values)) {
        if (!ENV_VALUE.test(value)) throw new Error(`env file: ${key} holds characters an env file value may not: ${JSON.stringify(value)}`);
    }
    return `# ${comment}\n${Object.entries(values).map(([k, v]) => `${k}="${v}"`).join("\n")}\n`;
}

/** server.env: what a server needs before it can ask its cloud for anything. */
export function renderServerEnv(env: ServerEnv): string {
    if (!(env.config in env.secrets)) throw new Error(`server.env: the config secret ${env.config} is not one of the server's secrets`);
    return renderServerEnvLines("Written by the Olympus program (components/runtime/bootstrap.ts).", {
        OLYMPUS_CLOUD: env.cloud,
        OLYMPUS_LOCATION: env.location,
        OLYMPUS_REGION: env.region,
        OLYMPUS_SERVER: env.server,
        OLYMPUS_SECRETS: Object.entries(env.secrets).map(([name, ref]) => `${name}=${ref}`).join(" "),
        OLYMPUS_CONFIG: env.config,
    });
}

/** The bootstrap every server gets in its user-data. */
function bootstrapFiles(env: ServerEnv): ServerFile[] {
    return [
        { path: SERVER_ENV, mode: "0644", content: renderServerEnv(env) },
        shipped("server/cloud.sh", `${LIB_DIR}/cloud.sh`, "0644"),
        shipped("server/fetch-secrets.sh", `${LIB_DIR}/fetch-secrets.sh`),
        shipped("server/sync.sh", `${LIB_DIR}/sync.sh`),
        shipped("server/olympus-sync.service", "/etc/systemd/system/olympus-sync.service"),
        shipped("server/olympus-sync.timer", "/etc/systemd/system/olympus-sync.timer"),
        // AWS: Session Manager's agent (operators' only way in), retried until it is installed.
        ...(env.cloud === "aws" ? [
            shipped("server/ssm-agent.sh", `${LIB_DIR}/ssm-agent.sh`),
            shipped("server/olympus-ssm-agent.service", "/etc/systemd/system/olympus-ssm-agent.service"),
        ] : []),
    ];
}

export interface UserDataOptions {
    readonly env: ServerEnv;
    /** Debian packages, installed by cloud-init before anything runs. */
    readonly packages: readonly string[];
    /** Files that must exist before the packages install (e.g. "create no cluster" for PostgreSQL). */
    readonly early?: readonly ServerFile[];
    /** Commands after the packages, before the first sync. */
    readonly before?: readonly (readonly string[])[];
}

/** The #cloud-config document. https://cloudinit.readthedocs.io/en/latest/reference/modules.html */
export function renderUserData(o: UserDataOptions): string {
    const files = [...(o.early ?? []), ...bootstrapFiles(o.env)];
    const doc = {
        package_update: true,
        packages: [...o.packages],
        write_files: files.map((f) => ({ path: f.path, permissions: f.mode, owner: f.owner ?? "root:root", content: f.content })),
        runcmd: [
            ...(o.before ?? []).map((c) => [...c]),
            ["systemctl", "daemon-reload"],
            // The first sync installs the server's files and starts its services; the timer keeps it current.
            [`${LIB_DIR}/sync.sh`],
            ...(o.env.cloud === "aws" ? [["systemctl", "enable", "--now", "--no-block", "olympus-ssm-agent.service"]] : []),
            ["systemctl", "enable", "--now", "olympus-sync.timer"],
        ],
    };
    return `#cloud-config\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}

/**
 * Each cloud's limit on user-data: AWS 16 KB raw, before base64
 * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-add-user-data.html); GCP 256 KB
 * per metadata value (https://cloud.google.com/compute/docs/metadata/setting-custom-metadata#limitations).
 */
export const USER_DATA_LIMIT: Readonly<Record<Cloud, number>> = { aws: 16 * 1024, gcp: 256 * 1024 };

/** What the instance is given: the text, or (AWS, over the limit) the text gzipped, which cloud-init unpacks. */
export type FittedUserData = { readonly text: string } | { readonly gzipBase64: string };

/**
 * The user-data as the cloud takes it, or an error saying by how much it is over. cloud-init accepts
 * gzip-compressed user-data (https://cloudinit.readthedocs.io/en/latest/explanation/format.html).
 */
export function fitUserData(cloud: Cloud, text: string, what: string): FittedUserData {
    const limit = USER_DATA_LIMIT[cloud];
    const raw = Buffer.byteLength(text);
    if (raw <= limit) return { text };
    const gz = zlib.gzipSync(text, { level: 9 });
    if (cloud === "aws" && gz.length <= limit) return { gzipBase64: gz.toString("base64") };
    throw new Error(`${what}: user-data is ${raw} bytes (${gz.length} gzipped), over ${cloud.toUpperCase()}'s limit of ${limit} bytes; ` +
        "move files from user-data to the region's config secret (components/runtime/)");
}
