// The edge: Cloudflare in front of every region.
//
// OriginTls (made before the regions, which keep copies in their secret stores): a Cloudflare
// Origin CA certificate for the domain, whose key never leaves the stack's secrets, and, for
// authenticated origin pulls, a private CA with the client certificate Cloudflare presents to the
// origins (zone-level, so only this zone's traffic passes, not any Cloudflare customer's).
//
// Edge (made after the regions): one monitor (HTTPS GET /healthz with the domain as Host), one pool
// per region checked from near the region, the maintenance fallback pool, and the load balancer
// steering each Cloudflare region code through the plan's pool list (never recomputed here); the
// pin rule; SSL Full (strict); cache rules; the global view (every region's /healthz checked from
// three continents); and notification policies for pool and global health changes.

import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { GEO_CODES, findLocation } from "../topology/catalog";
import { EdgeConfig } from "../topology/config";
import { Plan } from "../topology/plan";
import { renderMaintenanceWorker } from "./runtime/maintenance";
import { STATIC_ASSET_PATHS, SERVICE_SPECS, APP_SERVICES } from "./runtime/services";

/** Tags what an origin's secret holds, like the master key's and the credentials' copies. */
export const ORIGIN_TLS_TAG = { "olympus-secret": "origin-tls" } as const;

export interface OriginTlsArgs {
    readonly domain: string;
    readonly edge: EdgeConfig;
}

/** Give it the tls and cloudflare providers through `opts.providers`. */
export class OriginTls extends pulumi.ComponentResource {
    /** JSON `{ cert, key, pullCa? }` for the origins' Caddy: a secret. */
    readonly bundle: pulumi.Output<string>;
    /** The Origin CA certificate (public). */
    readonly certPem: pulumi.Output<string>;
    /** The CA the origins require Cloudflare's client certificate from; undefined without origin pulls. */
    readonly pullCaPem?: pulumi.Output<string>;

    constructor(name: string, args: OriginTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:edge:OriginTls", name, { domain: args.domain }, opts);
        const c = { parent: this };
        const key = new tls.PrivateKey(`${name}-origin`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, c);
        const csr = new tls.CertRequest(`${name}-origin`, {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: args.domain, organization: "Olympus" },
            dnsNames: [args.domain, `*.${args.domain}`],
        }, c);
        // Trusted by Cloudflare only: fine behind the proxy with SSL Full (strict), never for direct visitors.
        const cert = new cloudflare.OriginCaCertificate(`${name}-origin`, {
            csr: csr.certRequestPem,
            hostnames: [args.domain, `*.${args.domain}`],
            requestType: "origin-ecc",
            requestedValidity: 5475,
        }, c);
        this.certPem = cert.certificate;

        let pullCa: pulumi.Output<string> | undefined;
        if (args.edge.authenticatedOriginPulls) {
            const caKey = new tls.PrivateKey(`${name}-pull-ca`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, c);
            const ca = new tls.SelfSignedCert(`${name}-pull-ca`, {
                privateKeyPem: caKey.privateKeyPem,
                subject: { commonName: `${args.domain} origin-pull CA`, organization: "Olympus" },
                isCaCertificate: true,
                validityPeriodHours: 24 * 365 * 5,
                earlyRenewalHours: 24 * 90,
                allowedUses: ["cert_signing", "crl_signing"],
            }, c);
            const clientKey = new tls.PrivateKey(`${name}-pull-client`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, c);
            const clientCsr = new tls.CertRequest(`${name}-pull-client`, {
                privateKeyPem: clientKey.privateKeyPem,
                subject: { commonName: `Cloudflare origin pulls for ${args.domain}`, organization: "Olympus" },
            }, c);
            const client = new tls.LocallySignedCert(`${name}-pull-client`, {
                certRequestPem: clientCsr.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: 24 * 365,
                earlyRenewalHours: 24 * 30,
                allowedUses: ["digital_signature", "client_auth"],
            }, c);
            // Zone-level authenticated origin pulls: Cloudflare presents this certificate to every origin of the zone.
            const upload = new cloudflare.AuthenticatedOriginPullsCertificate(`${name}-pull`, {
                zoneId: args.edge.zoneId,
                certificate: client.certPem,
                privateKey: clientKey.privateKeyPem,
            }, c);
            new cloudflare.AuthenticatedOriginPullsSettings(`${name}-pull`, { zoneId: args.edge.zoneId, enabled: true }, { ...c, dependsOn: [upload] });
            pullCa = ca.certPem;
        }
        this.pullCaPem = pullCa;
        this.bundle = pulumi.secret(pulumi.all([cert.certificate, key.privateKeyPem, pullCa ?? pulumi.output(undefined)])
            .apply(([c1, k, p]) => JSON.stringify({ cert: c1, key: k, ...(p ? { pullCa: p } : {}) })));
        this.registerOutputs({ certPem: this.certPem, pullCaPem: this.pullCaPem, bundle: this.bundle });
    }
}

