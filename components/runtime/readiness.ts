// The readiness probe of an app server, rendered: a script a systemd timer runs every few seconds.
// The region is ready when every local service answers its health endpoint and, in a replica
// region, the local replica is streaming and no further behind than the threshold. While ready the
// probe keeps a `ready` file that Caddy's /healthz checks; otherwise it removes it, and the
// Cloudflare monitor steers users to the next region.

import { LAG_SQL } from "../database/postgres";

export interface ReadinessOptions {
    /** Where the `ready` and `status` files live (Caddy reads this directory). */
    readonly healthDir: string;
    /** Each check: a name and a URL that must answer 200. */
    readonly checks: readonly { readonly name: string; readonly url: string }[];
    /** Seconds each check may take. */
    readonly timeoutSeconds: number;
    /** How to read the local database's replication lag. */
    readonly replication?: {
        /** A libpq connection string to the local database (the password comes from PGPASSFILE). */
        readonly conninfo: string;
        /**
         * While this file exists, lag is checked against the number of seconds it holds (a replica
         * region); without it (a writer) lag is not checked. The server's olympus-configure keeps it.
         */
        readonly limitFile: string;
        /** The psql to use. */
        readonly psql: string;
    };
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

export function renderReadinessScript(o: ReadinessOptions): string {
    const lag = o.replication ? `
if [ -f ${q(o.replication.limitFile)} ]; then
    max=$(cat ${q(o.replication.limitFile)})
    lag=$(${q(o.replication.psql)} -X -Atq -d ${q(o.replication.conninfo)} -c ${q(LAG_SQL)} 2>/dev/null) || lag=""
    # The last lag seen, for the metrics publisher (empty: not streaming).
    if [ -n "$lag" ] && [ "$lag" != "-1" ]; then echo "$lag" > "$HEALTH_DIR/.lag.tmp"; else : > "$HEALTH_DIR/.lag.tmp"; fi
    mv -f "$HEALTH_DIR/.lag.tmp" "$HEALTH_DIR/lag" 2>/dev/null || true
    if [ -z "$lag" ] || [ "$lag" = "-1" ]; then
        reasons+=("replication: not streaming from the primary")
    elif awk -v l="$lag" -v m="$max" 'BEGIN { exit !(l > m) }'; then
        reasons+=("replication: \${lag}s behind (at most \${max}s)")
    fi
fi
` : "";
    return `#!/bin/bash
# olympus-readiness: is this region ready to serve? Rendered by components/runtime/readiness.ts.
# Ready: every local service answers 200${o.replication ? " and, in a replica region, the local replica is streaming and\n# at most as far behind as the limit file says" : ""}.
# Keeps ${o.healthDir}/ready while ready (Caddy's /healthz answers 200), removes it otherwise (503).
set -u
HEALTH_DIR=${q(o.healthDir)}
mkdir -p "$HEALTH_DIR"
reasons=()

check() { # NAME URL
    local code
    code=$(curl -s -o /dev/null -m ${o.timeoutSeconds} -w '%{http_code}' "$2") || true
    [ "$code" = 200 ] || reasons+=("$1: \${code:-000}")
}
${o.checks.map((c) => `check ${q(c.name)} ${q(c.url)}`).join("\n")}
${lag}
mkdir -p "$HEALTH_DIR"
was_ready=no
[ -e "$HEALTH_DIR/ready" ] && was_ready=yes
if [ \${#reasons[@]} -eq 0 ]; then
    echo "ready $(date -u +%FT%TZ)" > "$HEALTH_DIR/.status.tmp" && mv -f "$HEALTH_DIR/.status.tmp" "$HEALTH_DIR/status"
    touch "$HEALTH_DIR/.ready.tmp" && mv -f "$HEALTH_DIR/.ready.tmp" "$HEALTH_DIR/ready"
    [ "$was_ready" = yes ] || echo "olympus-readiness: ready"
    exit 0
fi
rm -f "$HEALTH_DIR/ready"
printf 'not ready %s: %s\\n' "$(date -u +%FT%TZ)" "$(IFS=';'; echo "\${reasons[*]}")" > "$HEALTH_DIR/.status.tmp" && mv -f "$HEALTH_DIR/.status.tmp" "$HEALTH_DIR/status"
[ "$was_ready" = no ] || echo "olympus-readiness: not ready: \${reasons[*]}"
exit 1
`;
}
