#!/bin/bash
# olympus-apply (app server): act on what olympus-sync fetched and installed, and only on what
# changed. Each service's settings come from app-config's `services` table (which setting a
# service's image reads for its write and read database, its keys, its mail), never from the
# program's text: a missing secret or setting stops this script; nothing is written as "null".
#   - writes paused: a file Caddy reads; nothing restarts.
#   - Caddyfile or origin certificate changed: Caddy reloads (graceful, no restart).
#   - a service's settings changed: `docker compose up -d` recreates that service alone.
#   - the writer (app-config `writer`) migrates each schema once per image and runs the one courier.
set -euo pipefail
umask 077
S=/etc/olympus/secrets
ETC=/etc/olympus
STATE=/var/lib/olympus-state
HEALTH=/run/olympus/health
LIB=${OLYMPUS_LIB:-/usr/local/lib/olympus}
config=$S/app-config
compose=(docker compose -f "$ETC/compose.yaml")

fail() { echo "olympus-apply: $*" >&2; exit 1; }
# A setting as text (false and 0 included); missing or null stops the script, naming it.
setting() { jq -er "($1) | if . == null then error(\"missing\") else tostring end" "$config" 2>/dev/null || fail "app-config has no $1"; }
list() { jq -r "($1 // []) | .[]" "$config" 2>/dev/null || fail "app-config's $1 is not a list"; }
secret() { jq -er --arg k "$1" '.[$k] // empty' "$S/credentials" 2>/dev/null || fail "the credentials secret has no $1"; }
put() { # TARGET MODE OWNER: replace TARGET with stdin when it differs; say so (status 0 when changed)
    local tmp
    tmp=$(mktemp "$1.XXXXXX")
    cat > "$tmp"
    if cmp -s "$tmp" "$1" && [ "$(stat -c '%a %U:%G' "$1")" = "${2#0} $3" ]; then rm -f "$tmp"; return 1; fi
    chmod "$2" "$tmp" && chown "$3" "$tmp" && mv -f "$tmp" "$1"
}

install -d -m 0755 "$ETC/tls" "$STATE" "$HEALTH"
install -d -m 0700 "$ETC/env"
writer=$(setting .writer)
write_host=$(setting .writeHost)
read_host=$(setting .readHost)
port=$(setting .port)
sslmode=$(setting .tls.sslMode)

# Writes paused (schema migrations): Caddy answers writes with 503 while this file exists.
if [ "$(setting .writesPaused)" = true ]; then touch "$HEALTH/writes-paused"; else rm -f "$HEALTH/writes-paused"; fi

# The CA the database's certificate is checked against: inline, or the clouds' published bundles
# (a replica region of a managed database trusts its own region's CA and the primary's).
ca_new=$(mktemp)
if jq -e '.tls.caPem' "$config" >/dev/null; then
    setting .tls.caPem > "$ca_new"
else
    urls=$(list .tls.caUrls)
    [ -n "$urls" ] || fail "app-config names no database CA (tls.caPem or tls.caUrls)"
    for url in $urls; do curl -fsS --retry 5 "$url" >> "$ca_new" || fail "cannot download the database CA from $url"; done
fi
grep -q 'BEGIN CERTIFICATE' "$ca_new" || fail "app-config's database CA is not a certificate"
put "$ETC/tls/db-ca.pem" 0644 root:root < "$ca_new" || true
rm -f "$ca_new"
printf 'PGSSLMODE=%s\nPGSSLROOTCERT=%s\n' "$sslmode" "$ETC/tls/db-ca.pem" | put "$ETC/pg.env" 0644 root:root || true

# The origin certificate and key Caddy serves, and the CA of Cloudflare's client certificate.
caddy_changed=no
cert=$(jq -er .cert "$S/origin-tls") || fail "origin-tls has no cert"
key=$(jq -er .key "$S/origin-tls") || fail "origin-tls has no key"
printf '%s\n' "$cert" | put "$ETC/tls/origin.crt" 0644 root:root && caddy_changed=yes
printf '%s\n' "$key" | put "$ETC/tls/origin.key" 0640 root:caddy && caddy_changed=yes
if pull_ca=$(jq -er '.pullCa // empty' "$S/origin-tls"); then
    printf '%s\n' "$pull_ca" | put "$ETC/tls/origin-pull-ca.pem" 0644 root:root && caddy_changed=yes