/** What the edge needs of a region. */
export interface EdgeOrigin {
    readonly name: string;
    /** The app server's public address. */
    readonly address: pulumi.Input<string>;
}

export interface EdgeArgs {
    /** The topology plan: steering, default order, pin order, check regions. */
    readonly plan: Plan;
    readonly edge: EdgeConfig;
    readonly origins: readonly EdgeOrigin[];
}

/** Where the global health checks run from: three continents. */
export const GLOBAL_CHECK_REGIONS = ["WNAM", "WEU", "SEAS"] as const;

/** Cloudflare names: letters, digits, '-' and '_' only (pools and workers are account-wide: keep the stack in them). */
const safe = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");

/** Paths answered by the services' APIs (and /healthz): never cached at the edge. */
function apiPaths(): string[] {
    return [...APP_SERVICES.flatMap((s) => SERVICE_SPECS[s].paths), "/healthz"];
}

/** A ruleset expression matching any of these Caddy-style paths (`/x/*` prefixes, exact paths). */
function pathExpression(paths: readonly string[]): string {
    return paths.map((p) => p.endsWith("/*")
        ? `starts_with(http.request.uri.path, "${p.slice(0, -1)}")`
        : `http.request.uri.path eq "${p}"`).join(" or ");
}

/** Give it the cloudflare provider through `opts.providers`. */
export class Edge extends pulumi.ComponentResource {
    readonly loadBalancerId: pulumi.Output<string>;
    readonly monitorId: pulumi.Output<string>;
    /** Pool id by region. */
    readonly poolIds: Readonly<Record<string, pulumi.Output<string>>>;
    readonly fallbackPoolId: pulumi.Output<string>;
    readonly maintenanceHost: string;
    /** The global /healthz check of each region (none on the free plan). */
    readonly healthCheckIds: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Edge", name, { plan: args.plan, edge: args.edge }, opts);
        const c = { parent: this };
        const { plan, edge } = args;
        const domain = plan.domain;
        const prefix = safe(`olympus-${pulumi.getProject()}-${pulumi.getStack()}`);
        const accountId = edge.accountId;
        const m = edge.monitor;

        const monitor = new cloudflare.LoadBalancerMonitor(`${name}-healthz`, {
            accountId,
            description: `Olympus ${domain}: a region is healthy while its /healthz answers 200`,
            type: "https",
            method: "GET",
            path: "/healthz",
            expectedCodes: "200",
            header: { Host: [domain] },
            followRedirects: false,
            allowInsecure: false,
            interval: m.intervalSeconds,
            timeout: m.timeoutSeconds,
            retries: m.retries,
            consecutiveDown: m.consecutiveDown,
            consecutiveUp: m.consecutiveUp,
        }, c);

        const poolIds: Record<string, pulumi.Output<string>> = {};
        for (const origin of args.origins) {
            const region = plan.regions.find((r) => r.name === origin.name);
            if (!region) throw new Error(`edge: origin ${origin.name} is not a region of the plan`);
            const loc = findLocation(region.cloud, region.location)!;
            const pool = new cloudflare.LoadBalancerPool(`${name}-${region.name}`, {
                accountId,
                name: `${prefix}-${safe(region.name)}`,
                description: `Olympus ${domain}: region ${region.name} (${region.cloud} ${region.location})`,
                origins: [{ name: region.name, address: origin.address, enabled: true, weight: 1 }],
                minimumOrigins: 1,
                monitor: monitor.id,
                checkRegions: [...region.checkRegions],
                latitude: loc.lat,
                longitude: loc.lon,
            }, c);
            poolIds[region.name] = pool.id;
        }
        const missing = plan.regions.filter((r) => !poolIds[r.name]).map((r) => r.name);
        if (missing.length > 0) throw new Error(`edge: no origin for region(s) ${missing.join(", ")}`);
        const pools = (names: readonly string[]) => names.map((n) => poolIds[n]);

