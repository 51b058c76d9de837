// The self-managed database server's boot, rendered: PostgreSQL from the PGDG repository, the data
// disk mounted, and `olympus-db-sync`, which every 30 s fetches this region's credentials, this
// node's TLS bundle and its `db-config` (desired role, upstream, postgresql.conf, pg_hba.conf) from
// the region's secret store and applies what changed: new config files are reloaded, a new role
// restarts olympus-db.service, whose start converges the node (promote, follow, rebuild). A
// failover, a new region or a rotated certificate is a `pulumi up`, not a rebuilt server.

import { Cloud } from "../../topology/catalog";
import { PostgresLayout, renderDbScript } from "../database/postgres";
import { CloudFile, LIB_DIR, SECRETS_DIR, renderCloudConfig, renderFetchSecrets, secretFetchSetup } from "./bootstrap";

export const DATA_MOUNT = "/var/lib/olympus";
/** The device name the data disk is attached under (GCP exposes it as /dev/disk/by-id/google-<name>). */
export const DATA_DEVICE_NAME = "olympus-data";

/** The region's database runtime config, JSON in its `db-config` secret. */
export interface DbConfig {
    readonly role: "primary" | "replica" | "independent";
    /** A replica's upstream, HOST:PORT. */
    readonly upstream?: string;
    readonly postgresqlConf: string;
    readonly pgHba: string;
    /** The replication slots this node keeps for its peers when it is (or becomes) the primary. */
    readonly peerSlots: readonly string[];
}

export function serverLayout(version: string): PostgresLayout {
    return {
        binDir: `/usr/lib/postgresql/${version}/bin`,
        dataDir: `${DATA_MOUNT}/pgdata`,
        configDir: "/etc/olympus/postgres",
        socketDir: "/var/run/postgresql",
        secretsDir: SECRETS_DIR,
        roleFile: "/etc/olympus/postgres/role.json",
        port: 5432,
        listen: "*",
    };
}

export interface DatabaseServerOptions {
    readonly cloud: Cloud;
    readonly location: string;
    readonly regionName: string;
    readonly version: string;
    readonly databases: readonly string[];
    /** References of this region's secrets: credentials, this node's TLS bundle, the db-config. */
    readonly secrets: { readonly credentials: string; readonly tls: string; readonly dbConfig: string };
}

function renderSync(o: DatabaseServerOptions, l: PostgresLayout): string {
    return `#!/bin/bash
# olympus-db-sync [--boot]: apply this region's credentials, this node's TLS bundle and its db-config.
# Rendered by components/runtime/databaseServer.ts.
set -euo pipefail
umask 077
${LIB_DIR}/fetch-secrets.sh credentials=${o.secrets.credentials} db-tls=${o.secrets.tls} db-config=${o.secrets.dbConfig}
chown postgres:postgres ${SECRETS_DIR}/credentials
ln -sf ${SECRETS_DIR}/credentials ${SECRETS_DIR}/database.json
changed=no
put() { # CONTENT_FILE TARGET MODE: replace TARGET when it differs
    if ! cmp -s "$1" "$2"; then install -o postgres -g postgres -m "$3" "$1" "$2"; changed=yes; fi
    rm -f "$1"
}
install -d -o postgres -g postgres -m 0700 ${l.configDir} ${l.configDir}/tls
for f in ca cert key; do jq -er ".$f" ${SECRETS_DIR}/db-tls > ${l.configDir}/tls/$f.new; done
put ${l.configDir}/tls/ca.new ${l.configDir}/tls/ca.crt 0644
put ${l.configDir}/tls/cert.new ${l.configDir}/tls/server.crt 0644
put ${l.configDir}/tls/key.new ${l.configDir}/tls/server.key 0600
jq -er .postgresqlConf ${SECRETS_DIR}/db-config > ${l.configDir}/postgresql.conf.new
jq -er .pgHba ${SECRETS_DIR}/db-config > ${l.configDir}/pg_hba.conf.new
put ${l.configDir}/postgresql.conf.new ${l.configDir}/postgresql.conf 0644
put ${l.configDir}/pg_hba.conf.new ${l.configDir}/pg_hba.conf 0644
jq -c '{role} + (if .upstream then {upstream} else {} end)' ${SECRETS_DIR}/db-config > ${l.roleFile}.new
role_changed=no
cmp -s ${l.roleFile}.new ${l.roleFile} || role_changed=yes
put ${l.roleFile}.new ${l.roleFile} 0644
jq -c '.peerSlots // []' ${SECRETS_DIR}/db-config > ${l.configDir}/peer-slots.json.new
peers_changed=no
cmp -s ${l.configDir}/peer-slots.json.new ${l.configDir}/peer-slots.json || peers_changed=yes
put ${l.configDir}/peer-slots.json.new ${l.configDir}/peer-slots.json 0644
[ "\${1:-}" = --boot ] && exit 0
if [ "$role_changed" = yes ]; then
    echo "olympus-db-sync: desired role is now $(cat ${l.roleFile}); converging"
    systemctl restart olympus-db.service || echo "olympus-db-sync: converge did not finish; the next sync tries again"
elif ! systemctl is-active --quiet olympus-db.service; then
    # A converge that could not finish (a fenced node waiting for its new primary) tries again.
    echo "olympus-db-sync: olympus-db is not active ($(systemctl is-active olympus-db.service || true)); converging again"
    systemctl restart olympus-db.service || true
elif [ "$changed" = yes ]; then
    echo "olympus-db-sync: configuration or certificate changed; reloading"
    runuser -u postgres -- ${l.binDir}/pg_ctl -D ${l.dataDir} reload
    if [ "$peers_changed" = yes ]; then runuser -u postgres -- ${LIB_DIR}/olympus-db slots; fi
fi
`;
}

