// Offline answers for the resources and provider calls the program makes: realistic ids, ARNs,
// self-links and addresses, derived deterministically from the resource's name so two runs agree.
// Keys and certificates are real (tools/x509.ts), so servers can be booted from a run's secrets.
// A provider call without an answer here throws: an unmocked call must never pass silently.

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as x509 from "./x509";

export const AWS_ACCOUNT_ID = "123456789012";

function hex(seed: string, length: number): string {
    let out = "";
    for (let i = 0; out.length < length; i++) out += crypto.createHash("sha256").update(`${seed}#${i}`).digest("hex");
    return out.slice(0, length);
}

/** A deterministic alphanumeric string, like a generated password without special characters. */
function keyLike(seed: string, length: number): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    return [...hex(seed, length * 2).match(/../g)!].slice(0, length).map((b) => alphabet[parseInt(b, 16) % alphabet.length]).join("");
}

function uuid(seed: string): string {
    const h = hex(seed, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A PEM block with deterministic (fake) contents: the Cloud SQL server CA, whose servers never run offline. */
function pem(label: string, seed: string): string {
    const body = Buffer.from(hex(seed, 96), "hex").toString("base64");
    return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

const ORIGIN_CA_KEY_PEM = x509.privateKeyOutputs(x509.deterministicKey("offline-mock/cloudflare-origin-ecc-ca", "ECDSA", { ecdsaCurve: "P256" })).privateKeyPem;

/**
 * The offline stand-in for Cloudflare's Origin ECC root, which signs every OriginCaCertificate the
 * mocks issue: trust it where a test plays Cloudflare's proxy. Its key and dates are fixed, so a
 * copy from one process verifies certificates issued in another; only the signature differs.
 */
export const MOCK_ORIGIN_CA_PEM: string = x509.selfSignedCert(ORIGIN_CA_KEY_PEM, {
    country: "US", province: "California", locality: "San Francisco", organization: "CloudFlare, Inc.",
    organizationalUnit: "CloudFlare Origin SSL ECC Certificate Authority", commonName: "Offline mock Cloudflare Origin ECC Certificate Authority",
}, {}, {
    isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    now: new Date("2019-08-23T22:00:00Z"), validityPeriodHours: 30 * 365 * 24, serialSeed: "offline-mock/cloudflare-origin-ecc-ca",
}).certPem;

/**
 * An input without its secret marker: the mock monitor hands inputs over as the wire has them, so a
 * secret (a key PEM from tls.PrivateKey) arrives wrapped.
 */
function plain(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value === "object" && value !== null) {
        const v = value as Outputs;
        if (v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return plain(v.value);
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
    }
    return value;
}

/** The validities (days) Cloudflare's API accepts for an Origin CA certificate. */
const ORIGIN_CA_VALIDITY_DAYS = [7, 30, 90, 365, 730, 1095, 5475];

/** The tls provider's `subject` block (a one-element list in older SDKs). */
function subjectOf(value: unknown): x509.Subject | undefined {
    const s = (Array.isArray(value) ? value[0] : value) as Outputs | undefined;
    if (!s) return undefined;
    const str = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
    return {
        commonName: str(s.commonName), organization: str(s.organization), organizationalUnit: str(s.organizationalUnit),
        streetAddresses: (s.streetAddresses as unknown[] | undefined)?.map(String), locality: str(s.locality), province: str(s.province),
        country: str(s.country), postalCode: str(s.postalCode), serialNumber: str(s.serialNumber), emailAddress: str(s.emailAddress),
    };
}

function altNamesOf(inputs: Outputs): x509.AltNames {
    const list = (v: unknown) => (v as unknown[] | undefined)?.map(String);
    return { dnsNames: list(inputs.dnsNames), ipAddresses: list(inputs.ipAddresses), uris: list(inputs.uris) };
}

function certificateOptions(name: string, inputs: Outputs): x509.CertificateOptions {
    return {
        validityPeriodHours: Number(inputs.validityPeriodHours),
        allowedUses: (inputs.allowedUses as unknown[] | undefined)?.map(String),
        isCaCertificate: Boolean(inputs.isCaCertificate),
        maxPathLength: inputs.maxPathLength === undefined ? undefined : Number(inputs.maxPathLength),
        setSubjectKeyId: Boolean(inputs.setSubjectKeyId),
        setAuthorityKeyId: Boolean(inputs.setAuthorityKeyId),
        serialSeed: name,
    };
}

function issued(cert: x509.IssuedCertificate): Outputs {
    return { certPem: cert.certPem, validityStartTime: cert.validityStartTime, validityEndTime: cert.validityEndTime, readyForRenewal: false };
}

/**
 * Cloudflare's published IPv4 and IPv6 ranges (https://www.cloudflare.com/ips/) as of 2026-11-01,
 * what `cloudflare.getIpRanges` answers offline. A real deployment reads the live list.
 */
export const CLOUDFLARE_IP_RANGES_SNAPSHOT = {
    date: "2026-11-01",
    ipv4Cidrs: [
        "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18", "108.162.192.0/18",
        "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
        "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
    ],
    ipv6Cidrs: ["2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32"],
};

/** The key list the offline engine finds in an existing master-key secret: two generations. */
export function existingKeyset(name: string): string {
    return JSON.stringify([keyLike(`existing/${name}/2`, 32), keyLike(`existing/${name}/1`, 32)]);
}

/** A deterministic public address in TEST-NET-3 (203.0.113.0/24, RFC 5737): never a real host. */
function testNetAddress(seed: string): string {
    return `203.0.113.${1 + (parseInt(hex(seed, 4), 16) % 254)}`;
}

function privateAddress(seed: string, cidr?: string): string {
    const base = (cidr ?? "10.0.0.0/24").split("/")[0].split(".").map(Number);
    return `${base[0]}.${base[1]}.${base[2]}.${10 + (parseInt(hex(seed, 4), 16) % 200)}`;
}

interface ProviderInfo {
    readonly type: string;
    readonly region?: string;
    readonly project?: string;
}

type Outputs = Record<string, unknown>;
type Shape = (ctx: { name: string; inputs: Outputs; region: string; project: string; id: string }) => Outputs;

/** EC2-style ids: prefix plus 17 hex digits. */
const AWS_ID_PREFIX: Readonly<Record<string, string>> = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
    "aws:ec2/instance:Instance": "i",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ebs/volume:Volume": "vol",
    "aws:ec2/eipAssociation:EipAssociation": "eipassoc",
    "aws:ec2/volumeAttachment:VolumeAttachment": "vai",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "pcx",
    "aws:ec2/route:Route": "r-rtb",
};

/** GCP compute collections: where the resource lives and what the API calls it. */
const GCP_COMPUTE: Readonly<Record<string, { scope: "global" | "regions" | "zones"; collection: string }>> = {
    "gcp:compute/network:Network": { scope: "global", collection: "networks" },
    "gcp:compute/subnetwork:Subnetwork": { scope: "regions", collection: "subnetworks" },
    "gcp:compute/firewall:Firewall": { scope: "global", collection: "firewalls" },
    "gcp:compute/address:Address": { scope: "regions", collection: "addresses" },
    "gcp:compute/globalAddress:GlobalAddress": { scope: "global", collection: "addresses" },
    "gcp:compute/instance:Instance": { scope: "zones", collection: "instances" },
    "gcp:compute/disk:Disk": { scope: "zones", collection: "disks" },
    "gcp:compute/router:Router": { scope: "regions", collection: "routers" },
};

const SHAPES: Readonly<Record<string, Shape>> = {
    "aws:ec2/vpc:Vpc": ({ id, region }) => ({
        arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:vpc/${id}`,
        defaultSecurityGroupId: `sg-${hex(`${id}/sg`, 17)}`,
        mainRouteTableId: `rtb-${hex(`${id}/rtb`, 17)}`,
        ownerId: AWS_ACCOUNT_ID,
    }),
    "aws:ec2/subnet:Subnet": ({ id, region }) => ({ arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:subnet/${id}`, ownerId: AWS_ACCOUNT_ID }),
    "aws:ec2/internetGateway:InternetGateway": ({ id, region }) => ({ arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:internet-gateway/${id}` }),
    "aws:ec2/routeTable:RouteTable": ({ id, region }) => ({ arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:route-table/${id}` }),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ({ id, region }) => ({ arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:security-group/${id}`, name: "default" }),
    "aws:ec2/securityGroup:SecurityGroup": ({ id, region }) => ({ arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:security-group/${id}` }),
    "aws:ec2/instance:Instance": ({ id, region, name, inputs }) => {
        const ip = typeof inputs.privateIp === "string" ? inputs.privateIp : privateAddress(name);
        return {
            arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:instance/${id}`,
            privateIp: ip,
            privateDns: `ip-${ip.replace(/\./g, "-")}.${region}.compute.internal`,
            availabilityZone: `${region}a`,
            instanceState: "running",
        };
    },
    "aws:ebs/volume:Volume": ({ id, region }) => ({ arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:volume/${id}` }),
    "aws:iam/instanceProfile:InstanceProfile": ({ inputs }) => ({ arn: `arn:aws:iam::${AWS_ACCOUNT_ID}:instance-profile/${inputs.name}` }),
    "gcp:compute/instance:Instance": ({ inputs, name }) => ({
        instanceId: String(parseInt(hex(`instance/${name}`, 12), 16)),
        networkInterfaces: (inputs.networkInterfaces as Outputs[] | undefined)?.map((ni) => ({ ...ni, networkIp: ni.networkIp ?? privateAddress(name) })),
        currentStatus: "RUNNING",
    }),
    // Keys derive from the resource name: the same name gives the same key in every run.
    "tls:index/privateKey:PrivateKey": ({ name, inputs: wire }) => {
        const inputs = plain(wire) as Outputs;
        const ecdsaCurve = String(inputs.ecdsaCurve ?? "P224");
        const rsaBits = Number(inputs.rsaBits ?? 2048);
        const key = x509.deterministicKey(name, inputs.algorithm as x509.KeyAlgorithm, { ecdsaCurve: ecdsaCurve as x509.EcdsaCurve, rsaBits });
        return { ecdsaCurve, rsaBits, ...x509.privateKeyOutputs(key) };
    },
    "tls:index/selfSignedCert:SelfSignedCert": ({ name, inputs: wire }) => {
        const inputs = plain(wire) as Outputs;
        const cert = x509.selfSignedCert(String(inputs.privateKeyPem), subjectOf(inputs.subject), altNamesOf(inputs), certificateOptions(name, inputs));
        return { ...issued(cert), keyAlgorithm: cert.signerKeyAlgorithm };
    },
    "tls:index/certRequest:CertRequest": ({ inputs: wire }) => {
        const inputs = plain(wire) as Outputs;
        return x509.certRequest(String(inputs.privateKeyPem), subjectOf(inputs.subject), altNamesOf(inputs));
    },
    "tls:index/locallySignedCert:LocallySignedCert": ({ name, inputs: wire }) => {
        const inputs = plain(wire) as Outputs;
        const request = x509.parseCertRequest(String(inputs.certRequestPem));
        const cert = x509.signRequest(request, String(inputs.caCertPem), String(inputs.caPrivateKeyPem), certificateOptions(name, inputs));
        return { ...issued(cert), caKeyAlgorithm: cert.signerKeyAlgorithm };
    },
    "aws:ec2/eip:Eip": ({ id, name, region }) => ({
        allocationId: id,
        publicIp: testNetAddress(name),
        publicDns: `ec2-${testNetAddress(name).replace(/\./g, "-")}.compute-1.amazonaws.com`,
        arn: `arn:aws:ec2:${region}:${AWS_ACCOUNT_ID}:elastic-ip/${id}`,
    }),
    "aws:rds/instance:Instance": ({ id, region, name }) => ({
        arn: `arn:aws:rds:${region}:${AWS_ACCOUNT_ID}:db:${id}`,
        address: `${id}.${hex(`${region}/rds`, 12)}.${region}.rds.amazonaws.com`,
        endpoint: `${id}.${hex(`${region}/rds`, 12)}.${region}.rds.amazonaws.com:5432`,
        port: 5432,
        resourceId: `db-${hex(`${name}/rid`, 26).toUpperCase()}`,
    }),
    // Cloudflare sets its own subject and takes the names from `hostnames`, not from the request.
    "cloudflare:index/originCaCertificate:OriginCaCertificate": ({ name, inputs: wire }) => {
        const inputs = plain(wire) as Outputs;
        const days = Number(inputs.requestedValidity ?? 5475);
        if (!ORIGIN_CA_VALIDITY_DAYS.includes(days)) throw new Error(`requested_validity ${days} is not one of ${ORIGIN_CA_VALIDITY_DAYS.join(", ")} days`);
        const cert = x509.signRequest(x509.parseCertRequest(String(inputs.csr)), MOCK_ORIGIN_CA_PEM, ORIGIN_CA_KEY_PEM, {
            subject: x509.encodeName({ organization: "CloudFlare, Inc.", organizationalUnit: "CloudFlare Origin CA", commonName: "CloudFlare Origin Certificate" }),
            names: { dnsNames: ((inputs.hostnames as unknown[] | undefined) ?? []).map(String) },
            allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
            setSubjectKeyId: true, validityPeriodHours: days * 24, serialSeed: `origin-ca/${name}`,
        });
        return { certificate: cert.certPem, expiresOn: cert.validityEndTime, requestType: inputs.requestType, requestedValidity: days };
    },
    "cloudflare:index/loadBalancerPool:LoadBalancerPool": ({ inputs }) => ({ enabled: true, minimumOrigins: inputs.minimumOrigins ?? 1, healthy: true }),
    "cloudflare:index/loadBalancer:LoadBalancer": ({ inputs }) => ({ enabled: true, ttl: inputs.ttl ?? 30 }),
    "aws:sns/topic:Topic": ({ inputs, region, name }) => ({ arn: `arn:aws:sns:${region}:${AWS_ACCOUNT_ID}:${inputs.name ?? name}` }),
    "aws:kms/key:Key": ({ id, region }) => ({ arn: `arn:aws:kms:${region}:${AWS_ACCOUNT_ID}:key/${id}`, keyId: id }),
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": ({ inputs }) => ({
        id: inputs.vpcPeeringConnectionId, acceptStatus: "active", peerOwnerId: AWS_ACCOUNT_ID,
    }),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": ({ inputs }) => ({
        acceptStatus: inputs.peerRegion ? "pending-acceptance" : "active", peerOwnerId: AWS_ACCOUNT_ID,
    }),
    "aws:rds/subnetGroup:SubnetGroup": ({ inputs, region }) => ({ arn: `arn:aws:rds:${region}:${AWS_ACCOUNT_ID}:subgrp:${inputs.name}` }),
    "aws:rds/parameterGroup:ParameterGroup": ({ inputs, region }) => ({ arn: `arn:aws:rds:${region}:${AWS_ACCOUNT_ID}:pg:${inputs.name}` }),
    "gcp:sql/databaseInstance:DatabaseInstance": ({ inputs, project, region, name }) => ({
        serverCaCerts: [{
            cert: pem("CERTIFICATE", `cloudsql-ca/${name}`),
            commonName: `C=US,O=Google Inc,CN=Google Cloud SQL Server CA,dnQualifier=${hex(`dn/${name}`, 8)}`,
            createTime: "2026-11-27T00:00:00Z",
            expirationTime: "2036-11-25T00:00:00Z",
            sha1Fingerprint: hex(`sha1/${name}`, 40),
        }],
        connectionName: `${project}:${inputs.region ?? region}:${inputs.name}`,
        privateIpAddress: privateAddress(name, "10.99.0.0/16"),
        selfLink: `https://sqladmin.googleapis.com/sql/v1beta4/projects/${project}/instances/${inputs.name}`,
        serviceAccountEmailAddress: `p${hex(name, 12)}@gcp-sa-cloud-sql.iam.gserviceaccount.com`,
    }),
    "random:index/randomPassword:RandomPassword": ({ name, inputs }) => ({
        result: keyLike(`password/${name}`, Number(inputs.length ?? 16)),
        bcryptHash: `$2a$10$${hex(`bcrypt/${name}`, 53)}`,
    }),
    "aws:secretsmanager/secret:Secret": ({ id }) => ({ arn: id }),
    "aws:secretsmanager/secretVersion:SecretVersion": ({ inputs, name }) => ({
        arn: inputs.secretId,
        versionId: uuid(`version/${name}`),
        versionStages: ["AWSCURRENT"],
    }),
    "aws:iam/role:Role": ({ inputs }) => ({
        arn: `arn:aws:iam::${AWS_ACCOUNT_ID}:role/${inputs.name}`,
        uniqueId: `AROA${hex(String(inputs.name), 17).toUpperCase()}`,
    }),
    "gcp:secretmanager/secret:Secret": ({ id }) => ({ name: id }),
    "gcp:secretmanager/secretVersion:SecretVersion": ({ id }) => ({ name: id, version: "1" }),
    "gcp:serviceaccount/account:Account": ({ inputs, project }) => {
        const email = `${inputs.accountId}@${project}.iam.gserviceaccount.com`;
        return { email, member: `serviceAccount:${email}`, name: `projects/${project}/serviceAccounts/${email}`, uniqueId: String(parseInt(hex(email, 12), 16)) };
    },
    "gcp:compute/subnetwork:Subnetwork": ({ inputs }) => ({
        gatewayAddress: typeof inputs.ipCidrRange === "string" ? privateAddress("gw", inputs.ipCidrRange).replace(/\.\d+$/, ".1") : undefined,
    }),
    "gcp:compute/address:Address": ({ name }) => ({ address: testNetAddress(name) }),
};

