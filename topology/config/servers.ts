// olympus:servers and olympus:images: machine sizes per cloud, and pinned container images.

import { Checker } from "./checker";
import {
    APP_SERVER_KEYS, DATABASE_SERVER_KEYS, DEFAULT_IMAGES, IMAGE_KEYS, ImagesConfig, NAMESPACE, SERVERS_KEYS, SERVICES, Service, ServerSize, ServersConfig,
} from "./types";

const AWS_INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const GCP_MACHINE_TYPE = /^[a-z][a-z0-9]*-[a-z0-9-]*[a-z0-9]$/;
const DEFAULT_SERVERS: ServersConfig = {
    app: { aws: "t3.medium", gcp: "e2-medium", diskGb: 30 },
    database: { aws: "m6i.large", gcp: "n2-standard-2", diskGb: 30, dataDiskGb: 100 },
};

export function parseServers(c: Checker, value: unknown): ServersConfig | undefined {
    const path = `${NAMESPACE}:servers`;
    const s = value === undefined ? {} : c.map(path, value, SERVERS_KEYS);
    if (!s) return undefined;
    const size = <K extends string>(role: "app" | "database", keys: readonly K[]) => {
        const p = `${path}.${role}`;
        const v: Partial<Record<string, unknown>> | undefined = s[role] === undefined ? {} : c.map(p, s[role], keys);
        if (!v) return undefined;
        const d = DEFAULT_SERVERS[role] as ServerSize & { dataDiskGb?: number };
        const aws = c.string(`${p}.aws`, v.aws ?? d.aws, {});
        if (aws !== undefined && !AWS_INSTANCE_TYPE.test(aws)) c.fail(`${p}.aws`, `"${aws}" is not an EC2 instance type`, "use a type such as t3.medium or m6i.large");
        const gcp = c.string(`${p}.gcp`, v.gcp ?? d.gcp, {});
        if (gcp !== undefined && !GCP_MACHINE_TYPE.test(gcp)) c.fail(`${p}.gcp`, `"${gcp}" is not a Compute Engine machine type`, "use a type such as e2-medium or n2-standard-2");
        const diskGb = c.integer(`${p}.diskGb`, v.diskGb ?? d.diskGb, { min: 10, max: 16384 });
        const dataDiskGb = role === "database" ? c.integer(`${p}.dataDiskGb`, v.dataDiskGb ?? d.dataDiskGb, { min: 10, max: 65536 }) : 0;
        if (aws === undefined || gcp === undefined || diskGb === undefined || dataDiskGb === undefined) return undefined;
        if (!AWS_INSTANCE_TYPE.test(aws) || !GCP_MACHINE_TYPE.test(gcp)) return undefined;
        return { aws, gcp, diskGb, dataDiskGb };
    };
    const app = size("app", APP_SERVER_KEYS);
    const database = size("database", DATABASE_SERVER_KEYS);
    if (!app || !database) return undefined;
    return { app: { aws: app.aws, gcp: app.gcp, diskGb: app.diskGb }, database };
}

/** registry/path/name:tag, optionally @sha256:digest; a tag or a digest is required, and the tag is not `latest`. */
const IMAGE = /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::([A-Za-z0-9_][A-Za-z0-9._-]{0,127}))?(?:@sha256:[a-f0-9]{64})?$/;

export function parseImages(c: Checker, value: unknown): ImagesConfig | undefined {
    const path = `${NAMESPACE}:images`;
    // Caddy was a container image before it became Debian's package on the app server (CHANGELOG 0.2.0).
    let images = value;
    if (typeof value === "object" && value !== null && !Array.isArray(value) && "caddy" in value) {
        c.fail(`${path}.caddy`, "is no longer used: Caddy is Debian's package on the app server, so the binary the tests run is the one shipped",
            `remove ${path}.caddy; Caddy follows the servers' Debian release`);
        images = Object.fromEntries(Object.entries(value).filter(([k]) => k !== "caddy"));
    }
    const m = images === undefined ? {} : c.map(path, images, IMAGE_KEYS);
    if (!m) return undefined;
    const out: Partial<Record<Service, string>> = {};
    for (const service of SERVICES) {
        const image = c.string(`${path}.${service}`, m[service] ?? DEFAULT_IMAGES[service], {});
        if (image === undefined) continue;
        const match = IMAGE.exec(image);
        const pinned = match !== null && (match[1] !== undefined || image.includes("@sha256:"));
        if (!match) {
            c.fail(`${path}.${service}`, `"${image}" is not a container image reference`, "use registry/name:version, e.g. docker.io/oryd/hydra:v2.2.0");
        } else if (!pinned || match[1] === "latest") {
            c.fail(`${path}.${service}`, `"${image}" is not pinned to an exact version`,
                "name an exact version tag (never latest) or a @sha256 digest, so every region runs the same build");
        } else {
            out[service] = image;
        }
    }
    return SERVICES.every((s) => out[s] !== undefined) ? (out as ImagesConfig) : undefined;
}
