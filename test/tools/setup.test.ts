// The example workflow's test job, run here the way GitHub's hosted runner runs its `run:` steps:
// as a user who is not root and has passwordless sudo, on a machine that has neither Caddy nor a
// PostgreSQL server. The machine is a fresh Debian 13 (debootstrap --variant=minbase, plus sudo and
// ca-certificates), entered with systemd-nspawn and sharing this host's network (which reaches the
// npm registry and Debian's archive) and its certificate trust (the CA bundle, and NODE_EXTRA_CA_CERTS
// when set: a network that inspects TLS needs its CA in there). Stand-ins, named:
//   - actions/checkout: the repository's tracked and unignored files, copied in (no node_modules);
//   - actions/setup-node: this host's node and npm, bind-mounted read-only where setup-node puts
//     them (/opt/hostedtoolcache/node/<version>/x64) and put first on the runner's PATH, which is
//     not sudo's secure_path: the suite only finds that node if sudo is handed the runner's PATH;
//     its `cache: npm` is the runner's ~/.npm kept between runs of this spec;
//   - the runner image: Ubuntu's has more installed (git, curl, jq, shellcheck...); this one has
//     only what the steps need before they install anything, so the test step must install the rest.
// Narrowed, honestly: the test step runs verbatim (`npm ci && npm run test:all`: the real apt-get
// installs through sudo, the type-check, and mocha as root through sudo), but with
// OLYMPUS_TEST_SPEC set to the topology specs and the PostgreSQL integration test. The whole suite
// cannot nest in here: it includes this spec (which would recurse) and the machine tests that boot
// containers of their own. The PostgreSQL test runs against the major Debian 13 ships (17).
// Ubuntu's archive is not one this project's machines may use, so the Ubuntu run stays unverified.
// Caches in /var/cache/olympus-tests: the debootstrap'ed base as a tarball (keyed by suite, mirror
// and package list; each run starts from a fresh copy of it), apt's downloaded .debs and npm's cache.

import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { findPgBin } from "../../tools/pgcluster";
import { Machine, PREREQUISITES, prerequisitesMessage } from "../prerequisites";

const ROOT = path.resolve(__dirname, "..", "..");
const SUITE = "trixie";
const MIRROR = "http://deb.debian.org/debian";
/** What a hosted runner image has and minbase lacks, that the steps need before they install anything. */
const BASE_PACKAGES = ["sudo", "ca-certificates"];
const CACHE = "/var/cache/olympus-tests";
const RUNNER = { user: "runner", uid: 1001, home: "/home/runner" };
/** Where the checkout lands on a hosted runner: /home/runner/work/<repo>/<repo>. */
const WORKDIR = `${RUNNER.home}/work/olympus/olympus`;
const NODE_DIR = `/opt/hostedtoolcache/node/${process.versions.node}/x64`;
/** The runner's PATH: setup-node's directory, then Debian's default for a user (no sbin). */
const RUNNER_PATH = `${NODE_DIR}/bin:/usr/local/bin:/usr/bin:/bin`;
/** The specs the inner run keeps (see the header). */
const INNER_SPEC = "test/topology/**/*.test.ts test/integration/postgres.test.ts";
/** On a host booted with systemd (a hosted runner), nspawn makes its own scope unit; on one whose PID 1 is not systemd (this machine), it stays in ours. */
const NSPAWN_UNIT = fs.existsSync("/run/systemd/system") ? ["--register=no"] : ["--register=no", "--keep-unit"];
/** Set inside the container: this spec refuses to run there. */
const INSIDE = "OLYMPUS_RUNNER_STANDIN";
const APT_CACHE = path.join(CACHE, `apt-${SUITE}`);
const NPM_CACHE = path.join(CACHE, "npm");

interface Step { run?: string; uses?: string }

const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const log = (line: string) => process.stderr.write(`      [runner stand-in] ${line}\n`);

