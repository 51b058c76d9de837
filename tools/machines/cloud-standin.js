// Stand-in for the clouds (nothing of AWS or GCP can run here): `node cloud-standin.js CONFIG.json`.
// mode "machine", run inside one test machine's network namespace:
//   - on 127.0.0.1:80, the local apt repository (the stand-in for Debian's mirror);
//   - on 169.254.169.254:80, the instance metadata service: AWS IMDSv2 (a session token, the
//     instance role's temporary credentials) or GCP's metadata server (the service account's token).
// mode "cloud", run once per lab in its own namespace on the lab's network (the machines' /etc/hosts
// send the endpoints' names there), over TLS with a certificate from the stand-in CA they trust:
//   - Secrets Manager's GetSecretValue and CloudWatch's PutMetricData (SigV4-signed with a role's
//     credentials), S3 (the SSM agent's package), GCP Secret Manager's access and Cloud
//     Monitoring's timeSeries.create (with a service account's token).
// A secret is served only if the caller's identity may read it, as the program's IAM policy (or
// per-secret IAM binding) says; its value is re-read from CONFIG.secretsFile on every request, so a
// test can change one the way `pulumi up` would. Every request is appended to CONFIG.logFile with
// the caller's identity.
"use strict";
const fs = require("fs");
const http = require("http");
const https = require("https");
const path = require("path");

const config = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const logAs = (principal, entry) => fs.appendFileSync(config.logFile, `${JSON.stringify({ at: new Date().toISOString(), principal, ...entry })}\n`);

function send(res, code, body, type = "application/json") {
    const data = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    res.writeHead(code, { "Content-Type": type, "Content-Length": Buffer.byteLength(data) });
    res.end(data);
}