/** The property each autonamed type gets its physical name in (GCP resources: `name`). */
const AUTONAME_PROPERTY: Readonly<Record<string, string>> = {
    "aws:rds/instance:Instance": "identifier",
    "aws:rds/parameterGroup:ParameterGroup": "name",
    "aws:ec2/securityGroup:SecurityGroup": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:iam/role:Role": "name",
    "aws:iam/instanceProfile:InstanceProfile": "name",
    "gcp:secretmanager/secret:Secret": "secretId",
};

/** Physical names, as the Pulumi engine autonames them: `<name>-<7 hex>`. */
function autoname(type: string, name: string, inputs: Outputs): Outputs {
    const property = AUTONAME_PROPERTY[type] ?? (type.startsWith("gcp:") ? "name" : undefined);
    if (!property || inputs[property] !== undefined) return {};
    return { [property]: `${name}-${hex(`${type}/${name}`, 7)}` };
}

const CLOUDFLARE_HEX_ID = new Set([
    "cloudflare:index/loadBalancer:LoadBalancer",
    "cloudflare:index/loadBalancerPool:LoadBalancerPool",
    "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor",
    "cloudflare:index/originCaCertificate:OriginCaCertificate",
    "cloudflare:index/authenticatedOriginPullsCertificate:AuthenticatedOriginPullsCertificate",
    "cloudflare:index/notificationPolicy:NotificationPolicy",
    "cloudflare:index/notificationPolicyWebhooks:NotificationPolicyWebhooks",
    "cloudflare:index/ruleset:Ruleset",
    "cloudflare:index/healthcheck:Healthcheck",
]);

