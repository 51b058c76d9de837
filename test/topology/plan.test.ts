import * as assert from "assert";
import { GEO_CODES } from "../../topology/catalog";
import { parseConfig } from "../../topology/config";
import { Plan, failoverTiming, planTopology, subnetRanges } from "../../topology/plan";

const edge = { accountId: "0123456789abcdef0123456789abcdef", zoneId: "fedcba9876543210fedcba9876543210" };

function plan(regions: unknown[], extra: Record<string, unknown> = {}): Plan {
    return planTopology(parseConfig({ domain: "ciam.example.com", regions, edge, gcp: { project: "olympus-test-1" }, smtpUrl: "smtp://mail.example.com:587/", ...extra }));
}

const usEast = { name: "us-east", cloud: "aws", location: "us-east-1" };
const euWest = { name: "eu-west", cloud: "gcp", location: "europe-west1" };
const apSouth = { name: "ap-south", cloud: "aws", location: "ap-southeast-1" };

describe("planTopology", () => {
    describe("single-primary (option A)", () => {
        const p = plan([{ ...usEast, primary: true, serves: ["ENAM", "WNAM"] }, { ...euWest, serves: ["WEU"] }, apSouth]);
        const region = (name: string) => p.regions.find((r) => r.name === name)!;

        it("has one primary and makes every other region its replica", () => {
            assert.strictEqual(p.primary, "us-east");
            assert.deepStrictEqual(p.regions.map((r) => [r.name, r.role, r.upstream]),
                [["us-east", "primary", null], ["eu-west", "replica", "us-east"], ["ap-south", "replica", "us-east"]]);
        });

        it("sends every region's writes to the primary and keeps reads local", () => {
            for (const r of p.regions) {
                assert.deepStrictEqual(r.writeEndpoint, { region: "us-east", role: "primary", port: 5432 });
                assert.deepStrictEqual(r.readEndpoint, { region: r.name, role: r.role, port: 5432 });
            }
        });

        it("runs migrations in the primary region only", () => {
            assert.deepStrictEqual(p.regions.filter((r) => r.runsMigrations).map((r) => r.name), ["us-east"]);
        });

        it("has the primary admit replication from each replica and app traffic from every region", () => {
            assert.deepStrictEqual(region("us-east").databasePeers, { replication: ["eu-west", "ap-south"], app: ["us-east", "eu-west", "ap-south"] });
        });

        it("has every replica admit the same peers, so promoting one needs no firewall change", () => {
            assert.deepStrictEqual(region("eu-west").databasePeers, { replication: ["us-east", "ap-south"], app: ["us-east", "eu-west", "ap-south"] });
        });

        it("fixes each region's server addresses in its first app subnet", () => {
            assert.deepStrictEqual(region("us-east").privateAddresses, {
                app: region("us-east").subnets.app[0].replace(/\.0\/\d+$/, ".10"),
                database: region("us-east").subnets.app[0].replace(/\.0\/\d+$/, ".20"),
            });
        });

        it("puts the explicitly serving region first for its codes", () => {
            assert.strictEqual(p.steering.ENAM[0], "us-east");
            assert.strictEqual(p.steering.WNAM[0], "us-east");
            assert.strictEqual(p.steering.WEU[0], "eu-west");
        });

        it("sends codes nobody serves to the nearest region, then the rest by distance from those users", () => {
            assert.deepStrictEqual(p.steering.SEAS, ["ap-south", "eu-west", "us-east"]);
            assert.deepStrictEqual(p.steering.OC, ["ap-south", "us-east", "eu-west"]);
            assert.deepStrictEqual(p.steering.ME, ["eu-west", "ap-south", "us-east"]);
            assert.deepStrictEqual(p.steering.EEU, ["eu-west", "us-east", "ap-south"]);
        });

        it("lists every region for every one of the 13 codes", () => {
            assert.deepStrictEqual(Object.keys(p.steering).sort(), [...GEO_CODES].sort());
            for (const code of GEO_CODES) assert.deepStrictEqual([...p.steering[code]].sort(), ["ap-south", "eu-west", "us-east"]);
        });

        it("says which codes each region serves first", () => {
            assert.deepStrictEqual(region("ap-south").serves, GEO_CODES.filter((c) => p.steering[c][0] === "ap-south"));
            assert.ok(region("ap-south").serves.includes("SEAS"));
        });

        it("orders the default pools from the primary outwards", () => {
            assert.deepStrictEqual(p.defaultOrder, ["us-east", "eu-west", "ap-south"]);
        });

        it("is plain serialisable data", () => {
            assert.deepStrictEqual(JSON.parse(JSON.stringify(p)), p);
        });
    });

    describe("per-region (option B)", () => {
        const p = plan([{ ...euWest, serves: ["WEU", "EEU"] }, { ...usEast, serves: ["ENAM", "WNAM"] },
            { name: "eu-north", cloud: "aws", location: "eu-north-1" }], { topology: "per-region" });

        it("makes every region an independent writer with no upstream", () => {
            assert.strictEqual(p.primary, null);
            assert.deepStrictEqual(p.regions.map((r) => [r.role, r.upstream]), [["independent", null], ["independent", null], ["independent", null]]);
        });

        it("keeps writes, reads, migrations and database peers inside each region", () => {
            for (const r of p.regions) {
                assert.strictEqual(r.writeEndpoint.region, r.name);
                assert.strictEqual(r.readEndpoint.region, r.name);
                assert.strictEqual(r.runsMigrations, true);
                assert.deepStrictEqual(r.databasePeers, { replication: [], app: [r.name] });
            }
        });

        it("never lists a region of another jurisdiction as a failover", () => {
            const jurisdiction = new Map(p.regions.map((r) => [r.name, r.jurisdiction]));
            for (const code of GEO_CODES) {
                const first = jurisdiction.get(p.steering[code][0]);
                for (const name of p.steering[code]) assert.strictEqual(jurisdiction.get(name), first, `${code}: ${p.steering[code]}`);
            }
        });

        it("leaves the default pools empty, so no default list mixes jurisdictions", () => {
            assert.deepStrictEqual(p.defaultOrder, []);
        });

        it("fails EU users over to the other EU region, and US users nowhere", () => {
            assert.deepStrictEqual(p.steering.WEU, ["eu-west", "eu-north"]);
            assert.deepStrictEqual(p.steering.ENAM, ["us-east"]);
        });
    });

    describe("failover timing", () => {
        it("is consecutiveDown intervals plus every attempt of the last check", () => {
            assert.deepStrictEqual(failoverTiming({ intervalSeconds: 15, timeoutSeconds: 5, retries: 1, consecutiveDown: 2, consecutiveUp: 2 }),
                { detectionSeconds: 40, formula: "consecutiveDown x intervalSeconds + (retries + 1) x timeoutSeconds" });
            assert.strictEqual(failoverTiming({ intervalSeconds: 60, timeoutSeconds: 10, retries: 2, consecutiveDown: 3, consecutiveUp: 1 }).detectionSeconds, 210);
        });

        it("follows the stack's monitor settings", () => {
            const p = plan([{ ...usEast, primary: true }], { edge: { ...edge, plan: "enterprise", monitor: { intervalSeconds: 10, consecutiveDown: 1 } } });
            assert.strictEqual(p.failover.detectionSeconds, 10 + 2 * 4);
        });
    });

    describe("subnetRanges", () => {
        it("splits a /16 into four /18s: two app, then two data", () => {
            assert.deepStrictEqual(subnetRanges("10.42.0.0/16"),
                { app: ["10.42.0.0/18", "10.42.64.0/18"], data: ["10.42.128.0/18", "10.42.192.0/18"] });
        });

        it("splits a /22 into four /24s", () => {
            assert.deepStrictEqual(subnetRanges("172.16.4.0/22"),
                { app: ["172.16.4.0/24", "172.16.5.0/24"], data: ["172.16.6.0/24", "172.16.7.0/24"] });
        });

        it("is what every planned region carries", () => {
            const p = plan([{ ...usEast, primary: true, cidr: "192.168.0.0/20" }]);
            assert.deepStrictEqual(p.regions[0].subnets.app, ["192.168.0.0/22", "192.168.4.0/22"]);
        });
    });
});
