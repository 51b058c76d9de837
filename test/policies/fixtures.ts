// Compliant stacks, as the stack policies see them, for each way Olympus can hold its databases.
// Each test takes one, changes one thing, and checks the exact violation.

import { PolicyResource } from "@pulumi/policy";
import { awsProvider, gcpProvider, stackResource } from "./util";

export interface Fixture {
    readonly resources: PolicyResource[];
    /** Look a resource up by name. */
    readonly get: (name: string) => PolicyResource;
}

function fixture(resources: PolicyResource[]): Fixture {
    return {
        resources,
        get: (name) => {
            const r = resources.find((x) => x.name === name);
            if (!r) throw new Error(`no fixture resource ${name}`);
            return r;
        },
    };
}

export function olympus(topology: "single-primary" | "per-region", primaryRegion: string | null): PolicyResource {
    return stackResource("olympus:index:Olympus", "olympus", { topology, primaryRegion });
}

export function region(name: string, cloud: "aws" | "gcp", location: string, jurisdiction: string, parent: PolicyResource,
    role: string, upstream: string | null): PolicyResource {
    return stackResource("olympus:index:Region", name, { regionName: name, cloud, location, jurisdiction, role, upstream, topology: parent.props.topology }, { parent });
}

export function pgNode(region: PolicyResource, role: string, upstream: string | null, walLevel = "replica"): PolicyResource {
    return stackResource("olympus:database:PostgresNode", `${region.name}-db`, { region: region.name, role, upstream, walLevel }, { parent: region });
}

/** Self-managed, across clouds: us-east (AWS) primary, eu-west (GCP) replica. */
export function selfManaged(): Fixture {
    const o = olympus("single-primary", "us-east");
    const us = region("us-east", "aws", "us-east-1", "US", o, "primary", null);
    const eu = region("eu-west", "gcp", "europe-west1", "EU", o, "replica", "us-east");
    return fixture([o, us, eu, pgNode(us, "primary", null), pgNode(eu, "replica", "us-east")]);
}

/** Managed on AWS: an RDS primary in us-east and its cross-region read replica in us-west. */
export function rds(): Fixture {
    const o = olympus("single-primary", "us-east");
    const us = region("us-east", "aws", "us-east-1", "US", o, "primary", null);
    const west = region("us-west", "aws", "us-west-2", "US", o, "replica", "us-east");
    const arn = "arn:aws:rds:us-east-1:123456789012:db:olympus-primary";
    const primary = stackResource("aws:rds/instance:Instance", "us-east-db", { engine: "postgres", arn, identifier: "olympus-primary", publiclyAccessible: false },
        { parent: us, provider: awsProvider("us-east-1") });
    const replica = stackResource("aws:rds/instance:Instance", "us-west-db", { replicateSourceDb: arn, publiclyAccessible: false },
        { parent: west, provider: awsProvider("us-west-2"), propertyDependencies: { replicateSourceDb: [primary] } });
    return fixture([o, us, west, primary, replica]);
}

/** Managed on GCP: a Cloud SQL primary in eu-west and a replica in eu-north, linked by name only. */
export function cloudSql(): Fixture {
    const o = olympus("single-primary", "eu-west");
    const west = region("eu-west", "gcp", "europe-west1", "EU", o, "primary", null);
    const north = region("eu-north", "gcp", "europe-north1", "EU", o, "replica", "eu-west");
    const primary = stackResource("gcp:sql/databaseInstance:DatabaseInstance", "eu-west-db",
        { databaseVersion: "POSTGRES_16", name: "olympus-primary", region: "europe-west1", settings: { ipConfiguration: { ipv4Enabled: false } } },
        { parent: west, provider: gcpProvider("europe-west1") });
    const replica = stackResource("gcp:sql/databaseInstance:DatabaseInstance", "eu-north-db",
        { databaseVersion: "POSTGRES_16", name: "olympus-replica", region: "europe-north1", masterInstanceName: "olympus-primary" },
        { parent: north, provider: gcpProvider("europe-north1") });
    return fixture([o, west, north, primary, replica]);
}

/**
 * Per-region (option B): an EU region on GCP and a US region on AWS, each with its own database,
 * addresses, a database firewall admitting only its own servers, and a pool; the load balancer
 * keeps each jurisdiction's codes on its own pool and falls back to a maintenance pool.
 */