/** Formats (first boot only) and mounts the data disk. */
function renderMountData(cloud: Cloud): string {
    const device = cloud === "aws"
        // On Nitro instances EBS volumes appear as /dev/nvme*n1; the one attached as /dev/sdf says so in its vendor data.
        ? `device=""
for i in $(seq 1 60); do
    for d in /dev/nvme*n1; do
        [ -e "$d" ] || continue
        if nvme id-ctrl -v "$d" 2>/dev/null | grep -q "sdf"; then device=$d; fi
    done
    [ -z "$device" ] && [ -e /dev/xvdf ] && device=/dev/xvdf
    [ -n "$device" ] && break
    sleep 5
done`
        : `device=/dev/disk/by-id/google-${DATA_DEVICE_NAME}
for i in $(seq 1 60); do [ -e "$device" ] && break; sleep 5; done`;
    return `#!/bin/bash
# olympus-mount-data: the database's own disk, formatted on first use, mounted at ${DATA_MOUNT}.
set -euo pipefail
${device}
[ -n "$device" ] && [ -e "$device" ] || { echo "olympus-mount-data: data disk not found" >&2; exit 1; }
blkid "$device" >/dev/null 2>&1 || mkfs.ext4 -q -L olympus-data "$device"
mkdir -p ${DATA_MOUNT}
grep -q "LABEL=olympus-data" /etc/fstab || echo "LABEL=olympus-data ${DATA_MOUNT} ext4 defaults,nofail,noatime 0 2" >> /etc/fstab
mountpoint -q ${DATA_MOUNT} || mount ${DATA_MOUNT}
install -d -o postgres -g postgres -m 0700 ${DATA_MOUNT}/pgdata
`;
}

export function renderDatabaseUserData(o: DatabaseServerOptions): string {
    const l = serverLayout(o.version);
    const files: CloudFile[] = [
        // The Debian packaging must not create its own cluster: this node runs exactly one, ours.
        { path: "/etc/postgresql-common/createcluster.d/olympus.conf", permissions: "0644", content: "create_main_cluster = false\n" },
        { path: `${LIB_DIR}/olympus-db`, permissions: "0755", content: renderDbScript({ layout: l, region: o.regionName, peerRegions: [], databases: o.databases }) },
        { path: `${LIB_DIR}/fetch-secrets.sh`, permissions: "0755", content: renderFetchSecrets(o.cloud, o.location) },
        { path: `${LIB_DIR}/mount-data.sh`, permissions: "0755", content: renderMountData(o.cloud) },
        { path: `${LIB_DIR}/olympus-db-sync`, permissions: "0755", content: renderSync(o, l) },
        {
            path: "/etc/systemd/system/olympus-db.service", permissions: "0644",
            content: `[Unit]
Description=Olympus PostgreSQL node, converged to its desired role
After=network-online.target local-fs.target
Wants=network-online.target

[Service]
# PostgreSQL runs under pg_ctl, started by the converge step, and stays in this unit until it stops.
# Every start reads the node's db-config first: a former primary coming back after an outage
# learns it was replaced before PostgreSQL starts, and never starts as a primary again.
Type=oneshot
RemainAfterExit=yes
ExecStartPre=${LIB_DIR}/olympus-db-sync --boot
ExecStart=/usr/bin/runuser -u postgres -- ${LIB_DIR}/olympus-db converge
ExecStop=/usr/bin/runuser -u postgres -- ${LIB_DIR}/olympus-db stop
TimeoutStartSec=3600

[Install]
WantedBy=multi-user.target
`,
        },
        {
            path: "/etc/systemd/system/olympus-db-sync.service", permissions: "0644",
            content: `[Unit]\nDescription=Apply this node's credentials, certificate and db-config\n\n[Service]\nType=oneshot\nExecStart=${LIB_DIR}/olympus-db-sync\n`,
        },
        {
            path: "/etc/systemd/system/olympus-db-sync.timer", permissions: "0644",
            content: "[Unit]\nDescription=Re-read this node's db-config every 30 s\n\n[Timer]\nOnBootSec=60s\nOnUnitActiveSec=30s\n\n[Install]\nWantedBy=timers.target\n",
        },
    ];
    return renderCloudConfig({
        packages: ["postgresql-common", "jq", "curl", "nvme-cli"],
        files,
        run: [
            ...secretFetchSetup(o.cloud),
            // PGDG carries every supported PostgreSQL major for Ubuntu.
            ["/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh", "-y"],
            ["apt-get", "install", "-y", `postgresql-${o.version}`],
            [`${LIB_DIR}/mount-data.sh`],
            [`${LIB_DIR}/olympus-db-sync`, "--boot"],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", "olympus-db.service", "olympus-db-sync.timer"],
        ],
    });
}
