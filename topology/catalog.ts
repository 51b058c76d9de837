// Facts the planner and the validator rely on: which cloud locations exist, where they are,
// whose law applies to data stored there, and which Cloudflare load-balancing region they sit in.
// Pure data. Adding a location is one line here; nothing else needs to change.

export type Cloud = "aws" | "gcp";
export const CLOUDS: readonly Cloud[] = ["aws", "gcp"];

/**
 * Cloudflare's 13 load-balancing regions (geo steering `regionPools` keys).
 * https://developers.cloudflare.com/load-balancing/reference/region-mapping-api/
 */
export const GEO_CODES = [
    "WNAM", "ENAM", "WEU", "EEU", "NSAM", "SSAM", "OC", "ME", "NAF", "SAF", "SAS", "SEAS", "NEAS",
] as const;
export type GeoCode = (typeof GEO_CODES)[number];

export interface Coordinates {
    readonly lat: number;
    readonly lon: number;
}

/**
 * Where the users of each Cloudflare region mostly are: a population-weighted point, used to
 * order regions by distance. Approximate by design; only the ordering matters.
 */
export const GEO_CODE_CENTRES: Readonly<Record<GeoCode, Coordinates & { readonly name: string }>> = {
    WNAM: { name: "Western North America", lat: 38.0, lon: -117.0 },
    ENAM: { name: "Eastern North America", lat: 38.5, lon: -83.0 },
    WEU: { name: "Western Europe", lat: 49.0, lon: 5.0 },
    EEU: { name: "Eastern Europe", lat: 50.0, lon: 25.0 },
    NSAM: { name: "Northern South America", lat: -5.0, lon: -60.0 },
    SSAM: { name: "Southern South America", lat: -28.0, lon: -56.0 },
    OC: { name: "Oceania", lat: -31.0, lon: 148.0 },
    ME: { name: "Middle East", lat: 27.0, lon: 45.0 },
    NAF: { name: "Northern Africa", lat: 20.0, lon: 10.0 },
    SAF: { name: "Southern Africa", lat: -22.0, lon: 28.0 },
    SAS: { name: "Southern Asia", lat: 22.0, lon: 78.0 },
    SEAS: { name: "Southeast Asia", lat: 5.0, lon: 108.0 },
    NEAS: { name: "Northeast Asia", lat: 35.0, lon: 125.0 },
};

/**
 * The legal area whose data-protection law governs data at rest in a location. Per-region
 * topologies never replicate or fail over across two different jurisdictions.
 */
export type Jurisdiction =
    | "US" | "CA" | "MX" | "BR" | "CL" | "EU" | "UK" | "CH" | "IL" | "AE" | "BH" | "QA" | "SA"
    | "ZA" | "IN" | "SG" | "ID" | "MY" | "TH" | "HK" | "TW" | "JP" | "KR" | "AU";

export interface Location extends Coordinates {
    readonly cloud: Cloud;
    /** The cloud's own name for the location, e.g. `us-east-1` or `europe-west1`. */
    readonly id: string;
    readonly city: string;
    readonly jurisdiction: Jurisdiction;
    /** The Cloudflare load-balancing region the location sits in. */
    readonly geo: GeoCode;
}

type Row = [id: string, city: string, jurisdiction: Jurisdiction, geo: GeoCode, lat: number, lon: number];

const AWS_ROWS: Row[] = [
    ["us-east-1", "N. Virginia", "US", "ENAM", 38.9, -77.4],
    ["us-east-2", "Ohio", "US", "ENAM", 40.0, -83.0],
    ["us-west-1", "N. California", "US", "WNAM", 37.4, -121.9],
    ["us-west-2", "Oregon", "US", "WNAM", 45.8, -119.7],
    ["ca-central-1", "Montreal", "CA", "ENAM", 45.5, -73.6],
    ["ca-west-1", "Calgary", "CA", "WNAM", 51.0, -114.1],
    ["mx-central-1", "Queretaro", "MX", "WNAM", 20.6, -100.4],
    ["sa-east-1", "Sao Paulo", "BR", "SSAM", -23.5, -46.6],
    ["eu-west-1", "Ireland", "EU", "WEU", 53.3, -6.3],
    ["eu-west-2", "London", "UK", "WEU", 51.5, -0.1],
    ["eu-west-3", "Paris", "EU", "WEU", 48.9, 2.4],
    ["eu-central-1", "Frankfurt", "EU", "WEU", 50.1, 8.7],
    ["eu-central-2", "Zurich", "CH", "WEU", 47.4, 8.5],
    ["eu-north-1", "Stockholm", "EU", "EEU", 59.3, 18.1],
    ["eu-south-1", "Milan", "EU", "WEU", 45.5, 9.2],
    ["eu-south-2", "Spain", "EU", "WEU", 41.6, -0.9],
    ["me-south-1", "Bahrain", "BH", "ME", 26.1, 50.6],
    ["me-central-1", "UAE", "AE", "ME", 25.2, 55.3],
    ["il-central-1", "Tel Aviv", "IL", "ME", 32.1, 34.8],
    ["af-south-1", "Cape Town", "ZA", "SAF", -33.9, 18.4],
    ["ap-south-1", "Mumbai", "IN", "SAS", 19.1, 72.9],
    ["ap-south-2", "Hyderabad", "IN", "SAS", 17.4, 78.5],
    ["ap-southeast-1", "Singapore", "SG", "SEAS", 1.3, 103.8],
    ["ap-southeast-2", "Sydney", "AU", "OC", -33.9, 151.2],
    ["ap-southeast-3", "Jakarta", "ID", "SEAS", -6.2, 106.8],
    ["ap-southeast-4", "Melbourne", "AU", "OC", -37.8, 145.0],
    ["ap-southeast-5", "Malaysia", "MY", "SEAS", 3.1, 101.7],
    ["ap-southeast-7", "Thailand", "TH", "SEAS", 13.8, 100.5],
    ["ap-east-1", "Hong Kong", "HK", "NEAS", 22.3, 114.2],
    ["ap-northeast-1", "Tokyo", "JP", "NEAS", 35.7, 139.7],
    ["ap-northeast-2", "Seoul", "KR", "NEAS", 37.6, 127.0],
    ["ap-northeast-3", "Osaka", "JP", "NEAS", 34.7, 135.5],
];

