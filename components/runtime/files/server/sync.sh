#!/bin/bash
# olympus-sync: keep this server what the program says it is. Run at first boot by cloud-init and
# every 30 s by olympus-sync.timer:
#   1. fetch this server's secrets from its region's store (fetch-secrets.sh);
#   2. install the files its config secret carries (.files: scripts, units, configuration), so a
#      fixed script reaches a running server on `pulumi up` without replacing it;
#   3. enable the units the config names (.enable);
#   4. run the config's apply step (.apply), which acts on what changed, and only on that.
set -euo pipefail
umask 022
LIB=${OLYMPUS_LIB:-/usr/local/lib/olympus}
# shellcheck source=/dev/null
. /etc/olympus/server.env
STATE=/var/lib/olympus-state
install -d -m 0755 "$STATE"
exec 9> "$STATE/sync.lock"
# A timed sync skips a turn while another runs; a unit's pre-start sync (--boot) waits for it.
if [ "${1:-}" = --boot ]; then flock -w 600 9; else flock -n 9 || { echo "olympus-sync: another sync is running" >&2; exit 0; }; fi

"$LIB/fetch-secrets.sh"
config=/etc/olympus/secrets/${OLYMPUS_CONFIG:?server.env must set OLYMPUS_CONFIG}
jq -e 'has("files") and has("apply")' "$config" >/dev/null || { echo "olympus-sync: $config has no files or apply step" >&2; exit 1; }

# Install what changed; remember which paths did (the apply step reads the list).
changed="$STATE/changed"
: > "$changed"
count=$(jq -er '.files | length' "$config")
for i in $(seq 0 $((count - 1))); do
    path=$(jq -er --argjson i "$i" '.files[$i].path' "$config")
    mode=$(jq -er --argjson i "$i" '.files[$i].mode' "$config")
    owner=$(jq -er --argjson i "$i" '.files[$i].owner // "root:root"' "$config")
    jq -jr --argjson i "$i" '.files[$i].content' "$config" > "$STATE/file.new"
    current_mode=$(stat -c '%a %U:%G' "$path" 2>/dev/null || true)
    if ! cmp -s "$STATE/file.new" "$path" || [ "$current_mode" != "${mode#0} $owner" ]; then
        install -D -m "$mode" -o "${owner%%:*}" -g "${owner##*:}" "$STATE/file.new" "$path"
        echo "$path" >> "$changed"
    fi
done
rm -f "$STATE/file.new"
if grep -q '^/etc/systemd/system/' "$changed"; then systemctl daemon-reload; fi
while read -r unit; do
    [ -n "$unit" ] || continue
    if ! systemctl is-enabled --quiet "$unit" 2>/dev/null || ! systemctl is-active --quiet "$unit"; then systemctl enable --now "$unit"; fi
done < <(jq -r '.enable[]?' "$config")
if [ -s "$changed" ]; then echo "olympus-sync: installed $(paste -sd ' ' "$changed")"; fi

exec "$(jq -er .apply "$config")" "$@"
