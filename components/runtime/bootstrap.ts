// What every server's boot shares: cloud-init's #cloud-config document, and the script that fetches
// this region's secrets from its own secret store at boot (so user-data never holds one).

import * as YAML from "yaml";
import { Cloud } from "../../topology/catalog";

export const SECRETS_DIR = "/etc/olympus/secrets";
export const LIB_DIR = "/usr/local/lib/olympus";

export interface CloudFile {
    readonly path: string;
    readonly content: string;
    /** Octal mode, e.g. "0644". */
    readonly permissions: string;
}

/** A #cloud-config document: packages, files, then the boot script. */
export function renderCloudConfig(o: { packages: readonly string[]; files: readonly CloudFile[]; run: readonly string[][] }): string {
    const doc = {
        package_update: true,
        packages: [...o.packages],
        write_files: o.files.map((f) => ({ path: f.path, permissions: f.permissions, owner: "root:root", content: f.content })),
        runcmd: o.run.map((cmd) => [...cmd]),
    };
    return `#cloud-config\n${YAML.stringify(doc, { lineWidth: 0 })}`;
}

/**
 * `olympus-fetch-secrets NAME=REF...`: read each secret from this region's store into
 * /etc/olympus/secrets/NAME (root, 0600), retrying while IAM permissions propagate. AWS: the AWS
 * CLI with the instance profile. GCP: the metadata server's token and the Secret Manager REST API.
 */
export function renderFetchSecrets(cloud: Cloud, location: string): string {
    const fetch = cloud === "aws"
        ? `fetch() { aws secretsmanager get-secret-value --region ${location} --secret-id "$1" --query SecretString --output text; }`
        : `fetch() {
    local token
    token=$(curl -sf -H 'Metadata-Flavor: Google' http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token | jq -r .access_token)
    curl -sf -H "Authorization: Bearer $token" "https://secretmanager.googleapis.com/v1/$1/versions/latest:access" | jq -er .payload.data | base64 -d
}`;
    return `#!/bin/bash
# olympus-fetch-secrets NAME=REF...: this region's secrets, from its own ${cloud === "aws" ? "Secrets Manager" : "Secret Manager"}.
set -euo pipefail
umask 077
install -d -m 0700 ${SECRETS_DIR}
${fetch}
for pair in "$@"; do
    name=\${pair%%=*}
    ref=\${pair#*=}
    for attempt in $(seq 1 30); do
        if fetch "$ref" > "${SECRETS_DIR}/$name.tmp" 2>/dev/null && [ -s "${SECRETS_DIR}/$name.tmp" ]; then
            mv -f "${SECRETS_DIR}/$name.tmp" "${SECRETS_DIR}/$name"
            continue 2
        fi
        echo "olympus-fetch-secrets: $name not readable yet (attempt $attempt)" >&2
        sleep 10
    done
    echo "olympus-fetch-secrets: cannot read $name from $ref" >&2
    exit 1
done
`;
}

/** Packages a server needs to fetch its secrets (the AWS CLI comes as a snap on Ubuntu). */
export function secretFetchSetup(cloud: Cloud): string[][] {
    return cloud === "aws" ? [["snap", "install", "aws-cli", "--classic"]] : [];
}
