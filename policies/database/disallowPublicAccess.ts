import { ResourceValidationPolicy } from "@pulumi/policy";
import { NETWORK_DEFAULTS, NETWORK_SCHEMA, networkSettings } from "../lib/config";
import { TYPES, ingressRules, isInternetWide, known } from "../lib/resources";

const FIREWALLS: readonly string[] = [TYPES.securityGroup, TYPES.securityGroupRule, TYPES.sgIngressRule, TYPES.gcpFirewall];

/**
 * The identity database holds every credential and session: it must be reachable only from its
 * peers (the app servers, the replicas), never from the internet, where it would meet every
 * password-spraying scanner. This catches the forms that open it: a firewall rule admitting an
 * internet-wide range to the PostgreSQL port (also 0.0.0.0/1 halves and all-protocol rules), an
 * RDS instance marked publicly accessible, a Cloud SQL instance with an open authorized network.
 */
export const disallowPublicAccess: ResourceValidationPolicy = {
    name: "olympus-database-disallow-public-access",
    description: "PostgreSQL is never reachable from the internet: no open ingress to its port, no public RDS, no open Cloud SQL network.",
    enforcementLevel: "mandatory",
    configSchema: NETWORK_SCHEMA,
    validateResource: (args, reportViolation) => {
        const config = networkSettings(args.getConfig<Partial<typeof NETWORK_DEFAULTS>>());
        const wide = (cidr: string) => isInternetWide(cidr, config);

        if (FIREWALLS.includes(args.type)) {
            for (const rule of ingressRules(args, config.ports)) {
                const open = rule.cidrs.filter(wide);
                if (rule.ports.length > 0 && open.length > 0) {
                    reportViolation(`opens PostgreSQL (port ${rule.ports.join(", ")}) to ${open.join(", ")}: admit only the ` +
                        "database's peers (its app servers and replicas), by address");
                }
            }
            return;
        }
        if (args.type === TYPES.rdsInstance || args.type === TYPES.rdsClusterInstance) {
            if (known(() => args.props.publiclyAccessible) === true) {
                reportViolation("is publicly accessible (publiclyAccessible: true): keep RDS in private subnets and reach it from the app servers");
            }
            return;
        }
        if (args.type === TYPES.cloudSql) {
            const networks: { name?: string; value?: string }[] = known(() => args.props.settings?.ipConfiguration?.authorizedNetworks) ?? [];
            const open = networks.map((n) => n.value).filter((v): v is string => typeof v === "string" && wide(v));
            if (open.length > 0) {
                reportViolation(`authorizes ${open.join(", ")} to connect: use private IP, and authorize only the peers' addresses`);
            }
            return;
        }
        args.notApplicable("applies to firewall rules, RDS and Cloud SQL");
    },
};
