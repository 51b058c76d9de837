# shellcheck shell=bash
# cloud.sh: what a server asks of its own cloud, with curl alone (no cloud CLI to install):
#   secret_get REF           print the current value of one of this region's secrets
#   metrics_put JSON         publish [{name, value}] to the region's metrics, labelled with the region
# The server's identity comes from the metadata service: AWS IMDSv2 role credentials, signed with
# SigV4 by curl; GCP the service account's token. Sourced by the other scripts; reads
# /etc/olympus/server.env (OLYMPUS_CLOUD, OLYMPUS_LOCATION, OLYMPUS_REGION).

# shellcheck source=/dev/null
. "${OLYMPUS_SERVER_ENV:-/etc/olympus/server.env}"
: "${OLYMPUS_CLOUD:?server.env must set OLYMPUS_CLOUD}" "${OLYMPUS_LOCATION:?server.env must set OLYMPUS_LOCATION}" "${OLYMPUS_REGION:?server.env must set OLYMPUS_REGION}"

CLOUDWATCH_NAMESPACE=Olympus
GCP_METRIC_PREFIX=custom.googleapis.com/olympus

# --- AWS ----------------------------------------------------------------------------------------
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html (IMDSv2)
imds() { # PATH: an instance metadata path, with a session token
    local token
    token=$(curl -sf -m 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token) || return 1
    curl -sf -m 5 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/$1"
}

# The instance role's temporary credentials, as a curl config (user = key:secret, the session token
# header): fed to curl on stdin, so no credential ever appears on a command line.
aws_curl_config() {
    local role creds
    role=$(imds meta-data/iam/security-credentials/) || return 1
    creds=$(imds "meta-data/iam/security-credentials/${role%%$'\n'*}") || return 1
    jq -er '"user = \"\(.AccessKeyId):\(.SecretAccessKey)\"\nheader = \"x-amz-security-token: \(.Token)\""' <<< "$creds"
}

aws_call() { # SERVICE CONTENT-TYPE [HEADER...] -- BODY: a signed POST to the service's regional endpoint
    local service=$1 type=$2 config
    shift 2
    local headers=()
    while [ "$1" != -- ]; do headers+=(-H "$1"); shift; done
    shift
    config=$(aws_curl_config) || return 1
    # https://curl.se/docs/manpage.html#--aws-sigv4 ; endpoints: https://docs.aws.amazon.com/general/latest/gr/rande.html
    curl -sf -m 20 -K - --aws-sigv4 "aws:amz:${OLYMPUS_LOCATION}:${service}" -H "Content-Type: $type" "${headers[@]}" \
        --data-binary "$1" "https://${service}.${OLYMPUS_LOCATION}.amazonaws.com/" <<< "$config"
}

# --- GCP ----------------------------------------------------------------------------------------
# https://cloud.google.com/compute/docs/metadata/querying-metadata
gcp_metadata() { curl -sf -m 5 -H 'Metadata-Flavor: Google' "http://metadata.google.internal/computeMetadata/v1/$1"; }
gcp_token() { gcp_metadata instance/service-accounts/default/token | jq -er .access_token; }

# --- what the scripts use -------------------------------------------------------------------------
secret_get() { # REF: an ARN (AWS) or projects/P/secrets/S (GCP)
    case "$OLYMPUS_CLOUD" in
        aws)
            # https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
            aws_call secretsmanager application/x-amz-json-1.1 'X-Amz-Target: secretsmanager.GetSecretValue' -- \
                "$(jq -nc --arg id "$1" '{SecretId: $id}')" | jq -er .SecretString ;;
        gcp)
            # https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access
            local token
            token=$(gcp_token) || return 1
            curl -sf -m 20 -K - "https://secretmanager.googleapis.com/v1/$1/versions/latest:access" <<< "header = \"Authorization: Bearer $token\"" |
                jq -er .payload.data | base64 -d ;;
        *) echo "cloud.sh: unknown cloud '$OLYMPUS_CLOUD'" >&2; return 1 ;;
    esac
}

metrics_put() { # JSON: [{name, value}], each labelled with this region
    case "$OLYMPUS_CLOUD" in
        aws)
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html (query protocol)
            local body
            body=$(jq -r --arg ns "$CLOUDWATCH_NAMESPACE" --arg region "$OLYMPUS_REGION" '
                [["Action", "PutMetricData"], ["Version", "2010-08-01"], ["Namespace", $ns]] +
                ([to_entries[] | .key as $i | "MetricData.member.\($i + 1)" as $m |
                    ["\($m).MetricName", .value.name], ["\($m).Value", (.value.value | tostring)], ["\($m).Unit", "None"],
                    ["\($m).Dimensions.member.1.Name", "Region"], ["\($m).Dimensions.member.1.Value", $region]])
                | map("\(.[0] | @uri)=\(.[1] | @uri)") | join("&")' <<< "$1") || return 1
            aws_call monitoring application/x-www-form-urlencoded -- "$body" >/dev/null ;;
        gcp)
            # https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/create
            local project instance zone token now body
            project=$(gcp_metadata project/project-id) && instance=$(gcp_metadata instance/id) && zone=$(gcp_metadata instance/zone) &&
                token=$(gcp_token) || return 1
            zone=${zone##*/}
            now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
            body=$(jq -c --arg prefix "$GCP_METRIC_PREFIX" --arg region "$OLYMPUS_REGION" --arg project "$project" --arg instance "$instance" \
                --arg zone "$zone" --arg now "$now" '{timeSeries: [.[] | {
                    metric: {type: "\($prefix)/\(.name)", labels: {region: $region}},
                    resource: {type: "gce_instance", labels: {project_id: $project, instance_id: $instance, zone: $zone}},
                    points: [{interval: {endTime: $now}, value: {doubleValue: .value}}]}]}' <<< "$1") || return 1
            curl -sf -m 20 -K - -X POST -H 'Content-Type: application/json' --data-binary "$body" \
                "https://monitoring.googleapis.com/v3/projects/$project/timeSeries" <<< "header = \"Authorization: Bearer $token\"" >/dev/null ;;
        *) echo "cloud.sh: unknown cloud '$OLYMPUS_CLOUD'" >&2; return 1 ;;
    esac
}
