// The offline mocks issue real keys and certificates: a CA, a server certificate with the IP and
// DNS names asked for, a client certificate, an Origin CA certificate from the mock Cloudflare root.
// Checked the way the servers will use them: `openssl verify`, and real TLS handshakes with OpenSSL.

import * as assert from "assert";
import { ChildProcess, execFile, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import * as tls from "tls";
import * as cloudflare from "@pulumi/cloudflare";
import * as tlsProvider from "@pulumi/tls";
import { OfflineRun, PROJECT_DIR, RecordedResource, reveal, runInMocks } from "../../tools/engine";
import { MOCK_ORIGIN_CA_PEM } from "../../tools/mocks";
import { parseCertRequest, signRequest } from "../../tools/x509";
import { ofType, stackRun } from "../helpers";
import { removeTempDir, tempDir } from "../tempdirs";

const DOMAIN = "ciam.test.example";
const DB_IPS = ["203.0.113.7", "10.1.0.20"];
const SERVER_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"];
const P256 = { algorithm: "ECDSA", ecdsaCurve: "P256" };
const SUBJECT = { commonName: "Test database CA", organization: "Olympus" };

/** A small program with the shapes the real one declares: a database CA and its certificates, and origin TLS. */
async function program(): Promise<void> {
    const caKey = new tlsProvider.PrivateKey("test-ca", P256);
    const ca = new tlsProvider.SelfSignedCert("test-ca", {
        privateKeyPem: caKey.privateKeyPem, isCaCertificate: true, validityPeriodHours: 24 * 365,
        allowedUses: ["cert_signing", "crl_signing"], subject: SUBJECT,
    });
    const leaf = (name: string, issuer: { key: tlsProvider.PrivateKey; cert: tlsProvider.SelfSignedCert }, request: Partial<tlsProvider.CertRequestArgs>, allowedUses: string[]) => {
        const key = new tlsProvider.PrivateKey(name, P256);
        const csr = new tlsProvider.CertRequest(name, { privateKeyPem: key.privateKeyPem, ...request });
        new tlsProvider.LocallySignedCert(name, {
            certRequestPem: csr.certRequestPem, caCertPem: issuer.cert.certPem, caPrivateKeyPem: issuer.key.privateKeyPem,
            validityPeriodHours: 48, allowedUses,
        });
    };
    leaf("test-db", { key: caKey, cert: ca }, { subject: { commonName: "test-db", organization: "Olympus" }, ipAddresses: DB_IPS, dnsNames: ["db.test.internal"] }, SERVER_USES);
    leaf("test-client", { key: caKey, cert: ca }, { subject: { commonName: "olympus_replicator", organization: "Olympus" } }, ["digital_signature", "client_auth"]);
    // Another CA with the very same name: only the signature tells its certificates apart.
    const otherKey = new tlsProvider.PrivateKey("other-ca", P256);
    const other = new tlsProvider.SelfSignedCert("other-ca", {
        privateKeyPem: otherKey.privateKeyPem, isCaCertificate: true, validityPeriodHours: 24 * 365, allowedUses: ["cert_signing"], subject: SUBJECT,
    });
    leaf("stray-db", { key: otherKey, cert: other }, { subject: { commonName: "test-db" }, ipAddresses: DB_IPS }, SERVER_USES);

    const originKey = new tlsProvider.PrivateKey("test-origin", P256);
    const originCsr = new tlsProvider.CertRequest("test-origin", { privateKeyPem: originKey.privateKeyPem, subject: { commonName: DOMAIN }, dnsNames: [DOMAIN, `*.${DOMAIN}`] });
    new cloudflare.OriginCaCertificate("test-origin", { csr: originCsr.certRequestPem, hostnames: [DOMAIN, `*.${DOMAIN}`], requestType: "origin-ecc", requestedValidity: 5475 });

    new tlsProvider.PrivateKey("test-p224", { algorithm: "ECDSA" });
    new tlsProvider.PrivateKey("test-p384", { algorithm: "ECDSA", ecdsaCurve: "P384" });
    new tlsProvider.PrivateKey("test-p521", { algorithm: "ECDSA", ecdsaCurve: "P521" });
    new tlsProvider.PrivateKey("test-ed25519", { algorithm: "ED25519" });
    new tlsProvider.PrivateKey("test-rsa", { algorithm: "RSA", rsaBits: 2048 });
}

const runProgram = () => runInMocks(program, { project: "olympus", stack: "tls", config: { values: {}, secretKeys: [] } });

const KEY = "tls:index/privateKey:PrivateKey";
const SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
const CSR = "tls:index/certRequest:CertRequest";
const LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";
const ORIGIN = "cloudflare:index/originCaCertificate:OriginCaCertificate";

/** A resource's outputs with secrets revealed: for assertions only. */
function outputs(run: OfflineRun, type: string, name: string): Record<string, any> {
    const r = run.resources.find((x) => x.type === type && x.name === name);
    assert.ok(r, `no ${type} "${name}"`);
    return reveal(r.wireOutputs) as Record<string, any>;
}
const revealed = (r: RecordedResource, from: "wireInputs" | "wireOutputs") => reveal(r[from]) as Record<string, any>;

interface Result { readonly code: number; readonly stdout: string; readonly stderr: string }

/** Run a command to its end (never blocking the event loop, which serves the TLS servers below). */
function run(command: string, args: string[], input = ""): Promise<Result> {
    return new Promise((resolve) => {
        const child = execFile(command, args, { timeout: 30_000 }, (err, stdout, stderr) =>
            resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }));
        child.stdin?.end(input);
    });
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const probe = net.createServer().once("error", reject);
        probe.listen(0, "127.0.0.1", () => {
            const { port } = probe.address() as net.AddressInfo;
            probe.close(() => resolve(port));
        });
    });
}

