// Test machines: each server of a stack booted as a real Debian 13 machine with systemd-nspawn
// --boot, in its own network namespace with the addresses the program gave it, fed the program's
// exact user-data through cloud-init's NoCloud datasource. A machine's root is an overlay on the
// cached image (tools/machines/image.ts); its data disk (database servers) is a loop device at the
// path the cloud would attach it; its cloud is a stand-in (cloud-standin.js) in its namespace.
// All machines sit on one bridge in a "world" namespace: they reach each other, nothing else.

import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LOCATIONS } from "../../topology/catalog";
import { MachineImage } from "./image";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CommandResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

function run(cmd: string, args: string[], input?: string): CommandResult {
    const r = spawnSync(cmd, args, { encoding: "utf8", input, maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

function must(cmd: string, args: string[]): string {
    const r = run(cmd, args);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr || r.stdout}`);
    return r.stdout;
}

/** What the stand-in cloud knows of a machine: who it is, and what it may read. */
export interface CloudIdentity {
    readonly cloud: "aws" | "gcp";
    readonly location: string;
    /** AWS: the instance role's name; GCP: the service account's email. */
    readonly principal: string;
    /** Secret references (ARNs, projects/P/secrets/S) the identity may read. */
    readonly allowedSecrets: readonly string[];
    /** GCP: project and zone. */
    readonly project?: string;
    readonly zone?: string;
}

export interface MachineSpec {
    /** Short and unique in the lab: the machine and namespace name. */
    readonly name: string;
    readonly hostname: string;
    /** The exact user-data (text, or gzip bytes as AWS would pass them). */
    readonly userData: string | Buffer;
    /** CIDRs on eth0: the private address with its subnet, the public address as /32. */
    readonly addresses: readonly string[];
    readonly identity: CloudIdentity;
    /** Secret values by reference, as the offline engine recorded them. */
    readonly secrets: Readonly<Record<string, string>>;
    /** A data disk, attached at this device path (the cloud's), of this size. */
    readonly dataDisk?: { readonly device: string; readonly sizeMb: number };
}

/** Where the lab's stand-in cloud answers (TEST-NET-2, RFC 5737: never a real host). */
export const CLOUD_ADDRESS = "198.51.100.10";
const AWS_ENDPOINTS = ["secretsmanager", "monitoring", "s3", "ssm", "ssmmessages"];
const GCP_ENDPOINTS = ["secretmanager.googleapis.com", "monitoring.googleapis.com"];

/** The cloud endpoints a machine's /etc/hosts sends to the stand-in cloud (the stand-in for the cloud's DNS). */
function cloudHosts(identity: CloudIdentity): string {
    if (identity.cloud === "aws") return `${CLOUD_ADDRESS} ${AWS_ENDPOINTS.map((s) => `${s}.${identity.location}.amazonaws.com`).join(" ")}\n`;
    return `169.254.169.254 metadata.google.internal\n${CLOUD_ADDRESS} ${GCP_ENDPOINTS.join(" ")}\n`;
}

function run2(cmd: string, args: string[]): void {
    const r = spawnSync(cmd, args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stderr}`);
}

export class Lab {
    readonly id = `${process.pid % 10000}${crypto.randomBytes(1).toString("hex")}`;
    readonly world: string;
    readonly dir: string;
    readonly machines: Machine[] = [];
    private disposed = false;

    /** Secret values by reference, shared by every machine's cloud (what the stand-in store holds). */
    readonly secretsFile: string;
    readonly identitiesFile: string;
    readonly requestsFile: string;
    private cloud?: ChildProcess;
    private readonly identities: (CloudIdentity & { accessKeyId?: string })[] = [];

    constructor(readonly image: MachineImage, dir?: string) {
        this.dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "olympus-lab-"));
        this.world = `olw${this.id}`;
        this.secretsFile = path.join(this.dir, "secrets.json");
        this.identitiesFile = path.join(this.dir, "identities.json");
        this.requestsFile = path.join(this.dir, "cloud-requests.log");
        fs.writeFileSync(this.secretsFile, "{}");
        fs.writeFileSync(this.identitiesFile, "[]");
        fs.writeFileSync(this.requestsFile, "");
        must("ip", ["netns", "add", this.world]);
        must("ip", ["-n", this.world, "link", "add", "br0", "type", "bridge"]);
        must("ip", ["-n", this.world, "link", "set", "br0", "up"]);
        must("ip", ["-n", this.world, "link", "set", "lo", "up"]);
    }

    /** A namespace on the lab's bridge with these addresses (a machine's, or the stand-in cloud's). */
    attach(netns: string, addresses: readonly string[]): void {
        must("ip", ["netns", "add", netns]);
        const host = `v${netns}`.slice(0, 15);
        must("ip", ["link", "add", host, "type", "veth", "peer", "name", `${host.slice(0, 13)}p`]);
        must("ip", ["link", "set", host, "netns", this.world]);
        must("ip", ["-n", this.world, "link", "set", host, "master", "br0", "up"]);
        must("ip", ["link", "set", `${host.slice(0, 13)}p`, "netns", netns]);
        must("ip", ["-n", netns, "link", "set", `${host.slice(0, 13)}p`, "name", "eth0"]);
        for (const a of addresses) must("ip", ["-n", netns, "addr", "add", a, "dev", "eth0"]);
        must("ip", ["-n", netns, "link", "set", "eth0", "up"]);
        must("ip", ["-n", netns, "link", "set", "lo", "up"]);
        // Beyond its subnet a server speaks from its public address, as the cloud's 1:1 NAT makes it look.
        const publicAddress = addresses.find((a) => a.endsWith("/32"))?.split("/")[0];
        must("ip", ["-n", netns, "route", "add", "default", "dev", "eth0", ...(publicAddress ? ["src", publicAddress] : [])]);
    }

    /** The stand-in cloud (one per lab): its APIs, for every machine's identity. */
    private async startCloud(): Promise<void> {
        if (this.cloud) return;
        const d = path.join(this.dir, "cloud");
        fs.mkdirSync(d, { recursive: true });
        const names = [...[...LOCATIONS.aws.keys()].flatMap((l) => AWS_ENDPOINTS.map((s) => `DNS:${s}.${l}.amazonaws.com`)), ...GCP_ENDPOINTS.map((n) => `DNS:${n}`)];
        fs.writeFileSync(path.join(d, "san.ext"), `subjectAltName=${names.join(",")}\n`);
        run2("openssl", ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=stand-in cloud endpoints",
            "-keyout", path.join(d, "tls.key"), "-out", path.join(d, "tls.csr")]);
        run2("openssl", ["x509", "-req", "-in", path.join(d, "tls.csr"), "-CA", this.image.ca.cert, "-CAkey", this.image.ca.key,
            "-CAcreateserial", "-days", "2", "-extfile", path.join(d, "san.ext"), "-out", path.join(d, "tls.crt")]);
        const cfg = {
            mode: "cloud", tls: { cert: path.join(d, "tls.crt"), key: path.join(d, "tls.key") }, secretsFile: this.secretsFile,
            identitiesFile: this.identitiesFile, logFile: this.requestsFile, readyFile: path.join(d, "ready"),
            s3Objects: Object.fromEntries([...LOCATIONS.aws.keys()].flatMap((l) => ["amd64", "arm64"].map((a) =>
                [`/amazon-ssm-${l}/latest/debian_${a}/amazon-ssm-agent.deb`, this.image.ssmAgentDeb]))),
        };
        fs.writeFileSync(path.join(d, "config.json"), JSON.stringify(cfg, null, 2));
        const netns = `olc${this.id}`;
        this.attach(netns, [`${CLOUD_ADDRESS}/32`]);
        const err = fs.openSync(path.join(d, "standin.log"), "a");
        this.cloud = spawn("ip", ["netns", "exec", netns, process.execPath, path.join(__dirname, "cloud-standin.js"), path.join(d, "config.json")], { stdio: ["ignore", err, err] });
        const end = Date.now() + 10_000;
        while (!fs.existsSync(cfg.readyFile)) {
            if (Date.now() > end || this.cloud.exitCode !== null) throw new Error(`the stand-in cloud did not start: ${fs.readFileSync(path.join(d, "standin.log"), "utf8")}`);
            await sleep(50);
        }
    }

    /** Give the stand-in cloud a machine's identity and the stack's secrets; returns the identity's access key id (AWS). */
    register(identity: CloudIdentity, secrets: Readonly<Record<string, string>>): string {
        const accessKeyId = `ASIASTANDIN${crypto.createHash("sha256").update(identity.principal).digest("hex").slice(0, 9).toUpperCase()}`;
        if (!this.identities.some((i) => i.principal === identity.principal)) this.identities.push({ ...identity, accessKeyId });
        fs.writeFileSync(this.identitiesFile, JSON.stringify(this.identities));
        const all = { ...JSON.parse(fs.readFileSync(this.secretsFile, "utf8")), ...secrets };
        fs.writeFileSync(this.secretsFile, JSON.stringify(all));
        return accessKeyId;
    }

    /** Change a secret's value in the stand-in store, as `pulumi up` would. */
    setSecret(ref: string, value: string): void {
        const secrets = JSON.parse(fs.readFileSync(this.secretsFile, "utf8"));
        secrets[ref] = value;
        fs.writeFileSync(`${this.secretsFile}.tmp`, JSON.stringify(secrets));
        fs.renameSync(`${this.secretsFile}.tmp`, this.secretsFile);
    }

    /** What the stand-in cloud was asked, in order (each entry names the calling identity). */
    cloudRequests(): Record<string, unknown>[] {
        return fs.readFileSync(this.requestsFile, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    }

    /** Boot a machine (returns once systemd runs; wait for cloud-init with `machine.cloudInit()`). */
    async boot(spec: MachineSpec): Promise<Machine> {
        await this.startCloud();
        const m = new Machine(this, spec, this.machines.length);
        this.machines.push(m);
        await m.start();
        return m;
    }

    async dispose(): Promise<void> {
        if (this.disposed) return;
        this.disposed = true;
        await Promise.all(this.machines.map((m) => m.stop()));
        this.cloud?.kill("SIGTERM");
        run("ip", ["netns", "del", `olc${this.id}`]);
        run("ip", ["netns", "del", this.world]);
        if (process.env.OLYMPUS_KEEP_MACHINES !== "1") fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export class Machine {
    readonly dir: string;
    readonly netns: string;
    readonly root: string;
    private nspawn?: ChildProcess;
    private standin?: ChildProcess;
    private loop?: string;
    private exited?: Promise<void>;
    leader = 0;

    constructor(readonly lab: Lab, readonly spec: MachineSpec, readonly index: number) {
        this.dir = path.join(lab.dir, spec.name);
        this.netns = `olm${lab.id}-${index}`;
        this.root = path.join(this.dir, "root");
    }

    get name(): string {
        return this.spec.name;
    }

    /** The private address (the first one given). */
    get address(): string {
        return this.spec.addresses[0].split("/")[0];
    }

    async start(): Promise<void> {
        const { spec } = this;
        for (const d of ["upper", "work", "root", "standin"]) fs.mkdirSync(path.join(this.dir, d), { recursive: true });
        must("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${this.lab.image.root},upperdir=${this.dir}/upper,workdir=${this.dir}/work`, this.root]);
        const seed = path.join(this.root, "var/lib/cloud/seed/nocloud");
        fs.mkdirSync(seed, { recursive: true });
        fs.writeFileSync(path.join(seed, "user-data"), spec.userData);
        fs.writeFileSync(path.join(seed, "meta-data"), `instance-id: ${spec.name}-${this.lab.id}\nlocal-hostname: ${spec.hostname}\n`);
        fs.writeFileSync(path.join(this.root, "etc/hosts"), `127.0.0.1 localhost\n127.0.1.1 ${spec.hostname}\n${cloudHosts(spec.identity)}`);
        fs.writeFileSync(path.join(this.root, "etc/hostname"), `${spec.hostname}\n`);

        // The network: eth0 on the lab's bridge with the program's addresses; the metadata address on loopback.
        this.lab.attach(this.netns, spec.addresses);
        must("ip", ["-n", this.netns, "addr", "add", "169.254.169.254/32", "dev", "lo"]);

        await this.startStandin();
        const binds: string[] = [];
        if (spec.dataDisk) {
            const file = path.join(this.dir, "data.img");
            fs.writeFileSync(file, "");
            fs.truncateSync(file, spec.dataDisk.sizeMb * 1024 * 1024);
            this.loop = must("losetup", ["--find", "--show", file]).trim();
            binds.push(`--bind=${this.loop}:${spec.dataDisk.device}`);
        }
        const console = fs.openSync(path.join(this.dir, "console.log"), "a");
        this.nspawn = spawn("systemd-nspawn", [
            "--quiet", "--boot", "--register=no", "--keep-unit", "--console=read-only", "-D", this.root,
            `--machine=${spec.name}-${this.lab.id}`, `--hostname=${spec.hostname}`, `--network-namespace-path=/run/netns/${this.netns}`, ...binds,
        ], { stdio: ["ignore", console, console] });
        this.exited = new Promise((resolve) => this.nspawn!.once("exit", () => resolve()));
        const end = Date.now() + 30_000;
        while (Date.now() < end) {
            const children = `/proc/${this.nspawn.pid}/task/${this.nspawn.pid}/children`;
            const pid = fs.existsSync(children) ? Number(fs.readFileSync(children, "utf8").trim().split(/\s+/)[0]) : 0;
            if (pid > 0 && run("nsenter", ["-t", String(pid), "-m", "-p", "--", "true"]).status === 0) {
                this.leader = pid;
                return;
            }
            if (this.nspawn.exitCode !== null) break;
            await sleep(200);
        }
        throw new Error(`${spec.name}: systemd-nspawn did not start a container (see ${this.dir}/console.log):\n${fs.readFileSync(path.join(this.dir, "console.log"), "utf8").slice(-2000)}`);
    }

    /** The machine's own part of its cloud: the metadata service and the package mirror, in its namespace. */
    private async startStandin(): Promise<void> {
        const { spec } = this;
        const d = path.join(this.dir, "standin");
        const accessKeyId = this.lab.register(spec.identity, spec.secrets);
        const cfg = {
            mode: "machine",
            cloud: spec.identity.cloud,
            repoDir: this.lab.image.repo,
            logFile: this.lab.requestsFile,
            readyFile: path.join(d, "ready"),
            identity: spec.identity.cloud === "aws"
                ? { role: spec.identity.principal, accessKeyId }
                : { email: spec.identity.principal, project: spec.identity.project, projectNumber: "123456789012", instanceId: String(1000000 + this.index), zone: spec.identity.zone },
        };
        fs.writeFileSync(path.join(d, "config.json"), JSON.stringify(cfg, null, 2));
        const err = fs.openSync(path.join(d, "standin.log"), "a");
        this.standin = spawn("ip", ["netns", "exec", this.netns, process.execPath, path.join(__dirname, "cloud-standin.js"), path.join(d, "config.json")],
            { stdio: ["ignore", err, err] });
        const end = Date.now() + 10_000;
        while (!fs.existsSync(cfg.readyFile)) {
            if (Date.now() > end || this.standin.exitCode !== null) {
                throw new Error(`${spec.name}: the stand-in metadata service did not start: ${fs.readFileSync(path.join(d, "standin.log"), "utf8")}`);
            }
            await sleep(50);
        }
    }

    /** A command inside the machine, as root, with a login-like environment (not a child of its systemd). */
    exec(command: string, input?: string): CommandResult {
        return run("nsenter", ["-t", String(this.leader), "-m", "-u", "-i", "-n", "-p", "-C", "--",
            "env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LC_ALL=C.UTF-8",
            "/bin/bash", "-c", command], input);
    }

    /** Like exec, but fails with the output when the command does. */
    sh(command: string, input?: string): string {
        const r = this.exec(command, input);
        if (r.status !== 0) throw new Error(`${this.name}: \`${command}\` exited ${r.status}:\n${r.stdout}${r.stderr}`);
        return r.stdout;
    }

    /** Wait until cloud-init has finished (done or error) and return its status report. */
    async cloudInit(timeoutMs = 15 * 60_000): Promise<{ status: string; errors: string[]; recoverable: Record<string, string[]> }> {
        const end = Date.now() + timeoutMs;
        while (Date.now() < end) {
            const r = this.exec("cloud-init status --format=json 2>/dev/null");
            try {
                const s = JSON.parse(r.stdout);
                if (s.status === "done" || s.status === "error") {
                    return { status: s.status, errors: s.errors ?? [], recoverable: s.recoverable_errors ?? {} };
                }
            } catch { /* not yet */ }
            await sleep(1000);
        }
        throw new Error(`${this.name}: cloud-init did not finish in ${timeoutMs / 1000} s:\n${this.exec("tail -n 40 /var/log/cloud-init-output.log").stdout}`);
    }

    /** What the stand-in cloud was asked by this machine's identity, in order. */
    cloudRequests(): Record<string, unknown>[] {
        return this.lab.cloudRequests().filter((r) => r.principal === this.spec.identity.principal);
    }

    async stop(): Promise<void> {
        if (this.nspawn && this.nspawn.exitCode === null) {
            run("nsenter", ["-t", String(this.leader), "-m", "-p", "--", "systemctl", "poweroff", "--no-block"]);
            const killed = await Promise.race([this.exited!.then(() => true), sleep(20_000).then(() => false)]);
            if (!killed) {
                this.nspawn.kill("SIGKILL");
                await Promise.race([this.exited, sleep(5_000)]);
            }
        }
        this.standin?.kill("SIGTERM");
        run("umount", ["-l", this.root]);
        if (this.loop) run("losetup", ["-d", this.loop]);
        run("ip", ["netns", "del", this.netns]);
    }
}
