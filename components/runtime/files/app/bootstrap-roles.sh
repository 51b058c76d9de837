#!/bin/bash
# olympus-bootstrap-roles: a managed writer's roles and databases (RDS and Cloud SQL admins are not
# superusers, so a self-managed node's bootstrap cannot be used). The monitoring role (pg_monitor)
# and, per service of app-config's table, a login role with its password from the credentials and
# a database it owns. Passwords go to psql on stdin, never on its command line. Safe to run again:
# it sets the passwords anew (a rotated password takes effect) and creates only what is missing.
set -euo pipefail
umask 077
S=${OLYMPUS_SECRETS_DIR:-/etc/olympus/secrets}
CA=${OLYMPUS_DB_CA:-/etc/olympus/tls/db-ca.pem}
PSQL=${OLYMPUS_PSQL:-psql}
config=$S/app-config

fail() { echo "olympus-bootstrap-roles: $*" >&2; exit 1; }
# A setting as text (false and 0 included); missing or null stops the script, naming it.
setting() { jq -er "($1) | if . == null then error(\"missing\") else tostring end" "$config" 2>/dev/null || fail "app-config has no $1"; }
secret() { jq -er --arg k "$1" '.[$k] // empty' "$S/credentials" 2>/dev/null || fail "the credentials secret has no $1"; }
quote() { local s=${1//\'/\'\'}; printf "'%s'" "$s"; }

admin_password=$(secret admin)
conninfo="host=$(setting .writeHost) port=$(setting .port) dbname=postgres user=$(setting .bootstrapRoles.adminUser) sslmode=$(setting .tls.sslMode) sslrootcert=$CA connect_timeout=5"
sql() { PGPASSWORD=$admin_password "$PSQL" -X -v ON_ERROR_STOP=1 -Atq -f - "$conninfo"; }

monitor=$(setting .monitorRole)
databases=$(jq -r '.services[] | .database // empty' "$config")
[ -n "$databases" ] || fail "app-config lists no service databases"
statements=$(mktemp)
trap 'rm -f "$statements"' EXIT
for role in "$monitor" $databases; do
    if [ "$role" = "$monitor" ]; then password=$(secret monitor); else password=$(secret "$role"); fi
    echo "DO \$\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$role') THEN CREATE ROLE $role LOGIN; END IF; END \$\$;"
    echo "ALTER ROLE $role WITH LOGIN PASSWORD $(quote "$password");"
done > "$statements"
echo "GRANT pg_monitor TO $monitor;" >> "$statements"
# The admin must be a member of a role to create a database it owns.
for db in $databases; do echo "GRANT $db TO CURRENT_USER;"; done >> "$statements"
sql < "$statements"
for db in $databases; do
    if [ -z "$(echo "SELECT 1 FROM pg_database WHERE datname = '$db'" | sql)" ]; then echo "CREATE DATABASE $db OWNER $db;" | sql; fi
    echo "REVOKE ALL ON DATABASE $db FROM PUBLIC;" | sql
done
echo "olympus-bootstrap-roles: roles and databases in place"
