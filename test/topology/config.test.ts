import * as assert from "assert";
import {
    ConfigError, OlympusConfig, defaultCidr, loadConfig, parseConfig, rawConfigFrom,
} from "../../topology/config";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const ZONE = "fedcba9876543210fedcba9876543210";

/** A valid two-region, two-cloud config; each test changes one thing. */
function base(): Record<string, any> {
    return {
        domain: "ciam.example.com",
        topology: "single-primary",
        regions: [
            { name: "us-east", cloud: "aws", location: "us-east-1", primary: true, serves: ["ENAM", "WNAM"] },
            { name: "eu-west", cloud: "gcp", location: "europe-west1", serves: ["WEU"] },
        ],
        edge: { accountId: ACCOUNT, zoneId: ZONE },
        gcp: { project: "olympus-example-project" },
        smtpUrl: "smtps://mailer:pw@smtp.example.com:465/",
    };
}

function problems(raw: Record<string, unknown>): string[] {
    try {
        parseConfig(raw);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
        return [...err.problems];
    }
    assert.fail("expected the config to be refused");
}

function refusedWith(raw: Record<string, unknown>, expected: string): void {
    assert.deepStrictEqual(problems(raw), [expected]);
}

function with_(change: (c: Record<string, any>) => void): Record<string, any> {
    const c = base();
    change(c);
    return c;
}

