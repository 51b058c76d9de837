#!/usr/bin/env bash
# `npm run test:all`: installs the apt packages the suite lacks (the list is test/prerequisites.ts),
# then runs the whole suite (`npm test`) as root. As root it does both directly; as another user,
# through passwordless sudo (sudo -n), the way a hosted CI runner is set up.
set -euo pipefail
cd "$(dirname "$0")/.."

die() {
    echo "npm run test:all: $*" >&2
    exit 1
}

if [ ! -d node_modules/ts-node ]; then
    die "run \`npm ci\` first (the README's test command is \`npm ci && npm run test:all\`)"
fi

# Root: run as is. Otherwise sudo without a password prompt, or stop here with one line.
as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null; then
        die "needs root for apt-get and for the suite: run it as root, or as a user with passwordless sudo (sudo is not installed)"
    fi
    if ! sudo -n true 2>/dev/null; then
        die "needs root for apt-get and for the suite: run it as root, or as a user with passwordless sudo (sudo -n refused)"
    fi
    as_root=(sudo -n)
fi

packages=$(node -r ts-node/register/transpile-only test/prerequisites.ts --missing-packages)
if [ -n "$packages" ]; then
    mapfile -t missing <<<"$packages"
    if ! command -v apt-get >/dev/null; then
        die "missing ${missing[*]}, and this machine has no apt-get: install them with its package manager, then run \`npm test\` as root"
    fi
    echo "== apt-get install ${missing[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${#as_root[@]}" -eq 0 ]; then
    exec npm test
fi

# sudo resets the environment: hand the suite the same node (this PATH, plus the sbin directories
# where runuser, ip and debootstrap live) and the OLYMPUS_* settings and CI.
keep=("PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin")
while IFS= read -r name; do
    keep+=("$name=${!name}")
done < <(compgen -e | grep -E '^(OLYMPUS_[A-Z0-9_]+|CI)$' || true)

status=0
"${as_root[@]}" env "${keep[@]}" npm test || status=$?
# What the suite wrote in this checkout as root (caches under node_modules) goes back to you.
"${as_root[@]}" chown -R --from=0:0 "$(id -u):$(id -g)" . || true
exit "$status"
