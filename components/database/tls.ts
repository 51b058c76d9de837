// The private CA of the database tier: one CA made by the program, and per database node a
// certificate whose names are the addresses peers reach it at (public and private), so every
// connection verifies the server (sslmode=verify-full). Keys stay in state (as secrets) and travel
// to the node through its region's secret store, never through user-data.

import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

const YEAR_HOURS = 365 * 24;

/** Give it a tls provider through `opts.providers`. */
export class DatabaseCa extends pulumi.ComponentResource {
    /** The CA certificate (public): every client and node trusts it. */
    readonly certPem: pulumi.Output<string>;
    private readonly keyPem: pulumi.Output<string>;

    constructor(name: string, args: Record<string, never> = {}, opts?: pulumi.ComponentResourceOptions) {
        super("olympus:database:CertificateAuthority", name, args, opts);
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const cert = new tls.SelfSignedCert(`${name}-cert`, {
            privateKeyPem: key.privateKeyPem,
            isCaCertificate: true,
            validityPeriodHours: 10 * YEAR_HOURS,
            allowedUses: ["cert_signing", "crl_signing"],
            subject: { commonName: "Olympus database CA", organization: "Olympus" },
        }, { parent: this });
        this.certPem = cert.certPem;
        this.keyPem = pulumi.secret(key.privateKeyPem);
        this.registerOutputs({ certPem: this.certPem });
    }

    /**
     * A server certificate for a database node at these addresses, as children of `parent` (which
     * must carry a tls provider). Re-issued 30 days before it expires, on the next `pulumi up`.
     */
    issue(name: string, commonName: string, addresses: pulumi.Input<string>[], parent: pulumi.Resource): { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> } {
        const key = new tls.PrivateKey(`${name}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
        const request = new tls.CertRequest(`${name}-csr`, {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName, organization: "Olympus" },
            ipAddresses: addresses,
        }, { parent });
        const cert = new tls.LocallySignedCert(`${name}-cert`, {
            certRequestPem: request.certRequestPem,
            caCertPem: this.certPem,
            caPrivateKeyPem: this.keyPem,
            validityPeriodHours: 2 * YEAR_HOURS,
            earlyRenewalHours: 30 * 24,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
        }, { parent });
        return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
    }
}
