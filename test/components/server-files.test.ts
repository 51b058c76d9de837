// What runs on the servers, checked with the tools of its kind: every script of
// components/runtime/files passes shellcheck and `bash -n`; every user-data of every shipped stack
// fits its cloud's limit, holds only the bootstrap, and matches its golden copy (test/golden/,
// rewritten with OLYMPUS_UPDATE_GOLDEN=1), as do the files each server's config secret carries.

import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { USER_DATA_LIMIT, fitUserData } from "../../components/runtime/bootstrap";
import { FILES_DIR, shellScripts, unitFiles } from "../../components/runtime/files";
import { PROJECT_DIR, RecordedResource, reveal } from "../../tools/engine";
import { inputs, ofType, shippedStacks, stackRun } from "../helpers";

const GOLDEN = path.join(PROJECT_DIR, "test", "golden");
const update = process.env.OLYMPUS_UPDATE_GOLDEN === "1";

function golden(name: string, actual: string): void {
    const file = path.join(GOLDEN, name);
    if (update || !fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, actual);
        if (!update) assert.fail(`${path.relative(PROJECT_DIR, file)} did not exist; it was written: review and commit it`);
        return;
    }
    assert.strictEqual(actual, fs.readFileSync(file, "utf8"), `${path.relative(PROJECT_DIR, file)} differs; if the change is meant, run OLYMPUS_UPDATE_GOLDEN=1 npm test and review the diff`);
}

function userDataOf(r: RecordedResource): { text: string; raw: number } {
    const i = inputs(r);
    if (r.type === "aws:ec2/instance:Instance") {
        if (i.userDataBase64) {
            const raw = Buffer.from(i.userDataBase64, "base64");
            return { text: require("zlib").gunzipSync(raw).toString("utf8"), raw: raw.length };
        }
        return { text: i.userData, raw: Buffer.byteLength(i.userData) };
    }
    return { text: i.metadata["user-data"], raw: Buffer.byteLength(i.metadata["user-data"]) };
}

const servers = (run: Awaited<ReturnType<typeof stackRun>>) => [...ofType(run, "aws:ec2/instance:Instance"), ...ofType(run, "gcp:compute/instance:Instance")];

describe("server files: scripts as files, checked by their own tools", () => {
    const scripts = shellScripts();

    it("has the server's scripts as files", () => {
        assert.ok(scripts.includes("server/sync.sh") && scripts.includes("app/apply.sh") && scripts.includes("database/olympus-db"), scripts.join(", "));
    });

    it("passes shellcheck (every severity) and bash -n, every script", () => {
        const sc = spawnSync("shellcheck", ["-x", "-P", "SCRIPTDIR", "-S", "style", ...scripts], { cwd: FILES_DIR, encoding: "utf8" });
        assert.strictEqual(sc.status, 0, sc.stdout + sc.stderr);
        for (const s of scripts) {
            const n = spawnSync("bash", ["-n", path.join(FILES_DIR, s)], { encoding: "utf8" });
            assert.strictEqual(n.status, 0, `${s}: ${n.stderr}`);
        }
    });

    it("catches a broken script (the lint is real)", () => {
        const broken = spawnSync("shellcheck", ["-S", "style", "-"], { input: "#!/bin/bash\nfor f in $(ls *.txt); do echo $f; done\n", encoding: "utf8" });
        assert.notStrictEqual(broken.status, 0);
        assert.notStrictEqual(spawnSync("bash", ["-n"], { input: "if then fi\n" }).status, 0);
    });

    it("keeps every unit a file, and no TypeScript template writes bash", () => {
        assert.ok(unitFiles().length >= 6, unitFiles().join(", "));
        for (const f of ["appServer.ts", "databaseServer.ts", "bootstrap.ts"]) {
            const source = fs.readFileSync(path.join(PROJECT_DIR, "components", "runtime", f), "utf8");
            assert.doesNotMatch(source, /#!\/bin\/bash/, `${f} writes a script; scripts live in components/runtime/files/`);
        }
    });
});

describe("user-data of every shipped stack", () => {
    for (const stack of shippedStacks()) {
        it(`${stack}: fits each cloud's limit, holds only the bootstrap, and matches its golden copy`, async () => {
            const run = await stackRun(stack);
            for (const server of servers(run)) {
                const cloud = server.type.startsWith("aws:") ? "aws" : "gcp";
                const { text, raw } = userDataOf(server);
                assert.ok(raw <= USER_DATA_LIMIT[cloud], `${server.name}: ${raw} bytes`);
                const doc = YAML.parse(text);
                const paths = (doc.write_files as { path: string }[]).map((f) => f.path);
                assert.ok(paths.includes("/etc/olympus/server.env") && paths.includes("/usr/local/lib/olympus/sync.sh"), `${server.name}: ${paths.join(", ")}`);
                golden(`${stack}/${server.name}.user-data`, text);
            }
        });
    }

    it("refuses user-data over the limit, before the instance is declared, saying by how much", () => {
        const big = `#cloud-config\n# ${require("crypto").randomBytes(20_000).toString("base64")}\n`;
        assert.throws(() => fitUserData("aws", big, "us-east app server"),
            new RegExp(`^Error: us-east app server: user-data is ${Buffer.byteLength(big)} bytes \\(\\d+ gzipped\\), over AWS's limit of 16384 bytes`));
        assert.deepStrictEqual(fitUserData("gcp", big, "x"), { text: big });
        const compressible = `#cloud-config\n${"# padding\n".repeat(3000)}`;
        const fitted = fitUserData("aws", compressible, "x");
        assert.ok("gzipBase64" in fitted, "AWS user-data over 16 KB that gzips below it is sent gzipped");
    });
});

const repoFiles = new Map(fs.readdirSync(FILES_DIR).flatMap((dir) => fs.readdirSync(path.join(FILES_DIR, dir))
    .map((f) => [fs.readFileSync(path.join(FILES_DIR, dir, f), "utf8"), `${dir}/${f}`] as const)));

describe("the files a server's config secret carries", () => {
    for (const stack of shippedStacks()) {
        it(`${stack}: match their golden copies`, async () => {
            const run = await stackRun(stack);
            const configs = run.resources.filter((r) => /secretVersion/.test(r.type) && /-(app|db)-config$/.test(r.name));
            assert.ok(configs.length > 0);
            for (const c of configs) {
                const value = JSON.parse(String(reveal(c.wireInputs.secretString ?? c.wireInputs.secretData)));
                // A repository file is named, not copied; what the program renders is shown whole.
                const files = (value.files as { path: string; mode: string; content: string }[])
                    .map((f) => `==> ${f.path} (${f.mode})\n${repoFiles.get(f.content) ? `= components/runtime/files/${repoFiles.get(f.content)}\n` : f.content}`).join("\n");
                golden(`${stack}/${c.name}.files`, files);
            }
        });
    }
});
