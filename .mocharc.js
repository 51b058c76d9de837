// mocha's configuration: TypeScript specs through ts-node (transpile-only; `npm run typecheck` checks types).
// OLYMPUS_TEST_SPEC, space-separated globs, narrows the spec set: test/tools/setup.test.ts uses it to run
// part of the suite inside a container, where the whole suite cannot run. A narrowed run says so on stderr.
"use strict";

const narrowed = (process.env.OLYMPUS_TEST_SPEC ?? "").trim();
const spec = narrowed === "" ? ["test/**/*.test.ts"] : narrowed.split(/\s+/);
if (narrowed !== "") process.stderr.write(`mocha: OLYMPUS_TEST_SPEC narrows the suite to ${spec.join(" ")}\n`);

module.exports = {
    require: ["ts-node/register/transpile-only"],
    extension: ["ts"],
    spec,
    recursive: true,
    timeout: 120000,
    slow: 5000,
};
