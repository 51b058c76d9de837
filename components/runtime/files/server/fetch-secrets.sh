#!/bin/bash
# olympus-fetch-secrets: this server's secrets, from its own region's store, into
# /etc/olympus/secrets/NAME (root, 0600). Which secrets: OLYMPUS_SECRETS in server.env
# ("NAME=REF NAME=REF"), the ones this server's identity may read. Retries while IAM propagates;
# fails (and writes nothing) when a secret stays unreadable or empty.
set -euo pipefail
umask 077
LIB=${OLYMPUS_LIB:-/usr/local/lib/olympus}
# shellcheck source=cloud.sh
. "$LIB/cloud.sh"
SECRETS_DIR=/etc/olympus/secrets
install -d -m 0700 "$SECRETS_DIR"

for pair in ${OLYMPUS_SECRETS:?server.env must set OLYMPUS_SECRETS}; do
    name=${pair%%=*}
    ref=${pair#*=}
    for attempt in $(seq 1 30); do
        if secret_get "$ref" > "$SECRETS_DIR/$name.tmp" 2>/dev/null && [ -s "$SECRETS_DIR/$name.tmp" ]; then
            if ! cmp -s "$SECRETS_DIR/$name.tmp" "$SECRETS_DIR/$name"; then mv -f "$SECRETS_DIR/$name.tmp" "$SECRETS_DIR/$name"; fi
            rm -f "$SECRETS_DIR/$name.tmp"
            continue 2
        fi
        echo "olympus-fetch-secrets: $name not readable yet (attempt $attempt)" >&2
        sleep "${OLYMPUS_FETCH_RETRY_SECONDS:-10}"
    done
    rm -f "$SECRETS_DIR/$name.tmp"
    echo "olympus-fetch-secrets: cannot read $name from $ref" >&2
    exit 1
done
