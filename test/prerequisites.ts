// What the whole test suite needs on the machine, in one list: `npm test` checks it first (its
// pretest step) and stops with one message naming what is missing; `npm run test:all`
// (tools/test-setup.sh) installs the missing packages from it. To need a new tool, add one entry.

import * as fs from "fs";
import * as path from "path";
import { PG_PACKAGE_ROOT, SUPPORTED_PG_MAJORS, findPgBin } from "../tools/pgcluster";

/** The machine as the check sees it; tests hand in another one. */
export interface Machine {
    readonly uid: number;
    /** Directories searched for commands: PATH, then the sbin directories a non-root PATH leaves out. */
    readonly path: readonly string[];
    readonly env: NodeJS.ProcessEnv;
    /** Where postgresql-NN packages put their binaries (/usr/lib/postgresql). */
    readonly pgRoot?: string;
    /** Prefix for the absolute files some entries look for ("" on a real machine). */
    readonly fileRoot?: string;
}

export interface Prerequisite {
    /** What the message says is missing (on that machine). */
    readonly what: string | ((m: Machine) => string);
    /** The Debian and Ubuntu package that provides it; none for root. */
    readonly aptPackage?: string;
    /** Which tests need it. */
    readonly why: string;
    /** Whether this machine has it. */
    present(m: Machine): boolean;
}

const onPath = (command: string) => (m: Machine) => m.path.some((dir) => isExecutable(path.join(dir, command)));
const hasFile = (file: string) => (m: Machine) => fs.existsSync(path.join(m.fileRoot ?? "", file));

function isExecutable(file: string): boolean {
    try {
        fs.accessSync(file, fs.constants.X_OK);
        return fs.statSync(file).isFile();
    } catch {
        return false;
    }
}

/** Everything the suite needs. `npm run test:all` installs, in one apt-get call, the package of each entry missing. */
export const PREREQUISITES: readonly Prerequisite[] = [
    { what: "root", why: "PostgreSQL runs as the postgres user through runuser; machines boot with systemd-nspawn", present: (m) => m.uid === 0 },
    { what: "caddy", aptPackage: "caddy", why: "the rendered Caddyfile, served for real", present: onPath("caddy") },
    {
        what: (m) => {
            const override = m.env.OLYMPUS_PG_BIN;
            if (override !== undefined && override !== "") return `PostgreSQL server binaries in OLYMPUS_PG_BIN=${override}`;
            return `PostgreSQL server binaries of major ${SUPPORTED_PG_MAJORS.join(", ")} in ${m.pgRoot ?? PG_PACKAGE_ROOT}/<major>/bin`;
        },
        aptPackage: "postgresql", why: "the rendered PostgreSQL files and scripts, run for real",
        present: (m) => findPgBin(m.env, m.pgRoot) !== undefined,
    },
    { what: "psql", aptPackage: "postgresql-client", why: "the rendered scripts' client calls", present: onPath("psql") },
    { what: "openssl", aptPackage: "openssl", why: "test certificates", present: onPath("openssl") },
    { what: "jq", aptPackage: "jq", why: "the rendered scripts", present: onPath("jq") },
    { what: "curl", aptPackage: "curl", why: "the rendered scripts", present: onPath("curl") },
    { what: "CA certificates", aptPackage: "ca-certificates", why: "HTTPS from the rendered scripts", present: hasFile("/etc/ssl/certs/ca-certificates.crt") },
    { what: "debootstrap", aptPackage: "debootstrap", why: "Debian 13 root filesystems for the machine tests", present: onPath("debootstrap") },
    {
        what: "Debian's archive keyring", aptPackage: "debian-archive-keyring", why: "debootstrap of Debian (Ubuntu lacks it)",
        present: hasFile("/usr/share/keyrings/debian-archive-keyring.gpg"),
    },
    { what: "systemd-nspawn", aptPackage: "systemd-container", why: "booting the machines", present: onPath("systemd-nspawn") },
    { what: "ip", aptPackage: "iproute2", why: "one network namespace per machine", present: onPath("ip") },
    { what: "shellcheck", aptPackage: "shellcheck", why: "the scripts that run on the servers", present: onPath("shellcheck") },
    { what: "apt-ftparchive", aptPackage: "apt-utils", why: "the machines' local apt repository", present: onPath("apt-ftparchive") },
    { what: "losetup", aptPackage: "mount", why: "the database servers' data disks (loop devices)", present: onPath("losetup") },
];

/** The command that sets a machine up and runs the suite (package.json "test:all"). */
export const SETUP_COMMAND = "npm run test:all";

/**
 * The README's test command, as a reader copies it: the line of the first sh block under
 * "## Two commands" that runs the tests (`.ci/run` and the example workflow must run exactly it).
 */
export function readmeTestCommand(readme: string): string {
    const section = /^## Two commands\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1] ?? "";
    const block = /^```sh\n([\s\S]*?)^```/m.exec(section)?.[1] ?? "";
    const commands = block.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => /\bnpm (run )?test/.test(l));
    if (commands.length !== 1) throw new Error(`README.md: "## Two commands" should show one test command in its first sh block, found ${commands.length}`);
    return commands[0];
}

export function thisMachine(env: NodeJS.ProcessEnv = process.env): Machine {
    const dirs = (env.PATH ?? "").split(path.delimiter).filter((d) => d !== "");
    for (const sbin of ["/usr/local/sbin", "/usr/sbin", "/sbin"]) if (!dirs.includes(sbin)) dirs.push(sbin);
    return { uid: process.getuid?.() ?? -1, path: dirs, env };
}

export function missingPrerequisites(m: Machine = thisMachine()): Prerequisite[] {
    return PREREQUISITES.filter((p) => !p.present(m));
}

/** The one message `npm test` prints when something is missing; undefined when nothing is. */
export function prerequisitesMessage(m: Machine = thisMachine()): string | undefined {
    const missing = missingPrerequisites(m);
    if (missing.length === 0) return undefined;
    const named = missing.map((p) => {
        const what = typeof p.what === "string" ? p.what : p.what(m);
        return p.aptPackage === undefined ? `${what} (this is uid ${m.uid})` : `${what} (apt package ${p.aptPackage})`;
    });
    return `npm test: missing ${named.join(", ")}. ` +
        `Run \`${SETUP_COMMAND}\`: it installs the missing packages (apt-get, as root or through sudo -n), then runs the suite as root.`;
}

/** `node test/prerequisites.ts` checks (npm's pretest step); `--missing-packages` prints the packages to install, one a line. */
function main(args: readonly string[]): number {
    if (args[0] === "--missing-packages") {
        for (const p of missingPrerequisites()) if (p.aptPackage !== undefined) process.stdout.write(`${p.aptPackage}\n`);
        return 0;
    }
    if (args.length > 0) {
        process.stderr.write(`usage: node test/prerequisites.ts [--missing-packages]\n`);
        return 2;
    }
    const message = prerequisitesMessage();
    if (message !== undefined) {
        process.stderr.write(`${message}\n`);
        return 1;
    }
    process.stderr.write(`npm test: prerequisites present; PostgreSQL binaries from ${findPgBin()}\n`);
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