/** Types whose id is their physical name. */
const ID_IS_NAME: Readonly<Record<string, string>> = {
    "aws:rds/instance:Instance": "identifier",
    "gcp:sql/databaseInstance:DatabaseInstance": "name",
    "aws:iam/role:Role": "name",
};

export class OfflineMocks implements pulumi.runtime.Mocks {
    private readonly providers = new Map<string, ProviderInfo>();
    /** Every provider call made, in order (for tests and for the default-provider check). */
    readonly calls: { token: string; provider?: string }[] = [];
    /**
     * Calls the mocks could not answer. The SDK reduces a failed call's error to "Error", so the
     * engine reports these itself.
     */
    readonly unanswered: string[] = [];

    private providerFor(ref: string | undefined): ProviderInfo | undefined {
        if (!ref) return undefined;
        return this.providers.get(ref.slice(ref.lastIndexOf("::") + 2));
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Outputs } {
        const { type, name, inputs } = args;
        if (type.startsWith("pulumi:providers:")) {
            const id = `${hex(`${type}/${name}`, 8)}-${hex(`${name}/b`, 4)}-${hex(`${name}/c`, 4)}-${hex(`${name}/d`, 4)}-${hex(`${name}/e`, 12)}`;
            this.providers.set(id, { type, region: inputs.region, project: inputs.project });
            return { id, state: inputs };
        }
        const provider = this.providerFor(args.provider);
        const region = provider?.region ?? "us-east-1";
        const project = provider?.project ?? "offline-project";
        const named = { ...inputs, ...autoname(type, name, inputs) };

        let id: string;
        let extra: Outputs = {};
        const gcp = GCP_COMPUTE[type];
        if (ID_IS_NAME[type]) {
            id = String(named[ID_IS_NAME[type]]);
        } else if (type === "aws:secretsmanager/secret:Secret") {
            // Secrets Manager appends six random characters to the name in the ARN, which is the id.
            id = `arn:aws:secretsmanager:${region}:${AWS_ACCOUNT_ID}:secret:${named.name}-${keyLike(`${name}/suffix`, 6)}`;
        } else if (CLOUDFLARE_HEX_ID.has(type)) {
            // Cloudflare's load-balancing objects and certificates have 32-hex-character ids.
            id = hex(`${type}/${name}`, 32);
        } else if (type === "aws:kms/key:Key") {
            id = uuid(`kms/${name}`);
        } else if (type === "aws:secretsmanager/secretVersion:SecretVersion") {
            id = `${inputs.secretId}|${uuid(`version/${name}`)}`;
        } else if (type === "gcp:secretmanager/secret:Secret") {
            id = `projects/${project}/secrets/${named.secretId}`;
        } else if (type === "gcp:secretmanager/secretVersion:SecretVersion") {
            id = `${inputs.secret}/versions/1`;
        } else if (AWS_ID_PREFIX[type]) {
            id = `${AWS_ID_PREFIX[type]}-${hex(`${type}/${name}`, 17)}`;
        } else if (gcp) {
            const where = gcp.scope === "global" ? "global"
                : gcp.scope === "regions" ? `regions/${named.region ?? region}`
                    : `zones/${named.zone ?? `${region}-b`}`;
            id = `projects/${project}/${where}/${gcp.collection}/${named.name}`;
            extra = { selfLink: `https://www.googleapis.com/compute/v1/${id}`, project };
        } else {
            id = `${name}-${hex(`${type}/${name}`, 8)}`;
        }
        const shape = SHAPES[type];
        const state = { ...named, ...extra, ...(shape ? shape({ name, inputs: named, region, project, id }) : {}) };
        return { id, state };
    }