function run(cmd: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...opts });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status ?? r.signal}: ${(r.stderr ?? "").slice(-4000)}`);
    return r.stdout;
}

/** The debootstrap'ed base as a tarball, built once per suite, mirror and package list. */
function baseTarball(): string {
    const key = crypto.createHash("sha256")
        .update(JSON.stringify({ SUITE, MIRROR, BASE_PACKAGES, variant: "minbase", RUNNER, layout: 1 })).digest("hex").slice(0, 12);
    const tarball = path.join(CACHE, `rootfs-${SUITE}-${key}.tar`);
    if (fs.existsSync(tarball)) return tarball;
    const started = Date.now();
    fs.mkdirSync(CACHE, { recursive: true });
    const build = fs.mkdtempSync(path.join(CACHE, "build-"));
    try {
        run("debootstrap", ["--variant=minbase", `--include=${BASE_PACKAGES.join(",")}`, SUITE, build, MIRROR]);
        // The hosted runner's user: uid 1001, passwordless sudo (sudo keeps its defaults: env_reset, secure_path).
        run("chroot", [build, "useradd", "--create-home", "--uid", String(RUNNER.uid), "--shell", "/bin/bash", RUNNER.user]);
        fs.writeFileSync(path.join(build, "etc/sudoers.d/runner"), `${RUNNER.user} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
        fs.writeFileSync(path.join(build, "etc/hosts"), "127.0.0.1 localhost\n127.0.1.1 olympus-runner\n");
        fs.chmodSync(build, 0o755); // the tarball's "." becomes the container's /
        const partial = `${tarball}.${process.pid}.partial`;
        run("tar", ["--numeric-owner", "-C", build, "-cf", partial, "."]);
        fs.renameSync(partial, tarball);
        log(`debootstrap ${SUITE} (minbase + ${BASE_PACKAGES.join(", ")}) cached in ${tarball}: ${seconds(started)}`);
    } finally {
        fs.rmSync(build, { recursive: true, force: true });
    }
    return tarball;
}

/** Packages dpkg lists as installed in a root filesystem. */
function installed(rootfs: string): Set<string> {
    const status = fs.readFileSync(path.join(rootfs, "var/lib/dpkg/status"), "utf8");
    return new Set(status.split("\n\n").filter((s) => /^Status: install ok installed$/m.test(s)).map((s) => /^Package: (.+)$/m.exec(s)![1]));
}

/** Files a checkout of this working tree would hold: tracked (and not deleted) plus new unignored ones. */
function checkoutFiles(): string[] {
    return run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT })
        .split("\0").filter((f) => f !== "" && fs.existsSync(path.join(ROOT, f)));
}

describe("npm test's prerequisite check", () => {
    let dir: string;
    before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "olympus-prereq-")); });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const bare = (): Machine => ({ uid: 1000, path: [dir], env: {}, pgRoot: dir, fileRoot: dir });
    const fakePostgres = (bin: string) => {
        fs.mkdirSync(bin, { recursive: true });
        fs.writeFileSync(path.join(bin, "postgres"), "", { mode: 0o755 });
        return bin;
    };

    it("names everything missing, and the command that installs it, in one line", () => {
        assert.strictEqual(prerequisitesMessage(bare()),
            `npm test: missing root (this is uid 1000), caddy (apt package caddy), PostgreSQL server binaries of major 17, 16, 15, 14 in ${dir}/<major>/bin (apt package postgresql), ` +
            "psql (apt package postgresql-client), openssl (apt package openssl), jq (apt package jq), curl (apt package curl), " +
            "CA certificates (apt package ca-certificates), debootstrap (apt package debootstrap), Debian's archive keyring (apt package debian-archive-keyring), " +
            "systemd-nspawn (apt package systemd-container), ip (apt package iproute2), shellcheck (apt package shellcheck), apt-ftparchive (apt package apt-utils), losetup (apt package mount). " +
            "Run `npm run test:all`: it installs the missing packages (apt-get, as root or through sudo -n), then runs the suite as root.");
    });

    it("is silent on a machine that has everything", () => {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin, { recursive: true });
        for (const c of ["caddy", "psql", "openssl", "jq", "curl", "debootstrap", "systemd-nspawn", "ip", "shellcheck", "apt-ftparchive", "losetup"]) fs.writeFileSync(path.join(bin, c), "", { mode: 0o755 });
        for (const f of ["etc/ssl/certs/ca-certificates.crt", "usr/share/keyrings/debian-archive-keyring.gpg"]) {
            fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
            fs.writeFileSync(path.join(dir, f), "");
        }
        fakePostgres(path.join(dir, "15", "bin"));
        assert.strictEqual(prerequisitesMessage({ ...bare(), uid: 0, path: [bin] }), undefined);
    });

    it("uses the newest supported PostgreSQL major installed, or OLYMPUS_PG_BIN when set", () => {
        const root = path.join(dir, "postgresql");
        for (const major of ["14", "16", "18"]) fakePostgres(path.join(root, major, "bin"));
        assert.strictEqual(findPgBin({}, root), path.join(root, "16", "bin"), "18 is not supported yet: 16 is the newest supported");
        const own = fakePostgres(path.join(dir, "own", "bin"));
        assert.strictEqual(findPgBin({ OLYMPUS_PG_BIN: own }, root), own);
        assert.strictEqual(findPgBin({ OLYMPUS_PG_BIN: path.join(dir, "nowhere") }, root), undefined, "a wrong override is not silently replaced");
        assert.match(prerequisitesMessage({ ...bare(), env: { OLYMPUS_PG_BIN: "/nowhere" } })!,
            /, PostgreSQL server binaries in OLYMPUS_PG_BIN=\/nowhere \(apt package postgresql\), /);
    });

    it("has a setup script that passes shellcheck", () => {
        const r = spawnSync("shellcheck", [path.join(ROOT, "tools", "test-setup.sh")], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stdout);
    });
});