describe("stack config", () => {
    describe("a valid config", () => {
        it("parses with every default filled in", () => {
            const config: OlympusConfig = parseConfig(base());
            assert.strictEqual(config.topology, "single-primary");
            assert.deepStrictEqual(config.database, { mode: "self-managed", version: "17", backupRetentionDays: 7, rdsInstanceClass: "db.m6i.large", cloudSqlTier: "db-custom-2-8192" });
            assert.deepStrictEqual(config.servers, {
                app: { aws: "t3.medium", gcp: "e2-medium", diskGb: 30 },
                database: { aws: "m6i.large", gcp: "n2-standard-2", diskGb: 30, dataDiskGb: 100 },
            });
            assert.deepStrictEqual(config.readiness, { maxReplicationLagSeconds: 30, checkIntervalSeconds: 5 });
            assert.match(config.images.hydra, /^docker\.io\/oryd\/hydra:v\d+\.\d+\.\d+$/);
            assert.deepStrictEqual(config.edge.monitor, { intervalSeconds: 15, timeoutSeconds: 5, retries: 1, consecutiveDown: 2, consecutiveUp: 2 });
            assert.deepStrictEqual(config.edge.sessionAffinity, { mode: "cookie", ttlSeconds: 1800 });
            assert.strictEqual(config.edge.plan, "business");
            assert.strictEqual(config.edge.proxied, true);
            assert.strictEqual(config.regions[1].primary, false);
            assert.deepStrictEqual(config.regions[1].serves, ["WEU"]);
            assert.strictEqual(config.regions[0].cidr, defaultCidr("us-east"));
        });

        it("defaults topology to single-primary", () => {
            assert.strictEqual(parseConfig(with_((c) => delete c.topology)).topology, "single-primary");
        });

        it("keeps a configured 0 (retries) instead of replacing it with the default", () => {
            assert.strictEqual(parseConfig(with_((c) => { c.edge.monitor = { retries: 0 }; })).edge.monitor.retries, 0);
        });

        it("accepts numbers and booleans written as text (pulumi config set --path)", () => {
            const config = parseConfig(with_((c) => {
                c.edge.monitor = { intervalSeconds: "30", retries: "2" };
                c.edge.proxied = "false";
                c.regions[0].primary = "true";
                c.database = { version: 15 };
            }));
            assert.strictEqual(config.edge.monitor.intervalSeconds, 30);
            assert.strictEqual(config.edge.monitor.retries, 2);
            assert.strictEqual(config.edge.proxied, false);
            assert.strictEqual(config.regions[0].primary, true);
            assert.strictEqual(config.database.version, "15");
        });

        it("accepts the region shorthand that pulumi new writes", () => {
            const config = parseConfig(with_((c) => { c.regions = "us-east=aws/us-east-1*, eu-west=gcp/europe-west1"; }));
            assert.deepStrictEqual(config.regions.map((r) => [r.name, r.cloud, r.location, r.primary]),
                [["us-east", "aws", "us-east-1", true], ["eu-west", "gcp", "europe-west1", false]]);
        });

        it("accepts one region (the single-region deployment)", () => {
            const config = parseConfig(with_((c) => { c.regions = [c.regions[0]]; delete c.gcp; }));
            assert.strictEqual(config.regions.length, 1);
        });

        it("lets the monitor interval go down to the enterprise plan's 10 s", () => {
            const config = parseConfig(with_((c) => { c.edge.plan = "enterprise"; c.edge.monitor = { intervalSeconds: 10, timeoutSeconds: 4 }; }));
            assert.strictEqual(config.edge.monitor.intervalSeconds, 10);
        });

        it("defaults the interval to the plan's minimum, for the fastest failover the plan allows", () => {
            assert.strictEqual(parseConfig(with_((c) => { c.edge.plan = "pro"; })).edge.monitor.intervalSeconds, 60);
        });
    });

    describe("from Pulumi's flat config map", () => {
        it("parses structured values from JSON text and merges dotted keys into their parent", () => {
            const config = loadConfig({
                "olympus:domain": "ciam.example.com",
                "olympus:regions": "us-east=aws/us-east-1*",
                "olympus:edge.accountId": ACCOUNT,
                "olympus:edge.zoneId": ZONE,
                "olympus:edge": JSON.stringify({ plan: "enterprise" }),
                "olympus:smtpUrl": "smtp://mail.example.com:587/",
                "aws:region": "eu-west-1",
            });
            assert.strictEqual(config.edge.accountId, ACCOUNT);
            assert.strictEqual(config.edge.plan, "enterprise");
        });

        it("refuses a key set both whole and dotted", () => {
            const { problems: found } = rawConfigFrom({
                "olympus:edge": JSON.stringify({ accountId: ACCOUNT }),
                "olympus:edge.accountId": ACCOUNT,
            });
            assert.deepStrictEqual(found, ["olympus:edge.accountId: is set twice (as olympus:edge.accountId and inside olympus:edge); keep one"]);
        });

        it("refuses structured text that is not JSON", () => {
            assert.deepStrictEqual(rawConfigFrom({ "olympus:edge": "{ accountId: x" }).problems,
                ["olympus:edge: is not valid structured config (JSON); write it as a YAML map or list in the stack file"]);
        });

        it("reports flat-map problems together with the rest", () => {
            assert.throws(() => loadConfig({ "olympus:edge": "{ nope" }), (err: ConfigError) =>
                err.problems[0].startsWith("olympus:edge: is not valid structured config") &&
                err.problems.includes("olympus:domain: missing; set the public hostname users reach, e.g. ciam.example.com"));
        });
    });

    describe("refuses", () => {
        it("a missing domain", () => {
            refusedWith(with_((c) => delete c.domain), "olympus:domain: missing; set the public hostname users reach, e.g. ciam.example.com");
        });

        it("a domain written as a URL, saying to drop the scheme", () => {
            refusedWith(with_((c) => { c.domain = "https://ciam.example.com"; }),
                'olympus:domain: "https://ciam.example.com" is a URL, not a hostname; drop the scheme: write ciam.example.com');
            refusedWith(with_((c) => { c.domain = "https://CIAM.example.com/login"; }),
                'olympus:domain: "https://CIAM.example.com/login" is a URL, not a hostname; drop the scheme and the path: write ciam.example.com');
        });

        it("a domain in upper case, giving the lower-case form", () => {
            refusedWith(with_((c) => { c.domain = "Ciam.Example.com"; }),
                'olympus:domain: "Ciam.Example.com" has upper-case letters; write it in lower case: ciam.example.com');
        });

        for (const bad of ["localhost", "ciam..example.com", "-ciam.example.com", "ciam.example.com/", "10.0.0.1", "*.example.com"]) {
            it(`a malformed domain: ${bad}`, () => {
                refusedWith(with_((c) => { c.domain = bad; }),
                    `olympus:domain: "${bad}" is not a valid DNS hostname; use two or more dot-separated labels of lower-case letters, digits and '-', e.g. ciam.example.com`);
            });
        }

        it("an unknown topology", () => {
            refusedWith(with_((c) => { c.topology = "hub-and-spoke"; }), 'olympus:topology: "hub-and-spoke" is not a topology; use single-primary or per-region');
        });

        for (const mm of ["multi-master", "multi-primary", "active-active", "master-master", "BDR", "option-c"]) {
            it(`${mm}, saying why it is not supported`, () => {
                refusedWith(with_((c) => { c.topology = mm; }),
                    `olympus:topology: "${mm}" is not supported: two writer regions would accept conflicting writes to the same ` +
                    "identities, sessions and credentials, and Olympus has no conflict resolution (option C of the multi-region guide); " +
                    "use single-primary (one writer, read replicas elsewhere) or per-region (an independent database per region)");
            });
        }

        it("an unknown top-level key, suggesting the one meant", () => {
            refusedWith(with_((c) => { c.regoins = []; }),
                "olympus:regoins: is not a known key (did you mean regions?); use one of domain, topology, regions, database, edge, masterKey, servers, images, readiness, smtpUrl, cache, monitoring, gcp");
        });

        it("an empty region list", () => {
            refusedWith(with_((c) => { c.regions = []; }),
                "olympus:regions: no regions; list at least one region, e.g. [{ name: us-east, cloud: aws, location: us-east-1, primary: true }]");
        });

        it("a missing region list", () => {
            assert.ok(problems(with_((c) => delete c.regions)).includes(
                "olympus:regions: no regions; list at least one region, e.g. [{ name: us-east, cloud: aws, location: us-east-1, primary: true }]"));
        });

        it("a region list that is a map", () => {
            refusedWith(with_((c) => { c.regions = { name: "us-east" }; }),
                "olympus:regions: a map is not a list of regions; write a YAML list, e.g. [{ name: us-east, cloud: aws, location: us-east-1, primary: true }]");
        });

        it("a malformed shorthand entry", () => {
            refusedWith(with_((c) => { c.regions = "us-east=aws/us-east-1*, eu-west:gcp"; delete c.gcp; }),
                'olympus:regions[1]: "eu-west:gcp" is not a region; write name=cloud/location, with * after the primary\'s location, e.g. us-east=aws/us-east-1*');
        });

        it("a region that is not a map", () => {
            refusedWith(with_((c) => { c.regions.push("ap-south"); }),
                'olympus:regions[2]: "ap-south" is not a map; write a YAML map with keys name, cloud, location, primary, serves, cidr');
        });

        for (const name of ["US-East", "us_east", "1east", "east-", "a-very-long-region-name-here"]) {
            it(`a malformed region name: ${name}`, () => {
                refusedWith(with_((c) => { c.regions[1].name = name; }),
                    `olympus:regions[1].name: "${name}" is not a valid region name; use 1-20 lower-case letters, digits and '-', starting with a letter and not ending with '-'`);
            });
        }

        it("a missing region name", () => {
            refusedWith(with_((c) => delete c.regions[1].name), "olympus:regions[1].name: missing; set a region name such as us-east");
        });

        it("duplicate region names", () => {
            refusedWith(with_((c) => { c.regions[1].name = "us-east"; }),
                'olympus:regions[1].name: "us-east" is already used by olympus:regions[0]; give every region a unique name');
        });

        it("an unknown key in a region, suggesting the one meant", () => {
            refusedWith(with_((c) => { c.regions[1].primery = true; }),
                "olympus:regions[1].primery: is not a known key (did you mean primary?); use one of name, cloud, location, primary, serves, cidr");
        });

        it("an unknown cloud", () => {
            refusedWith(with_((c) => { c.regions[1].cloud = "azure"; }), 'olympus:regions[1].cloud: "azure" is not a supported cloud; use aws or gcp');
        });

        it("a location that does not exist on that cloud, suggesting a near one", () => {
            const [p] = problems(with_((c) => { c.regions[1].location = "europe-west99"; }));
            assert.ok(p.startsWith('olympus:regions[1].location: "europe-west99" is not a GCP location (did you mean europe-west9?); use one of africa-south1, asia-east1,'), p);
            assert.ok(p.endsWith("us-west3, us-west4"), p);
        });

        it("a location of the other cloud, saying which", () => {
            const [p] = problems(with_((c) => { c.regions[1].location = "eu-west-1"; }));
            assert.ok(p.startsWith('olympus:regions[1].location: "eu-west-1" is an AWS location, not a GCP one; set cloud: aws, or use a GCP location: africa-south1,'), p);
        });

        it("no primary in single-primary", () => {
            refusedWith(with_((c) => { c.regions[0].primary = false; }),
                "olympus:regions: no region has primary: true, but single-primary needs exactly one writer region; set primary: true on the region whose database takes the writes");
        });

        it("two primaries in single-primary, calling it multi-master", () => {
            refusedWith(with_((c) => { c.regions[1].primary = true; }),
                "olympus:regions: 2 regions have primary: true (olympus:regions[0], olympus:regions[1]); single-primary allows exactly one writer region; two writers would be multi-master, which is not supported");
        });

        it("a primary in per-region", () => {
            refusedWith(with_((c) => { c.topology = "per-region"; }),
                "olympus:regions[0].primary: is set, but per-region has no primary region: every region runs its own independent database; remove primary, or use topology single-primary");
        });

        it("a primary that is not a boolean", () => {
            refusedWith(with_((c) => { c.regions[0].primary = "yes"; }), 'olympus:regions[0].primary: "yes" is not a boolean; use true or false');
        });

        it("a geo code that is not one of Cloudflare's 13", () => {
            refusedWith(with_((c) => { c.regions[1].serves = ["WEU", "EU"]; }),
                'olympus:regions[1].serves[1]: "EU" is not a Cloudflare region code; use one of WNAM, ENAM, WEU, EEU, NSAM, SSAM, OC, ME, NAF, SAF, SAS, SEAS, NEAS');
        });

        it("serves that is not a list", () => {
            refusedWith(with_((c) => { c.regions[1].serves = "WEU"; }),
                'olympus:regions[1].serves: "WEU" is not a list; list Cloudflare region codes, e.g. [WEU, EEU]; one of WNAM, ENAM, WEU, EEU, NSAM, SSAM, OC, ME, NAF, SAF, SAS, SEAS, NEAS');
        });

        it("a geo code served by two regions", () => {
            refusedWith(with_((c) => { c.regions[1].serves = ["WEU", "ENAM"]; }),
                "olympus:regions[1].serves[1]: ENAM is already served by us-east (olympus:regions[0]); each Cloudflare region code can be served first by one region only; the others are its failover");
        });

        it("a geo code listed twice by one region", () => {
            refusedWith(with_((c) => { c.regions[1].serves = ["WEU", "WEU"]; }), "olympus:regions[1].serves[1]: WEU is listed twice; list each code once");
        });

        it("a region range that is not private", () => {
            refusedWith(with_((c) => { c.regions[1].cidr = "8.8.0.0/16"; }),
                'olympus:regions[1].cidr: "8.8.0.0/16" is not a private IPv4 range from /16 to /22; use an RFC 1918 range such as 10.42.0.0/16 (room for the app and database subnets in two zones)');
        });

        it("a region range with host bits set", () => {
            refusedWith(with_((c) => { c.regions[1].cidr = "10.42.1.0/16"; }),
                'olympus:regions[1].cidr: "10.42.1.0/16" has host bits set; use the network address, e.g. 10.42.0.0/16');
        });

        it("overlapping region ranges", () => {
            refusedWith(with_((c) => { c.regions[0].cidr = "10.42.0.0/16"; c.regions[1].cidr = "10.42.128.0/20"; }),
                "olympus:regions[1].cidr: 10.42.128.0/20 overlaps us-east's 10.42.0.0/16; give each region its own private range, e.g. cidr: 10.42.0.0/16");
        });

        it("an unknown database mode", () => {
            refusedWith(with_((c) => { c.database = { mode: "serverless" }; }),
                'olympus:database.mode: "serverless" is not a supported database mode; use self-managed or managed');
        });

        it("an unsupported PostgreSQL version", () => {
            refusedWith(with_((c) => { c.database = { version: "13" }; }),
                'olympus:database.version: "13" is not a supported PostgreSQL major version; use one of 14, 15, 16, 17');
        });

        it("managed databases across two clouds in single-primary, pointing to self-managed", () => {
            refusedWith(with_((c) => { c.database = { mode: "managed" }; }),
                "olympus:database.mode: managed spans aws and gcp, but a managed replica (RDS, Cloud SQL) can only follow a primary in the same cloud; " +
                "use mode: self-managed for a topology across clouds, or keep every region on one cloud");
        });

        it("a missing edge", () => {
            refusedWith(with_((c) => delete c.edge),
                "olympus:edge: missing; set olympus:edge with at least accountId and zoneId (your Cloudflare account and zone IDs)");
        });

        it("a malformed Cloudflare account ID", () => {
            refusedWith(with_((c) => { c.edge.accountId = "my-account"; }),
                'olympus:edge.accountId: "my-account" is not a Cloudflare account ID; use the 32 lower-case hex characters from the dashboard\'s Account Home > Account ID');
        });

        it("a missing zone ID", () => {
            refusedWith(with_((c) => delete c.edge.zoneId),
                "olympus:edge.zoneId: missing; set your Cloudflare zone ID (32 hex characters, from the zone's Overview page > Zone ID)");
        });

        it("an unknown Cloudflare plan", () => {
            refusedWith(with_((c) => { c.edge.plan = "ultimate"; }),
                'olympus:edge.plan: "ultimate" is not a supported Cloudflare plan; use one of free, pro, business, enterprise');
        });

        it("a monitor interval below the plan's minimum", () => {
            refusedWith(with_((c) => { c.edge.monitor = { intervalSeconds: 10 }; }),
                "olympus:edge.monitor.intervalSeconds: 10 is below the minimum; use a whole number from 15 to 3600 on the business plan (set olympus:edge.plan if yours differs)");
        });

        it("a monitor interval above Cloudflare's maximum", () => {
            refusedWith(with_((c) => { c.edge.monitor = { intervalSeconds: 7200 }; }),
                "olympus:edge.monitor.intervalSeconds: 7200 is above the maximum; use a whole number from 15 to 3600 on the business plan (set olympus:edge.plan if yours differs)");
        });

        it("a monitor timeout outside 1-10 s", () => {
            refusedWith(with_((c) => { c.edge.monitor = { timeoutSeconds: 0 }; }),
                "olympus:edge.monitor.timeoutSeconds: 0 is below the minimum; use a whole number from 1 to 10");
        });

        it("monitor attempts that do not fit in the interval", () => {
            refusedWith(with_((c) => { c.edge.monitor = { intervalSeconds: 15, timeoutSeconds: 5, retries: 2 }; }),
                "olympus:edge.monitor.timeoutSeconds: 5s x 3 attempts (retries 2) = 15s does not fit in the 15s interval; keep timeoutSeconds x (retries + 1) below intervalSeconds, so one check ends before the next begins");
        });

        it("monitor retries above 5", () => {
            refusedWith(with_((c) => { c.edge.monitor = { intervalSeconds: 60, retries: 6 }; }),
                "olympus:edge.monitor.retries: 6 is above the maximum; use a whole number from 0 to 5");
        });

        it("a fractional consecutiveDown", () => {
            refusedWith(with_((c) => { c.edge.monitor = { consecutiveDown: 1.5 }; }),
                "olympus:edge.monitor.consecutiveDown: 1.5 is not a whole number; use a whole number from 1 to 10");
        });

        it("consecutiveUp of 0", () => {
            refusedWith(with_((c) => { c.edge.monitor = { consecutiveUp: 0 }; }),
                "olympus:edge.monitor.consecutiveUp: 0 is below the minimum; use a whole number from 1 to 10");
        });

        it("an unknown monitor key", () => {
            refusedWith(with_((c) => { c.edge.monitor = { interval: 15 }; }),
                "olympus:edge.monitor.interval: is not a known key; use one of intervalSeconds, timeoutSeconds, retries, consecutiveDown, consecutiveUp");
        });

        it("an affinity cookie TTL below Cloudflare's 1800 s", () => {
            refusedWith(with_((c) => { c.edge.sessionAffinity = { ttlSeconds: 600 }; }),
                "olympus:edge.sessionAffinity.ttlSeconds: 600 is below the minimum; use a whole number from 1800 to 604800 (Cloudflare's limits for the affinity cookie)");
        });

        it("an affinity cookie TTL above Cloudflare's 604800 s", () => {
            refusedWith(with_((c) => { c.edge.sessionAffinity = { ttlSeconds: 604801 }; }),
                "olympus:edge.sessionAffinity.ttlSeconds: 604801 is above the maximum; use a whole number from 1800 to 604800 (Cloudflare's limits for the affinity cookie)");
        });

        it("an unknown affinity mode", () => {
            refusedWith(with_((c) => { c.edge.sessionAffinity = { mode: "header" }; }),
                'olympus:edge.sessionAffinity.mode: "header" is not a supported session affinity mode; use one of none, cookie, ip_cookie');
        });

        it("a GCP region without a GCP project", () => {
            refusedWith(with_((c) => delete c.gcp),
                "olympus:gcp.project: missing, but region eu-west runs on GCP; set the GCP project ID to deploy into, e.g. olympus:gcp.project: my-project-123");
        });

        it("a malformed GCP project ID", () => {
            refusedWith(with_((c) => { c.gcp.project = "My_Project"; }),
                'olympus:gcp.project: "My_Project" is not a GCP project ID; use 6-30 lower-case letters, digits and \'-\', starting with a letter and not ending with \'-\'');
        });
    });

    describe("olympus:masterKey", () => {
        it("defaults to a key generated into the primary region's store", () => {
            assert.deepStrictEqual(parseConfig(base()).masterKey,
                { source: "generated", store: "aws-secrets-manager", cloud: "aws", location: "us-east-1", name: undefined, keys: ["k1"], version: undefined });
        });

        it("follows the primary to its cloud's store", () => {
            const config = parseConfig(with_((c) => { c.regions[0].primary = false; c.regions[1].primary = true; }));
            assert.deepStrictEqual([config.masterKey.store, config.masterKey.location], ["gcp-secret-manager", "europe-west1"]);
        });

        it("uses the first region's store in per-region", () => {
            const config = parseConfig(with_((c) => { c.topology = "per-region"; delete c.regions[0].primary; }));
            assert.deepStrictEqual([config.masterKey.store, config.masterKey.location], ["aws-secrets-manager", "us-east-1"]);
        });

        it("takes an existing secret by name and version", () => {
            const config = parseConfig(with_((c) => { c.masterKey = { source: "existing", name: "prod/olympus/key", version: 7 }; }));
            assert.deepStrictEqual([config.masterKey.source, config.masterKey.name, config.masterKey.keys, config.masterKey.version], ["existing", "prod/olympus/key", [], "7"]);
        });

        it("refuses an unknown store", () => {
            refusedWith(with_((c) => { c.masterKey = { store: "vault" }; }),
                'olympus:masterKey.store: "vault" is not a supported secret store; use aws-secrets-manager or gcp-secret-manager');
        });

        it("refuses an unknown source", () => {
            refusedWith(with_((c) => { c.masterKey = { source: "kms" }; }), 'olympus:masterKey.source: "kms" is not a supported key source; use generated or existing');
        });

        it("refuses a store location that does not exist on the store's cloud", () => {
            const [p] = problems(with_((c) => { c.masterKey = { store: "gcp-secret-manager", location: "us-east-1" }; }));
            assert.ok(p.startsWith('olympus:masterKey.location: "us-east-1" is not a GCP location, where the gcp-secret-manager store lives; use one of africa-south1,'), p);
        });

        it("asks for a location when the store is not on the primary region's cloud", () => {
            refusedWith(with_((c) => { c.masterKey = { store: "gcp-secret-manager" }; }),
                "olympus:masterKey.location: missing: the gcp-secret-manager store is on GCP, but the primary region us-east is on AWS; set the GCP location of the store, e.g. us-east1");
        });

        it("refuses an existing source without a name", () => {
            refusedWith(with_((c) => { c.masterKey = { source: "existing" }; }),
                "olympus:masterKey.name: missing, but source is existing; set the name of the aws-secrets-manager secret that holds the key list");
        });

        it("refuses a rotation list on an existing key", () => {
            refusedWith(with_((c) => { c.masterKey = { source: "existing", name: "k", keys: ["k2", "k1"] }; }),
                "olympus:masterKey.keys: is set, but an existing key is rotated in its own store; remove keys; to rotate, write the new key list as a new version of the existing secret and run pulumi up");
        });

        it("refuses an empty rotation list", () => {
            refusedWith(with_((c) => { c.masterKey = { keys: [] }; }),
                "olympus:masterKey.keys: is an empty rotation list; list the key generations newest first, e.g. [k2, k1]: the first encrypts, every one decrypts");
        });

        it("refuses a rotation list that is not a list", () => {
            refusedWith(with_((c) => { c.masterKey = { keys: "k1" }; }),
                'olympus:masterKey.keys: "k1" is not a list; list the key generations newest first, e.g. [k2, k1]: the first encrypts, every one decrypts');
        });

        it("refuses a duplicate or malformed key generation", () => {
            assert.deepStrictEqual(problems(with_((c) => { c.masterKey = { keys: ["k2", "K 1", "k2"] }; })), [
                'olympus:masterKey.keys[1]: "K 1" is not a key generation name; use 1-16 lower-case letters, digits and \'-\', e.g. k2 or 2026-11',
                'olympus:masterKey.keys[2]: "k2" is listed twice; give each key generation a unique name',
            ]);
        });

        it("refuses a version on a generated key", () => {
            refusedWith(with_((c) => { c.masterKey = { version: "3" }; }),
                "olympus:masterKey.version: is set, but only an existing key is read by version; remove version, or set source: existing");
        });

        it("refuses a secret name the store would refuse", () => {
            refusedWith(with_((c) => { c.masterKey = { store: "gcp-secret-manager", location: "europe-west1", name: "olympus/master" }; }),
                "olympus:masterKey.name: \"olympus/master\" is not a valid gcp-secret-manager secret name; use 1-255 letters, digits, '_' and '-'");
        });

        it("needs the GCP project for a GCP store even when every region is on AWS", () => {
            refusedWith(with_((c) => { c.regions = [c.regions[0]]; delete c.gcp; c.masterKey = { store: "gcp-secret-manager", location: "us-east4" }; }),
                "olympus:gcp.project: missing, but the master key's store is GCP Secret Manager; set the GCP project ID that holds the store, e.g. olympus:gcp.project: my-project-123");
        });

        it("refuses an unknown key, suggesting the one meant", () => {
            refusedWith(with_((c) => { c.masterKey = { key: ["k1"] }; }),
                "olympus:masterKey.key: is not a known key (did you mean keys?); use one of source, store, location, name, keys, version");
        });
    });

    it("reports every problem of a stack file in one run, in file order", () => {
        const found = problems({
            domain: "nope",
            topology: "multi-master",
            regions: [{ name: "US", cloud: "azure", location: "x" }],
            edge: { accountId: "a", zoneId: ZONE, monitor: { intervalSeconds: 1 } },
            smtpUrl: "smtp://mail.example.com/",
        });
        assert.deepStrictEqual(found.map((p) => p.split(":").slice(0, 2).join(":").split(" ")[0]), [
            "olympus:domain",
            "olympus:topology",
            "olympus:regions[0].name",
            "olympus:regions[0].cloud",
            "olympus:edge.accountId",
            "olympus:edge.monitor.intervalSeconds",
        ]);
    });

    it("derives a region's default range from its name alone, so reordering never renumbers a network", () => {
        const a = parseConfig(base()).regions;
        const b = parseConfig(with_((c) => c.regions.reverse())).regions;
        assert.strictEqual(a.find((r) => r.name === "eu-west")!.cidr, b.find((r) => r.name === "eu-west")!.cidr);
        assert.match(defaultCidr("ap-south"), /^10\.(1[6-9]|[2-9]\d|1\d\d|2[0-3]\d)\.0\.0\/16$/);
    });
});