/** `openssl s_server` with this certificate and key, as PostgreSQL or Caddy would serve them. */
async function opensslServer(args: string[]): Promise<{ port: number; process: ChildProcess }> {
    const port = await freePort();
    const child = spawn("openssl", ["s_server", "-accept", `127.0.0.1:${port}`, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => { stderr += String(d); });
    await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (d) => { if (/ACCEPT/.test(String(d))) resolve(); });
        child.once("exit", (code) => reject(new Error(`openssl s_server exited (${code}): ${stderr}`)));
    });
    return { port, process: child };
}

/** A client that checks the server the way libpq's verify-full does with an IP host: chain, then the IP name. */
const verifyFullClient = (port: number, dir: string, ip: string) => run("openssl", [
    "s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", path.join(dir, "ca.pem"), "-verify_ip", ip, "-verify_return_error", "-brief",
]);

describe("offline mocks: real TLS keys and certificates", () => {
    let tlsRun: OfflineRun;
    let dir: string;
    const file = (name: string) => path.join(dir, name);

    before(async () => {
        tlsRun = await runProgram();
        dir = tempDir("mocks-tls");
        const write = (name: string, text: string) => fs.writeFileSync(file(name), text, { mode: 0o600 });
        write("ca.pem", outputs(tlsRun, SELF_SIGNED, "test-ca").certPem);
        write("other-ca.pem", outputs(tlsRun, SELF_SIGNED, "other-ca").certPem);
        for (const name of ["test-db", "test-client", "stray-db"]) {
            write(`${name}.pem`, outputs(tlsRun, LOCALLY_SIGNED, name).certPem);
            write(`${name}.key`, outputs(tlsRun, KEY, name).privateKeyPem);
        }
        write("origin.pem", outputs(tlsRun, ORIGIN, "test-origin").certificate);
        write("origin.key", outputs(tlsRun, KEY, "test-origin").privateKeyPem);
        write("cloudflare-root.pem", MOCK_ORIGIN_CA_PEM);
    });
    after(() => removeTempDir(dir));

    describe("SelfSignedCert", () => {
        it("is a CA (CA:TRUE, critical) for cert signing, with the subject asked for, signed by its own key", async () => {
            const ca = new crypto.X509Certificate(outputs(tlsRun, SELF_SIGNED, "test-ca").certPem);
            assert.strictEqual(ca.ca, true);
            assert.strictEqual(ca.subject, "O=Olympus\nCN=Test database CA");
            assert.strictEqual(ca.issuer, ca.subject);
            assert.ok(ca.verify(ca.publicKey), "self-signed");
            assert.ok(ca.checkPrivateKey(crypto.createPrivateKey(outputs(tlsRun, KEY, "test-ca").privateKeyPem)));
            const text = (await run("openssl", ["x509", "-in", file("ca.pem"), "-noout", "-ext", "basicConstraints,keyUsage,subjectKeyIdentifier"])).stdout;
            assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
            assert.match(text, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
            assert.match(text, /X509v3 Subject Key Identifier: *\n\s+([0-9A-F]{2}:){19}[0-9A-F]{2}\n/);
        });

        it("is valid from an hour ago for validityPeriodHours, and says so in RFC 3339", () => {
            const out = outputs(tlsRun, SELF_SIGNED, "test-ca");
            const ca = new crypto.X509Certificate(out.certPem);
            assert.match(out.validityStartTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
            assert.strictEqual(Date.parse(out.validityStartTime), Date.parse(ca.validFrom));
            assert.strictEqual(Date.parse(out.validityEndTime), Date.parse(ca.validTo));
            assert.strictEqual(Date.parse(out.validityEndTime) - Date.parse(out.validityStartTime), 365 * 24 * 3600 * 1000);
            const age = Date.now() - Date.parse(out.validityStartTime);
            assert.ok(age >= 3600 * 1000 && age < 3900 * 1000, `issued ${age - 3600 * 1000} ms before the hour`);
            assert.strictEqual(out.keyAlgorithm, "ECDSA");
        });
    });

    describe("CertRequest and LocallySignedCert", () => {
        it("makes a PKCS#10 request signed by its key, with the IP and DNS names in it", async () => {
            const pem = outputs(tlsRun, CSR, "test-db").certRequestPem;
            const checked = await run("openssl", ["req", "-noout", "-verify", "-subject", "-text"], pem);
            assert.strictEqual(checked.code, 0, checked.stderr);
            assert.match(checked.stderr + checked.stdout, /verify OK/);
            assert.match(checked.stdout, /subject=O = Olympus, CN = test-db/);
            assert.match(checked.stdout, /DNS:db\.test\.internal, IP Address:203\.0\.113\.7, IP Address:10\.1\.0\.20/);
        });

        it("issues the request's key and names under the CA: it verifies, for its IP addresses", async () => {
            const leaf = new crypto.X509Certificate(outputs(tlsRun, LOCALLY_SIGNED, "test-db").certPem);
            const ca = new crypto.X509Certificate(outputs(tlsRun, SELF_SIGNED, "test-ca").certPem);
            assert.strictEqual(leaf.subjectAltName, "DNS:db.test.internal, IP Address:203.0.113.7, IP Address:10.1.0.20");
            assert.strictEqual(leaf.subject, "O=Olympus\nCN=test-db");
            assert.strictEqual(leaf.issuer, ca.subject);
            assert.strictEqual(leaf.ca, false);
            assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
            assert.ok(leaf.checkPrivateKey(crypto.createPrivateKey(outputs(tlsRun, KEY, "test-db").privateKeyPem)), "the key is the certificate's");
            assert.ok(!leaf.checkPrivateKey(crypto.createPrivateKey(outputs(tlsRun, KEY, "test-client").privateKeyPem)), "another key is not");
            for (const ip of DB_IPS) {
                const verified = await run("openssl", ["verify", "-CAfile", file("ca.pem"), "-verify_ip", ip, file("test-db.pem")]);
                assert.strictEqual(verified.stdout.trim(), `${file("test-db.pem")}: OK`, verified.stderr);
            }
        });

        it("refuses the certificate for an address it does not name", async () => {
            const wrong = await run("openssl", ["verify", "-CAfile", file("ca.pem"), "-verify_ip", "203.0.113.8", file("test-db.pem")]);
            assert.notStrictEqual(wrong.code, 0);
            assert.match(wrong.stderr + wrong.stdout, /IP address mismatch/);
            assert.strictEqual(new crypto.X509Certificate(outputs(tlsRun, LOCALLY_SIGNED, "test-db").certPem).checkIP("203.0.113.8"), undefined);
        });

        it("carries the allowed uses as key usage and extended key usage, and the CA's key id", async () => {
            const exts = (name: string) => run("openssl", ["x509", "-in", file(`${name}.pem`), "-noout", "-ext", "keyUsage,extendedKeyUsage,basicConstraints,authorityKeyIdentifier"]);
            const server = (await exts("test-db")).stdout;
            assert.match(server, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
            assert.match(server, /X509v3 Extended Key Usage: *\n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
            assert.match(server, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
            const caKeyId = /Subject Key Identifier: *\n\s+(\S+)/.exec((await run("openssl", ["x509", "-in", file("ca.pem"), "-noout", "-ext", "subjectKeyIdentifier"])).stdout)![1];
            assert.ok(server.includes(caKeyId), "authorityKeyIdentifier is the CA's subjectKeyIdentifier");
            const client = new crypto.X509Certificate(outputs(tlsRun, LOCALLY_SIGNED, "test-client").certPem);
            assert.deepStrictEqual(client.keyUsage, ["1.3.6.1.5.5.7.3.2"], "client_auth only");
            assert.strictEqual(client.subjectAltName, undefined, "no names asked for, none given");
            assert.strictEqual(outputs(tlsRun, LOCALLY_SIGNED, "test-db").caKeyAlgorithm, "ECDSA");
        });

        it("does not verify a certificate from another CA of the same name", async () => {
            const stray = new crypto.X509Certificate(outputs(tlsRun, LOCALLY_SIGNED, "stray-db").certPem);
            const ca = new crypto.X509Certificate(outputs(tlsRun, SELF_SIGNED, "test-ca").certPem);
            assert.strictEqual(stray.issuer, ca.subject, "same issuer name");
            assert.ok(!stray.verify(ca.publicKey));
            const refused = await run("openssl", ["verify", "-CAfile", file("ca.pem"), file("stray-db.pem")]);
            assert.notStrictEqual(refused.code, 0);
            assert.match(refused.stderr + refused.stdout, /certificate signature failure|unable to get local issuer certificate/);
            const own = await run("openssl", ["verify", "-CAfile", file("other-ca.pem"), file("stray-db.pem")]);
            assert.strictEqual(own.code, 0, "it is well formed: its own CA verifies it");
        });

        it("refuses to sign with a key that is not the CA certificate's, as the provider does", () => {
            const request = parseCertRequest(outputs(tlsRun, CSR, "test-db").certRequestPem);
            assert.throws(() => signRequest(request, outputs(tlsRun, SELF_SIGNED, "test-ca").certPem, outputs(tlsRun, KEY, "other-ca").privateKeyPem,
                { validityPeriodHours: 1, serialSeed: "x" }), /provided PrivateKey doesn't match parent's PublicKey/);
        });
    });

    describe("TLS handshakes", () => {
        const servers: ChildProcess[] = [];
        after(() => { for (const s of servers) s.kill(); });

        it("serves the database certificate to a verify-full client for its IP, and fails it for another IP", async () => {
            const server = await opensslServer(["-cert", file("test-db.pem"), "-key", file("test-db.key")]);
            servers.push(server.process);
            const ok = await verifyFullClient(server.port, dir, "203.0.113.7");
            assert.strictEqual(ok.code, 0, ok.stderr);
            assert.match(ok.stderr, /Verification: OK/);
            const wrong = await verifyFullClient(server.port, dir, "203.0.113.99");
            assert.notStrictEqual(wrong.code, 0);
            assert.match(wrong.stderr, /IP address mismatch/);
        });

        it("fails a verify-full client when the server's certificate comes from another CA", async () => {
            const server = await opensslServer(["-cert", file("stray-db.pem"), "-key", file("stray-db.key")]);
            servers.push(server.process);
            const refused = await verifyFullClient(server.port, dir, "203.0.113.7");
            assert.notStrictEqual(refused.code, 0);
            assert.match(refused.stderr, /certificate signature failure|unable to get local issuer certificate/);
        });

        it("connects Node's TLS client (ca + checkServerIdentity) for the private address", async () => {
            const server = await opensslServer(["-cert", file("test-db.pem"), "-key", file("test-db.key")]);
            servers.push(server.process);
            const connect = (ip: string) => new Promise<string>((resolve) => {
                const socket = tls.connect({
                    host: "127.0.0.1", port: server.port, ca: fs.readFileSync(file("ca.pem")),
                    checkServerIdentity: (_host, cert) => tls.checkServerIdentity(ip, cert),
                }, () => { socket.end(); resolve("connected"); });
                socket.once("error", (err: NodeJS.ErrnoException) => resolve(String(err.code)));
            });
            assert.strictEqual(await connect("10.1.0.20"), "connected");
            assert.strictEqual(await connect("10.1.0.21"), "ERR_TLS_CERT_ALTNAME_INVALID");
        });

        it("mutual TLS: a server requiring client certificates from the CA admits the client certificate, and no other", async () => {
            const seen: string[] = [];
            // Node checks the client's chain after the handshake; the verdict is the server's to act on.
            const server = tls.createServer({
                cert: fs.readFileSync(file("test-db.pem")), key: fs.readFileSync(file("test-db.key")),
                ca: fs.readFileSync(file("ca.pem")), requestCert: true, rejectUnauthorized: false,
            }, (socket) => {
                const peer = socket.getPeerCertificate();
                seen.push(socket.authorized ? `admitted ${peer.subject.CN}` : `refused: ${peer.subject ? socket.authorizationError : "no certificate"}`);
                socket.destroy();
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            const port = (server.address() as net.AddressInfo).port;
            /** The server's verdict on one client, which stays connected until the server has judged it. */
            const client = async (...certArgs: string[]) => {
                const before = seen.length;
                const child = spawn("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-CAfile", file("ca.pem"), "-verify_ip", "203.0.113.7", ...certArgs], { stdio: "pipe" });
                try {
                    for (let i = 0; i < 250 && seen.length === before; i++) await new Promise((r) => setTimeout(r, 20));
                } finally {
                    child.kill();
                }
                return seen.slice(before).join("; ");
            };
            try {
                assert.strictEqual(await client("-cert", file("test-client.pem"), "-key", file("test-client.key")), "admitted olympus_replicator");
                assert.match(await client("-cert", file("stray-db.pem"), "-key", file("stray-db.key")), /^refused: (CERT_SIGNATURE_FAILURE|UNABLE_TO_VERIFY_LEAF_SIGNATURE)$/);
                assert.strictEqual(await client(), "refused: no certificate");
            } finally {
                server.close();
            }
        });
    });

    describe("Cloudflare OriginCaCertificate", () => {
        it("is signed by the mock Origin ECC root for the domain and its wildcard, and no other name", async () => {
            for (const host of [DOMAIN, `www.${DOMAIN}`, `auth.${DOMAIN}`]) {
                const ok = await run("openssl", ["verify", "-CAfile", file("cloudflare-root.pem"), "-verify_hostname", host, file("origin.pem")]);
                assert.strictEqual(ok.stdout.trim(), `${file("origin.pem")}: OK`, `${host}: ${ok.stderr}`);
            }
            for (const host of [`a.b.${DOMAIN}`, "test.example", "example.org"]) {
                const wrong = await run("openssl", ["verify", "-CAfile", file("cloudflare-root.pem"), "-verify_hostname", host, file("origin.pem")]);
                assert.match(wrong.stderr + wrong.stdout, /hostname mismatch/, host);
            }
            const other = await run("openssl", ["verify", "-CAfile", file("ca.pem"), file("origin.pem")]);
            assert.notStrictEqual(other.code, 0, "the stack's own CA did not sign it");
        });

        it("is for the request's key, Cloudflare's subject, server and client auth, and expires when expiresOn says", () => {
            const out = outputs(tlsRun, ORIGIN, "test-origin");
            const cert = new crypto.X509Certificate(out.certificate);
            assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(outputs(tlsRun, KEY, "test-origin").privateKeyPem)));
            assert.strictEqual(cert.subject, "O=CloudFlare\\, Inc.\nOU=CloudFlare Origin CA\nCN=CloudFlare Origin Certificate");
            assert.strictEqual(cert.subjectAltName, `DNS:${DOMAIN}, DNS:*.${DOMAIN}`);
            assert.deepStrictEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
            assert.strictEqual(Date.parse(out.expiresOn), Date.parse(cert.validTo));
            assert.strictEqual(Date.parse(cert.validTo) - Date.parse(cert.validFrom), 5475 * 24 * 3600 * 1000);
            assert.ok(new crypto.X509Certificate(MOCK_ORIGIN_CA_PEM).ca);
        });

        it("serves it over TLS to a client that trusts only the mock root, as Cloudflare's proxy does with Full (strict)", async () => {
            const server = await opensslServer(["-cert", file("origin.pem"), "-key", file("origin.key")]);
            try {
                const check = (host: string, ca: string) => run("openssl", ["s_client", "-connect", `127.0.0.1:${server.port}`, "-servername", host,
                    "-CAfile", file(ca), "-verify_hostname", host, "-verify_return_error", "-brief"]);
                assert.strictEqual((await check(`www.${DOMAIN}`, "cloudflare-root.pem")).code, 0);
                assert.notStrictEqual((await check(`www.${DOMAIN}`, "ca.pem")).code, 0, "an untrusted root fails");
            } finally {
                server.process.kill();
            }
        });
    });

    describe("PrivateKey", () => {
        const FORMATS: [string, string, string, Record<string, unknown>][] = [
            ["test-p224", "EC PRIVATE KEY", "ECDSA P-224", { namedCurve: "secp224r1" }],
            ["test-ca", "EC PRIVATE KEY", "ECDSA P-256", { namedCurve: "prime256v1" }],
            ["test-p384", "EC PRIVATE KEY", "ECDSA P-384", { namedCurve: "secp384r1" }],
            ["test-p521", "EC PRIVATE KEY", "ECDSA P-521", { namedCurve: "secp521r1" }],
            ["test-ed25519", "PRIVATE KEY", "ED25519", {}],
            ["test-rsa", "RSA PRIVATE KEY", "RSA 2048", { modulusLength: 2048, publicExponent: 65537n }],
        ];
        for (const [name, label, what, details] of FORMATS) {
            it(`writes a ${what} key in the provider's formats (${label}, PKCS#8, public PEM) that all agree`, async () => {
                const out = outputs(tlsRun, KEY, name);
                assert.ok(out.privateKeyPem.startsWith(`-----BEGIN ${label}-----\n`), out.privateKeyPem.split("\n")[0]);
                assert.ok(out.privateKeyPemPkcs8.startsWith("-----BEGIN PRIVATE KEY-----\n"));
                const key = crypto.createPrivateKey(out.privateKeyPem);
                assert.deepStrictEqual(key.asymmetricKeyDetails, details);
                const spki = (k: crypto.KeyObject) => crypto.createPublicKey(k).export({ type: "spki", format: "der" });
                assert.ok(spki(key).equals(spki(crypto.createPrivateKey(out.privateKeyPemPkcs8))));
                assert.ok(spki(key).equals(crypto.createPublicKey(out.publicKeyPem).export({ type: "spki", format: "der" })));
                const checked = await run("openssl", ["pkey", "-check", "-noout"], out.privateKeyPem);
                assert.strictEqual(checked.code, 0, checked.stderr);
            });
        }

        it("gives the OpenSSH forms ssh-keygen reads, and none for P-224 (as the provider, whose SSH library lacks it)", async () => {
            for (const name of ["test-ca", "test-p384", "test-p521", "test-ed25519", "test-rsa"]) {
                const out = outputs(tlsRun, KEY, name);
                const keyFile = file(`${name}.ssh`);
                fs.writeFileSync(keyFile, out.privateKeyOpenssh, { mode: 0o600 });
                const pub = await run("ssh-keygen", ["-y", "-f", keyFile]);
                assert.strictEqual(pub.stdout.trim(), out.publicKeyOpenssh.trim(), `${name}: ${pub.stderr}`);
                fs.writeFileSync(`${keyFile}.pub`, out.publicKeyOpenssh);
                const fingerprint = await run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${keyFile}.pub`]);
                assert.strictEqual(fingerprint.stdout.split(" ")[1], out.publicKeyFingerprintSha256, name);
                const md5 = await run("ssh-keygen", ["-l", "-E", "md5", "-f", `${keyFile}.pub`]);
                assert.strictEqual(md5.stdout.split(" ")[1], `MD5:${out.publicKeyFingerprintMd5}`, name);
            }
            const p224 = outputs(tlsRun, KEY, "test-p224");
            assert.deepStrictEqual([p224.privateKeyOpenssh, p224.publicKeyOpenssh, p224.publicKeyFingerprintSha256], ["", "", ""]);
        });

        it("derives ECDSA and ED25519 keys from the name: the same in another process, different for another name", async () => {
            const names = ["test-db", "test-ed25519"];
            const script = `const x = require("./tools/x509");
                process.stdout.write(JSON.stringify([x.deterministicKey("test-db", "ECDSA", { ecdsaCurve: "P256" }), x.deterministicKey("test-ed25519", "ED25519")]
                    .map((k) => x.privateKeyOutputs(k).privateKeyPem)));`;
            const child = await new Promise<Result>((resolve) => execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", script], { cwd: PROJECT_DIR },
                (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout: String(stdout), stderr: String(stderr) })));
            assert.strictEqual(child.code, 0, child.stderr);
            assert.deepStrictEqual(JSON.parse(child.stdout), names.map((n) => outputs(tlsRun, KEY, n).privateKeyPem));
            const all = ofType(tlsRun, KEY).map((k) => revealed(k, "wireOutputs").privateKeyPem);
            assert.strictEqual(new Set(all).size, all.length, "every name its own key");
        });

        it("keeps a CA's name and key across runs: one run's CA verifies the next run's certificates", async () => {
            const again = await runProgram();
            const ca = new crypto.X509Certificate(outputs(tlsRun, SELF_SIGNED, "test-ca").certPem);
            const leaf = new crypto.X509Certificate(outputs(again, LOCALLY_SIGNED, "test-db").certPem);
            assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey));
        });
    });
});

describe("offline mocks: the us-eu stack's certificates are real", () => {
    it("parses every certificate, each verifies against its issuer and matches its key, with the names asked for", async () => {
        const run = await stackRun("us-eu");
        const byType = (type: string) => ofType(run, type).map((r) => ({ r, inputs: revealed(r, "wireInputs"), outputs: revealed(r, "wireOutputs") }));
        const keys = byType(KEY);
        const requests = byType(CSR);
        const keyFor = (certRequestPem: string) => {
            const request = requests.find((q) => q.outputs.certRequestPem === certRequestPem);
            assert.ok(request, "the certificate's request is in the run");
            const key = keys.find((k) => k.outputs.privateKeyPem === request.inputs.privateKeyPem);
            assert.ok(key, "the request's key is in the run");
            return { request, key: crypto.createPrivateKey(key.outputs.privateKeyPem) };
        };
        for (const k of keys) assert.ok(crypto.createPrivateKey(k.outputs.privateKeyPem), k.r.name);

        const cas = byType(SELF_SIGNED);
        assert.ok(cas.length >= 2, "the database CA and the origin-pull CA");
        for (const ca of cas) {
            const cert = new crypto.X509Certificate(ca.outputs.certPem);
            assert.strictEqual(cert.ca, Boolean(ca.inputs.isCaCertificate), ca.r.name);
            assert.ok(cert.verify(cert.publicKey), ca.r.name);
        }

        const issued = byType(LOCALLY_SIGNED);
        assert.ok(issued.length >= 3, "a database certificate per region, and the origin-pull client");
        for (const c of issued) {
            const cert = new crypto.X509Certificate(c.outputs.certPem);
            assert.ok(cert.verify(new crypto.X509Certificate(c.inputs.caCertPem).publicKey), `${c.r.name} verifies against its CA`);
            const { request, key } = keyFor(c.inputs.certRequestPem);
            assert.ok(cert.checkPrivateKey(key), `${c.r.name} matches its key`);
            for (const ip of request.inputs.ipAddresses ?? []) assert.strictEqual(cert.checkIP(ip), ip, `${c.r.name} names ${ip}`);
        }
        const dbCerts = issued.filter((c) => (keyFor(c.inputs.certRequestPem).request.inputs.ipAddresses ?? []).length > 0);
        assert.ok(dbCerts.length >= 2, "database certificates name their addresses");

        const origins = byType(ORIGIN);
        assert.strictEqual(origins.length, 1);
        for (const o of origins) {
            const cert = new crypto.X509Certificate(o.outputs.certificate);
            assert.ok(cert.verify(new crypto.X509Certificate(MOCK_ORIGIN_CA_PEM).publicKey), "signed by the mock Origin root");
            assert.ok(cert.checkPrivateKey(keyFor(o.inputs.csr).key));
            for (const host of o.inputs.hostnames as string[]) assert.ok(cert.checkHost(host.replace(/^\*\./, "www.")), `names ${host}`);
        }
    });
});
