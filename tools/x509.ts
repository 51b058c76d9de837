// Real keys, certificates and certificate requests for the offline mocks, with Node's crypto and a
// small DER encoder: what the tls provider (Go's crypto/x509 underneath) would return, so servers
// booted from an offline run's secrets can actually speak TLS to each other.

import * as crypto from "crypto";
import * as net from "net";

// ---------------------------------------------------------------------------------------------
// DER: just the types certificates use.

function derLength(n: number): Buffer {
    if (n < 0x80) return Buffer.from([n]);
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, body: Buffer): Buffer {
    return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
/** A SET OF in DER order (elements sorted by their encoding). */
const setOf = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat([...items].sort(Buffer.compare)));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const NULL = Buffer.from([0x05, 0x00]);
/** [n] EXPLICIT. */
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 | n, inner);

/** A non-negative INTEGER from big-endian magnitude bytes, a number or a bigint. */
function int(v: Buffer | number | bigint): Buffer {
    let b = Buffer.isBuffer(v) ? v : bigToBytes(BigInt(v));
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    b = b.subarray(i);
    if (b.length === 0) b = Buffer.from([0]);
    return tlv(0x02, b[0] & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function oid(dotted: string): Buffer {
    const [a, b, ...rest] = dotted.split(".").map(Number);
    const out = [40 * a + b];
    for (const arc of rest) {
        const chunk = [arc & 0x7f];
        for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
        out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
}

function decodeOid(body: Buffer): string {
    const arcs = body[0] >= 80 ? [2, body[0] - 80] : [Math.floor(body[0] / 40), body[0] % 40];
    let v = 0;
    for (const byte of body.subarray(1)) {
        v = v * 128 + (byte & 0x7f);
        if (!(byte & 0x80)) { arcs.push(v); v = 0; }
    }
    return arcs.join(".");
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
    const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
    const year = d.getUTCFullYear();
    return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), "ascii")) : tlv(0x18, Buffer.from(iso, "ascii"));
}

function bigToBytes(v: bigint, size?: number): Buffer {
    let h = v.toString(16);
    if (h.length % 2) h = `0${h}`;
    const b = Buffer.from(h, "hex");
    return size === undefined ? b : Buffer.concat([Buffer.alloc(Math.max(0, size - b.length)), b]);
}

interface Node {
    readonly tag: number;
    /** The contents octets. */
    readonly body: Buffer;
    /** The whole encoding, header included. */
    readonly raw: Buffer;
}

function readNode(buf: Buffer, offset = 0): Node {
    const tag = buf[offset];
    let len = buf[offset + 1];
    let start = offset + 2;
    if (len & 0x80) {
        const n = len & 0x7f;
        if (n === 0 || n > 4) throw new Error("unsupported DER length");
        len = 0;
        for (let i = 0; i < n; i++) len = len * 256 + buf[start + i];
        start += n;
    }
    if (tag === undefined || start + len > buf.length) throw new Error("truncated DER");
    return { tag, body: buf.subarray(start, start + len), raw: buf.subarray(offset, start + len) };
}

