#!/bin/bash
# olympus-db-apply [--boot] (database server): act on what olympus-sync fetched and installed.
# Mounts the data disk, gives PostgreSQL its configuration, certificate, credentials and desired
# role from the region's db-config, then converges: a new role restarts olympus-db.service (whose
# start converges the node: promote, follow, rebuild); new configuration or a new certificate
# reloads PostgreSQL; new peers get their slots. --boot only writes the files (olympus-db.service
# runs it before every start, so a node back from an outage learns its role before PostgreSQL starts).
set -euo pipefail
umask 077
S=/etc/olympus/secrets
C=/etc/olympus/postgres
LIB=${OLYMPUS_LIB:-/usr/local/lib/olympus}
config=$S/db-config
fail() { echo "olympus-db-apply: $*" >&2; exit 1; }
# A setting as text (false and 0 included); missing or null stops the script, naming it.
setting() { jq -er "($1) | if . == null then error(\"missing\") else tostring end" "$config" 2>/dev/null || fail "db-config has no $1"; }
changed=no
put() { # TARGET MODE: replace TARGET (owned by postgres) with stdin when it differs
    local tmp
    tmp=$(mktemp "$1.XXXXXX")
    cat > "$tmp"
    if cmp -s "$tmp" "$1"; then rm -f "$tmp"; return 1; fi
    chmod "$2" "$tmp" && chown postgres:postgres "$tmp" && mv -f "$tmp" "$1"
}

"$LIB/mount-data.sh"
install -d -o postgres -g postgres -m 0700 "$C" "$C/tls"
# Only the passwords this node uses, readable by postgres alone (the fetched secrets stay root's).
jq -e '[.replicator, .rewind, .monitor] | all(type == "string" and length > 0)' "$S/db-credentials" >/dev/null ||
    fail "the db-credentials secret lacks the replicator, rewind or monitor password"
jq -c . "$S/db-credentials" | put "$C/credentials.json" 0600 && changed=yes
for f in ca cert key; do
    pem=$(jq -er --arg f "$f" '.[$f]' "$S/db-tls") || fail "db-tls has no $f"
    case "$f" in ca) target=ca.crt mode=0644 ;; cert) target=server.crt mode=0644 ;; key) target=server.key mode=0600 ;; esac
    printf '%s\n' "$pem" | put "$C/tls/$target" "$mode" && changed=yes
done
setting .postgresqlConf | put "$C/postgresql.conf" 0644 && changed=yes
setting .pgHba | put "$C/pg_hba.conf" 0644 && changed=yes
role_changed=no
jq -c '{role} + (if .upstream then {upstream} else {} end)' "$config" | put "$C/role.json" 0644 && role_changed=yes
peers_changed=no
jq -c '.peerSlots // []' "$config" | put "$C/peer-slots.json" 0644 && peers_changed=yes
if [ "${1:-}" = --boot ]; then exit 0; fi

systemctl is-enabled --quiet olympus-db.service || systemctl enable olympus-db.service
# --no-block: the unit's own pre-start sync needs this sync's lock; a long converge (a base backup)
# is not interrupted by the next sync, which sees it "activating".
state=$(systemctl is-active olympus-db.service || true)
if [ "$role_changed" = yes ] || [ "$state" = inactive ] || [ "$state" = failed ]; then
    echo "olympus-db-apply: converging to $(cat "$C/role.json") (olympus-db was $state)"
    systemctl restart --no-block olympus-db.service
elif [ "$state" = active ] && [ "$changed" = yes ]; then
    echo "olympus-db-apply: configuration, credentials or certificate changed; reloading"
    runuser -u postgres -- "$LIB/olympus-db" reload
    if [ "$peers_changed" = yes ]; then runuser -u postgres -- "$LIB/olympus-db" slots; fi
elif [ "$state" = active ] && [ "$peers_changed" = yes ]; then
    runuser -u postgres -- "$LIB/olympus-db" slots
fi
