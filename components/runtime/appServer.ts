// The app server's runtime, rendered: the compose file (Caddy in front of Hera, Hydra, Kratos and
// Athena), the script that applies this region's secrets and runtime config, the readiness probe
// and the timers, and the cloud-init document that installs it all. User-data holds secret
// references, never a secret. What depends on the region's role (where writes go, whether this
// region migrates schemas and runs Kratos' courier, whether replication lag gates /healthz) comes
// from the region's `app-config`, which the server re-reads every 30 s: a failover is a
// `pulumi up`, not a rebuild.

import * as YAML from "yaml";
import { Cloud } from "../../topology/catalog";
import { CacheConfig, ImagesConfig } from "../../topology/config";
import { ROLES } from "../database/postgres";
import { CloudFile, LIB_DIR, SECRETS_DIR, renderCloudConfig, renderFetchSecrets, secretFetchSetup } from "./bootstrap";
import { WRITES_PAUSED_FILE, renderCaddyfile } from "./caddyfile";
import { renderMetricsScript } from "./metrics";
import { renderReadinessScript } from "./readiness";
import { APP_SERVICES, AppService, SERVICE_SPECS, databaseServices } from "./services";

export const ETC = "/etc/olympus";
export const HEALTH_DIR = "/run/olympus/health";
const DB_CA = `${ETC}/tls/db-ca.pem`;
/** The Origin CA certificate and key Caddy serves, and the CA of Cloudflare's client certificate. */
const ORIGIN_CERT = `${ETC}/tls/origin.crt`;
const ORIGIN_KEY = `${ETC}/tls/origin.key`;
const ORIGIN_PULL_CA = `${ETC}/tls/origin-pull-ca.pem`;
/** libpq's TLS settings for the probes (PGSSLMODE, PGSSLROOTCERT), from app-config. */
const PG_ENV = `${ETC}/pg.env`;
/** While this file exists the readiness probe checks replication lag; it holds the threshold. */
export const LAG_GATE = `${ETC}/replication-lag-limit`;

/** The region's runtime config, JSON in its `app-config` secret. */
export interface AppConfig {
    /** A writer region runs schema migrations and Kratos' courier; a replica region never does. */
    readonly writer: boolean;
    /** Where writes go: the primary's database (single-primary) or the local one. */
    readonly writeHost: string;
    /** Where reads go: always the local database. */
    readonly readHost: string;
    readonly port: number;
    /** Replica regions: /healthz says 503 while the local replica is further behind. */
    readonly maxReplicationLagSeconds: number | null;
    /**
     * How the services verify the database: `verify-full` (name and CA) wherever the server's
     * certificate names its address; `verify-ca` for Cloud SQL, whose certificates do not. The CA
     * comes inline (`caPem`) or from a public URL (`caUrl`, RDS' regional bundle).
     */
    readonly tls: { readonly sslMode: "verify-full" | "verify-ca"; readonly caPem?: string; readonly caUrl?: string };
    /**
     * A managed writer: the database's admin user, with which the app server creates the service
     * and monitoring roles and databases (a self-managed node creates them itself).
     */
    readonly bootstrapRoles?: { readonly adminUser: string };
    /** Schema migrations: the origin answers writes with 503 and Retry-After while true. */
    readonly writesPaused: boolean;
}

export interface AppServerOptions {
    readonly cloud: Cloud;
    readonly location: string;
    readonly regionName: string;
    readonly domain: string;
    readonly images: ImagesConfig;
    /** References (ARN or resource name) of this region's secrets: never their values. */
    readonly secrets: { readonly masterKey: string; readonly credentials: string; readonly appConfig: string; readonly originTls: string };
    /** The local database's address: the readiness probe reads replication lag there. */
    readonly localDatabase: { readonly host: string; readonly port: number };
    readonly readinessIntervalSeconds: number;
    /** Introspection cache TTL (the invalidation URL, a secret, arrives in the credentials). */
    readonly cache: CacheConfig;
    /** Require Cloudflare's client certificate (authenticated origin pulls). */
    readonly originPulls: boolean;
    /** The pin cookie this origin sets after identity writes (its value names where the write is). */
    readonly pin?: { readonly cookie: string; readonly value: string; readonly ttlSeconds: number };
}

/**
 * The services that introspect OAuth2 tokens and may cache the answers: Hera (sessions behind the
 * UI) and Athena (permission checks for API callers). Their cache TTL and invalidation channel.
 */
