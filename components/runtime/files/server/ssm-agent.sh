#!/bin/bash
# olympus-ssm-agent (AWS): Systems Manager's agent, so operators reach the server through Session
# Manager (no SSH port anywhere). Debian's archive does not carry it: it comes from AWS's bucket in
# the server's own region, over TLS (https://docs.aws.amazon.com/systems-manager/latest/userguide/agent-install-deb.html).
set -euo pipefail
# shellcheck source=/dev/null
. /etc/olympus/server.env
if systemctl is-active --quiet amazon-ssm-agent; then exit 0; fi
case "$(dpkg --print-architecture)" in arm64) arch=arm64 ;; *) arch=amd64 ;; esac
deb=$(mktemp --suffix=.deb)
trap 'rm -f "$deb"' EXIT
url="https://s3.${OLYMPUS_LOCATION}.amazonaws.com/amazon-ssm-${OLYMPUS_LOCATION}/latest/debian_${arch}/amazon-ssm-agent.deb"
curl -fsS --retry 5 -o "$deb" "$url"
dpkg -i "$deb"
systemctl enable --now amazon-ssm-agent
echo "olympus-ssm-agent: installed from $url"
