// The service credentials every region shares: one password per database role (the service roles,
// replication, pg_rewind, monitoring, a managed database's admin) and Kratos' SMTP URL. Generated once, here; the regions copy
// the bundle into their own secret store, as they do the master key. Replicas must hold the same
// passwords as the primary: the roles replicate with the data.

import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { databaseServices } from "./runtime/services";

/** Tags (AWS) and labels (GCP) that mark a copy of this bundle. */
export const CREDENTIALS_TAG = { "olympus-secret": "service-credentials" } as const;

/** The bundle's keys: JSON fields of the secret the servers fetch. */
export const CREDENTIAL_NAMES = ["replicator", "rewind", "monitor", "admin", ...databaseServices().map((s) => s.database)] as const;

export interface CredentialsArgs {
    /** Kratos' mail courier URL; it usually holds a password. */
    readonly smtpUrl: pulumi.Input<string>;
    /** Where token revocations are published (NATS or Redis), when introspection caches are invalidated. */
    readonly cacheInvalidationUrl?: pulumi.Input<string>;
}

/** Which credentials each server role receives (least privilege: a server reads only what it uses). */
export const APP_CREDENTIALS = ["monitor", ...databaseServices().map((s) => s.database)] as const;
export const DATABASE_CREDENTIALS = ["replicator", "rewind", "monitor", ...databaseServices().map((s) => s.database)] as const;

/** Give it a random provider through `opts.providers`. */
export class Credentials extends pulumi.ComponentResource {
    /**
     * JSON `{ replicator, rewind, monitor, admin, hydra, kratos, athena, smtpUrl }`. A secret. `admin` is a
     * managed database's master user (RDS, Cloud SQL); a self-managed node's superuser has no password.
     */
    readonly bundle: pulumi.Output<string>;

    constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:index:Credentials", name, {}, opts);
        // Letters and digits only: the passwords go into URLs (DSNs) and passfiles unescaped.
        const passwords = CREDENTIAL_NAMES.map((role) => new random.RandomPassword(`${name}-${role}`, { length: 32, special: false }, { parent: this }));
        this.bundle = pulumi.secret(pulumi.all([pulumi.all(passwords.map((p) => p.result)), args.smtpUrl, args.cacheInvalidationUrl])
            .apply(([values, smtpUrl, cacheInvalidationUrl]) => JSON.stringify({
                ...Object.fromEntries(CREDENTIAL_NAMES.map((n, i) => [n, values[i]])),
                smtpUrl,
                ...(cacheInvalidationUrl ? { cacheInvalidationUrl } : {}),
            })));
        this.registerOutputs({ bundle: this.bundle });
    }

    /**
     * What an app server reads: the service and monitoring passwords, SMTP, the invalidation channel,
     * and (a managed writer's, which creates the roles) the admin password. Never replication's or rewind's.
     */
    forApp(o: { admin: boolean }): pulumi.Output<string> {
        return this.subset([...APP_CREDENTIALS, ...(o.admin ? ["admin"] : []), "smtpUrl", "cacheInvalidationUrl"]);
    }

    /** What a database server reads: replication, rewind, monitoring and the service passwords it sets. Never SMTP or the admin's. */
    forDatabase(): pulumi.Output<string> {
        return this.subset(DATABASE_CREDENTIALS);
    }

    private subset(keys: readonly string[]): pulumi.Output<string> {
        return pulumi.secret(this.bundle.apply((b) => {
            const all = JSON.parse(b) as Record<string, string>;
            return JSON.stringify(Object.fromEntries(keys.filter((k) => all[k] !== undefined).map((k) => [k, all[k]])));
        }));
    }
}
