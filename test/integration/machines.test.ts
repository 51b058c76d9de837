// Every server of us-eu, single-region and eu-residency booted as a real Debian 13 machine from the
// program's exact user-data (tools/machines: debootstrap image, systemd-nspawn --boot, one network
// namespace per server with the addresses the program gave it, cloud-init's NoCloud datasource).
// Real: systemd, cloud-init and its package steps, Caddy, PostgreSQL, the scripts and units. Named
// stand-ins: the clouds' secret stores, metadata and APIs (tools/machines/cloud-standin.js), and
// the Olympus containers (tools/machines/image/docker and service; they really log in to
// PostgreSQL with the DSNs they are given).

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { OfflineRun, reveal } from "../../tools/engine";
import { machineImage, machineToolsMissing } from "../../tools/machines/image";
import { Lab, Machine } from "../../tools/machines/machine";
import { MACHINE_PACKAGES } from "../../tools/machines/packages";
import { StackServer, bootStack } from "../../tools/machines/stack";
import { MOCK_ORIGIN_CA_PEM } from "../../tools/mocks";
import { stackRun } from "../helpers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => T | undefined | false, ms = 120_000): Promise<T> {
    const end = Date.now() + ms;
    let last: unknown;
    while (Date.now() < end) {
        try {
            const v = check();
            if (v) return v;
        } catch (err) {
            last = err;
        }
        await sleep(1000);
    }
    throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}

/** A request to an origin the way Cloudflare makes it: to its public address, SNI and Host the domain, from another namespace. */
function originRequest(from: Machine, origin: StackServer, domain: string, dir: string, pathname: string,
    opts: { client?: { cert: string; key: string }; method?: string } = {}): { status: number; body: string } {
    const client = opts.client;
    const ca = path.join(dir, "origin-ca.pem");
    fs.writeFileSync(ca, MOCK_ORIGIN_CA_PEM);
    const args = ["netns", "exec", from.netns, "curl", "-sS", "-m", "10", "-o", "-", "-w", "\n%{http_code}", "--cacert", ca,
        "--resolve", `${domain}:443:${origin.spec.addresses[1].split("/")[0]}`];
    if (client) {
        fs.writeFileSync(path.join(dir, "client.crt"), client.cert);
        fs.writeFileSync(path.join(dir, "client.key"), client.key, { mode: 0o600 });
        args.push("--cert", path.join(dir, "client.crt"), "--key", path.join(dir, "client.key"));
    }
    if (opts.method) args.push("-X", opts.method, "-d", "{}");
    const r = spawnSync("ip", [...args, `https://${domain}${pathname}`], { encoding: "utf8" });
    const lines = (r.stdout ?? "").trimEnd().split("\n");
    return { status: Number(lines.pop()), body: lines.join("\n") + (r.stderr ?? "") };
}

function pullClient(run: OfflineRun): { cert: string; key: string } {
    const cert = run.resources.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert" && /pull-client/.test(r.name))!;
    const key = run.resources.find((r) => r.type === "tls:index/privateKey:PrivateKey" && /pull-client/.test(r.name))!;
    return { cert: String((reveal(cert.wireOutputs) as { certPem: string }).certPem), key: String((reveal(key.wireOutputs) as { privateKeyPem: string }).privateKeyPem) };
}

const OLYMPUS_UNITS: Readonly<Record<"app" | "database", string[]>> = {
    app: ["olympus-sync.timer", "olympus-readiness.service", "olympus-metrics.timer", "caddy.service", "docker.service"],
    database: ["olympus-sync.timer", "olympus-db.service"],
};