export const INTROSPECTING: readonly AppService[] = ["hera", "athena"];

/** Each service's non-secret settings; DSNs and keys come from the env files written at boot. */
function environment(service: AppService, domain: string, cache: CacheConfig): Record<string, string> {
    const cached: Record<string, string> = INTROSPECTING.includes(service) ? { OLYMPUS_INTROSPECTION_CACHE_TTL: `${cache.introspectionTtlSeconds}s` } : {};
    return { ...cached, ...serviceEnvironment(service, domain) };
}

function serviceEnvironment(service: AppService, domain: string): Record<string, string> {
    const base = `https://${domain}`;
    switch (service) {
        case "hera":
            return { HERA_PUBLIC_URL: base, HERA_KRATOS_PUBLIC_URL: base, HERA_HYDRA_PUBLIC_URL: base, HERA_ATHENA_URL: `${base}/athena`, PORT: "3000" };
        case "hydra":
            return {
                URLS_SELF_ISSUER: `${base}/`, URLS_LOGIN: `${base}/login`, URLS_CONSENT: `${base}/consent`, URLS_LOGOUT: `${base}/logout`,
                SERVE_PUBLIC_PORT: "4444", SERVE_ADMIN_PORT: "4445", SERVE_COOKIES_SAME_SITE_MODE: "Lax", LOG_LEAK_SENSITIVE_VALUES: "false",
            };
        case "kratos":
            return {
                SERVE_PUBLIC_BASE_URL: `${base}/`, SERVE_PUBLIC_PORT: "4433", SERVE_ADMIN_PORT: "4434",
                SELFSERVICE_DEFAULT_BROWSER_RETURN_URL: `${base}/`, SELFSERVICE_ALLOWED_RETURN_URLS: `${base}/`,
                SELFSERVICE_FLOWS_LOGIN_UI_URL: `${base}/login`, SELFSERVICE_FLOWS_REGISTRATION_UI_URL: `${base}/registration`,
                SELFSERVICE_FLOWS_SETTINGS_UI_URL: `${base}/settings`, SELFSERVICE_FLOWS_RECOVERY_UI_URL: `${base}/recovery`,
                SELFSERVICE_FLOWS_VERIFICATION_UI_URL: `${base}/verification`, SELFSERVICE_FLOWS_ERROR_UI_URL: `${base}/error`,
                SELFSERVICE_METHODS_PASSWORD_ENABLED: "true",
                IDENTITY_DEFAULT_SCHEMA_ID: "default",
                IDENTITY_SCHEMAS: JSON.stringify([{ id: "default", url: "file:///etc/olympus/kratos/identity.schema.json" }]),
                LOG_LEAK_SENSITIVE_VALUES: "false",
            };
        case "athena":
            return { SERVE_READ_PORT: "4466", SERVE_WRITE_PORT: "4467" };
    }
}

/** The email and password identity every Kratos region shares. */
const IDENTITY_SCHEMA = JSON.stringify({
    $id: "https://olympus.example/identity.schema.json",
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "Person",
    type: "object",
    properties: {
        traits: {
            type: "object",
            properties: {
                email: {
                    type: "string", format: "email", title: "E-Mail",
                    "ory.sh/kratos": { credentials: { password: { identifier: true } }, verification: { via: "email" }, recovery: { via: "email" } },
                },
            },
            required: ["email"],
            additionalProperties: false,
        },
    },
}, null, 2);

/**
 * The services. Schema migrations (profile `migrate`) and Kratos' mail courier (profile `writer`,
 * which must run once, where the writes are) start only where olympus-apply finds `writer: true`.
 */