function children(node: Node): Node[] {
    const out: Node[] = [];
    for (let off = 0; off < node.body.length;) {
        const child = readNode(node.body, off);
        out.push(child);
        off += child.raw.length;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// PEM

export function toPem(label: string, der: Buffer): string {
    const lines = der.toString("base64").match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** The first PEM block's contents; it must carry `label`. */
export function fromPem(text: string, label: string, what: string): Buffer {
    const m = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(String(text ?? ""));
    if (!m) throw new Error(`${what}: no PEM block found`);
    if (m[1] !== label) throw new Error(`${what}: invalid PEM type - expected "${label}", got "${m[1]}"`);
    return Buffer.from(m[2].replace(/\s+/g, ""), "base64");
}

// ---------------------------------------------------------------------------------------------
// Keys

export type KeyAlgorithm = "RSA" | "ECDSA" | "ED25519";
export type EcdsaCurve = "P224" | "P256" | "P384" | "P521";

const CURVES: Readonly<Record<EcdsaCurve, { openssl: string; oid: string; size: number; order: bigint; hash: string; ssh?: string }>> = {
    P224: { openssl: "secp224r1", oid: "1.3.132.0.33", size: 28, hash: "sha256", order: BigInt("0xffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d") },
    P256: { openssl: "prime256v1", oid: "1.2.840.10045.3.1.7", size: 32, hash: "sha256", ssh: "nistp256", order: BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551") },
    P384: {
        openssl: "secp384r1", oid: "1.3.132.0.34", size: 48, hash: "sha384", ssh: "nistp384",
        order: BigInt("0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973"),
    },
    P521: {
        openssl: "secp521r1", oid: "1.3.132.0.35", size: 66, hash: "sha512", ssh: "nistp521",
        order: BigInt("0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"),
    },
};
const CURVE_BY_OPENSSL = new Map(Object.entries(CURVES).map(([name, c]) => [c.openssl, { name: name as EcdsaCurve, ...c }]));

const OID = {
    ecPublicKey: "1.2.840.10045.2.1",
    rsaEncryption: "1.2.840.113549.1.1.1",
    ed25519: "1.3.101.112",
    extensionRequest: "1.2.840.113549.1.9.14",
    subjectKeyIdentifier: "2.5.29.14",
    keyUsage: "2.5.29.15",
    subjectAltName: "2.5.29.17",
    basicConstraints: "2.5.29.19",
    authorityKeyIdentifier: "2.5.29.35",
    extKeyUsage: "2.5.29.37",
};

/** Hash-expanded bytes: the deterministic randomness a key is derived from. */
function expand(seed: string, length: number): Buffer {
    const out: Buffer[] = [];
    for (let i = 0; out.length * 64 < length; i++) out.push(crypto.createHash("sha512").update(`${seed}#${i}`).digest());
    return Buffer.concat(out).subarray(0, length);
}

/** SEC 1 ECPrivateKey for scalar d (public point computed), the form Go's MarshalECPrivateKey writes. */
function ecKeyFromSeed(seed: string, curve: EcdsaCurve): crypto.KeyObject {
    const c = CURVES[curve];
    // 16 bytes beyond the order's size make the bias of the reduction negligible (FIPS 186-5 A.2.1).
    const wide = BigInt(`0x${expand(`ecdsa/${curve}/${seed}`, c.size + 16).toString("hex")}`);
    const d = bigToBytes((wide % (c.order - 1n)) + 1n, c.size);
    const ecdh = crypto.createECDH(c.openssl);
    ecdh.setPrivateKey(d);
    const sec1 = seq(int(1), octets(d), explicit(0, oid(c.oid)), explicit(1, bits(ecdh.getPublicKey())));
    return crypto.createPrivateKey({ key: sec1, format: "der", type: "sec1" });
}

function ed25519KeyFromSeed(seed: string): crypto.KeyObject {
    const pkcs8 = seq(int(0), seq(oid(OID.ed25519)), octets(octets(expand(`ed25519/${seed}`, 32))));
    return crypto.createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
}

const keyCache = new Map<string, crypto.KeyObject>();

/**
 * A key for `seed` (a resource name): ECDSA and ED25519 keys are derived from it, so the same seed
 * gives the same key in every process. RSA keys are generated at random (deriving primes from a
 * seed would need a prime search in JavaScript) and are stable within a process only.
 */
export function deterministicKey(seed: string, algorithm: KeyAlgorithm, options: { ecdsaCurve?: EcdsaCurve; rsaBits?: number } = {}): crypto.KeyObject {
    const curve = options.ecdsaCurve ?? "P224";
    const rsaBits = options.rsaBits ?? 2048;
    const cacheKey = `${algorithm}/${algorithm === "ECDSA" ? curve : algorithm === "RSA" ? rsaBits : ""}/${seed}`;
    const cached = keyCache.get(cacheKey);
    if (cached) return cached;
    let key: crypto.KeyObject;
    if (algorithm === "ECDSA") {
        if (!CURVES[curve]) throw new Error(`invalid ECDSA curve "${curve}"; supported values are: ${Object.keys(CURVES).join(", ")}`);
        key = ecKeyFromSeed(seed, curve);
    } else if (algorithm === "ED25519") {
        key = ed25519KeyFromSeed(seed);
    } else if (algorithm === "RSA") {
        key = crypto.generateKeyPairSync("rsa", { modulusLength: rsaBits, publicExponent: 65537 }).privateKey;
    } else {
        throw new Error(`Key Algorithm "${algorithm}" is not supported; use one of RSA, ECDSA, ED25519`);
    }
    keyCache.set(cacheKey, key);
    return key;
}

/** The key's algorithm as the tls provider names it. */
export function keyAlgorithm(key: crypto.KeyObject): KeyAlgorithm {
    switch (key.asymmetricKeyType) {
        case "ec": return "ECDSA";
        case "rsa": return "RSA";
        case "ed25519": return "ED25519";
        default: throw new Error(`unsupported private key type: ${key.asymmetricKeyType}`);
    }
}

function curveOf(key: crypto.KeyObject) {
    const c = CURVE_BY_OPENSSL.get(String(key.asymmetricKeyDetails?.namedCurve));
    if (!c) throw new Error(`unsupported elliptic curve ${key.asymmetricKeyDetails?.namedCurve}`);
    return c;
}

/** A private key from any PEM the tls provider accepts (SEC 1, PKCS#1, PKCS#8). */
export function parsePrivateKey(pem: string, what: string): crypto.KeyObject {
    if (!/-----BEGIN (EC |RSA )?PRIVATE KEY-----/.test(String(pem ?? ""))) throw new Error(`${what}: failed to decode PEM block (expected EC, RSA or PKCS#8 PRIVATE KEY)`);
    try {
        const key = crypto.createPrivateKey(pem);
        keyAlgorithm(key);
        return key;
    } catch (err) {
        throw new Error(`${what}: failed to parse private key PEM: ${(err as Error).message}`);
    }
}

const spkiOf = (key: crypto.KeyObject): Buffer => crypto.createPublicKey(key).export({ type: "spki", format: "der" });

// OpenSSH wire encoding (RFC 4251): length-prefixed strings and two's-complement mpints.
function sshString(v: Buffer | string): Buffer {
    const b = typeof v === "string" ? Buffer.from(v) : v;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
}
function mpint(b: Buffer): Buffer {
    let i = 0;
    while (i < b.length && b[i] === 0) i++;
    const m = b.subarray(i);
    return sshString(m.length && m[0] & 0x80 ? Buffer.concat([Buffer.from([0]), m]) : m);
}
const b64u = (s: string | undefined): Buffer => Buffer.from(String(s), "base64url");

/** The SSH public blob and the private fields of ssh.MarshalPrivateKey; undefined for P-224, which x/crypto/ssh lacks. */
function sshParts(key: crypto.KeyObject): { type: string; blob: Buffer; secret: Buffer } | undefined {
    if (keyAlgorithm(key) === "ECDSA" && !curveOf(key).ssh) return undefined;
    const jwk = key.export({ format: "jwk" });
    switch (keyAlgorithm(key)) {
        case "ED25519": {
            const pub = b64u(jwk.x);
            const blob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
            return { type: "ssh-ed25519", blob, secret: Buffer.concat([sshString("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([b64u(jwk.d), pub]))]) };
        }
        case "RSA": {
            const blob = Buffer.concat([sshString("ssh-rsa"), mpint(b64u(jwk.e)), mpint(b64u(jwk.n))]);
            const fields = [jwk.n, jwk.e, jwk.d, jwk.qi, jwk.p, jwk.q].map((f) => mpint(b64u(f)));
            return { type: "ssh-rsa", blob, secret: Buffer.concat([sshString("ssh-rsa"), ...fields]) };
        }
        case "ECDSA": {
            const c = curveOf(key);
            const type = `ecdsa-sha2-${c.ssh}`;
            const q = Buffer.concat([Buffer.from([4]), b64u(jwk.x), b64u(jwk.y)]);
            const blob = Buffer.concat([sshString(type), sshString(c.ssh!), sshString(q)]);
            return { type, blob, secret: Buffer.concat([sshString(type), sshString(c.ssh!), sshString(q), mpint(b64u(jwk.d))]) };
        }
    }
}

/** The openssh-key-v1 container, unencrypted, as ssh.MarshalPrivateKey writes it (check value derived, not random). */
function opensshPrivateKey(parts: { blob: Buffer; secret: Buffer }): string {
    const check = crypto.createHash("sha256").update(parts.blob).digest().subarray(0, 4);
    let inner = Buffer.concat([check, check, parts.secret, sshString("")]);
    const pad = (8 - (inner.length % 8)) % 8;
    inner = Buffer.concat([inner, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0"), sshString("none"), sshString("none"), sshString(""),
        Buffer.from([0, 0, 0, 1]), sshString(parts.blob), sshString(inner),
    ]);
    return toPem("OPENSSH PRIVATE KEY", body);
}

/** What tls.PrivateKey returns for a key. */
export interface PrivateKeyOutputs {
    readonly privateKeyPem: string;
    readonly privateKeyPemPkcs8: string;
    readonly privateKeyOpenssh: string;
    readonly publicKeyPem: string;
    readonly publicKeyOpenssh: string;
    readonly publicKeyFingerprintMd5: string;
    readonly publicKeyFingerprintSha256: string;
}

const outputsCache = new WeakMap<crypto.KeyObject, PrivateKeyOutputs>();

export function privateKeyOutputs(key: crypto.KeyObject): PrivateKeyOutputs {
    const cached = outputsCache.get(key);
    if (cached) return cached;
    const algorithm = keyAlgorithm(key);
    // The provider's own formats: SEC 1 for ECDSA, PKCS#1 for RSA, PKCS#8 for ED25519 (Go has no other).
    const privateKeyPem = algorithm === "ECDSA" ? String(key.export({ type: "sec1", format: "pem" }))
        : algorithm === "RSA" ? String(key.export({ type: "pkcs1", format: "pem" }))
            : String(key.export({ type: "pkcs8", format: "pem" }));
    const ssh = sshParts(key);
    const outputs: PrivateKeyOutputs = {
        privateKeyPem,
        privateKeyPemPkcs8: String(key.export({ type: "pkcs8", format: "pem" })),
        privateKeyOpenssh: ssh ? opensshPrivateKey(ssh) : "",
        publicKeyPem: toPem("PUBLIC KEY", spkiOf(key)),
        publicKeyOpenssh: ssh ? `${ssh.type} ${ssh.blob.toString("base64")}\n` : "",
        publicKeyFingerprintMd5: ssh ? crypto.createHash("md5").update(ssh.blob).digest("hex").match(/../g)!.join(":") : "",
        publicKeyFingerprintSha256: ssh ? `SHA256:${crypto.createHash("sha256").update(ssh.blob).digest("base64").replace(/=+$/, "")}` : "",
    };
    outputsCache.set(key, outputs);
    return outputs;
}

// ---------------------------------------------------------------------------------------------
// Names, extensions, signatures

/** The tls provider's `subject` block. */
export interface Subject {
    readonly commonName?: string;
    readonly organization?: string;
    readonly organizationalUnit?: string;
    readonly streetAddresses?: string[];
    readonly locality?: string;
    readonly province?: string;
    readonly country?: string;
    readonly postalCode?: string;
    readonly serialNumber?: string;
    readonly emailAddress?: string;
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function directoryString(v: string): Buffer {
    return tlv(PRINTABLE.test(v) ? 0x13 : 0x0c, Buffer.from(v, "utf8"));
}

/** A Name in the order Go's pkix.Name.ToRDNSequence writes it, one attribute per RDN. */
export function encodeName(s: Subject = {}): Buffer {
    const rdns: [string, string | undefined, ((v: string) => Buffer)?][] = [
        ["2.5.4.6", s.country],
        ["2.5.4.8", s.province],
        ["2.5.4.7", s.locality],
        ...(s.streetAddresses ?? []).map((a): [string, string] => ["2.5.4.9", a]),
        ["2.5.4.17", s.postalCode],
        ["2.5.4.10", s.organization],
        ["2.5.4.11", s.organizationalUnit],
        ["2.5.4.3", s.commonName],
        ["2.5.4.5", s.serialNumber],
        ["1.2.840.113549.1.9.1", s.emailAddress, (v) => tlv(0x16, Buffer.from(v, "ascii"))],
    ];
    return seq(...rdns.filter(([, v]) => v !== undefined && v !== "")
        .map(([type, v, encode]) => setOf(seq(oid(type), (encode ?? directoryString)(v!)))));
}

const KEY_USAGE_BITS: Readonly<Record<string, number>> = {
    digital_signature: 0, content_commitment: 1, key_encipherment: 2, data_encipherment: 3, key_agreement: 4,
    cert_signing: 5, crl_signing: 6, encipher_only: 7, decipher_only: 8,
};
const EXT_KEY_USAGE: Readonly<Record<string, string>> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
    microsoft_server_gated_crypto: "1.3.6.1.4.1.311.10.3.3",
    netscape_server_gated_crypto: "2.16.840.1.113730.4.1",
    microsoft_commercial_code_signing: "1.3.6.1.4.1.311.2.1.22",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

function extension(id: string, critical: boolean, value: Buffer): Buffer {
    return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

/** keyUsage as a named-bit BIT STRING: trailing zero bits dropped (DER). */
function keyUsageValue(uses: readonly string[]): Buffer | undefined {
    let mask = 0;
    for (const u of uses) if (KEY_USAGE_BITS[u] !== undefined) mask |= 1 << KEY_USAGE_BITS[u];
    if (mask === 0) return undefined;
    const highest = 31 - Math.clz32(mask);
    const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
    for (let bit = 0; bit <= highest; bit++) if (mask & (1 << bit)) bytes[bit >> 3] |= 0x80 >> (bit & 7);
    return bits(bytes, bytes.length * 8 - (highest + 1));
}

/** An IP address as the 4 or 16 octets of an iPAddress GeneralName. */
export function ipBytes(ip: string): Buffer {
    if (net.isIPv4(ip)) return Buffer.from(ip.split(".").map(Number));
    if (!net.isIPv6(ip)) throw new Error(`Invalid IP address: failed to parse "${ip}"`);
    let text = ip;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
        const [a, b, c, d] = v4[1].split(".").map(Number);
        text = text.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    }
    const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
    const h = head ? head.split(":") : [];
    const t = tail ? tail.split(":") : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    // Go writes an IPv4-mapped address as its four IPv4 octets.
    return out.subarray(0, 12).equals(Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])) ? out.subarray(12) : out;
}

export interface AltNames {
    readonly dnsNames?: readonly string[];
    readonly ipAddresses?: readonly string[];
    readonly uris?: readonly string[];
}

/** GeneralNames in Go's order: DNS names, then IP addresses, then URIs. */
function altNamesValue(names: AltNames): Buffer | undefined {
    const general = [
        ...(names.dnsNames ?? []).map((n) => tlv(0x82, Buffer.from(n, "ascii"))),
        ...(names.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
        ...(names.uris ?? []).map((u) => tlv(0x86, Buffer.from(u, "ascii"))),
    ];
    return general.length > 0 ? seq(...general) : undefined;
}

/** The BIT STRING contents of a SubjectPublicKeyInfo. */
function publicKeyBits(spki: Buffer): Buffer {
    return children(readNode(spki))[1].body.subarray(1);
}

/**
 * The provider's subject key identifier: SHA-1 of the public key bits (Go's elliptic.Marshal or
 * PKCS#1 RSAPublicKey), except ED25519, which it hashes as an ASN.1 OCTET STRING.
 */
function subjectKeyId(spki: Buffer): Buffer {
    const algorithm = decodeOid(children(children(readNode(spki))[0])[0].body);
    const key = publicKeyBits(spki);
    return crypto.createHash("sha1").update(algorithm === OID.ed25519 ? octets(key) : key).digest();
}

/** The AlgorithmIdentifier Go's x509 picks for a signer, and the matching signing function. */
function signerFor(key: crypto.KeyObject): { algorithm: Buffer; sign: (data: Buffer) => Buffer } {
    switch (keyAlgorithm(key)) {
        case "ECDSA": {
            const hash = curveOf(key).hash;
            const id = { sha256: "1.2.840.10045.4.3.2", sha384: "1.2.840.10045.4.3.3", sha512: "1.2.840.10045.4.3.4" }[hash]!;
            return { algorithm: seq(oid(id)), sign: (data) => crypto.sign(hash, data, key) };
        }
        case "RSA":
            return { algorithm: seq(oid("1.2.840.113549.1.1.11"), NULL), sign: (data) => crypto.sign("sha256", data, key) };
        case "ED25519":
            return { algorithm: seq(oid(OID.ed25519)), sign: (data) => crypto.sign(null, data, key) };
    }
}

/** The hash a signature algorithm uses (null for Ed25519); throws on one the mocks do not verify. */
function hashOf(algorithm: string): string | null {
    const hashes: Record<string, string | null> = {
        "1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384", "1.2.840.10045.4.3.4": "sha512",
        "1.2.840.113549.1.1.11": "sha256", "1.2.840.113549.1.1.12": "sha384", "1.2.840.113549.1.1.13": "sha512",
        [OID.ed25519]: null,
    };
    if (!(algorithm in hashes)) throw new Error(`unsupported signature algorithm ${algorithm}`);
    return hashes[algorithm];
}

// ---------------------------------------------------------------------------------------------
// Certificates and requests

/** The options of tls.SelfSignedCert / tls.LocallySignedCert that shape the certificate. */
export interface CertificateOptions {
    readonly validityPeriodHours: number;
    readonly allowedUses?: readonly string[];
    readonly isCaCertificate?: boolean;
    readonly maxPathLength?: number;
    readonly setSubjectKeyId?: boolean;
    readonly setAuthorityKeyId?: boolean;
    /** Issue time; default now. The certificate is valid from an hour before, for clocks behind ours. */
    readonly now?: Date;
    /** Seeds the serial number (with the start time): one resource name, one serial per issue. */
    readonly serialSeed: string;
}

export interface IssuedCertificate {
    readonly certPem: string;
    /** RFC 3339, as the provider reports them. */
    readonly validityStartTime: string;
    readonly validityEndTime: string;
    /** Decimal, as the provider's resource id. */
    readonly serialNumber: string;
    /** The algorithm of the key that signed it (`keyAlgorithm`, or `caKeyAlgorithm` of a locally signed one). */
    readonly signerKeyAlgorithm: KeyAlgorithm;
}

interface Issue extends CertificateOptions, AltNames {
    readonly subject: Buffer;
    readonly spki: Buffer;
    readonly issuer: { readonly name: Buffer; readonly subjectKeyId?: Buffer; readonly key: crypto.KeyObject };
}

const rfc3339 = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, "Z");

/** Go's x509.CreateCertificate for the templates the tls provider builds. */
function issue(o: Issue): IssuedCertificate {
    if (!(Number(o.validityPeriodHours) >= 0)) throw new Error(`validity_period_hours must be a non-negative number (got ${o.validityPeriodHours})`);
    const now = o.now ?? new Date();
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 3600 * 1000);
    const notAfter = new Date(notBefore.getTime() + Number(o.validityPeriodHours) * 3600 * 1000);
    const serial = crypto.createHash("sha256").update(`serial/${o.serialSeed}/${notBefore.toISOString()}`).digest().subarray(0, 16);
    serial[0] &= 0x7f;
    const selfSigned = o.issuer.name.equals(o.subject);
    const uses = o.allowedUses ?? [];
    const isCa = Boolean(o.isCaCertificate);
    if (isCa && o.subject.equals(seq())) throw new Error("Invalid Certificate Subject: must contain at least one Distinguished Name when creating Certificate Authority (CA)");

    const ski = isCa || o.setSubjectKeyId ? subjectKeyId(o.spki) : undefined;
    // Go copies the parent's key id into a certificate it issues; a self-signed one gets it only on request.
    const aki = !selfSigned ? o.issuer.subjectKeyId : o.setAuthorityKeyId ? ski : undefined;
    const ekus = uses.filter((u) => EXT_KEY_USAGE[u]).map((u) => oid(EXT_KEY_USAGE[u]));
    const keyUsage = keyUsageValue(uses);
    const san = altNamesValue(o);
    const pathLen = isCa && Number(o.maxPathLength ?? 0) > 0 ? [int(Number(o.maxPathLength))] : [];
    const extensions = [
        keyUsage && extension(OID.keyUsage, true, keyUsage),
        ekus.length > 0 && extension(OID.extKeyUsage, false, seq(...ekus)),
        extension(OID.basicConstraints, true, seq(...(isCa ? [bool(true), ...pathLen] : []))),
        ski && extension(OID.subjectKeyIdentifier, false, octets(ski)),
        aki && extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, aki))),
        // Go marks the names critical when the subject is empty (RFC 5280 4.2.1.6).
        san && extension(OID.subjectAltName, o.subject.equals(seq()), san),
    ].filter((e): e is Buffer => Buffer.isBuffer(e));

    const signer = signerFor(o.issuer.key);
    const tbs = seq(
        explicit(0, int(2)), int(serial), signer.algorithm, o.issuer.name,
        seq(time(notBefore), time(notAfter)), o.subject, o.spki, explicit(3, seq(...extensions)),
    );
    const der = seq(tbs, signer.algorithm, bits(signer.sign(tbs)));
    return {
        certPem: toPem("CERTIFICATE", der),
        validityStartTime: rfc3339(notBefore),
        validityEndTime: rfc3339(notAfter),
        serialNumber: BigInt(`0x${serial.toString("hex")}`).toString(),
        signerKeyAlgorithm: keyAlgorithm(o.issuer.key),
    };
}

/** tls.SelfSignedCert. */
export function selfSignedCert(privateKeyPem: string, subject: Subject | undefined, names: AltNames, options: CertificateOptions): IssuedCertificate {
    const key = parsePrivateKey(privateKeyPem, "private_key_pem");
    const name = encodeName(subject);
    const spki = spkiOf(key);
    return issue({ ...names, ...options, subject: name, spki, issuer: { name, key, subjectKeyId: subjectKeyId(spki) } });
}

/** tls.CertRequest: a PKCS#10 request, the names in an extensionRequest attribute. */
export function certRequest(privateKeyPem: string, subject: Subject | undefined, names: AltNames): { certRequestPem: string; keyAlgorithm: KeyAlgorithm } {
    const key = parsePrivateKey(privateKeyPem, "private_key_pem");
    const san = altNamesValue(names);
    const attributes = san ? [seq(oid(OID.extensionRequest), setOf(seq(extension(OID.subjectAltName, false, san))))] : [];
    const info = seq(int(0), encodeName(subject), spkiOf(key), tlv(0xa0, Buffer.concat(attributes)));
    const signer = signerFor(key);
    return { certRequestPem: toPem("CERTIFICATE REQUEST", seq(info, signer.algorithm, bits(signer.sign(info)))), keyAlgorithm: keyAlgorithm(key) };
}

export interface ParsedRequest {
    /** The subject Name, as encoded in the request. */
    readonly subject: Buffer;
    readonly spki: Buffer;
    readonly dnsNames: string[];
    readonly ipAddresses: string[];
    readonly uris: string[];
}

function ipText(b: Buffer): string {
    if (b.length === 4) return [...b].join(".");
    if (b.length !== 16) throw new Error(`an iPAddress of ${b.length} octets`);
    const groups = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16));
    // RFC 5952: the longest run of two or more zero groups becomes "::".
    let best = { at: -1, len: 1 };
    for (let i = 0; i < 8;) {
        let j = i;
        while (j < 8 && groups[j] === "0") j++;
        if (j - i > best.len) best = { at: i, len: j - i };
        i = j + 1;
    }
    return best.at < 0 ? groups.join(":") : `${groups.slice(0, best.at).join(":")}::${groups.slice(best.at + best.len).join(":")}`;
}

function altNamesFrom(value: Buffer): { dnsNames: string[]; ipAddresses: string[]; uris: string[] } {
    const out = { dnsNames: [] as string[], ipAddresses: [] as string[], uris: [] as string[] };
    for (const n of children(readNode(value))) {
        if (n.tag === 0x82) out.dnsNames.push(n.body.toString("ascii"));
        else if (n.tag === 0x87) out.ipAddresses.push(ipText(n.body));
        else if (n.tag === 0x86) out.uris.push(n.body.toString("ascii"));
    }
    return out;
}

/** Parse a PKCS#10 request and check its signature, as x509.ParseCertificateRequest + CheckSignature do. */
export function parseCertRequest(pem: string): ParsedRequest {
    const what = "cert_request_pem";
    try {
        const [info, algorithm, signature] = children(readNode(fromPem(pem, "CERTIFICATE REQUEST", what)));
        const [, subject, spki, attributes] = children(info);
        const publicKey = crypto.createPublicKey({ key: spki.raw, format: "der", type: "spki" });
        const hash = hashOf(decodeOid(children(algorithm)[0].body));
        if (!crypto.verify(hash, info.raw, publicKey, signature.body.subarray(1))) throw new Error("the request's signature does not verify");
        let names = { dnsNames: [] as string[], ipAddresses: [] as string[], uris: [] as string[] };
        for (const attribute of attributes ? children(attributes) : []) {
            const [type, values] = children(attribute);
            if (decodeOid(type.body) !== OID.extensionRequest) continue;
            for (const ext of children(children(values)[0])) {
                const parts = children(ext);
                if (decodeOid(parts[0].body) === OID.subjectAltName) names = altNamesFrom(parts[parts.length - 1].body);
            }
        }
        return { subject: subject.raw, spki: spki.raw, ...names };
    } catch (err) {
        throw new Error(`${what}: failed to parse certificate request: ${(err as Error).message}`);
    }
}

/** The parts of a CA certificate an issuer needs. */
export function parseCertificate(pem: string, what: string): { subject: Buffer; spki: Buffer; subjectKeyId?: Buffer } {
    try {
        const tbs = children(children(readNode(fromPem(pem, "CERTIFICATE", what)))[0]);
        const rest = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs;
        const [, , , , subject, spki] = rest;
        let subjectKeyIdValue: Buffer | undefined;
        const extensions = rest.find((n) => n.tag === 0xa3);
        for (const ext of extensions ? children(children(extensions)[0]) : []) {
            const parts = children(ext);
            if (decodeOid(parts[0].body) === OID.subjectKeyIdentifier) subjectKeyIdValue = readNode(parts[parts.length - 1].body).body;
        }
        return { subject: subject.raw, spki: spki.raw, subjectKeyId: subjectKeyIdValue };
    } catch (err) {
        throw new Error(`${what}: failed to parse certificate: ${(err as Error).message}`);
    }
}

/** The certificate tls.LocallySignedCert issues: the request's subject, key and names, signed by the CA. */
export function signRequest(request: ParsedRequest, caCertPem: string, caPrivateKeyPem: string, options: CertificateOptions & { readonly subject?: Buffer; readonly names?: AltNames }): IssuedCertificate {
    const caKey = parsePrivateKey(caPrivateKeyPem, "ca_private_key_pem");
    const ca = parseCertificate(caCertPem, "ca_cert_pem");
    if (!spkiOf(caKey).equals(ca.spki)) throw new Error("Failed to create certificate: x509: provided PrivateKey doesn't match parent's PublicKey");
    return issue({
        ...(options.names ?? request), ...options, subject: options.subject ?? request.subject, spki: request.spki,
        issuer: { name: ca.subject, subjectKeyId: ca.subjectKeyId, key: caKey },
    });
}
