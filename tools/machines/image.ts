// The test machines' image: a Debian 13 root filesystem made with debootstrap from Debian's archive
// (what the clouds' official Debian 13 images are built from), and beside it a local apt repository
// holding every package the servers' user-data installs, so cloud-init's package steps really run.
// Built once and cached (OLYMPUS_MACHINE_CACHE, default /var/cache/olympus-machines), keyed by
// everything that goes into it. Named stand-ins baked in (the only parts not real): the cloud's
// endpoints' CA, Docker's CLI and engine (tools/machines/image/), and cloud-init's datasource.

import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export const SUITE = "trixie";
const MIRROR = process.env.OLYMPUS_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
export const CACHE_DIR = process.env.OLYMPUS_MACHINE_CACHE ?? "/var/cache/olympus-machines";
const IMAGE_FILES = path.join(__dirname, "image");

/**
 * What a Debian cloud image has that a minbase debootstrap lacks, and what the stand-ins need:
 * systemd, cloud-init and OpenSSH's server; iproute2 and procps; python3-yaml and python3-psycopg2 for the
 * container stand-ins. Everything the servers install themselves comes from the local repository.
 */
const BASE_PACKAGES = [
    "systemd", "systemd-sysv", "dbus", "cloud-init", "python3-cffi-backend", "ca-certificates", "iproute2", "procps", "openssh-server",
    "iputils-ping", "netcat-openbsd", "python3-yaml", "python3-psycopg2", "less",
];

/**
 * Stand-in for AWS's SSM Agent package (AWS publishes it in its own buckets, unreachable here): a
 * real .deb named amazon-ssm-agent whose service only idles, so the server's install step really runs.
 */
function buildSsmAgentStandin(out: string): void {
    const pkg = fs.mkdtempSync(path.join(CACHE_DIR, "ssm-"));
    fs.mkdirSync(path.join(pkg, "DEBIAN"));
    fs.mkdirSync(path.join(pkg, "usr/bin"), { recursive: true });
    fs.mkdirSync(path.join(pkg, "lib/systemd/system"), { recursive: true });
    fs.writeFileSync(path.join(pkg, "DEBIAN/control"), "Package: amazon-ssm-agent\nVersion: 0.0.0-olympus-standin\nArchitecture: all\n" +
        "Maintainer: Olympus tests <tests@olympus.invalid>\nDescription: Stand-in for AWS Systems Manager's agent in test machines\n");
    fs.writeFileSync(path.join(pkg, "usr/bin/amazon-ssm-agent"), "#!/bin/sh\n# Stand-in: the real agent talks to Systems Manager, which is not here.\nexec sleep infinity\n", { mode: 0o755 });
    fs.writeFileSync(path.join(pkg, "lib/systemd/system/amazon-ssm-agent.service"),
        "[Unit]\nDescription=amazon-ssm-agent (test stand-in)\n\n[Service]\nExecStart=/usr/bin/amazon-ssm-agent\n\n[Install]\nWantedBy=multi-user.target\n");
    run("dpkg-deb", ["--root-owner-group", "--build", pkg, out]);
    fs.rmSync(pkg, { recursive: true, force: true });
}