export function renderCompose(o: { regionName: string; domain: string; images: ImagesConfig; cache: CacheConfig }): string {
    const services: Record<string, unknown> = {};
    const dbCa = `${DB_CA}:${DB_CA}:ro`;
    services.caddy = {
        image: o.images.caddy,
        restart: "unless-stopped",
        ports: ["443:443"],
        volumes: [`${ETC}/Caddyfile:/etc/caddy/Caddyfile:ro`, `${HEALTH_DIR}:${HEALTH_DIR}:ro`, `${ETC}/tls:${ETC}/tls:ro`, "caddy-data:/data"],
        depends_on: [...APP_SERVICES],
    };
    for (const service of APP_SERVICES) {
        const spec = SERVICE_SPECS[service];
        const envFiles = [
            ...(spec.database || service === "kratos" ? [`${SECRETS_DIR}/${service}.env`] : []),
            ...(INTROSPECTING.includes(service) ? [`${SECRETS_DIR}/cache.env`] : []),
        ];
        const withSecrets = envFiles.length > 0 ? { env_file: envFiles } : {};
        const volumes = [dbCa, ...(service === "kratos" ? [`${ETC}/kratos:${ETC}/kratos:ro`] : [])];
        services[service] = {
            image: o.images[service],
            restart: "unless-stopped",
            ...(spec.serve ? { command: [...spec.serve] } : {}),
            environment: environment(service, o.domain, o.cache),
            ...withSecrets,
            ports: [`127.0.0.1:${spec.port}:${spec.port}`, ...(spec.adminPort ? [`127.0.0.1:${spec.adminPort}:${spec.adminPort}`] : [])],
            volumes,
        };
        if (spec.migrate) {
            services[`${service}-migrate`] = {
                image: o.images[service], command: [...spec.migrate], environment: environment(service, o.domain, o.cache), ...withSecrets,
                volumes, profiles: ["migrate"], restart: "no",
            };
        }
    }
    services["kratos-courier"] = {
        image: o.images.kratos, command: ["courier", "watch"], environment: environment("kratos", o.domain, o.cache),
        env_file: [`${SECRETS_DIR}/kratos.env`], volumes: [dbCa, `${ETC}/kratos:${ETC}/kratos:ro`], profiles: ["writer"], restart: "unless-stopped",
    };
    return `# Rendered by components/runtime/appServer.ts for region ${o.regionName}.\n${YAML.stringify({ name: "olympus", services, volumes: { "caddy-data": {} } }, { lineWidth: 0 })}`;
}

/**
 * Writes each service's secret settings (0600) from the fetched secrets and app-config: the write
 * DSN and the read DSN as separate settings, the master key list, SMTP; and the readiness mode.
 */
