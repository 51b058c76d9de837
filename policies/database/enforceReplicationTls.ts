import { StackValidationPolicy } from "@pulumi/policy";
import { confSettings, hbaLines } from "../lib/postgresConfig";
import { TYPES, dbConfigs, describe, known } from "../lib/resources";

const TLS_VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];

interface Config {
    /** The oldest TLS version a self-managed node may accept. */
    minTlsVersion?: string;
}

/**
 * Replication carries every identity, password hash and session across the internet (regions
 * replicate over public addresses, often across clouds): in plaintext, anyone on the path reads
 * the identity database. So every network line of a self-managed node's pg_hba requires TLS
 * (hostssl) or rejects, TLS is on with a modern minimum version, Cloud SQL only accepts encrypted
 * connections, and no RDS parameter group turns rds.force_ssl off.
 */
export const enforceReplicationTls: StackValidationPolicy = {
    name: "olympus-database-enforce-replication-tls",
    description: "Replication and database connections travel over TLS only: hostssl in pg_hba, ssl on, no plaintext to managed databases.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            minTlsVersion: { type: "string", enum: ["TLSv1.2", "TLSv1.3"], default: "TLSv1.3", description: "The oldest TLS version a self-managed node may accept." },
        },
    },
    validateStack: (args, reportViolation) => {
        const minimum = args.getConfig<Config>().minTlsVersion ?? "TLSv1.3";
        const configs = dbConfigs(args.resources);
        const rds = args.resources.filter((r) => r.type === TYPES.rdsInstance || r.type === TYPES.rdsCluster);
        const sql = args.resources.filter((r) => r.type === TYPES.cloudSql);
        if (configs.size === 0 && rds.length === 0 && sql.length === 0) args.notApplicable("the stack declares no PostgreSQL database");

        for (const [region, c] of configs) {
            for (const line of hbaLines(c.pgHba)) {
                if (line.type === "local" || line.method === "reject" || line.type === "hostssl") continue;
                reportViolation(`region ${region}'s pg_hba.conf admits connections without TLS ("${line.text}"): use hostssl, or reject`, c.resource.urn);
            }
            const settings = confSettings(c.postgresqlConf);
            if (!["on", "true", "1", "yes"].includes((settings.get("ssl") ?? "off").toLowerCase())) {
                reportViolation(`region ${region}'s postgresql.conf does not turn TLS on (ssl = ${settings.get("ssl") ?? "off"}): set ssl = on`, c.resource.urn);
            }
            const version = settings.get("ssl_min_protocol_version") ?? "TLSv1.2";
            if (TLS_VERSIONS.indexOf(version) < TLS_VERSIONS.indexOf(minimum)) {
                reportViolation(`region ${region}'s postgresql.conf accepts ${version}: require ${minimum} or newer (ssl_min_protocol_version)`, c.resource.urn);
            }
        }

        for (const r of sql) {
            const ip = known(() => r.props.settings?.ipConfiguration) ?? {};
            const encrypted = ["ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"].includes(ip.sslMode) || ip.requireSsl === true;
            if (!encrypted) {
                reportViolation(`${describe(r)} accepts unencrypted connections: set settings.ipConfiguration.sslMode to ENCRYPTED_ONLY`, r.urn);
            }
        }

        const groups = args.resources.filter((r) => r.type === TYPES.rdsParameterGroup || r.type === TYPES.rdsClusterParameterGroup);
        for (const g of groups) {
            const off = (known(() => g.props.parameters) ?? []).find((p: { name: string; value: unknown }) => p.name === "rds.force_ssl" && String(p.value) === "0");
            if (off) reportViolation(`${describe(g)} turns TLS off (rds.force_ssl = 0): set it to 1`, g.urn);
        }
        for (const r of rds.filter((x) => x.type === TYPES.rdsInstance && !known(() => x.props.replicateSourceDb))) {
            // RDS for PostgreSQL 15 and newer forces TLS by default; older majors need a parameter group that does.
            const major = Number(String(known(() => r.props.engineVersion) ?? "").split(".")[0]);
            const group = groups.find((g) => [known(() => g.props.name), known(() => g.props.id)].includes(known(() => r.props.parameterGroupName)));
            const forced = (known(() => group?.props.parameters) ?? []).some((p: { name: string; value: unknown }) => p.name === "rds.force_ssl" && String(p.value) === "1");
            if (major > 0 && major < 15 && !forced) {
                reportViolation(`${describe(r)} runs PostgreSQL ${major}, which accepts plaintext unless a parameter group sets rds.force_ssl = 1`, r.urn);
            }
        }
    },
};
