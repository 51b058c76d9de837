// The test suite leaves nothing in the temp folder: directories made through test/tempdirs.ts are
// removed when the process exits, even when nothing removes them before. Proved on a child process
// with a temp folder of its own, so other test runs on the machine cannot disturb the count.

import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { liveTempDirs, removeTempDir, tempDir } from "./tempdirs";
import { tempStackFile } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

/** Run `script` in a child node (TypeScript loaded as `npm run plan` loads it) whose temp folder is `tmp`. */
function inChild(tmp: string, script: string): void {
    const r = spawnSync(process.execPath, ["-r", "./tools/register.js", "-e", script], {
        cwd: ROOT, encoding: "utf8", env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp },
    });
    assert.strictEqual(r.status, 0, r.stderr);
}

describe("temporary directories", () => {
    let tmp: string;
    beforeEach(() => { tmp = tempDir("tmp"); });
    afterEach(() => removeTempDir(tmp));

    it("made with tempDir are gone once the process exits, though nothing removed them", () => {
        inChild(tmp, `const t = require("./test/tempdirs.ts");
            for (const kind of ["stack", "worker", "caddy"]) require("fs").writeFileSync(require("path").join(t.tempDir(kind), "f"), "x");
            if (require("fs").readdirSync(require("os").tmpdir()).length !== 3) process.exit(3);`);
        assert.deepStrictEqual(fs.readdirSync(tmp), []);
    });

    it("are gone when the process is stopped by SIGTERM or SIGINT, and the signal still stops it", async () => {
        for (const signal of ["SIGTERM", "SIGINT"] as const) {
            const child = spawn(process.execPath, ["-r", "./tools/register.js", "-e",
                `require("./test/tempdirs.ts").tempDir("stack"); process.stdout.write("ready"); setInterval(() => undefined, 1000);`], {
                cwd: ROOT, env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp }, stdio: ["ignore", "pipe", "inherit"],
            });
            await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
            assert.strictEqual(fs.readdirSync(tmp).length, 1);
            const ended = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, sig) => resolve(sig)));
            child.kill(signal);
            assert.strictEqual(await ended, signal);
            assert.deepStrictEqual(fs.readdirSync(tmp), [], `after ${signal}`);
        }
    });

    it("made behind tempDir's back are left, which is what the count above would show", () => {
        inChild(tmp, `require("./test/tempdirs.ts"); require("fs").mkdtempSync(require("path").join(require("os").tmpdir(), "olympus-stack-"));`);
        assert.deepStrictEqual(fs.readdirSync(tmp).map((d) => d.replace(/-[^-]+$/, "")), ["olympus-stack"]);
    });

    it("tempStackFile makes its directory with tempDir, in the temp folder, and removing it leaves nothing", () => {
        const dir = path.dirname(tempStackFile("leak", "config: {}\n"));
        assert.strictEqual(path.dirname(dir), os.tmpdir());
        assert.ok(liveTempDirs().includes(dir), "registered for removal at exit");
        removeTempDir(dir);
        assert.ok(!fs.existsSync(dir) && !liveTempDirs().includes(dir));
    });
});