export function renderConfigureScript(o: { localDatabase: { host: string; port: number } }): string {
    const env = databaseServices().map(({ service, database }) => [
        `{`,
        `    echo "DSN=$(dsn ${database} "$write_host")"`,
        `    echo "DSN_READ=$(dsn ${database} "$read_host")"`,
        ...(service === "hydra" ? [`    echo "SECRETS_SYSTEM=$keys"`] : []),
        ...(service === "kratos" ? [`    echo "SECRETS_CIPHER=$keys"`, `    echo "SECRETS_COOKIE=$keys"`, `    echo "SECRETS_DEFAULT=$keys"`,
            `    echo "COURIER_SMTP_CONNECTION_URI=$(jq -er .smtpUrl ${SECRETS_DIR}/credentials)"`] : []),
        `} > ${SECRETS_DIR}/${service}.env.tmp && mv -f ${SECRETS_DIR}/${service}.env.tmp ${SECRETS_DIR}/${service}.env`,
    ].join("\n")).join("\n");
    return `#!/bin/bash
# olympus-configure: each service's secret settings, from this region's secrets and app-config.
# Rendered by components/runtime/appServer.ts.
set -euo pipefail
umask 077
config=${SECRETS_DIR}/app-config
pw() { jq -er --arg k "$1" '.[$k]' ${SECRETS_DIR}/credentials; }
write_host=$(jq -er .writeHost "$config")
read_host=$(jq -er .readHost "$config")
port=$(jq -er .port "$config")
sslmode=$(jq -er .tls.sslMode "$config")
# The CA the database's certificate is checked against: inline, or the cloud's published bundle.
mkdir -p ${ETC}/tls
if ca=$(jq -er '.tls.caPem // empty' "$config"); then
    printf '%s\n' "$ca" > ${DB_CA}.tmp
else
    curl -fsS --retry 5 -o ${DB_CA}.tmp "$(jq -er .tls.caUrl "$config")"
fi
grep -q 'BEGIN CERTIFICATE' ${DB_CA}.tmp && chmod 0644 ${DB_CA}.tmp && mv -f ${DB_CA}.tmp ${DB_CA}
printf 'PGSSLMODE=%s\nPGSSLROOTCERT=%s\n' "$sslmode" ${DB_CA} > ${PG_ENV}
dsn() { echo "postgres://$1:$(pw "$1")@$2:$port/$1?sslmode=$sslmode&sslrootcert=${DB_CA}"; }
# The master key list, newest first: the first key encrypts, every key decrypts.
keys=$(jq -er 'join(",")' ${SECRETS_DIR}/master-key)
${env}
echo "${o.localDatabase.host}:${o.localDatabase.port}:postgres:${ROLES.monitor}:$(pw monitor)" > ${SECRETS_DIR}/monitor.pgpass
# Introspection cache invalidation (revocations published to every region), when configured.
invalidation=$(jq -r '.cacheInvalidationUrl // empty' ${SECRETS_DIR}/credentials)
echo "OLYMPUS_INTROSPECTION_CACHE_INVALIDATION_URL=$invalidation" > ${SECRETS_DIR}/cache.env.tmp && mv -f ${SECRETS_DIR}/cache.env.tmp ${SECRETS_DIR}/cache.env
# The origin's certificate and key, and the CA of Cloudflare's client certificate.
jq -er .cert ${SECRETS_DIR}/origin-tls > ${ORIGIN_CERT}.tmp && chmod 0644 ${ORIGIN_CERT}.tmp && mv -f ${ORIGIN_CERT}.tmp ${ORIGIN_CERT}
jq -er .key ${SECRETS_DIR}/origin-tls > ${ORIGIN_KEY}.tmp && mv -f ${ORIGIN_KEY}.tmp ${ORIGIN_KEY}
if jq -e .pullCa ${SECRETS_DIR}/origin-tls >/dev/null; then
    jq -er .pullCa ${SECRETS_DIR}/origin-tls > ${ORIGIN_PULL_CA}.tmp && chmod 0644 ${ORIGIN_PULL_CA}.tmp && mv -f ${ORIGIN_PULL_CA}.tmp ${ORIGIN_PULL_CA}
fi
# Writes paused (schema migrations): Caddy answers writes with 503 while this file exists.
mkdir -p ${HEALTH_DIR}
if [ "$(jq -r '.writesPaused // false' "$config")" = true ]; then touch ${HEALTH_DIR}/${WRITES_PAUSED_FILE}; else rm -f ${HEALTH_DIR}/${WRITES_PAUSED_FILE}; fi
# Replica regions gate /healthz on replication lag; writers do not.
lag=$(jq -r '.maxReplicationLagSeconds // empty' "$config")
if [ -n "$lag" ]; then echo "$lag" > ${LAG_GATE}; else rm -f ${LAG_GATE}; fi
`;
}

/** Fetch, and when anything changed: configure, migrate (writers only) and (re)start the services. */
export function renderApplyScript(o: AppServerOptions): string {
    const compose = `docker compose -f ${ETC}/compose.yaml`;
    const migrations = APP_SERVICES.filter((s) => SERVICE_SPECS[s].migrate).map((s) => `${s}-migrate`);
    return `#!/bin/bash
# olympus-apply [--force]: this region's secrets and runtime config, applied. Run at boot and every
# 30 s by olympus-apply.timer; does nothing when nothing changed. Rendered by components/runtime/appServer.ts.
set -euo pipefail
state=/var/lib/olympus/applied
mkdir -p /var/lib/olympus ${HEALTH_DIR}
${LIB_DIR}/fetch-secrets.sh master-key=${o.secrets.masterKey} credentials=${o.secrets.credentials} app-config=${o.secrets.appConfig} origin-tls=${o.secrets.originTls}
digest=$(cat ${SECRETS_DIR}/master-key ${SECRETS_DIR}/credentials ${SECRETS_DIR}/app-config ${SECRETS_DIR}/origin-tls ${ETC}/compose.yaml ${ETC}/Caddyfile | sha256sum | cut -d' ' -f1)
if [ "\${1:-}" != --force ] && [ "$digest" = "$(cat $state 2>/dev/null || true)" ]; then exit 0; fi
${LIB_DIR}/configure.sh
if [ "$(jq -r .writer ${SECRETS_DIR}/app-config)" = true ]; then
    # A managed writer: the service roles and databases, made with the admin user (idempotent).
    if [ -n "$(jq -r '.bootstrapRoles.adminUser // empty' ${SECRETS_DIR}/app-config)" ]; then ${LIB_DIR}/retry.sh ${LIB_DIR}/bootstrap-roles.sh; fi
    # Only the writer migrates: replicas would fail anyway, and two migrators would race.
    for job in ${migrations.join(" ")}; do
        ${LIB_DIR}/retry.sh ${compose} --profile migrate run --rm "$job"
    done
    ${compose} --profile writer up -d --force-recreate --remove-orphans
else
    ${compose} --profile writer rm --stop --force kratos-courier || true
    ${compose} up -d --force-recreate --remove-orphans
fi
echo "$digest" > $state
echo "olympus-apply: applied ($(jq -c '{writer, writeHost, readHost, writesPaused}' ${SECRETS_DIR}/app-config))"
`;
}

