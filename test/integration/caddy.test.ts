// Real Caddy (Debian's caddy) running the rendered Caddyfile in front of small stand-in upstreams,
// and the rendered readiness probe run for real: /healthz, routing, cache headers.

import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as path from "path";
import { renderCaddyfile } from "../../components/runtime/caddyfile";
import { FILES_DIR } from "../../components/runtime/files";
import { APP_SERVICES, AppService, SERVICE_SPECS, STATIC_CACHE_CONTROL } from "../../components/runtime/services";
import { USER_OPERATIONS, outcome } from "../../topology/operations";
import { freePort } from "../../tools/pgcluster";
import { removeTempDir, tempDir } from "../tempdirs";

interface StandIn {
    readonly port: number;
    healthy: boolean;
    /** Stop listening (the service is down), and listen again on the same port. */
    close(): Promise<void>;
    open(): Promise<void>;
}

/** An upstream that says who it is and what it was asked, and answers its health path as told. */
async function standIn(service: AppService): Promise<StandIn> {
    const port = await freePort();
    const state = { healthy: true };
    let server: http.Server | undefined;
    const open = async () => {
        server = http.createServer((req, res) => {
            if (req.url === SERVICE_SPECS[service].health) {
                res.writeHead(state.healthy ? 200 : 503).end(state.healthy ? "ok" : "down");
                return;
            }
            res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ service, path: req.url, host: req.headers.host }));
        });
        await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
    };
    await open();
    return {
        port,
        get healthy() { return state.healthy; },
        set healthy(v: boolean) { state.healthy = v; },
        close: () => new Promise((resolve) => (server ? server.close(() => resolve()) : resolve())),
        open,
    };
}

function get(url: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
        http.get(url, (res) => {
            let body = "";
            res.on("data", (d) => { body += d; });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        }).on("error", reject);
    });
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
        if (await check().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
}