function readBody(req) {
    return new Promise((resolve) => {
        const chunks = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
}

/** The identities the lab's machines run as (the harness adds one per machine as it boots). */
function identities() {
    return JSON.parse(fs.readFileSync(config.identitiesFile, "utf8"));
}

function secretValue(ref) {
    const secrets = JSON.parse(fs.readFileSync(config.secretsFile, "utf8"));
    return secrets[ref];
}

// --- the apt repository -----------------------------------------------------------------------
const repo = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname).replace(/^\/debian\/?/, "");
    const file = path.join(config.repoDir, path.normalize(rel));
    if (!file.startsWith(config.repoDir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(res, 404, "not found", "text/plain");
    res.writeHead(200, { "Content-Length": fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
});

// --- instance metadata ------------------------------------------------------------------------
const IMDS_TOKEN = "olympus-standin-imds-token";
const metadata = http.createServer((req, res) => {
    const url = new URL(req.url, "http://169.254.169.254");
    if (config.cloud === "aws") {
        if (req.method === "PUT" && url.pathname === "/latest/api/token") return send(res, 200, IMDS_TOKEN, "text/plain");
        // IMDSv2 is required (the program sets httpTokens: required): no token, no answer.
        if (req.headers["x-aws-ec2-metadata-token"] !== IMDS_TOKEN) return send(res, 401, "", "text/plain");
        const creds = "/latest/meta-data/iam/security-credentials/";
        if (url.pathname === creds) return send(res, 200, config.identity.role, "text/plain");
        if (url.pathname === `${creds}${config.identity.role}`) {
            return send(res, 200, { Code: "Success", Type: "AWS-HMAC", AccessKeyId: config.identity.accessKeyId, SecretAccessKey: "standin-secret-access-key",
                Token: "standin-session-token", Expiration: new Date(Date.now() + 3600e3).toISOString() });
        }
        return send(res, 404, "", "text/plain");
    }
    if (req.headers["metadata-flavor"] !== "Google") return send(res, 403, "Missing Metadata-Flavor:Google header.", "text/plain");
    const answers = {
        "/computeMetadata/v1/instance/service-accounts/default/token": { access_token: `standin-token-for-${config.identity.email}`, expires_in: 3599, token_type: "Bearer" },
        "/computeMetadata/v1/project/project-id": config.identity.project,
        "/computeMetadata/v1/instance/id": config.identity.instanceId,
        "/computeMetadata/v1/instance/zone": `projects/${config.identity.projectNumber}/zones/${config.identity.zone}`,
    };
    const answer = answers[url.pathname];
    return answer === undefined ? send(res, 404, "", "text/plain") : send(res, 200, answer, typeof answer === "string" ? "text/plain" : "application/json");
});

// --- the cloud's APIs -------------------------------------------------------------------------
async function aws(req, res, host) {
    const body = await readBody(req);
    const auth = String(req.headers.authorization ?? "");
    // SigV4 with a role's credentials (the signature itself is not checked: the credentials are stand-ins).
    const keyId = /Credential=([A-Z0-9]+)\//.exec(auth)?.[1];
    const identity = identities().find((i) => i.accessKeyId === keyId);
    const signed = auth.startsWith("AWS4-HMAC-SHA256 ") && identity !== undefined && req.headers["x-amz-security-token"] === "standin-session-token";
    const service = host.split(".")[0];
    const log = (entry) => logAs(identity?.principal, entry);
    if (service === "s3" && req.method === "GET") {
        const file = config.s3Objects?.[new URL(req.url, `https://${host}`).pathname];
        log({ api: "s3", path: req.url, found: Boolean(file) });
        return file ? send(res, 200, fs.readFileSync(file), "application/octet-stream") : send(res, 404, "NoSuchKey", "text/plain");
    }
    if (!signed) {
        log({ api: service, denied: "unsigned" });
        return send(res, 403, { __type: "MissingAuthenticationTokenException", message: "Request is missing Authentication Token" });
    }
    if (service === "secretsmanager" && req.headers["x-amz-target"] === "secretsmanager.GetSecretValue") {
        const id = JSON.parse(body).SecretId;
        const allowed = identity.allowedSecrets.includes(id);
        const value = allowed ? secretValue(id) : undefined;
        log({ api: "GetSecretValue", secret: id, allowed, found: value !== undefined });
        if (!allowed) return send(res, 400, { __type: "AccessDeniedException", Message: `${identity.principal} is not authorized to perform: secretsmanager:GetSecretValue on ${id}` });
        if (value === undefined) return send(res, 400, { __type: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." });
        return send(res, 200, { ARN: id, Name: id.split(":").pop(), SecretString: value, VersionId: "standin" }, "application/x-amz-json-1.1");
    }
    if (service === "monitoring") {
        const form = Object.fromEntries(new URLSearchParams(body));
        log({ api: "PutMetricData", region: host.split(".")[1], form });
        return send(res, 200, "<PutMetricDataResponse/>", "text/xml");
    }
    log({ api: service, unknown: req.url });
    return send(res, 400, { __type: "UnknownOperationException" });
}

async function gcp(req, res, host) {
    const body = await readBody(req);
    const email = /^Bearer standin-token-for-(.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    const identity = identities().find((i) => i.principal === email);
    const log = (entry) => logAs(identity?.principal, entry);
    if (!identity) {
        log({ api: host, denied: "no token" });
        return send(res, 401, { error: { code: 401, status: "UNAUTHENTICATED" } });
    }
    const url = new URL(req.url, `https://${host}`);
    if (host === "secretmanager.googleapis.com") {
        const m = /^\/v1\/(.+)\/versions\/latest:access$/.exec(url.pathname);
        const name = m?.[1];
        const allowed = name !== undefined && identity.allowedSecrets.includes(name);
        const value = allowed ? secretValue(name) : undefined;
        log({ api: "AccessSecretVersion", secret: name, allowed, found: value !== undefined });
        if (!allowed) return send(res, 403, { error: { code: 403, status: "PERMISSION_DENIED", message: `Permission 'secretmanager.versions.access' denied for resource '${name}'` } });
        if (value === undefined) return send(res, 404, { error: { code: 404, status: "NOT_FOUND" } });
        return send(res, 200, { name: `${name}/versions/1`, payload: { data: Buffer.from(value).toString("base64") } });
    }
    if (host === "monitoring.googleapis.com" && req.method === "POST" && /\/timeSeries$/.test(url.pathname)) {
        log({ api: "timeSeries.create", path: url.pathname, body: JSON.parse(body) });
        return send(res, 200, {});
    }
    log({ api: host, unknown: req.url });
    return send(res, 404, { error: { code: 404 } });
}

const api = config.mode === "machine" ? undefined : https.createServer({ cert: fs.readFileSync(config.tls.cert), key: fs.readFileSync(config.tls.key) }, (req, res) => {
    const host = String(req.headers.host ?? "").split(":")[0];
    const handler = host.endsWith(".amazonaws.com") ? aws : host.endsWith(".googleapis.com") ? gcp : undefined;
    if (!handler) return send(res, 404, { error: `no stand-in for ${host}` });
    handler(req, res, host).catch((err) => { log({ error: String(err) }); send(res, 500, { error: String(err) }); });
});

const servers = config.mode === "machine"
    ? [[repo, 80, "127.0.0.1"], [metadata, 80, "169.254.169.254"]]
    : [[api, 443, "0.0.0.0"]];
let listening = 0;
for (const [server, port, host] of servers) {
    server.listen(port, host, () => { if (++listening === servers.length) fs.writeFileSync(config.readyFile, String(process.pid)); });
}
process.on("SIGTERM", () => process.exit(0));
