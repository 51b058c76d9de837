import * as assert from "assert";
import { CLOUDS, GEO_CODES, GEO_CODE_CENTRES, LOCATIONS, distanceKm, findLocation } from "../../topology/catalog";

describe("catalog", () => {
    it("has Cloudflare's 13 load-balancing region codes, each with a centre", () => {
        assert.deepStrictEqual([...GEO_CODES].sort(), ["EEU", "ENAM", "ME", "NAF", "NEAS", "NSAM", "OC", "SAF", "SAS", "SEAS", "SSAM", "WEU", "WNAM"]);
        for (const code of GEO_CODES) assert.ok(GEO_CODE_CENTRES[code], code);
    });

    it("knows locations on every continent identity services run on, for both clouds", () => {
        for (const cloud of CLOUDS) {
            const geos = new Set([...LOCATIONS[cloud].values()].map((l) => l.geo));
            for (const code of ["ENAM", "WNAM", "SSAM", "WEU", "EEU", "ME", "SAF", "SAS", "SEAS", "NEAS", "OC"]) {
                assert.ok(geos.has(code as never), `${cloud} has no location in ${code}`);
            }
        }
    });

    it("gives every location real coordinates and a Cloudflare code of the 13", () => {
        for (const cloud of CLOUDS) {
            for (const loc of LOCATIONS[cloud].values()) {
                assert.ok(Math.abs(loc.lat) <= 90 && Math.abs(loc.lon) <= 180, loc.id);
                assert.ok((GEO_CODES as readonly string[]).includes(loc.geo), loc.id);
                assert.strictEqual(loc.cloud, cloud);
            }
        }
    });

    it("puts the same city in the same place and under the same law on both clouds", () => {
        const pairs: [string, string][] = [["us-east-1", "us-east4"], ["eu-west-2", "europe-west2"], ["ap-northeast-1", "asia-northeast1"], ["eu-central-1", "europe-west3"]];
        for (const [a, g] of pairs) {
            const x = findLocation("aws", a)!;
            const y = findLocation("gcp", g)!;
            assert.ok(distanceKm(x, y) < 100, `${a} ~ ${g}`);
            assert.strictEqual(x.jurisdiction, y.jurisdiction);
            assert.strictEqual(x.geo, y.geo);
        }
    });

    it("keeps the UK and Switzerland out of the EU jurisdiction", () => {
        assert.strictEqual(findLocation("aws", "eu-west-2")!.jurisdiction, "UK");
        assert.strictEqual(findLocation("gcp", "europe-west6")!.jurisdiction, "CH");
        assert.strictEqual(findLocation("gcp", "europe-west1")!.jurisdiction, "EU");
    });

    it("measures great-circle distance", () => {
        const london = findLocation("aws", "eu-west-2")!;
        const virginia = findLocation("aws", "us-east-1")!;
        assert.ok(Math.abs(distanceKm(london, virginia) - 5900) < 150, String(distanceKm(london, virginia)));
        assert.strictEqual(distanceKm(london, london), 0);
    });
});