/**
 * A managed writer's roles: the monitoring role (pg_monitor) and, per service, a login role with
 * its password from the credentials bundle and a database it owns. The admin's password and every
 * other password go to psql on stdin, never on its command line. Safe to run again: it sets the
 * passwords anew (a rotated password takes effect) and creates only what is missing.
 */
export function renderBootstrapRolesScript(o: { secretsDir?: string; caFile?: string; psql?: string } = {}): string {
    const secrets = o.secretsDir ?? SECRETS_DIR;
    const services = databaseServices().map((s) => s.database);
    const roles = [{ key: "monitor", role: ROLES.monitor }, ...services.map((db) => ({ key: db, role: db }))];
    const statements = [
        ...roles.flatMap(({ key, role }) => [
            `    echo "DO \\$\\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN; END IF; END \\$\\$;"`,
            `    echo "ALTER ROLE ${role} WITH LOGIN PASSWORD $(quote "$(pw ${key})");"`,
        ]),
        `    echo "GRANT pg_monitor TO ${ROLES.monitor};"`,
        "    # The admin must be a member of a role to create a database it owns (RDS and Cloud SQL admins are not superusers).",
        ...services.map((db) => `    echo "GRANT ${db} TO CURRENT_USER;"`),
    ];
    return `#!/bin/bash
# olympus-bootstrap-roles: a managed writer's roles and databases. Rendered by components/runtime/appServer.ts.
set -euo pipefail
umask 077
config=${secrets}/app-config
pw() { jq -er --arg k "$1" '.[$k]' ${secrets}/credentials; }
sql() { # SQL on stdin, as the admin, on the writer's postgres database
    PGPASSWORD="$(pw admin)" ${o.psql ?? "psql"} -X -v ON_ERROR_STOP=1 -Atq -f - \\
        "host=$(jq -er .writeHost "$config") port=$(jq -er .port "$config") dbname=postgres user=$(jq -er .bootstrapRoles.adminUser "$config") sslmode=$(jq -er .tls.sslMode "$config") sslrootcert=${o.caFile ?? DB_CA} connect_timeout=5"
}
quote() { local s=\${1//\\'/\\'\\'}; printf "'%s'" "$s"; }
{
${statements.join("\n")}
} | sql
for db in ${services.join(" ")}; do
    if [ -z "$(echo "SELECT 1 FROM pg_database WHERE datname = '$db'" | sql)" ]; then echo "CREATE DATABASE $db OWNER $db;" | sql; fi
    echo "REVOKE ALL ON DATABASE $db FROM PUBLIC;" | sql
done
echo "olympus-bootstrap-roles: roles and databases in place"
`;
}

function units(o: AppServerOptions): CloudFile[] {
    const timer = (name: string, what: string, every: number) => ({
        path: `/etc/systemd/system/${name}.timer`, permissions: "0644",
        content: `[Unit]\nDescription=${what}\n\n[Timer]\nOnBootSec=15s\nOnUnitActiveSec=${every}s\nAccuracySec=1s\n\n[Install]\nWantedBy=timers.target\n`,
    });
    return [
        {
            path: "/etc/systemd/system/olympus-apply.service", permissions: "0644",
            content: `[Unit]\nDescription=Apply this region's Olympus secrets and runtime config\nRequires=docker.service\nAfter=docker.service network-online.target\n\n[Service]\nType=oneshot\nExecStart=${LIB_DIR}/apply.sh\n`,
        },
        timer("olympus-apply", "Re-read this region's secrets and runtime config every 30 s", 30),
        {
            path: "/etc/systemd/system/olympus-readiness.service", permissions: "0644",
            content: `[Unit]\nDescription=Olympus readiness probe (feeds /healthz)\n\n[Service]\nType=oneshot\nEnvironment=PGPASSFILE=${SECRETS_DIR}/monitor.pgpass\nEnvironmentFile=-${PG_ENV}\nExecStart=${LIB_DIR}/readiness.sh\nSuccessExitStatus=1\n`,
        },
        timer("olympus-readiness", `Run the Olympus readiness probe every ${o.readinessIntervalSeconds} s`, o.readinessIntervalSeconds),
        {
            path: "/etc/systemd/system/olympus-metrics.service", permissions: "0644",
            content: `[Unit]\nDescription=Publish this region's health, replication lag and database connections\n\n[Service]\nType=oneshot\nEnvironment=PGPASSFILE=${SECRETS_DIR}/monitor.pgpass\nEnvironmentFile=-${PG_ENV}\nExecStart=${LIB_DIR}/metrics.sh\n`,
        },
        timer("olympus-metrics", "Publish this region's metrics every minute", 60),
    ];
}