export function perRegion(): Fixture {
    const o = olympus("per-region", null);
    const eu = region("eu", "gcp", "europe-west1", "EU", o, "independent", null);
    const us = region("us", "aws", "us-east-1", "US", o, "independent", null);
    const cf = { type: "pulumi:providers:cloudflare", name: "cloudflare", urn: "urn:pulumi:test::olympus::pulumi:providers:cloudflare::cloudflare", props: {} };
    const euFirewall = stackResource("gcp:compute/firewall:Firewall", "eu-db-fw",
        { direction: "INGRESS", allows: [{ protocol: "tcp", ports: ["5432"] }], sourceRanges: ["10.30.0.0/18"] },
        { parent: eu, provider: gcpProvider("europe-west1") });
    const usSg = stackResource("aws:ec2/securityGroup:SecurityGroup", "us-db-sg",
        { ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["10.20.0.0/16"] }] },
        { parent: us, provider: awsProvider("us-east-1") });
    const resources = [
        o, eu, us,
        pgNode(eu, "independent", null), pgNode(us, "independent", null),
        stackResource("gcp:compute/subnetwork:Subnetwork", "eu-subnet", { ipCidrRange: "10.30.0.0/18" }, { parent: eu }),
        stackResource("gcp:compute/address:Address", "eu-origin", { address: "203.0.113.20" }, { parent: eu }),
        stackResource("aws:ec2/vpc:Vpc", "us-vpc", { cidrBlock: "10.20.0.0/16" }, { parent: us }),
        stackResource("aws:ec2/eip:Eip", "us-origin", { publicIp: "203.0.113.10" }, { parent: us }),
        euFirewall, usSg,
        stackResource("cloudflare:index/loadBalancerPool:LoadBalancerPool", "pool-eu", { id: "pool-eu", origins: [{ address: "203.0.113.20" }] }, { provider: cf }),
        stackResource("cloudflare:index/loadBalancerPool:LoadBalancerPool", "pool-us", { id: "pool-us", origins: [{ address: "203.0.113.10" }] }, { provider: cf }),
        stackResource("cloudflare:index/loadBalancerPool:LoadBalancerPool", "pool-maintenance", { id: "pool-maint", origins: [{ address: "maintenance.example.com" }] }, { provider: cf }),
        stackResource("cloudflare:index/loadBalancer:LoadBalancer", "lb", {
            steeringPolicy: "geo",
            regionPools: { WEU: ["pool-eu"], EEU: ["pool-eu"], ENAM: ["pool-us"], WNAM: ["pool-us"] },
            defaultPools: ["pool-maint"],
            fallbackPool: "pool-maint",
        }, { provider: cf }),
    ];
    return fixture(resources);
}

/** A copy of a fixture resource with some properties replaced (parents and links kept). */
export function withProps(r: PolicyResource, props: Record<string, any>): PolicyResource {
    return { ...r, props: { ...r.props, ...props } };
}

/** Replace one resource of a fixture (by name, or the resource itself) by another. */
export function replace(f: Fixture, which: string | PolicyResource, next: PolicyResource): PolicyResource[] {
    return f.resources.map((r) => ((typeof which === "string" ? r.name === which : r === which) ? next : r));
}

export const GENERATOR = "random:index/randomPassword:RandomPassword";
export const AWS_SECRET = "aws:secretsmanager/secret:Secret";
export const AWS_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
export const GCP_SECRET = "gcp:secretmanager/secret:Secret";
export const GCP_VERSION = "gcp:secretmanager/secretVersion:SecretVersion";

const SOURCE_TAGS = { "olympus-secret": "master-key", "olympus-role": "source" };
const copyLabels = (region: string) => ({ "olympus-secret": "master-key", "olympus-role": "copy", "olympus-region": region });

/**
 * The master key as the program builds it for us-eu plus an AWS us-west region: a generator and
 * the source secret (natively replicated to us-west-2) in the MasterKey, and a copy of the
 * source's value in the GCP region.
 */
export function masterKeyed(): Fixture {
    const o = olympus("single-primary", "us-east");
    const us = region("us-east", "aws", "us-east-1", "US", o, "primary", null);
    const west = region("us-west", "aws", "us-west-2", "US", o, "replica", "us-east");
    const eu = region("eu-west", "gcp", "europe-west1", "EU", o, "replica", "us-east");
    const mk = stackResource("olympus:index:MasterKey", "master-key",
        { source: "generated", store: "aws-secrets-manager", location: "us-east-1", generations: ["k1"] }, { parent: o });
    const gen = stackResource(GENERATOR, "master-key-k1", { length: 32, special: false }, { parent: mk });
    const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:master-key-source-AbCdEf";
    const secret = stackResource(AWS_SECRET, "master-key-source", { arn, tags: SOURCE_TAGS, replicas: [{ region: "us-west-2" }] },
        { parent: mk, provider: awsProvider("us-east-1") });
    const version = stackResource(AWS_VERSION, "master-key-source", { secretId: arn, secretString: "[\"k\"]" },
        { parent: mk, provider: awsProvider("us-east-1"), propertyDependencies: { secretId: [secret], secretString: [gen] } });
    const copy = stackResource(GCP_SECRET, "eu-west-master-key", { name: "projects/p/secrets/eu-west-master-key", labels: copyLabels("eu-west") },
        { parent: eu, provider: gcpProvider("europe-west1") });
    const copyVersion = stackResource(GCP_VERSION, "eu-west-master-key", { secret: copy.props.name, secretData: "[\"k\"]" },
        { parent: eu, provider: gcpProvider("europe-west1"), propertyDependencies: { secret: [copy], secretData: [version] } });
    return fixture([o, us, west, eu, mk, gen, secret, version, copy, copyVersion]);
}

/** A region's own copy secret and version, filled from `from` (the source version, a generator, or nothing). */
export function regionCopy(f: Fixture, regionName: string, from: PolicyResource[], suffix = ""): PolicyResource[] {
    const r = f.get(regionName);
    const gcpRegion = r.props.cloud === "gcp";
    const secret = stackResource(gcpRegion ? GCP_SECRET : AWS_SECRET, `${regionName}-master-key${suffix}`,
        gcpRegion ? { name: `projects/p/secrets/${regionName}${suffix}`, labels: copyLabels(regionName) } : { arn: `arn:${regionName}${suffix}`, tags: copyLabels(regionName) },
        { parent: r });
    const version = stackResource(gcpRegion ? GCP_VERSION : AWS_VERSION, `${regionName}-master-key${suffix}`, {},
        { parent: r, propertyDependencies: gcpRegion ? { secret: [secret], secretData: from } : { secretId: [secret], secretString: from } });
    return [secret, version];
}
