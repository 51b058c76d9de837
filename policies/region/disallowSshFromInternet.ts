import { ResourceValidationPolicy } from "@pulumi/policy";
import { NETWORK_DEFAULTS } from "../lib/config";
import { TYPES, ingressRules, isInternetWide } from "../lib/resources";

const FIREWALLS: readonly string[] = [TYPES.securityGroup, TYPES.securityGroupRule, TYPES.sgIngressRule, TYPES.gcpFirewall];

interface Config {
    ports?: number[];
    ipv4MinPrefix?: number;
    ipv6MinPrefix?: number;
}

/**
 * Olympus servers are reached through SSM Session Manager (AWS) or Identity-Aware Proxy (GCP),
 * never over SSH from the internet: an open port 22 on a server that holds the master key and
 * database credentials invites every brute-force scanner. This catches any firewall rule that
 * opens SSH to an internet-wide range, including all-protocol rules and GCP rules that name no
 * source (GCP then admits 0.0.0.0/0). IAP's own range is not internet-wide, so IAP keeps working.
 */
export const disallowSshFromInternet: ResourceValidationPolicy = {
    name: "olympus-region-disallow-ssh-from-internet",
    description: "No SSH from the internet: servers are reached through SSM Session Manager or IAP.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            ports: { type: "array", items: { type: "integer" }, default: [22], description: "The ports SSH listens on." },
            ipv4MinPrefix: { type: "integer", minimum: 0, maximum: 32, default: NETWORK_DEFAULTS.ipv4MinPrefix, description: "An IPv4 source range broader than this counts as the internet." },
            ipv6MinPrefix: { type: "integer", minimum: 0, maximum: 128, default: NETWORK_DEFAULTS.ipv6MinPrefix, description: "An IPv6 source range broader than this counts as the internet." },
        },
    },
    validateResource: (args, reportViolation) => {
        if (!FIREWALLS.includes(args.type)) args.notApplicable("applies to security groups, their rules and GCP firewall rules");
        const config = args.getConfig<Config>();
        const limits = { ipv4MinPrefix: config.ipv4MinPrefix ?? NETWORK_DEFAULTS.ipv4MinPrefix, ipv6MinPrefix: config.ipv6MinPrefix ?? NETWORK_DEFAULTS.ipv6MinPrefix };
        for (const rule of ingressRules(args, config.ports ?? [22])) {
            const open = rule.cidrs.filter((c) => isInternetWide(c, limits));
            if (rule.ports.length > 0 && open.length > 0) {
                reportViolation(`opens SSH (port ${rule.ports.join(", ")}) to ${open.join(", ")}: reach servers through SSM Session Manager (AWS) ` +
                    "or Identity-Aware Proxy (GCP, 35.235.240.0/20) instead");
            }
        }
    },
};
