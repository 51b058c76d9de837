#!/bin/bash
# olympus-mount-data: the database's own disk, formatted on first use (never again), mounted at
# /var/lib/olympus, and in fstab so every boot mounts it before olympus-db.service starts
# (RequiresMountsFor); `nofail` keeps a missing disk from stopping the boot, and the unit's
# AssertPathIsMountPoint keeps PostgreSQL from ever starting on the root disk instead.
set -euo pipefail
MOUNT=/var/lib/olympus
LABEL=olympus-data
# shellcheck source=/dev/null
. /etc/olympus/server.env

if mountpoint -q "$MOUNT"; then exit 0; fi
device=""
for _ in $(seq 1 60); do
    case "$OLYMPUS_CLOUD" in
        aws)
            # Nitro instances expose EBS volumes as NVMe disks named by volume id in /dev/disk/by-id
            # (https://docs.aws.amazon.com/ebs/latest/userguide/identify-nvme-ebs-device.html): the data
            # disk is the one that is not the root disk. Xen instances keep the attachment name, /dev/xvdf.
            root=$(lsblk -no PKNAME "$(findmnt -no SOURCE /)" 2>/dev/null || true)
            for d in /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_*; do
                [ -e "$d" ] || continue
                case "$d" in *-part*|*-ns-*) continue ;; esac
                real=$(readlink -f "$d")
                if [ "${real##*/}" != "$root" ]; then device=$real; fi
            done
            if [ -z "$device" ] && [ -e /dev/xvdf ]; then device=/dev/xvdf; fi ;;
        gcp)
            # https://cloud.google.com/compute/docs/disks/format-mount-disk-linux (device name olympus-data)
            if [ -e /dev/disk/by-id/google-olympus-data ]; then device=/dev/disk/by-id/google-olympus-data; fi ;;
    esac
    [ -n "$device" ] && break
    sleep 5
done
[ -n "$device" ] || { echo "olympus-mount-data: the data disk is not attached" >&2; exit 1; }
if ! blkid "$device" >/dev/null 2>&1; then
    echo "olympus-mount-data: formatting $device (first use)"
    mkfs.ext4 -q -L "$LABEL" "$device"
fi
mkdir -p "$MOUNT"
grep -q "^LABEL=$LABEL " /etc/fstab || echo "LABEL=$LABEL $MOUNT ext4 defaults,nofail,noatime 0 2" >> /etc/fstab
systemctl daemon-reload
mount "$MOUNT"
install -d -o postgres -g postgres -m 0700 "$MOUNT/pgdata"
echo "olympus-mount-data: $device mounted at $MOUNT"