        // The fallback: a Worker on maintenance.<domain> that says so honestly (503, Retry-After).
        this.maintenanceHost = `maintenance.${domain}`;
        const scriptName = `${prefix}-maintenance`;
        const worker = new cloudflare.WorkersScript(`${name}-maintenance`, {
            accountId,
            scriptName,
            mainModule: "worker.js",
            content: renderMaintenanceWorker({ domain }),
            compatibilityDate: "2025-01-01",
        }, c);
        new cloudflare.WorkersCustomDomain(`${name}-maintenance`, {
            accountId,
            zoneId: edge.zoneId,
            hostname: this.maintenanceHost,
            service: scriptName,
        }, { ...c, dependsOn: [worker] });
        const fallback = new cloudflare.LoadBalancerPool(`${name}-maintenance`, {
            accountId,
            name: `${prefix}-maintenance`,
            description: `Olympus ${domain}: the maintenance page, used only when every region of a list is down. Not a region.`,
            origins: [{ name: "maintenance", address: this.maintenanceHost, enabled: true, weight: 1, header: { hosts: [this.maintenanceHost] } }],
            minimumOrigins: 1,
        }, c);

        const regionPools = Object.fromEntries(GEO_CODES.map((code) => [code, pools(plan.steering[code])]));
        // Per-region has no default list that would not mix jurisdictions: every code is mapped, and the default is the maintenance page.
        const defaultPools = plan.defaultOrder.length > 0 ? pools(plan.defaultOrder) : [fallback.id];

        // The pin: Cloudflare documents custom rules as incompatible with geo steering, so a pinned
        // request gets steering off and the pin's own failover list.
        const pinRules = !edge.pin.enabled ? [] : plan.topology === "single-primary"
            ? [{
                name: "olympus-pin-to-primary",
                condition: `http.cookie contains "${edge.pin.cookie}="`,
                priority: 10,
                overrides: { steeringPolicy: "off", defaultPools: pools(plan.pinOrder[plan.regions.find((r) => r.name === plan.primary)!.pinValue]) },
            }]
            : plan.regions.map((r, i) => ({
                name: `olympus-pin-to-${r.name}`,
                condition: `http.cookie contains "${edge.pin.cookie}=${r.pinValue}"`,
                priority: 10 + i,
                overrides: { steeringPolicy: "off", defaultPools: pools(plan.pinOrder[r.pinValue]) },
            }));

        const affinity = edge.sessionAffinity;
        const lb = new cloudflare.LoadBalancer(`${name}-lb`, {
            zoneId: edge.zoneId,
            name: domain,
            description: `Olympus ${plan.topology}: geo steering over ${plan.regions.length} region(s)`,
            proxied: edge.proxied,
            ...(edge.proxied ? {} : { ttl: edge.ttlSeconds }),
            steeringPolicy: "geo",
            regionPools,
            defaultPools,
            fallbackPool: fallback.id,
            adaptiveRouting: { failoverAcrossPools: true },
            sessionAffinity: affinity.mode,
            ...(affinity.mode === "none" ? {} : {
                sessionAffinityTtl: affinity.ttlSeconds,
                sessionAffinityAttributes: { samesite: "Lax", secure: "Always", drainDuration: 60, zeroDowntimeFailover: "sticky" },
            }),
            ...(pinRules.length > 0 ? { rules: pinRules.map((r) => ({ ...r, terminates: true, disabled: false })) } : {}),
        }, c);

        // Origins present the Origin CA certificate: Cloudflare verifies it (Full, strict).
        new cloudflare.ZoneSetting(`${name}-ssl`, { zoneId: edge.zoneId, settingId: "ssl", value: "strict" }, c);
        new cloudflare.ZoneSetting(`${name}-min-tls`, { zoneId: edge.zoneId, settingId: "min_tls_version", value: "1.2" }, c);
        new cloudflare.ZoneSetting(`${name}-https`, { zoneId: edge.zoneId, settingId: "always_use_https", value: "on" }, c);