describe("integration: Caddy and the readiness probe", function () {
    this.timeout(60_000);
    let dir: string;
    let caddy: ChildProcess;
    let base: string;
    let config: string;
    let probeEnv: NodeJS.ProcessEnv;
    const upstreams = {} as Record<AppService, StandIn>;

    before(async () => {
        const version = spawnSync("caddy", ["version"], { encoding: "utf8" });
        assert.strictEqual(version.status, 0, "Caddy is not installed (Debian's caddy package; .ci/run installs it)");
        dir = tempDir("caddy");
        for (const s of APP_SERVICES) upstreams[s] = await standIn(s);
        const port = await freePort();
        base = `http://127.0.0.1:${port}`;
        const healthDir = path.join(dir, "health");
        fs.mkdirSync(healthDir);
        fs.writeFileSync(path.join(dir, "Caddyfile"), renderCaddyfile({
            address: base,
            tls: "none",
            healthDir,
            upstreams: Object.fromEntries(APP_SERVICES.map((s) => [s, `127.0.0.1:${upstreams[s].port}`])) as Record<AppService, string>,
        }));
        // The probe as the server runs it (files/app/readiness.sh), reading app-config's checks.
        config = path.join(dir, "app-config");
        fs.writeFileSync(config, JSON.stringify({
            readiness: { timeoutSeconds: 2, checks: APP_SERVICES.map((s) => ({ name: s, url: `http://127.0.0.1:${upstreams[s].port}${SERVICE_SPECS[s].health}` })) },
            maxReplicationLagSeconds: null,
        }));
        probeEnv = { ...process.env, OLYMPUS_APP_CONFIG: config, OLYMPUS_HEALTH_DIR: healthDir };
        caddy = spawn("caddy", ["run", "--config", path.join(dir, "Caddyfile"), "--adapter", "caddyfile"], { stdio: ["ignore", "ignore", "pipe"] });
        let log = "";
        caddy.stderr!.on("data", (d) => { log += d; });
        await waitFor(async () => (await get(`${base}/healthz`)).status > 0, `Caddy to listen (log: ${log})`);
    });

    after(async () => {
        caddy?.kill();
        // Removed first: a stand-in that fails to close must not leave the directory behind.
        if (dir) removeTempDir(dir);
        await Promise.all(Object.values(upstreams).map((u) => u.close()));
    });

    /** Run the probe without blocking this process: the stand-ins it checks live here. */
    const runProbe = () => new Promise<{ status: number; stdout: string }>((resolve) => {
        const child = spawn("bash", [path.join(FILES_DIR, "app", "readiness.sh"), "--once"], { env: probeEnv, stdio: ["ignore", "pipe", "inherit"] });
        let stdout = "";
        child.stdout.on("data", (d) => { stdout += d; });
        child.on("close", (status) => resolve({ status: status ?? -1, stdout }));
    });

    it("answers 503 on /healthz before the probe has found the region ready", async () => {
        const res = await get(`${base}/healthz`);
        assert.deepStrictEqual([res.status, res.body, res.headers["cache-control"]], [503, "not ready", "no-store"]);
    });

    it("answers 200 once the probe finds every service healthy", async () => {
        const r = await runProbe();
        assert.strictEqual(r.status, 0, r.stdout);
        assert.strictEqual(r.stdout.trim(), "olympus-readiness: ready");
        const res = await get(`${base}/healthz`);
        assert.deepStrictEqual([res.status, res.body, res.headers["cache-control"]], [200, "ready", "no-store"]);
    });

    it("flips to 503 when a service fails its health check, naming it, and back to 200 when it recovers", async () => {
        upstreams.kratos.healthy = false;
        const down = await runProbe();
        assert.strictEqual(down.status, 1);
        assert.strictEqual(down.stdout.trim(), "olympus-readiness: not ready: kratos: 503");
        assert.strictEqual((await get(`${base}/healthz`)).status, 503);
        assert.match(fs.readFileSync(path.join(dir, "health", "status"), "utf8"), /^not ready \S+: kratos: 503\n$/);
        upstreams.kratos.healthy = true;
        assert.strictEqual((await runProbe()).status, 0);
        assert.strictEqual((await get(`${base}/healthz`)).status, 200);
    });

    it("counts a service that does not answer at all as not ready", async () => {
        await upstreams.athena.close();
        const r = await runProbe();
        assert.strictEqual(r.stdout.trim(), "olympus-readiness: not ready: athena: 000");
        assert.strictEqual((await get(`${base}/healthz`)).status, 503);
        await upstreams.athena.open();
        assert.strictEqual((await runProbe()).status, 0);
        assert.strictEqual((await get(`${base}/healthz`)).status, 200);
    });

    const routes: [string, AppService, string][] = [
        ["/oauth2/auth?client_id=x", "hydra", "/oauth2/auth?client_id=x"],
        ["/.well-known/openid-configuration", "hydra", "/.well-known/openid-configuration"],
        ["/.well-known/jwks.json", "hydra", "/.well-known/jwks.json"],
        ["/userinfo", "hydra", "/userinfo"],
        ["/self-service/login/browser", "kratos", "/self-service/login/browser"],
        ["/sessions/whoami", "kratos", "/sessions/whoami"],
        ["/schemas/default", "kratos", "/schemas/default"],
        ["/login", "hera", "/login"],
        ["/", "hera", "/"],
        // Admin APIs are never routed: these paths land on Hera's UI, not on an admin port.
        ["/admin/identities", "hera", "/admin/identities"],
        ["/admin/clients", "hera", "/admin/clients"],
    ];
    for (const [url, service, seen] of routes) {
        it(`routes ${url} to ${service}`, async () => {
            const res = await get(`${base}${url}`);
            assert.strictEqual(res.status, 200);
            assert.deepStrictEqual(JSON.parse(res.body).service, service);
            assert.strictEqual(JSON.parse(res.body).path, seen);
        });
    }

    it("routes /athena/* to Athena with the prefix stripped", async () => {
        const res = await get(`${base}/athena/relation-tuples/check`);
        assert.strictEqual(res.status, 200);
        assert.deepStrictEqual(JSON.parse(res.body), { service: "athena", path: "/relation-tuples/check", host: base.replace("http://", "") });
    });

    it("marks Hera's static assets cacheable for a year, and API answers never cacheable", async () => {
        const asset = await get(`${base}/assets/app.3f9a2c.js`);
        assert.deepStrictEqual([asset.status, JSON.parse(asset.body).service, asset.headers["cache-control"]], [200, "hera", STATIC_CACHE_CONTROL]);
        const api = await get(`${base}/sessions/whoami`);
        assert.strictEqual(api.headers["cache-control"], "no-store");
        const page = await get(`${base}/login`);
        assert.strictEqual(page.headers["cache-control"], undefined, "Hera decides for its pages");
    });
});