export function renderAppUserData(o: AppServerOptions): string {
    const readiness = renderReadinessScript({
        healthDir: HEALTH_DIR,
        timeoutSeconds: 2,
        checks: APP_SERVICES.map((s) => ({ name: s, url: `http://127.0.0.1:${SERVICE_SPECS[s].port}${SERVICE_SPECS[s].health}` })),
        replication: {
            // sslmode and the CA come from PGSSLMODE / PGSSLROOTCERT (the unit's environment file).
            conninfo: `host=${o.localDatabase.host} port=${o.localDatabase.port} dbname=postgres user=${ROLES.monitor} connect_timeout=2`,
            limitFile: LAG_GATE,
            psql: "psql",
        },
    });
    const upstreams = Object.fromEntries(APP_SERVICES.map((s) => [s, `${s}:${SERVICE_SPECS[s].port}`])) as Record<AppService, string>;
    const files: CloudFile[] = [
        { path: `${ETC}/compose.yaml`, permissions: "0644", content: renderCompose(o) },
        {
            path: `${ETC}/Caddyfile`, permissions: "0644",
            content: renderCaddyfile({
                address: ":443",
                tls: { cert: ORIGIN_CERT, key: ORIGIN_KEY },
                ...(o.originPulls ? { originPullCa: ORIGIN_PULL_CA } : {}),
                ...(o.pin ? { pin: o.pin } : {}),
                healthDir: HEALTH_DIR,
                upstreams,
            }),
        },
        { path: `${ETC}/kratos/identity.schema.json`, permissions: "0644", content: IDENTITY_SCHEMA },
        { path: `${LIB_DIR}/bootstrap-roles.sh`, permissions: "0755", content: renderBootstrapRolesScript() },
        { path: `${LIB_DIR}/fetch-secrets.sh`, permissions: "0755", content: renderFetchSecrets(o.cloud, o.location) },
        { path: `${LIB_DIR}/configure.sh`, permissions: "0755", content: renderConfigureScript(o) },
        { path: `${LIB_DIR}/apply.sh`, permissions: "0755", content: renderApplyScript(o) },
        { path: `${LIB_DIR}/readiness.sh`, permissions: "0755", content: readiness },
        {
            path: `${LIB_DIR}/metrics.sh`, permissions: "0755",
            content: renderMetricsScript({
                cloud: o.cloud, location: o.location, regionName: o.regionName, healthDir: HEALTH_DIR,
                conninfo: `host=${o.localDatabase.host} port=${o.localDatabase.port} dbname=postgres user=${ROLES.monitor} connect_timeout=2`,
            }),
        },
        { path: `${LIB_DIR}/retry.sh`, permissions: "0755", content: "#!/bin/bash\n# retry.sh CMD...: run CMD until it succeeds, 30 times at most, 10 s apart.\nfor i in $(seq 1 30); do \"$@\" && exit 0; sleep 10; done\nexit 1\n" },
        ...units(o),
    ];
    return renderCloudConfig({
        packages: ["docker.io", "docker-compose-v2", "jq", "curl", "postgresql-client"],
        files,
        run: [
            ...secretFetchSetup(o.cloud),
            ["systemctl", "enable", "--now", "docker"],
            ["systemctl", "daemon-reload"],
            [`${LIB_DIR}/apply.sh`, "--force"],
            ["systemctl", "enable", "--now", "olympus-apply.timer", "olympus-readiness.timer", "olympus-metrics.timer"],
        ],
    });
}
