// From the code to the README: every key the config parser accepts (its key lists, the same the
// parser's unknown-key check reads) and every policy of the pack, with each setting and its default,
// is documented. A failure names what is missing, so adding a key or a setting without its doc fails.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../policies/policies";
import { CONFIG_KEYS, KeyTree } from "../../topology/config";
import { USER_OPERATIONS, isPausedWrite, outcome } from "../../topology/operations";
import { docsWithOperations, renderOperationsBlocks } from "../../tools/docs";
import { PROJECT_DIR } from "../../tools/engine";

const README = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");

function section(text: string, heading: string): string {
    const start = text.indexOf(`\n${heading}\n`);
    assert.ok(start >= 0, `README has no "${heading}" section`);
    const next = text.slice(start + heading.length + 2).search(/\n#{2,3} /);
    return next < 0 ? text.slice(start) : text.slice(start, start + heading.length + 2 + next);
}

/** Every dotted key path of the tree (`edge.monitor.intervalSeconds`), and the region item fields. */
function keyPaths(tree: KeyTree, prefix = ""): { paths: string[]; itemFields: string[] } {
    const paths: string[] = [];
    const itemFields: string[] = [];
    for (const key of tree.keys) {
        const child = tree.children?.[key];
        const p = `${prefix}${key}`;
        if (child?.items) {
            paths.push(p);
            itemFields.push(...child.items.keys);
        } else if (child && child.keys.length > 0) {
            const sub = keyPaths(child, `${p}.`);
            paths.push(...sub.paths);
            itemFields.push(...sub.itemFields);
        } else {
            paths.push(p);
        }
    }
    return { paths, itemFields };
}

/**
 * The keys a table's first column documents: `a.b.c` spans, and `.d` spans that name a sibling of
 * the span before them (`servers.app.aws`, `.gcp`).
 */
function documentedKeys(table: string): Set<string> {
    const keys = new Set<string>();
    for (const line of table.split("\n")) {
        const first = /^\|([^|]*)\|/.exec(line)?.[1];
        if (!first) continue;
        let parent = "";
        for (const m of first.matchAll(/`([^`]+)`/g)) {
            const span = m[1];
            if (span.startsWith(".")) {
                keys.add(`${parent}${span}`);
            } else {
                keys.add(span);
                parent = span.includes(".") ? span.slice(0, span.lastIndexOf(".")) : "";
            }
        }
    }
    return keys;
}

describe("docs: the README documents what the code accepts", () => {
    const reference = section(README, "## Configuration reference");
    const [topTable, regionTable] = reference.split("\nEach region:\n");

    it("has a row for every key the config parser accepts", () => {
        const { paths } = keyPaths(CONFIG_KEYS);
        const documented = documentedKeys(topTable);
        const missing = paths.filter((p) => !documented.has(p));
        assert.deepStrictEqual(missing, [], `README's configuration reference lacks ${missing.map((m) => `olympus:${m}`).join(", ")}`);
        const unknown = [...documented].filter((d) => !paths.includes(d));
        assert.deepStrictEqual(unknown, [], `README's configuration reference documents keys the parser refuses: ${unknown.join(", ")}`);
    });

    it("has a row for every field of a region", () => {
        const { itemFields } = keyPaths(CONFIG_KEYS);
        assert.ok(regionTable, "README's configuration reference has no \"Each region:\" table");
        const documented = documentedKeys(regionTable);
        assert.deepStrictEqual(itemFields.filter((f) => !documented.has(f)), [], "README's region table lacks fields");
        assert.deepStrictEqual([...documented].filter((d) => !itemFields.includes(d)), [], "README's region table names fields the parser refuses");
    });

    const pack = section(README, "## The policy pack");
    const settingsBlock = /Tune it with a config file[^\n]*\n\n```json\n([\s\S]*?)\n```/.exec(pack)?.[1];

    it("lists every policy of the pack in the policy table", () => {
        const missing = policies.map((p) => p.name).filter((name) => !new RegExp(`^\\| \`${name}\``, "m").test(pack));
        assert.deepStrictEqual(missing, [], `README's policy table lacks ${missing.join(", ")}`);
    });

    it("gives every policy setting with its default in the settings example", () => {
        assert.ok(settingsBlock, "README's policy pack section has no settings example (```json after \"Tune it with a config file\")");
        const example = JSON.parse(settingsBlock) as Record<string, Record<string, unknown>>;
        const problems: string[] = [];
        for (const policy of policies) {
            const properties = policy.configSchema?.properties ?? {};
            for (const [setting, schema] of Object.entries(properties)) {
                const shown = example[policy.name]?.[setting];
                if (shown === undefined) problems.push(`${policy.name}.${setting} is missing`);
                else if (JSON.stringify(shown) !== JSON.stringify((schema as { default?: unknown }).default)) {
                    problems.push(`${policy.name}.${setting} shows ${JSON.stringify(shown)}, but its default is ${JSON.stringify((schema as { default?: unknown }).default)}`);
                }
            }
            const extra = Object.keys(example[policy.name] ?? {}).filter((k) => k !== "enforcementLevel" && !(k in properties));
            if (extra.length > 0) problems.push(`${policy.name} shows settings it does not have: ${extra.join(", ")}`);
        }
        const strangers = Object.keys(example).filter((name) => !policies.some((p) => p.name === name));
        if (strangers.length > 0) problems.push(`the example configures policies the pack lacks: ${strangers.join(", ")}`);
        assert.deepStrictEqual(problems, []);
    });

    it("catches an undocumented key, and a wrong default (the checks can fail)", () => {
        const withoutCache = topTable.split("\n").filter((l) => !l.startsWith("| `cache.introspectionTtlSeconds`")).join("\n");
        assert.ok(!documentedKeys(withoutCache).has("cache.introspectionTtlSeconds"));
        const shorthand = documentedKeys("| `servers.app.aws`, `.gcp` | x | y |");
        assert.deepStrictEqual([...shorthand], ["servers.app.aws", "servers.app.gcp"]);
    });
});

describe("docs: the operations table (what works in which state)", () => {
    it("is rendered, current, in the README and the runbooks that name a state", () => {
        const docs = docsWithOperations().map((f) => path.relative(PROJECT_DIR, f)).sort();
        assert.deepStrictEqual(docs, ["README.md", "docs/runbooks/regional-failover.md", "docs/runbooks/schema-migrations.md"]);
        for (const doc of docsWithOperations()) {
            const text = fs.readFileSync(doc, "utf8");
            assert.strictEqual(renderOperationsBlocks(text), text, `${path.relative(PROJECT_DIR, doc)}: the operations table is out of date; run npm run docs`);
        }
    });

    it("notices a stale table", () => {
        const stale = "<!-- operations: writes-paused -->\n| old | table |\n<!-- /operations -->";
        assert.notStrictEqual(renderOperationsBlocks(stale), stale);
        assert.match(renderOperationsBlocks(stale), /\| Submit the sign-in form \(creates a session\) \| `POST \/self-service\/login` \| 503, Retry-After: 120 \(writes paused\) \|/);
    });

    it("says the same as the origin's writes-paused rule for every operation", () => {
        for (const op of USER_OPERATIONS) {
            assert.strictEqual(outcome(op, "writes-paused").works, !isPausedWrite(op.method, op.path), `${op.method} ${op.path}`);
        }
        assert.ok(isPausedWrite("POST", "/self-service/login") && !isPausedWrite("GET", "/self-service/login/browser") && !isPausedWrite("POST", "/login"));
    });
});