/** A CA and certificates made with openssl: what the program makes with Cloudflare's Origin CA and the tls provider. */
function makeCerts(dir: string, domain: string) {
    const run = (...args: string[]) => {
        const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
    };
    const ca = (name: string) => run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`);
    const leaf = (issuer: string, name: string, ext: string) => {
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`);
        fs.writeFileSync(path.join(dir, `${name}.ext`), `${ext}\n`);
        run("x509", "-req", "-in", `${name}.csr`, "-CA", `${issuer}.crt`, "-CAkey", `${issuer}.key`, "-CAcreateserial", "-days", "2", "-extfile", `${name}.ext`, "-out", `${name}.crt`);
    };
    ca("origin-ca");
    ca("pull-ca");
    ca("rogue-ca");
    leaf("origin-ca", "origin", `subjectAltName=DNS:${domain},DNS:*.${domain}`);
    leaf("pull-ca", "cloudflare", "extendedKeyUsage=clientAuth");
    leaf("rogue-ca", "rogue", "extendedKeyUsage=clientAuth");
    const file = (n: string) => fs.readFileSync(path.join(dir, n));
    return { file, path: (n: string) => path.join(dir, n) };
}

describe("integration: Caddy behind Cloudflare (origin certificate, authenticated origin pulls, pin, writes paused)", function () {
    this.timeout(60_000);
    const domain = "ciam.example.com";
    let dir: string;
    let caddy: ChildProcess;
    let port: number;
    let certs: ReturnType<typeof makeCerts>;
    let healthDir: string;
    const upstreams = {} as Record<AppService, StandIn>;

    /** An HTTPS request to the origin the way Cloudflare makes it: SNI and Host are the domain. */
    const request = (pathname: string, opts: { method?: string; client?: "cloudflare" | "rogue" } = {}) =>
        new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
            const req = https.request({
                host: "127.0.0.1", port, path: pathname, method: opts.method ?? "GET", servername: domain, headers: { host: domain }, agent: false,
                ca: certs.file("origin-ca.crt"),
                ...(opts.client ? { cert: certs.file(`${opts.client}.crt`), key: certs.file(`${opts.client}.key`) } : {}),
            }, (res) => {
                let body = "";
                res.on("data", (d) => { body += d; });
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
            });
            req.on("error", reject);
            req.end(opts.method && opts.method !== "GET" ? "{}" : undefined);
        });

    before(async () => {
        dir = tempDir("caddy-edge");
        certs = makeCerts(dir, domain);
        for (const s of APP_SERVICES) upstreams[s] = await standIn(s);
        port = await freePort();
        healthDir = path.join(dir, "health");
        fs.mkdirSync(healthDir);
        fs.writeFileSync(path.join(healthDir, "ready"), "");
        fs.writeFileSync(path.join(dir, "Caddyfile"), renderCaddyfile({
            address: `:${port}`,
            tls: { cert: certs.path("origin.crt"), key: certs.path("origin.key") },
            originPullCa: certs.path("pull-ca.crt"),
            pin: { cookie: "olympus_pin", value: "us-east.", ttlSeconds: 300 },
            healthDir,
            upstreams: Object.fromEntries(APP_SERVICES.map((s) => [s, `127.0.0.1:${upstreams[s].port}`])) as Record<AppService, string>,
        }));
        caddy = spawn("caddy", ["run", "--config", path.join(dir, "Caddyfile"), "--adapter", "caddyfile"], { stdio: ["ignore", "ignore", "pipe"] });
        let log = "";
        caddy.stderr!.on("data", (d) => { log += d; });
        await waitFor(async () => (await request("/healthz")).status > 0, `Caddy to listen (log: ${log})`);
    });

    after(async () => {
        caddy?.kill();
        // Removed first: a stand-in that fails to close must not leave the directory behind.
        if (dir) removeTempDir(dir);
        await Promise.all(Object.values(upstreams).map((u) => u.close()));
    });

    it("serves the origin certificate for the domain, and never tries ACME", async () => {
        const res = await request("/healthz");
        assert.deepStrictEqual([res.status, res.body], [200, "ready"]);
    });

    it("serves Cloudflare, with the zone's client certificate", async () => {
        const res = await request("/sessions/whoami", { client: "cloudflare" });
        assert.deepStrictEqual([res.status, JSON.parse(res.body).service], [200, "kratos"]);
    });

    it("refuses a request without a client certificate, except the monitor's /healthz", async () => {
        const res = await request("/sessions/whoami");
        assert.deepStrictEqual([res.status, res.body], [403, "client certificate required"]);
        for (const url of ["/", "/athena/relation-tuples/check", "/oauth2/token", "/assets/app.js"]) assert.strictEqual((await request(url)).status, 403, url);
        assert.strictEqual((await request("/healthz")).status, 200);
    });

    it("refuses a client certificate from another CA at the handshake", async () => {
        await assert.rejects(request("/sessions/whoami", { client: "rogue" }), /alert|certificate|socket hang up|ECONNRESET/i);
    });

    it("pins the client after an identity write, and only then", async () => {
        const login = await request("/self-service/login?flow=1", { method: "POST", client: "cloudflare" });
        assert.strictEqual(login.status, 200);
        assert.deepStrictEqual(login.headers["set-cookie"], ["olympus_pin=us-east.; Max-Age=300; Path=/; Secure; HttpOnly; SameSite=Lax"]);
        const read = await request("/self-service/login/browser", { client: "cloudflare" });
        assert.strictEqual(read.headers["set-cookie"], undefined);
        const token = await request("/oauth2/token", { method: "POST", client: "cloudflare" });
        assert.strictEqual(token.headers["set-cookie"], undefined, "token calls come from relying parties, not browsers");
    });

    it("answers writes with 503 and Retry-After while writes are paused, and serves reads", async () => {
        fs.writeFileSync(path.join(healthDir, "writes-paused"), "");
        try {
            for (const [method, url] of [["POST", "/self-service/registration?flow=1"], ["POST", "/oauth2/token"], ["DELETE", "/sessions/abc"], ["PUT", "/athena/relation-tuples"]]) {
                const res = await request(url, { method, client: "cloudflare" });
                assert.deepStrictEqual([res.status, res.headers["retry-after"], res.headers["cache-control"]], [503, "120", "no-store"], `${method} ${url}`);
                assert.match(JSON.parse(res.body).error.reason, /Writes are paused/);
            }
            const read = await request("/sessions/whoami", { client: "cloudflare" });
            assert.strictEqual(read.status, 200);
            assert.strictEqual((await request("/healthz")).status, 200, "a paused region is still healthy");
        } finally {
            fs.rmSync(path.join(healthDir, "writes-paused"));
        }
        const res = await request("/self-service/registration?flow=1", { method: "POST", client: "cloudflare" });
        assert.deepStrictEqual([res.status, JSON.parse(res.body).service], [200, "kratos"]);
    });

    it("does, with writes paused, what the operations table (README, runbooks, plan --down) says for every user operation", async () => {
        fs.writeFileSync(path.join(healthDir, "writes-paused"), "");
        try {
            const got: string[] = [];
            const want: string[] = [];
            for (const op of USER_OPERATIONS) {
                const res = await request(op.path, { method: op.method, client: "cloudflare" });
                got.push(`${op.method} ${op.path}: ${res.status === 503 ? "refused" : res.status === 200 ? "works" : res.status}`);
                want.push(`${op.method} ${op.path}: ${outcome(op, "writes-paused").works ? "works" : "refused"}`);
            }
            assert.deepStrictEqual(got, want);
            assert.ok(want.some((w) => w.endsWith("refused")) && want.some((w) => w.endsWith("works")), "the table has both outcomes");
        } finally {
            fs.rmSync(path.join(healthDir, "writes-paused"));
        }
    });
});
