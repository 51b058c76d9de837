// olympus:edge: the Cloudflare account and zone, the monitor, affinity, the pin, writes paused,
// origin pulls and notifications, within Cloudflare's limits for the plan.

import { Checker, EMAIL } from "./checker";
import {
    AFFINITY_KEYS, CloudflarePlan, EDGE_KEYS, EdgeConfig, LB_RULES_ALLOWED, LB_TTL_RANGE, MONITOR_CONSECUTIVE_RANGE, MONITOR_KEYS, MONITOR_MAX_INTERVAL,
    MONITOR_MIN_INTERVAL, MONITOR_RETRIES_RANGE, MONITOR_TIMEOUT_RANGE, MonitorConfig, NAMESPACE, NOTIFICATION_KEYS, NotificationsConfig, PIN_KEYS,
    PIN_TTL_RANGE, PinConfig, ReadinessConfig, RegionConfig, SESSION_AFFINITY_MODES, SESSION_AFFINITY_TTL_RANGE, SessionAffinityConfig, Topology,
} from "./types";

const PLANS: readonly CloudflarePlan[] = ["free", "pro", "business", "enterprise"];

export function parseEdge(c: Checker, value: unknown, topology: Topology | undefined, regions: readonly RegionConfig[], readiness: ReadinessConfig | undefined): EdgeConfig | undefined {
    const path = `${NAMESPACE}:edge`;
    if (value === undefined) {
        c.fail(path, "missing", "set olympus:edge with at least accountId and zoneId (your Cloudflare account and zone IDs)");
        return undefined;
    }
    const e = c.map(path, value, EDGE_KEYS);
    if (!e) return undefined;
    const accountId = c.cloudflareId(`${path}.accountId`, e.accountId, "account");
    const zoneId = c.cloudflareId(`${path}.zoneId`, e.zoneId, "zone");
    const plan = e.plan === undefined ? "business" : c.oneOf(`${path}.plan`, e.plan, PLANS, "Cloudflare plan");
    const proxied = c.boolean(`${path}.proxied`, e.proxied) ?? true;

    const mp = `${path}.monitor`;
    const m = e.monitor === undefined ? {} : c.map(mp, e.monitor, MONITOR_KEYS);
    let monitor: MonitorConfig | undefined;
    if (m && plan) {
        const minInterval = MONITOR_MIN_INTERVAL[plan];
        const interval = c.integer(`${mp}.intervalSeconds`, m.intervalSeconds ?? minInterval,
            { min: minInterval, max: MONITOR_MAX_INTERVAL, why: `on the ${plan} plan (set ${path}.plan if yours differs)` });
        const retries = c.integer(`${mp}.retries`, m.retries ?? 1, MONITOR_RETRIES_RANGE);
        // 5 s, or less when that many attempts would not fit in a short (enterprise) interval.
        const defaultTimeout = interval !== undefined && retries !== undefined
            ? Math.max(MONITOR_TIMEOUT_RANGE.min, Math.min(5, Math.floor((interval - 1) / (retries + 1)))) : 5;
        const timeout = c.integer(`${mp}.timeoutSeconds`, m.timeoutSeconds ?? defaultTimeout, MONITOR_TIMEOUT_RANGE);
        const down = c.integer(`${mp}.consecutiveDown`, m.consecutiveDown ?? 2, MONITOR_CONSECUTIVE_RANGE);
        const up = c.integer(`${mp}.consecutiveUp`, m.consecutiveUp ?? 2, MONITOR_CONSECUTIVE_RANGE);
        if (interval !== undefined && timeout !== undefined && retries !== undefined && timeout * (retries + 1) >= interval) {
            c.fail(`${mp}.timeoutSeconds`, `${timeout}s x ${retries + 1} attempts (retries ${retries}) = ${timeout * (retries + 1)}s does not fit in the ${interval}s interval`,
                "keep timeoutSeconds x (retries + 1) below intervalSeconds, so one check ends before the next begins");
        }
        if (interval !== undefined && timeout !== undefined && retries !== undefined && down !== undefined && up !== undefined) {
            monitor = { intervalSeconds: interval, timeoutSeconds: timeout, retries, consecutiveDown: down, consecutiveUp: up };
        }
    }

    const ap = `${path}.sessionAffinity`;
    const a = e.sessionAffinity === undefined ? {} : c.map(ap, e.sessionAffinity, AFFINITY_KEYS);
    let sessionAffinity: SessionAffinityConfig | undefined;
    if (a) {
        const mode = a.mode === undefined ? (proxied ? "cookie" : "none") : c.oneOf(`${ap}.mode`, a.mode, SESSION_AFFINITY_MODES, "session affinity mode");
        const ttl = c.integer(`${ap}.ttlSeconds`, a.ttlSeconds ?? SESSION_AFFINITY_TTL_RANGE.min,
            { ...SESSION_AFFINITY_TTL_RANGE, why: "(Cloudflare's limits for the affinity cookie)" });
        if (mode && ttl !== undefined) sessionAffinity = { mode, ttlSeconds: ttl };
    }

    if (!proxied && sessionAffinity && sessionAffinity.mode !== "none") {
        c.fail(`${ap}.mode`, `"${sessionAffinity.mode}" needs a proxied load balancer (the affinity cookie is set by Cloudflare's proxy)`,
            `use mode: none with ${path}.proxied: false, or set proxied: true`);
    }
    const ttlSeconds = c.integer(`${path}.ttlSeconds`, e.ttlSeconds ?? LB_TTL_RANGE.min, { ...LB_TTL_RANGE, why: "(Cloudflare's bounds for a DNS-only load balancer)" });
    if (proxied && e.ttlSeconds !== undefined) {
        c.fail(`${path}.ttlSeconds`, "applies only to a DNS-only load balancer (Cloudflare sets the TTL of a proxied one)",
            `remove it, or set ${path}.proxied: false`);
    }

    // The pin needs one load-balancing rule (single-primary) or one per region (per-region).
    const pp = `${path}.pin`;
    const pr = e.pin === undefined ? {} : c.map(pp, e.pin, PIN_KEYS);
    let pin: PinConfig | undefined;
    if (pr && plan) {
        const rulesNeeded = regions.length < 2 ? 0 : topology === "per-region" ? regions.length : 1;
        const allowed = LB_RULES_ALLOWED[plan];
        const explicit = c.boolean(`${pp}.enabled`, pr.enabled);
        const enabled = explicit ?? (rulesNeeded > 0 && rulesNeeded <= allowed && proxied);
        if (explicit && rulesNeeded > allowed) {
            c.fail(`${pp}.enabled`, `per-region with ${regions.length} regions needs ${rulesNeeded} load-balancing rules, and the ${plan} plan allows ${allowed} per hostname`,
                `set ${pp}.enabled: false (users then follow geo steering only), or use the enterprise plan`);
        }
        if (explicit && !proxied) {
            c.fail(`${pp}.enabled`, "needs a proxied load balancer (rules read the request's cookie)", `set ${pp}.enabled: false, or ${path}.proxied: true`);
        }
        const cookie = c.string(`${pp}.cookie`, pr.cookie ?? "olympus_pin", {});
        if (cookie !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(cookie)) {
            c.fail(`${pp}.cookie`, `"${cookie}" is not a cookie name this program can match safely`, "use 1-64 letters, digits, '_' or '-'");
        }
        const ttl = c.integer(`${pp}.ttlSeconds`, pr.ttlSeconds ?? 300, PIN_TTL_RANGE);
        if (ttl !== undefined && readiness && topology === "single-primary" && ttl < readiness.maxReplicationLagSeconds) {
            c.fail(`${pp}.ttlSeconds`, `${ttl}s is shorter than readiness.maxReplicationLagSeconds (${readiness.maxReplicationLagSeconds}s): a replica region may serve that far behind, so the pin must last longer`,
                `use at least ${readiness.maxReplicationLagSeconds}`);
        }
        if (cookie !== undefined && /^[A-Za-z0-9_-]{1,64}$/.test(cookie) && ttl !== undefined) pin = { enabled, cookie, ttlSeconds: ttl };
    }

    const writesPaused = c.boolean(`${path}.writesPaused`, e.writesPaused) ?? false;
    const authenticatedOriginPulls = c.boolean(`${path}.authenticatedOriginPulls`, e.authenticatedOriginPulls) ?? true;

    const np = `${path}.notifications`;
    const nr = e.notifications === undefined ? {} : c.map(np, e.notifications, NOTIFICATION_KEYS);
    let notifications: NotificationsConfig | undefined;
    if (nr) {
        const email = c.string(`${np}.email`, nr.email, {});
        const emailOk = email === undefined || EMAIL.test(email);
        if (!emailOk) c.fail(`${np}.email`, `"${email}" is not an email address`, "use e.g. oncall@example.com");
        const webhookUrl = c.string(`${np}.webhookUrl`, nr.webhookUrl, {});
        let webhookOk = webhookUrl === undefined;
        if (webhookUrl !== undefined) {
            try {
                webhookOk = new URL(webhookUrl).protocol === "https:";
            } catch { /* reported below */ }
            if (!webhookOk) c.fail(`${np}.webhookUrl`, `"${webhookUrl}" is not an https:// URL`, "use the https URL your alerting tool gives for incoming webhooks");
        }
        if (emailOk && webhookOk) notifications = { ...(email ? { email } : {}), ...(webhookUrl ? { webhookUrl } : {}) };
    }

    if (!accountId || !zoneId || !plan || !monitor || !sessionAffinity || ttlSeconds === undefined || !pin || !notifications) return undefined;
    return { accountId, zoneId, plan, proxied, ttlSeconds, monitor, sessionAffinity, pin, writesPaused, authenticatedOriginPulls, notifications };
}