export interface MachineImage {
    /** The root filesystem (read-only lower layer of every machine). */
    readonly root: string;
    /** A flat apt repository (Packages, Release, the .debs). */
    readonly repo: string;
    /** The stand-in cloud's CA: the machines trust it, the stand-in endpoints present certificates it signs. */
    readonly ca: { readonly cert: string; readonly key: string };
    /** The stand-in SSM Agent package the stand-in S3 serves. */
    readonly ssmAgentDeb: string;
    readonly key: string;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, ...opts, env: { ...process.env, ...opts.env } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${(r.stderr || r.stdout).slice(-4000)}`);
    return r.stdout;
}

function chroot(root: string, script: string): string {
    for (const m of ["proc", "sys", "dev"]) {
        fs.mkdirSync(path.join(root, m), { recursive: true });
    }
    run("mount", ["-t", "proc", "proc", path.join(root, "proc")]);
    try {
        return run("chroot", [root, "/bin/sh", "-ec", script], { env: { DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C.UTF-8", PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } });
    } finally {
        spawnSync("umount", ["-l", path.join(root, "proc")]);
    }
}

function imageKey(packages: readonly string[]): string {
    const h = crypto.createHash("sha256").update(`${SUITE}\0${MIRROR}\0${BASE_PACKAGES.join(",")}\0${[...packages].sort().join(",")}\0`);
    for (const f of fs.readdirSync(IMAGE_FILES).sort()) h.update(f).update(fs.readFileSync(path.join(IMAGE_FILES, f)));
    h.update(fs.readFileSync(__filename));
    return h.digest("hex").slice(0, 16);
}

/** The machine image for these packages, built when the cache lacks it (a few minutes), reused otherwise. */
export function machineImage(packages: readonly string[], log: (line: string) => void = () => undefined): MachineImage {
    const key = imageKey(packages);
    const dir = path.join(CACHE_DIR, `${SUITE}-${key}`);
    const image: MachineImage = {
        root: path.join(dir, "root"), repo: path.join(dir, "repo"), ca: { cert: path.join(dir, "ca.crt"), key: path.join(dir, "ca.key") },
        ssmAgentDeb: path.join(dir, "amazon-ssm-agent.deb"), key,
    };
    if (fs.existsSync(path.join(dir, "complete"))) return image;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const started = Date.now();
    log(`machine image ${key}: debootstrap --variant=minbase ${SUITE} (cached afterwards in ${dir})`);
    run("debootstrap", ["--variant=minbase", `--include=${BASE_PACKAGES.join(",")}`, SUITE, image.root, MIRROR]);
    // dpkg's fsyncs buy nothing on a throw-away test machine and cost most of a package install.
    fs.writeFileSync(path.join(image.root, "etc/dpkg/dpkg.cfg.d/olympus-test-unsafe-io"), "force-unsafe-io\n");
    fs.writeFileSync(path.join(image.root, "etc/apt/sources.list"), `deb ${MIRROR} ${SUITE} main\n`);

    log(`machine image ${key}: downloading ${packages.length} packages and their dependencies into the local repository`);
    fs.mkdirSync(image.repo, { recursive: true });
    const inRoot = "/var/cache/olympus-repo";
    fs.mkdirSync(path.join(image.root, inRoot), { recursive: true });
    chroot(image.root, `apt-get update -qq && apt-get install -y -qq --download-only -o Dir::Cache::archives=${inRoot} ${packages.join(" ")} >/dev/null`);
    for (const deb of fs.readdirSync(path.join(image.root, inRoot)).filter((f) => f.endsWith(".deb"))) {
        fs.renameSync(path.join(image.root, inRoot, deb), path.join(image.repo, deb));
    }
    fs.rmSync(path.join(image.root, inRoot), { recursive: true, force: true });
    fs.writeFileSync(path.join(image.repo, "Packages"), run("apt-ftparchive", ["packages", "."], { cwd: image.repo }));
    fs.writeFileSync(path.join(image.repo, "Release"), run("apt-ftparchive", ["release", "."], { cwd: image.repo }));

    // The machines' "mirror": the local repository, served on each machine's loopback by its stand-in.
    fs.writeFileSync(path.join(image.root, "etc/apt/sources.list"), "deb [trusted=yes] http://127.0.0.1/debian ./\n");
    chroot(image.root, "apt-get clean && rm -rf /var/lib/apt/lists/*");

    // Stand-ins: the cloud's CA (its endpoints' certificates), cloud-init's datasource, Docker.
    run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "3650",
        "-subj", "/CN=Olympus test machines: stand-in cloud CA", "-keyout", image.ca.key, "-out", image.ca.cert]);
    fs.copyFileSync(image.ca.cert, path.join(image.root, "usr/local/share/ca-certificates/olympus-test-cloud.crt"));
    chroot(image.root, "update-ca-certificates >/dev/null");
    fs.copyFileSync(path.join(IMAGE_FILES, "90-olympus-test.cfg"), path.join(image.root, "etc/cloud/cloud.cfg.d/90-olympus-test.cfg"));
    fs.mkdirSync(path.join(image.root, "usr/local/lib/docker-standin"), { recursive: true });
    fs.copyFileSync(path.join(IMAGE_FILES, "docker"), path.join(image.root, "usr/local/bin/docker"));
    fs.copyFileSync(path.join(IMAGE_FILES, "service"), path.join(image.root, "usr/local/lib/docker-standin/service"));
    fs.chmodSync(path.join(image.root, "usr/local/bin/docker"), 0o755);
    fs.chmodSync(path.join(image.root, "usr/local/lib/docker-standin/service"), 0o755);
    fs.copyFileSync(path.join(IMAGE_FILES, "docker.service"), path.join(image.root, "etc/systemd/system/docker.service"));
    fs.symlinkSync("/dev/null", path.join(image.root, "etc/systemd/system/docker.socket"));
    buildSsmAgentStandin(path.join(dir, "amazon-ssm-agent.deb"));
    // No machine-id: each machine makes its own at first boot, as a cloud instance does.
    fs.writeFileSync(path.join(image.root, "etc/machine-id"), "");
    fs.writeFileSync(path.join(dir, "complete"), `${new Date().toISOString()} ${Math.round((Date.now() - started) / 1000)} s\n`);
    log(`machine image ${key}: built in ${Math.round((Date.now() - started) / 1000)} s`);
    return image;
}

/** The tools the machines need on this host, or what is missing. */
export function machineToolsMissing(): string[] {
    const need = ["debootstrap", "systemd-nspawn", "apt-ftparchive", "ip", "nsenter", "losetup", "openssl"];
    return need.filter((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status !== 0);
}