        // Hera's hashed assets for a year at the edge; API answers and /healthz never.
        const host = `http.host eq "${domain}"`;
        new cloudflare.Ruleset(`${name}-cache`, {
            zoneId: edge.zoneId,
            kind: "zone",
            phase: "http_request_cache_settings",
            name: "Olympus cache rules",
            description: `Olympus ${domain}: static assets cached, APIs never`,
            rules: [
                {
                    description: "Olympus: API and health answers are never cached",
                    expression: `(${host} and (${pathExpression(apiPaths())}))`,
                    action: "set_cache_settings",
                    actionParameters: { cache: false },
                    enabled: true,
                },
                {
                    description: "Olympus: Hera's content-hashed static assets, a year at the edge",
                    expression: `(${host} and (${pathExpression(STATIC_ASSET_PATHS)}))`,
                    action: "set_cache_settings",
                    actionParameters: { cache: true, edgeTtl: { mode: "override_origin", default: 31536000 }, browserTtl: { mode: "respect_origin" } },
                    enabled: true,
                },
            ],
        }, c);

        // The global view: every region's /healthz checked from three continents (Cloudflare's
        // standalone health checks, Pro and above), beside the pools' checks from near each region.
        const healthChecks: Record<string, pulumi.Output<string>> = {};
        if (edge.plan !== "free") {
            for (const origin of args.origins) {
                const check = new cloudflare.Healthcheck(`${name}-${origin.name}-global`, {
                    zoneId: edge.zoneId,
                    name: `${prefix}-${safe(origin.name)}-healthz`,
                    description: `Olympus ${domain}: region ${origin.name}'s /healthz from ${GLOBAL_CHECK_REGIONS.join(", ")}`,
                    address: origin.address,
                    type: "HTTPS",
                    checkRegions: [...GLOBAL_CHECK_REGIONS],
                    interval: 60,
                    timeout: 5,
                    retries: 2,
                    consecutiveFails: 2,
                    consecutiveSuccesses: 2,
                    httpConfig: { method: "GET", path: "/healthz", port: 443, expectedCodes: ["200"], header: { Host: [domain] }, followRedirects: false, allowInsecure: false },
                }, c);
                healthChecks[origin.name] = check.id;
            }
        }

        // Pool health changes, to the configured email and webhook.
        const n = edge.notifications;
        if (n.email || n.webhookUrl) {
            const webhook = n.webhookUrl ? new cloudflare.NotificationPolicyWebhooks(`${name}-health`, {
                accountId, name: `${prefix}-pool-health`, url: n.webhookUrl,
            }, c) : undefined;
            const mechanisms = {
                ...(n.email ? { emails: [{ id: n.email }] } : {}),
                ...(webhook ? { webhooks: [{ id: webhook.id }] } : {}),
            };
            new cloudflare.NotificationPolicy(`${name}-health`, {
                accountId,
                name: `${prefix}: Olympus region health`,
                description: `A region of ${domain} was marked unhealthy or healthy again`,
                alertType: "load_balancing_health_alert",
                enabled: true,
                filters: { poolIds: Object.values(poolIds), newHealths: ["Unhealthy", "Healthy"] },
                mechanisms,
            }, c);
            if (Object.keys(healthChecks).length > 0) {
                new cloudflare.NotificationPolicy(`${name}-global-health`, {
                    accountId,
                    name: `${prefix}: Olympus /healthz from around the world`,
                    description: `A region of ${domain} failed, or passed again, its global health check`,
                    alertType: "health_check_status_notification",
                    enabled: true,
                    filters: { healthCheckIds: Object.values(healthChecks), statuses: ["Unhealthy", "Healthy"] },
                    mechanisms,
                }, c);
            }
        }

        this.loadBalancerId = lb.id;
        this.monitorId = monitor.id;
        this.poolIds = poolIds;
        this.fallbackPoolId = fallback.id;
        this.healthCheckIds = healthChecks;
        this.registerOutputs({ loadBalancerId: this.loadBalancerId, monitorId: this.monitorId, poolIds: this.poolIds, fallbackPoolId: this.fallbackPoolId });
    }
}