describe("the example workflow's test job, on a fresh Debian 13 as a hosted runner runs it", function () {
    this.timeout(20 * 60_000);
    const workflow = YAML.parse(fs.readFileSync(path.join(ROOT, ".github/workflows/plan-and-policies.yml"), "utf8")) as { jobs: { test: { steps: Step[] } } };
    const [testStep, planStep] = workflow.jobs.test.steps.flatMap((s) => (s.run === undefined ? [] : [s.run]));
    const aptPackages = PREREQUISITES.flatMap((p) => (p.aptPackage === undefined ? [] : [p.aptPackage]));
    let dir: string;
    let rootfs: string;
    let preinstalled: Set<string>;
    let child: ChildProcess | undefined;

    /** Run a `run:` step as GitHub does (`bash -e` on a file holding it), as the runner user, in the checkout. */
    async function runStep(name: string, script: string): Promise<{ status: number | null; output: string }> {
        const file = `${RUNNER.home}/work/_temp/${name}.sh`;
        fs.mkdirSync(path.join(rootfs, path.dirname(file)), { recursive: true });
        fs.writeFileSync(path.join(rootfs, file), `${script}\n`);
        const logFile = path.join(dir, `${name}.log`);
        const out = fs.openSync(logFile, "w");
        const npm = path.resolve(path.dirname(process.execPath), "..", "lib", "node_modules", "npm");
        const started = Date.now();
        child = spawn("systemd-nspawn", [
            "--quiet", "--directory", rootfs, ...NSPAWN_UNIT, "--as-pid2", "--console=pipe", "--hostname=olympus-runner",
            // A disk-backed /tmp, as on a runner (nspawn's default is a small tmpfs).
            `--bind=${path.join(dir, "tmp")}:/tmp`,
            `--bind-ro=${process.execPath}:${NODE_DIR}/bin/node`, `--bind-ro=${npm}:${NODE_DIR}/lib/node_modules/npm`,
            `--user=${RUNNER.user}`, `--chdir=${WORKDIR}`,
            `--setenv=HOME=${RUNNER.home}`, `--setenv=USER=${RUNNER.user}`, `--setenv=PATH=${RUNNER_PATH}`,
            ...(process.env.NODE_EXTRA_CA_CERTS === undefined ? [] : [`--setenv=NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS}`]),
            "--setenv=CI=true", "--setenv=GITHUB_ACTIONS=true", `--setenv=OLYMPUS_TEST_SPEC=${INNER_SPEC}`, `--setenv=${INSIDE}=1`,
            "bash", "-e", file,
        ], { stdio: ["ignore", out, out] });
        const status = await new Promise<number | null>((resolve, reject) => {
            child!.on("error", reject);
            child!.on("exit", (code) => resolve(code));
        });
        child = undefined;
        fs.closeSync(out);
        fs.copyFileSync(logFile, path.join(CACHE, `last-${name}.log`)); // for a look afterwards
        log(`${name}: exit ${status} after ${seconds(started)} (output in ${CACHE}/last-${name}.log)`);
        return { status, output: fs.readFileSync(logFile, "utf8") };
    }

    const tail = (output: string) => output.split("\n").slice(-80).join("\n");

    before(function () {
        assert.strictEqual(process.env[INSIDE], undefined, "this spec runs inside its own container; nested there it would recurse: leave it out of OLYMPUS_TEST_SPEC");
        assert.strictEqual(testStep, "npm ci && npm run test:all", "the workflow's first run step is the README's test command (test/tools/workflow.test.ts)");
        const started = Date.now();
        const tarball = baseTarball();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "olympus-runner-"));
        process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        rootfs = path.join(dir, "rootfs");
        fs.mkdirSync(rootfs);
        fs.mkdirSync(path.join(dir, "tmp"), { mode: 0o1777 });
        fs.chmodSync(path.join(dir, "tmp"), 0o1777);
        run("tar", ["--numeric-owner", "-C", rootfs, "-xpf", tarball]);
        fs.chmodSync(rootfs, 0o755);
        preinstalled = installed(rootfs);
        // actions/checkout
        const work = path.join(rootfs, WORKDIR);
        for (const f of checkoutFiles()) {
            fs.mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
            fs.cpSync(path.join(ROOT, f), path.join(work, f), { verbatimSymlinks: true });
        }
        // actions/setup-node: mount points for node and npm, and npm's bin links.
        const nodeDir = path.join(rootfs, NODE_DIR);
        fs.mkdirSync(path.join(nodeDir, "bin"), { recursive: true });
        fs.mkdirSync(path.join(nodeDir, "lib/node_modules/npm"), { recursive: true });
        fs.writeFileSync(path.join(nodeDir, "bin/node"), "");
        fs.symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", path.join(nodeDir, "bin/npm"));
        fs.symlinkSync("../lib/node_modules/npm/bin/npx-cli.js", path.join(nodeDir, "bin/npx"));
        if (fs.existsSync(NPM_CACHE)) fs.cpSync(NPM_CACHE, path.join(rootfs, RUNNER.home, ".npm"), { recursive: true });
        run("chown", ["-R", `${RUNNER.uid}:${RUNNER.uid}`, path.join(rootfs, RUNNER.home)]);
        // This host's certificate trust, for the same network.
        fs.copyFileSync("/etc/ssl/certs/ca-certificates.crt", path.join(rootfs, "etc/ssl/certs/ca-certificates.crt"));
        // apt's download cache from earlier runs (apt still resolves, verifies, unpacks and configures each package).
        if (fs.existsSync(APT_CACHE)) {
            for (const deb of fs.readdirSync(APT_CACHE)) fs.copyFileSync(path.join(APT_CACHE, deb), path.join(rootfs, "var/cache/apt/archives", deb));
        }
        log(`fresh ${SUITE} root filesystem with the checkout: ${seconds(started)}`);
    });

    after(() => {
        if (child !== undefined) child.kill("SIGTERM"); // nspawn then kills everything in the container
        if (rootfs !== undefined && fs.existsSync(rootfs)) {
            fs.mkdirSync(APT_CACHE, { recursive: true });
            const archives = path.join(rootfs, "var/cache/apt/archives");
            for (const deb of fs.readdirSync(archives).filter((f) => f.endsWith(".deb"))) {
                if (!fs.existsSync(path.join(APT_CACHE, deb))) fs.copyFileSync(path.join(archives, deb), path.join(APT_CACHE, deb));
            }
            const npmCache = path.join(rootfs, RUNNER.home, ".npm", "_cacache");
            if (fs.existsSync(npmCache)) {
                fs.rmSync(NPM_CACHE, { recursive: true, force: true });
                fs.cpSync(npmCache, path.join(NPM_CACHE, "_cacache"), { recursive: true });
            }
        }
        if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("starts with sudo and without Caddy, PostgreSQL, jq, curl or the machine-test tools", () => {
        assert.ok(preinstalled.has("sudo"));
        // minbase brings the keyring and util-linux's mount (losetup), and ca-certificates brings openssl.
        assert.deepStrictEqual(aptPackages.filter((p) => preinstalled.has(p)), ["openssl", "ca-certificates", "debian-archive-keyring", "mount"]);
    });

    it("stops `npm ci && npm test` at once, with one message naming what is missing and the setup command", async () => {
        const r = await runStep("bare", "npm ci && npm test");
        assert.notStrictEqual(r.status, 0);
        const messages = r.output.split("\n").filter((l) => l.startsWith("npm test: "));
        assert.deepStrictEqual(messages, [
            "npm test: missing root (this is uid 1001), caddy (apt package caddy), PostgreSQL server binaries of major 17, 16, 15, 14 in /usr/lib/postgresql/<major>/bin " +
            "(apt package postgresql), psql (apt package postgresql-client), jq (apt package jq), curl (apt package curl), debootstrap (apt package debootstrap), " +
            "systemd-nspawn (apt package systemd-container), ip (apt package iproute2), shellcheck (apt package shellcheck), apt-ftparchive (apt package apt-utils). " +
            "Run `npm run test:all`: it installs the missing packages (apt-get, as root or through sudo -n), then runs the suite as root.",
        ]);
        assert.doesNotMatch(r.output, /> olympus-multi-region@\S+ typecheck|passing|failing/, "neither the type-check nor any spec ran");
    });

    it("`npm run test:all` without passwordless sudo says so in one line", async () => {
        const sudoers = path.join(rootfs, "etc/sudoers.d/runner");
        fs.renameSync(sudoers, `${sudoers}.off`);
        try {
            const r = await runStep("nosudo", "npm run -s test:all");
            assert.strictEqual(r.status, 1);
            assert.deepStrictEqual(r.output.split("\n").filter((l) => l.startsWith("npm run test:all")),
                ["npm run test:all: needs root for apt-get and for the suite: run it as root, or as a user with passwordless sudo (sudo -n refused)"]);
        } finally {
            fs.renameSync(`${sudoers}.off`, sudoers);
        }
    });

    it("runs the test step as the runner user: installs through sudo, then the suite as root, against PostgreSQL 17", async () => {
        const r = await runStep("test", testStep);
        assert.strictEqual(r.status, 0, `the test step failed:\n${tail(r.output)}`);
        const toInstall = aptPackages.filter((p) => !preinstalled.has(p));
        assert.match(r.output, new RegExp(`^== apt-get install ${toInstall.join(" ")}$`, "m"));
        assert.match(r.output, /^npm test: prerequisites present; PostgreSQL binaries from \/usr\/lib\/postgresql\/17\/bin$/m);
        assert.match(r.output, /^mocha: OLYMPUS_TEST_SPEC narrows the suite to test\/topology\/\*\*\/\*\.test\.ts test\/integration\/postgres\.test\.ts$/m);
        assert.match(r.output, /integration: PostgreSQL streaming replication from the rendered files/);
        assert.match(r.output, /^ {2}\d+ passing/m);
        assert.doesNotMatch(r.output, /^ {2}\d+ (failing|pending)/m);
        const now = installed(rootfs);
        assert.deepStrictEqual(aptPackages.filter((p) => !now.has(p)), [], "every package of test/prerequisites.ts is installed");
        assert.ok(now.has("postgresql-17"), "Debian 13's PostgreSQL major");
        // The suite ran as root in the runner's checkout; what it wrote there is the runner's again.
        const foreign = run("find", [path.join(rootfs, WORKDIR), "!", "-uid", String(RUNNER.uid), "-print", "-quit"]);
        assert.strictEqual(foreign, "", "every file in the checkout belongs to the runner user");
    });

    it("runs the offline plan step of every stack file as the runner user", async () => {
        const r = await runStep("plan", planStep);
        assert.strictEqual(r.status, 0, `the offline plan step failed:\n${tail(r.output)}`);
        const stacks = fs.readdirSync(path.join(ROOT, "stacks")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
        for (const s of stacks) assert.match(r.output, new RegExp(`^::group::stacks/${s.replace(/\./g, "\\.")}$`, "m"));
    });
});
