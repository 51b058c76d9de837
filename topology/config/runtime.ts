// What the servers do at run time: readiness (the /healthz gate), the introspection cache, monitoring.

import { Checker, EMAIL } from "./checker";
import { CACHE_KEYS, CacheConfig, MONITORING_KEYS, MonitoringConfig, NAMESPACE, READINESS_KEYS, ReadinessConfig } from "./types";

export function parseReadiness(c: Checker, value: unknown): ReadinessConfig | undefined {
    const path = `${NAMESPACE}:readiness`;
    const r = value === undefined ? {} : c.map(path, value, READINESS_KEYS);
    if (!r) return undefined;
    // An idle primary is heard from every 10 s (wal_sender_timeout / 2): a lower limit would flap.
    const lag = c.integer(`${path}.maxReplicationLagSeconds`, r.maxReplicationLagSeconds ?? 30,
        { min: 15, max: 3600, why: "(an idle primary's keepalive arrives every 10 s)" });
    const interval = c.integer(`${path}.checkIntervalSeconds`, r.checkIntervalSeconds ?? 5, { min: 1, max: 300 });
    if (lag === undefined || interval === undefined) return undefined;
    return { maxReplicationLagSeconds: lag, checkIntervalSeconds: interval };
}

const INVALIDATION_SCHEMES = ["nats:", "tls:", "redis:", "rediss:"];

export function parseCache(c: Checker, value: unknown): CacheConfig | undefined {
    const path = `${NAMESPACE}:cache`;
    const v = value === undefined ? {} : c.map(path, value, CACHE_KEYS);
    if (!v) return undefined;
    const url = c.string(`${path}.invalidationUrl`, v.invalidationUrl, {});
    let urlOk = url === undefined;
    if (url !== undefined) {
        try {
            const u = new URL(url);
            urlOk = INVALIDATION_SCHEMES.includes(u.protocol) && u.hostname !== "";
        } catch { /* reported below */ }
        if (!urlOk) {
            c.fail(`${path}.invalidationUrl`, "is not a NATS or Redis URL with a host",
                "use nats://host:4222, tls://host:4222, redis://host:6379 or rediss://host:6380 (set it with --secret when it holds a password)");
        }
    }
    // Without invalidation, a revoked token is accepted for up to the TTL in every region: keep it at a minute.
    const ttl = c.integer(`${path}.introspectionTtlSeconds`, v.introspectionTtlSeconds ?? 60, url === undefined
        ? { min: 1, max: 60, why: "(without invalidationUrl a revoked token stays valid for up to the TTL; set invalidationUrl to allow longer)" }
        : { min: 1, max: 3600 });
    if (ttl === undefined || !urlOk) return undefined;
    return { introspectionTtlSeconds: ttl, ...(url ? { invalidationUrl: url } : {}) };
}

export function parseMonitoring(c: Checker, value: unknown): MonitoringConfig | undefined {
    const path = `${NAMESPACE}:monitoring`;
    const v = value === undefined ? {} : c.map(path, value, MONITORING_KEYS);
    if (!v) return undefined;
    const email = c.string(`${path}.alertEmail`, v.alertEmail, {});
    if (email !== undefined && !EMAIL.test(email)) {
        c.fail(`${path}.alertEmail`, `"${email}" is not an email address`, "use e.g. oncall@example.com");
        return undefined;
    }
    return email ? { alertEmail: email } : {};
}