describe("stack config: olympus:edge rules, origins and notifications", () => {
    const perRegion = (plan: string, edge: Record<string, unknown> = {}) => with_((c) => {
        c.topology = "per-region";
        c.regions = [
            { name: "eu-west", cloud: "gcp", location: "europe-west1" },
            { name: "eu-central", cloud: "aws", location: "eu-central-1" },
        ];
        c.edge = { ...c.edge, plan, ...edge };
    });

    it("defaults: pin on in single-primary, writes not paused, origins authenticated, no notifications", () => {
        const edge = parseConfig(base()).edge;
        assert.deepStrictEqual([edge.pin, edge.writesPaused, edge.authenticatedOriginPulls, edge.notifications, edge.ttlSeconds],
            [{ enabled: true, cookie: "olympus_pin", ttlSeconds: 300 }, false, true, {}, 30]);
    });

    it("turns the pin off by default where the plan has too few rules, and in a single region", () => {
        assert.strictEqual(parseConfig(perRegion("business")).edge.pin.enabled, false);
        assert.strictEqual(parseConfig(perRegion("enterprise")).edge.pin.enabled, true);
        assert.strictEqual(parseConfig(with_((c) => { c.regions = [c.regions[0]]; })).edge.pin.enabled, false);
    });

    it("refuses a pin the plan cannot carry, saying how many rules it needs", () => {
        refusedWith(perRegion("business", { pin: { enabled: true } }),
            "olympus:edge.pin.enabled: per-region with 2 regions needs 2 load-balancing rules, and the business plan allows 1 per hostname; " +
            "set olympus:edge.pin.enabled: false (users then follow geo steering only), or use the enterprise plan");
    });

    it("refuses a pin shorter than the replication lag a replica region may serve with", () => {
        refusedWith(with_((c) => { c.edge.pin = { ttlSeconds: 60 }; c.readiness = { maxReplicationLagSeconds: 120 }; }),
            "olympus:edge.pin.ttlSeconds: 60s is shorter than readiness.maxReplicationLagSeconds (120s): a replica region may serve that far behind, so the pin must last longer; use at least 120");
    });

    it("refuses a cookie name a rule expression could not match safely, and a pin outside its bounds", () => {
        assert.deepStrictEqual(problems(with_((c) => { c.edge.pin = { cookie: "pin\" or true", ttlSeconds: 10 }; })), [
            "olympus:edge.pin.cookie: \"pin\" or true\" is not a cookie name this program can match safely; use 1-64 letters, digits, '_' or '-'",
            "olympus:edge.pin.ttlSeconds: 10 is below the minimum; use a whole number from 30 to 86400",
        ]);
    });

    it("refuses rules and affinity on a DNS-only load balancer, and a TTL on a proxied one", () => {
        assert.deepStrictEqual(problems(with_((c) => { c.edge.proxied = false; c.edge.pin = { enabled: true }; c.edge.sessionAffinity = { mode: "cookie" }; })), [
            "olympus:edge.sessionAffinity.mode: \"cookie\" needs a proxied load balancer (the affinity cookie is set by Cloudflare's proxy); use mode: none with olympus:edge.proxied: false, or set proxied: true",
            "olympus:edge.pin.enabled: needs a proxied load balancer (rules read the request's cookie); set olympus:edge.pin.enabled: false, or olympus:edge.proxied: true",
        ]);
        refusedWith(with_((c) => { c.edge.ttlSeconds = 60; }),
            "olympus:edge.ttlSeconds: applies only to a DNS-only load balancer (Cloudflare sets the TTL of a proxied one); remove it, or set olympus:edge.proxied: false");
        const dnsOnly = parseConfig(with_((c) => { c.edge.proxied = false; c.edge.ttlSeconds = 60; })).edge;
        assert.deepStrictEqual([dnsOnly.ttlSeconds, dnsOnly.sessionAffinity.mode, dnsOnly.pin.enabled], [60, "none", false]);
        refusedWith(with_((c) => { c.edge.proxied = false; c.edge.ttlSeconds = 5; }),
            "olympus:edge.ttlSeconds: 5 is below the minimum; use a whole number from 30 to 600 (Cloudflare's bounds for a DNS-only load balancer)");
    });

    it("takes an email and an https webhook for pool health changes, and refuses anything else", () => {
        const edge = parseConfig(with_((c) => { c.edge.notifications = { email: "oncall@example.com", webhookUrl: "https://hooks.example.com/x" }; })).edge;
        assert.deepStrictEqual(edge.notifications, { email: "oncall@example.com", webhookUrl: "https://hooks.example.com/x" });
        assert.deepStrictEqual(problems(with_((c) => { c.edge.notifications = { email: "oncall", webhookUrl: "http://hooks.example.com/x", pager: "x" }; })), [
            "olympus:edge.notifications.pager: is not a known key; use one of email, webhookUrl",
            "olympus:edge.notifications.email: \"oncall\" is not an email address; use e.g. oncall@example.com",
            "olympus:edge.notifications.webhookUrl: \"http://hooks.example.com/x\" is not an https:// URL; use the https URL your alerting tool gives for incoming webhooks",
        ]);
    });

    it("reads writesPaused and authenticatedOriginPulls as booleans, from text too", () => {
        const edge = parseConfig(with_((c) => { c.edge.writesPaused = "true"; c.edge.authenticatedOriginPulls = false; })).edge;
        assert.deepStrictEqual([edge.writesPaused, edge.authenticatedOriginPulls], [true, false]);
        refusedWith(with_((c) => { c.edge.writesPaused = "yes"; }), "olympus:edge.writesPaused: \"yes\" is not a boolean; use true or false");
    });
});