for (const stack of ["us-eu", "single-region", "eu-residency"]) {
    describe(`integration: ${stack}'s servers boot as Debian 13 machines from their own user-data`, function () {
        this.timeout(30 * 60_000);
        let run: OfflineRun;
        let lab: Lab;
        let machines: Map<string, { server: StackServer; machine: Machine }>;
        let domain: string;
        const apps = () => [...machines.values()].filter((m) => m.server.role === "app");
        const dbs = () => [...machines.values()].filter((m) => m.server.role === "database");

        before(async function () {
            assert.deepStrictEqual(machineToolsMissing(), [], "the machine tests need these tools (npm run test:all installs them)");
            run = await stackRun(stack);
            domain = run.config.values["olympus:domain"];
            const image = machineImage(MACHINE_PACKAGES, (l) => process.stderr.write(`      ${l}\n`));
            ({ lab, machines } = await bootStack(run, image));
            await Promise.all([...machines.values()].map(async ({ machine }) => {
                const status = await machine.cloudInit();
                assert.strictEqual(status.status, "done", `${machine.name}: cloud-init ${status.status}: ${status.errors.join("; ")}\n` +
                    machine.exec("tail -n 60 /var/log/cloud-init-output.log").stdout);
            }));
        });
        after(async () => lab?.dispose());

        it("runs cloud-init to the end with no error, recoverable ones included, on every server", () => {
            for (const { machine } of machines.values()) {
                const s = JSON.parse(machine.sh("cloud-init status --format=json"));
                assert.deepStrictEqual([s.status, s.errors, s.recoverable_errors], ["done", [], {}], machine.name);
                assert.match(machine.sh("cat /etc/os-release"), /VERSION_CODENAME=trixie/);
            }
        });

        it("installs the servers' packages from the archive (the local mirror), as the user-data asks", () => {
            for (const { server, machine } of machines.values()) {
                const wanted = server.role === "app" ? ["caddy", "docker.io", "docker-compose", "jq", "postgresql-client"] : ["postgresql-17", "jq", "e2fsprogs"];
                for (const p of wanted) assert.match(machine.sh(`dpkg-query -W -f '\${Status}' ${p}`), /install ok installed/, `${machine.name}: ${p}`);
            }
        });

        it("has every Olympus unit active, and systemd-analyze verify finds nothing in them", async () => {
            for (const { server, machine } of machines.values()) {
                await until(`${machine.name}'s units`, () => OLYMPUS_UNITS[server.role].every((u) => machine.exec(`systemctl is-active --quiet ${u}`).status === 0));
                const units = machine.sh("ls /etc/systemd/system/olympus-*.service /etc/systemd/system/olympus-*.timer").trim().split("\n");
                const verify = machine.exec(`systemd-analyze verify ${units.join(" ")}`);
                assert.strictEqual(verify.status, 0, `${machine.name}: ${verify.stderr}`);
                assert.strictEqual(verify.stderr.trim(), "", `${machine.name}: ${verify.stderr}`);
                assert.strictEqual(machine.exec("systemctl --failed --no-legend --plain").stdout.trim(), "", `${machine.name}: failed units`);
            }
        });

        it("keeps PostgreSQL's data on the mounted data disk, never the root disk", () => {
            for (const { machine } of dbs()) {
                assert.match(machine.sh("findmnt -no SOURCE,FSTYPE /var/lib/olympus"), /(xvdf|google-olympus-data|loop\d+) ext4/, machine.name);
                assert.match(machine.sh("grep olympus-data /etc/fstab"), /^LABEL=olympus-data \/var\/lib\/olympus ext4 defaults,nofail,noatime 0 2$/m);
                assert.strictEqual(machine.sh("runuser -u postgres -- psql -Atc 'SHOW data_directory'").trim(), "/var/lib/olympus/pgdata");
            }
        });

        it("logs every service role in to its database through its own DSN, with verify-full", async () => {
            for (const { machine } of apps()) {
                for (const service of ["hydra", "kratos", "athena"]) {
                    const env = machine.sh(`cat /etc/olympus/env/${service}.env`);
                    assert.match(env, new RegExp(`^DSN=postgres://${service}:[A-Za-z0-9]{32}@[0-9.]+:5432/${service}\\?sslmode=verify-full&sslrootcert=/etc/olympus/tls/db-ca.pem$`, "m"));
                    assert.doesNotMatch(env, /null|=$/m, `${machine.name}: ${service}.env has an empty or null setting`);
                    const health = await until(`${machine.name} ${service} ready`, () => {
                        const r = machine.exec(`curl -s http://127.0.0.1:$(case ${service} in hydra) echo 4444;; kratos) echo 4433;; athena) echo 4466;; esac)/health/ready`);
                        const body = JSON.parse(r.stdout || "{}");
                        return body.database ? body : undefined;
                    });
                    assert.deepStrictEqual(health.database, [service, service, true], `${machine.name}: ${service} logs in as itself, over TLS`);
                }
            }
            for (const { machine } of dbs()) {
                const sessions = machine.sh("runuser -u postgres -- psql -Atc \"SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename IN ('hydra','kratos','athena') AND NOT s.ssl\"");
                assert.strictEqual(sessions.trim(), "0", `${machine.name}: no service connects without TLS`);
            }
        });

        it("answers /healthz 200 on every origin, through Debian's Caddy with the origin certificate, and serves Cloudflare's client certificate only", async () => {
            const from = dbs()[0]?.machine ?? apps()[0].machine;
            for (const { server } of apps()) {
                await until(`${server.spec.name} /healthz`, () => originRequest(from, server, domain, lab.dir, "/healthz").status === 200);
                const anonymous = originRequest(from, server, domain, lab.dir, "/sessions/whoami");
                assert.strictEqual(anonymous.status, 403, `${server.spec.name}: without the client certificate`);
                const cloudflare = originRequest(from, server, domain, lab.dir, "/sessions/whoami", { client: pullClient(run) });
                assert.strictEqual(cloudflare.status, 200, cloudflare.body);
                assert.strictEqual(JSON.parse(cloudflare.body).service, "kratos");
            }
        });

        it("fetches only the secrets each server's identity may read, and asks for nothing else", () => {
            for (const { server, machine } of machines.values()) {
                const asked = machine.cloudRequests().filter((r) => r.api === "GetSecretValue" || r.api === "AccessSecretVersion");
                assert.ok(asked.length > 0, `${machine.name} read its secrets`);
                assert.deepStrictEqual(asked.filter((r) => !r.allowed), [], `${machine.name} asked for a secret it may not read`);
                const names = [...new Set(asked.map((r) => String(r.secret).replace(/.*[:/]/, "").replace(/-[A-Za-z0-9]{6}$/, "")))].sort();
                const expected = server.role === "app" ? ["app-config", "credentials", "master-key", "origin-tls"] : ["db-config", "db-credentials", "db-tls"];
                for (const e of expected) assert.ok(names.some((n) => n.includes(e)), `${machine.name} reads ${e}: ${names.join(", ")}`);
            }
            // Another role's secret is refused by the store: the app server may not read the database's credentials.
            const app = apps()[0];
            const dbCredentials = Object.keys(app.server.spec.secrets).find((ref) => /db-credentials/.test(ref) && !app.server.spec.identity.allowedSecrets.includes(ref));
            if (dbCredentials) {
                const r = app.machine.exec(`. /usr/local/lib/olympus/cloud.sh && secret_get '${dbCredentials}'`);
                assert.notStrictEqual(r.status, 0, "the app server read the database's credentials");
            }
        });

        it("publishes the region's metrics to its own cloud", async () => {
            for (const { machine } of apps()) {
                machine.sh("systemctl start olympus-metrics.service");
                const put = machine.cloudRequests().filter((r) => r.api === "PutMetricData" || r.api === "timeSeries.create");
                assert.ok(put.length > 0, `${machine.name} published`);
                assert.match(JSON.stringify(put[put.length - 1]), /Ready|ready/);
            }
        });

        if (stack === "us-eu") {
            it("streams the replica from the primary, across regions, by the addresses the program gave them", async () => {
                const primary = machines.get("us-east-db")!;
                const replica = machines.get("eu-west-db")!;
                const replicaPublic = replica.server.spec.addresses[1].split("/")[0];
                const row = await until("the replica to stream", () => {
                    const r = primary.machine.exec("runuser -u postgres -- psql -Atc \"SELECT client_addr, state FROM pg_stat_replication\"").stdout.trim();
                    return r.includes("streaming") ? r : undefined;
                });
                assert.strictEqual(row, `${replicaPublic}|streaming`);
                assert.strictEqual(replica.machine.sh("runuser -u postgres -- psql -Atc 'SELECT pg_is_in_recovery()'").trim(), "t");
            });

            it("delivers a changed database-server script to the running server (which ignores user-data) without restarting PostgreSQL", async () => {
                const { server, machine } = machines.get("us-east-db")!;
                const ref = server.spec.identity.allowedSecrets.find((r) => /db-config/.test(r))!;
                const config = JSON.parse(server.spec.secrets[ref]);
                const started = () => machine.sh("runuser -u postgres -- psql -Atc 'SELECT pg_postmaster_start_time()'").trim();
                const before = started();
                const marker = "# delivered by olympus-sync (machines test)";
                const files = config.files.map((f: { path: string; content: string }) =>
                    f.path === "/usr/local/lib/olympus/mount-data.sh" ? { ...f, content: `${f.content}${marker}\n` } : f);
                lab.setSecret(ref, JSON.stringify({ ...config, files }));
                try {
                    machine.sh("systemctl start olympus-sync.service");
                    assert.ok(machine.sh("cat /usr/local/lib/olympus/mount-data.sh").includes(marker), "the new script is installed");
                    assert.match(machine.sh("journalctl -u olympus-sync --no-pager | tail -n 20"), /olympus-sync: installed \/usr\/local\/lib\/olympus\/mount-data\.sh/);
                    assert.strictEqual(started(), before, "PostgreSQL kept running");
                } finally {
                    lab.setSecret(ref, JSON.stringify(config));
                    machine.sh("systemctl start olympus-sync.service");
                }
                assert.ok(!machine.sh("cat /usr/local/lib/olympus/mount-data.sh").includes(marker));
            });

            it("restarts nothing when writes are paused: Caddy answers writes 503 within a sync, every process keeps its PID", async () => {
                const { server, machine } = machines.get("eu-west-app")!;
                const pids = () => machine.sh("for u in caddy docker-standin-hera docker-standin-hydra docker-standin-kratos docker-standin-athena olympus-readiness; do " +
                    "systemctl show -p MainPID --value $u; done").trim();
                const before = pids();
                const ref = server.spec.identity.allowedSecrets.find((r) => /app-config/.test(r))!;
                const config = JSON.parse(server.spec.secrets[ref]);
                lab.setSecret(ref, JSON.stringify({ ...config, writesPaused: true }));
                await until("writes paused", () => machine.exec("test -e /run/olympus/health/writes-paused").status === 0, 90_000);
                const write = () => originRequest(apps()[0].machine, server, domain, lab.dir, "/self-service/registration", { client: pullClient(run), method: "POST" });
                const paused = write();
                assert.strictEqual(paused.status, 503, paused.body);
                assert.match(paused.body, /Writes are paused/);
                assert.strictEqual(pids(), before, "no service restarted");
                lab.setSecret(ref, JSON.stringify(config));
                await until("writes resumed", () => machine.exec("test -e /run/olympus/health/writes-paused").status !== 0, 90_000);
                assert.strictEqual(write().status, 200, "writes go through again");
                assert.strictEqual(pids(), before, "no service restarted");
            });
        }
    });
}