fi
grep -qx /etc/caddy/Caddyfile "$STATE/changed" 2>/dev/null && caddy_changed=yes

# Each service's secret settings, from the services table.
keys=$(jq -er 'if type == "array" and length > 0 then join(",") else error("no keys") end' "$S/master-key") || fail "the master-key secret holds no key list"
dsn() { echo "postgres://$1:$2@$3:$port/$1?sslmode=$sslmode&sslrootcert=$ETC/tls/db-ca.pem"; }
services=$(list '[.services[]?.name]')
[ -n "$services" ] || fail "app-config lists no services"
env_new=$(mktemp)
for service in $services; do
    spec=$(jq -c --arg n "$service" '.services[] | select(.name == $n)' "$config")
    {
        database=$(jq -r '.database // empty' <<< "$spec")
        if [ -n "$database" ]; then
            password=$(secret "$database")
            write_setting=$(jq -er .dsn.write <<< "$spec")
            echo "$write_setting=$(dsn "$database" "$password" "$write_host")"
            read_setting=$(jq -r '.dsn.read // empty' <<< "$spec")
            if [ -n "$read_setting" ]; then echo "$read_setting=$(dsn "$database" "$password" "$read_host")"; fi
        fi
        key_settings=$(jq -r '.keySettings[]' <<< "$spec")
        for name in $key_settings; do echo "$name=$keys"; done
        smtp_setting=$(jq -r '.smtpSetting // empty' <<< "$spec")
        if [ -n "$smtp_setting" ]; then smtp=$(secret smtpUrl); echo "$smtp_setting=$smtp"; fi
        cache_setting=$(jq -r '.cacheInvalidationSetting // empty' <<< "$spec")
        # Optional: without an invalidation channel the setting is left out, never written empty.
        invalidation=$(jq -r '.cacheInvalidationUrl // empty' "$S/credentials")
        if [ -n "$cache_setting" ] && [ -n "$invalidation" ]; then echo "$cache_setting=$invalidation"; fi
    } > "$env_new"
    put "$ETC/env/$service.env" 0600 root:root < "$env_new" || true
done
rm -f "$env_new"
monitor_password=$(secret monitor)
echo "$read_host:$port:postgres:$(setting .monitorRole):$monitor_password" | put "$ETC/monitor.pgpass" 0600 root:root || true

# Caddy, from Debian's package: reload on a new Caddyfile or certificate (no dropped connections).
if [ "$caddy_changed" = yes ] || ! systemctl is-active --quiet caddy; then
    if systemctl is-active --quiet caddy; then systemctl reload caddy; else systemctl restart caddy; fi
    echo "olympus-apply: Caddy reloaded"
fi

# A managed writer: the service roles and databases, made with the admin user (idempotent).
if [ "$writer" = true ] && jq -e '.bootstrapRoles.adminUser' "$config" >/dev/null; then
    digest=$(cat "$S/credentials" "$config" | sha256sum | cut -d' ' -f1)
    if [ "$digest" != "$(cat "$STATE/roles" 2>/dev/null || true)" ]; then
        "$LIB/retry.sh" "$LIB/bootstrap-roles.sh"
        echo "$digest" > "$STATE/roles"
    fi
fi

# Only the writer migrates, once per image: replicas would fail anyway, and two migrators would race.
if [ "$writer" = true ]; then
    jobs=$(list '[.migrations[]?.job]')
    for job in $jobs; do
        image=$(jq -er --arg j "$job" '.migrations[] | select(.job == $j) | .image' "$config")
        if [ "$image" != "$(cat "$STATE/migrated-$job" 2>/dev/null || true)" ]; then
            "$LIB/retry.sh" "${compose[@]}" --profile migrate run --rm "$job"
            echo "$image" > "$STATE/migrated-$job"
            echo "olympus-apply: $job done for $image"
        fi
    done
    "${compose[@]}" --profile writer up -d --remove-orphans
else
    "${compose[@]}" --profile writer rm --stop --force kratos-courier >/dev/null 2>&1 || true
    "${compose[@]}" up -d --remove-orphans
fi
echo "olympus-apply: applied ($(jq -c '{writer, writeHost, readHost, writesPaused}' "$config"))"