    call(args: pulumi.runtime.MockCallArgs): Outputs {
        this.calls.push({ token: args.token, provider: args.provider });
        const provider = this.providerFor(args.provider);
        switch (args.token) {
            case "aws:index/getAvailabilityZones:getAvailabilityZones": {
                const region = provider?.region ?? "us-east-1";
                return {
                    id: region,
                    names: ["a", "b", "c"].map((z) => `${region}${z}`),
                    zoneIds: [1, 2, 3].map((n) => `${region.replace(/-(\w)\w*-/, "$1")}-az${n}`),
                    groupNames: [region],
                };
            }
            case "aws:secretsmanager/getSecretVersion:getSecretVersion": {
                const region = provider?.region ?? "us-east-1";
                const id = String(args.inputs.secretId);
                const arn = id.startsWith("arn:") ? id : `arn:aws:secretsmanager:${region}:${AWS_ACCOUNT_ID}:secret:${id}-${keyLike(id, 6)}`;
                return {
                    id: `${arn}|${args.inputs.versionStage ?? args.inputs.versionId}`, arn, secretId: id,
                    secretString: existingKeyset(id), versionId: args.inputs.versionId ?? uuid(id), versionStages: ["AWSCURRENT"],
                };
            }
            case "gcp:secretmanager/getSecretVersion:getSecretVersion": {
                const project = provider?.project ?? "offline-project";
                const secret = String(args.inputs.secret);
                const full = secret.startsWith("projects/") ? secret : `projects/${project}/secrets/${secret}`;
                return { id: `${full}/versions/1`, name: `${full}/versions/1`, secret, version: "1", secretData: existingKeyset(secret), enabled: true };
            }
            case "cloudflare:index/getIpRanges:getIpRanges": {
                const { ipv4Cidrs, ipv6Cidrs } = CLOUDFLARE_IP_RANGES_SNAPSHOT;
                return { ipv4Cidrs, ipv6Cidrs, etag: hex(JSON.stringify(ipv4Cidrs), 32), jdcloudCidrs: [] };
            }
            case "aws:ssm/getParameter:getParameter": {
                const name = String(args.inputs.name);
                // Public AMI parameters (Debian's /aws/service/debian/release/..., Canonical's .../ami-id) hold an AMI id.
                const value = /^\/aws\/service\/.*(\/ami-id|\/(amd64|arm64))$/.test(name) ? `ami-${hex(`${provider?.region}/${name}`, 17)}` : `offline-${hex(name, 8)}`;
                return { id: name, name, value, insecureValue: value, type: "String", version: 1, arn: `arn:aws:ssm:${provider?.region}:${AWS_ACCOUNT_ID}:parameter${name}` };
            }
            case "gcp:compute/getImage:getImage": {
                // A family resolves to its current image (debian-cloud's names: debian-13-trixie-vYYYYMMDD).
                const project = String(args.inputs.project ?? provider?.project ?? "offline-project");
                const family = String(args.inputs.family ?? args.inputs.name);
                const name = args.inputs.family ? `${family.replace(/^debian-13/, "debian-13-trixie")}-v20261120` : family;
                const selfLink = `https://www.googleapis.com/compute/v1/projects/${project}/global/images/${name}`;
                return { id: `projects/${project}/global/images/${name}`, name, family, project, selfLink, status: "READY", archiveSizeBytes: 0 };
            }
            case "gcp:compute/getZones:getZones": {
                const region = args.inputs.region ?? provider?.region;
                return { id: `projects/${provider?.project}/regions/${region}`, names: ["b", "c", "d"].map((z) => `${region}-${z}`) };
            }
            case "gcp:organizations/getClientConfig:getClientConfig":
                return { id: "offline", project: provider?.project, region: provider?.region ?? "", zone: "", accessToken: "offline-token" };
            default: {
                const problem = `the offline engine has no answer for the provider call ${args.token}; add one to tools/mocks.ts`;
                this.unanswered.push(problem);
                throw new Error(problem);
            }
        }
    }
}