const GCP_ROWS: Row[] = [
    ["us-east1", "South Carolina", "US", "ENAM", 33.2, -80.0],
    ["us-east4", "N. Virginia", "US", "ENAM", 39.0, -77.5],
    ["us-east5", "Columbus", "US", "ENAM", 40.0, -83.0],
    ["us-central1", "Iowa", "US", "ENAM", 41.3, -95.9],
    ["us-south1", "Dallas", "US", "ENAM", 32.8, -96.8],
    ["us-west1", "Oregon", "US", "WNAM", 45.6, -121.2],
    ["us-west2", "Los Angeles", "US", "WNAM", 34.1, -118.2],
    ["us-west3", "Salt Lake City", "US", "WNAM", 40.8, -111.9],
    ["us-west4", "Las Vegas", "US", "WNAM", 36.2, -115.1],
    ["northamerica-northeast1", "Montreal", "CA", "ENAM", 45.5, -73.6],
    ["northamerica-northeast2", "Toronto", "CA", "ENAM", 43.7, -79.4],
    ["northamerica-south1", "Queretaro", "MX", "WNAM", 20.6, -100.4],
    ["southamerica-east1", "Sao Paulo", "BR", "SSAM", -23.5, -46.6],
    ["southamerica-west1", "Santiago", "CL", "SSAM", -33.4, -70.7],
    ["europe-west1", "Belgium", "EU", "WEU", 50.5, 3.8],
    ["europe-west2", "London", "UK", "WEU", 51.5, -0.1],
    ["europe-west3", "Frankfurt", "EU", "WEU", 50.1, 8.7],
    ["europe-west4", "Netherlands", "EU", "WEU", 53.4, 6.8],
    ["europe-west6", "Zurich", "CH", "WEU", 47.4, 8.5],
    ["europe-west8", "Milan", "EU", "WEU", 45.5, 9.2],
    ["europe-west9", "Paris", "EU", "WEU", 48.9, 2.4],
    ["europe-west10", "Berlin", "EU", "WEU", 52.5, 13.4],
    ["europe-west12", "Turin", "EU", "WEU", 45.1, 7.7],
    ["europe-north1", "Finland", "EU", "EEU", 60.6, 27.2],
    ["europe-north2", "Stockholm", "EU", "EEU", 59.3, 18.1],
    ["europe-central2", "Warsaw", "EU", "EEU", 52.2, 21.0],
    ["europe-southwest1", "Madrid", "EU", "WEU", 40.4, -3.7],
    ["me-west1", "Tel Aviv", "IL", "ME", 32.1, 34.8],
    ["me-central1", "Doha", "QA", "ME", 25.3, 51.5],
    ["me-central2", "Dammam", "SA", "ME", 26.4, 50.1],
    ["africa-south1", "Johannesburg", "ZA", "SAF", -26.2, 28.0],
    ["asia-south1", "Mumbai", "IN", "SAS", 19.1, 72.9],
    ["asia-south2", "Delhi", "IN", "SAS", 28.6, 77.2],
    ["asia-southeast1", "Singapore", "SG", "SEAS", 1.3, 103.8],
    ["asia-southeast2", "Jakarta", "ID", "SEAS", -6.2, 106.8],
    ["asia-east1", "Taiwan", "TW", "NEAS", 24.1, 120.5],
    ["asia-east2", "Hong Kong", "HK", "NEAS", 22.3, 114.2],
    ["asia-northeast1", "Tokyo", "JP", "NEAS", 35.7, 139.7],
    ["asia-northeast2", "Osaka", "JP", "NEAS", 34.7, 135.5],
    ["asia-northeast3", "Seoul", "KR", "NEAS", 37.6, 127.0],
    ["australia-southeast1", "Sydney", "AU", "OC", -33.9, 151.2],
    ["australia-southeast2", "Melbourne", "AU", "OC", -37.8, 145.0],
];

function toLocations(cloud: Cloud, rows: Row[]): ReadonlyMap<string, Location> {
    return new Map(rows.map(([id, city, jurisdiction, geo, lat, lon]) =>
        [id, { cloud, id, city, jurisdiction, geo, lat, lon }]));
}

export const LOCATIONS: Readonly<Record<Cloud, ReadonlyMap<string, Location>>> = {
    aws: toLocations("aws", AWS_ROWS),
    gcp: toLocations("gcp", GCP_ROWS),
};

export function findLocation(cloud: Cloud, id: string): Location | undefined {
    return LOCATIONS[cloud].get(id);
}

/** Great-circle distance in kilometres (haversine). */
export function distanceKm(a: Coordinates, b: Coordinates): number {
    const rad = Math.PI / 180;
    const dLat = (b.lat - a.lat) * rad;
    const dLon = (b.lon - a.lon) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}
