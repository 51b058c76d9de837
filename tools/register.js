// Require hook for the offline tools (`npm run plan`, `npm run bench`): loads .ts files with
// TypeScript's own transpileModule, the transform ts-node's transpile-only mode (tests) and
// Pulumi's runtime (deploys) apply, and caches the output on disk by content hash. A warm run
// never loads the TypeScript compiler and installs no source-map hook, which Pulumi would pay
// for on every resource: together that was most of the offline plan's own start-up time.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "olympus-ts");
const TSCONFIG = path.join(ROOT, "tsconfig.json");

let salt;
let compilerOptions;

function cacheSalt() {
    if (salt === undefined) {
        const tsVersion = require("typescript/package.json").version;
        salt = `${tsVersion}\0${fs.readFileSync(TSCONFIG, "utf8")}`;
    }
    return salt;
}

function transpile(source, filename) {
    const ts = require("typescript");
    if (!compilerOptions) {
        const { config, error } = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
        if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
        compilerOptions = ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options;
    }
    return ts.transpileModule(source, {
        fileName: filename,
        compilerOptions: { ...compilerOptions, module: ts.ModuleKind.CommonJS, sourceMap: false, inlineSourceMap: false },
    }).outputText;
}

function compiled(source, filename) {
    const key = crypto.createHash("sha256").update(cacheSalt()).update("\0").update(filename).update("\0").update(source).digest("hex");
    const file = path.join(CACHE, `${key}.js`);
    try {
        return fs.readFileSync(file, "utf8");
    } catch {
        const out = transpile(source, filename);
        fs.mkdirSync(CACHE, { recursive: true });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, out);
        fs.renameSync(tmp, file);
        return out;
    }
}

require.extensions[".ts"] = (module, filename) => {
    module._compile(compiled(fs.readFileSync(filename, "utf8"), filename), filename);
};