describe("stack config: olympus:cache and olympus:monitoring", () => {
    it("defaults to a one-minute introspection cache without invalidation, and no alert address", () => {
        const config = parseConfig(base());
        assert.deepStrictEqual([config.cache, config.monitoring], [{ introspectionTtlSeconds: 60 }, {}]);
    });

    it("refuses a TTL above a minute without invalidation, and allows it with a NATS or Redis URL", () => {
        refusedWith(with_((c) => { c.cache = { introspectionTtlSeconds: 300 }; }),
            "olympus:cache.introspectionTtlSeconds: 300 is above the maximum; use a whole number from 1 to 60 " +
            "(without invalidationUrl a revoked token stays valid for up to the TTL; set invalidationUrl to allow longer)");
        for (const url of ["nats://nats.internal:4222", "tls://nats.internal:4222", "redis://:pw@redis.internal:6379/0", "rediss://redis.internal:6380"]) {
            assert.deepStrictEqual(parseConfig(with_((c) => { c.cache = { introspectionTtlSeconds: 300, invalidationUrl: url }; })).cache,
                { introspectionTtlSeconds: 300, invalidationUrl: url });
        }
    });

    it("refuses an invalidation URL that is not NATS or Redis", () => {
        refusedWith(with_((c) => { c.cache = { invalidationUrl: "kafka://broker:9092" }; }),
            "olympus:cache.invalidationUrl: is not a NATS or Redis URL with a host; use nats://host:4222, tls://host:4222, redis://host:6379 or rediss://host:6380 (set it with --secret when it holds a password)");
    });

    it("takes an alert address, and refuses one that is not", () => {
        assert.deepStrictEqual(parseConfig(with_((c) => { c.monitoring = { alertEmail: "oncall@example.com" }; })).monitoring, { alertEmail: "oncall@example.com" });
        assert.deepStrictEqual(problems(with_((c) => { c.monitoring = { alertEmail: "oncall", pager: "x" }; })), [
            "olympus:monitoring.pager: is not a known key; use one of alertEmail",
            "olympus:monitoring.alertEmail: \"oncall\" is not an email address; use e.g. oncall@example.com",
        ]);
    });
});
