// Shared test helpers: offline runs of the real program (memoised per stack, so every spec reads
// the same run instead of re-running it), and queries over what a run recorded.

import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { OfflineRun, PROJECT_DIR, RecordedResource, redact, reveal, runOffline } from "../tools/engine";
import { listStacks, readProject } from "../tools/stackfile";
import { tempDir } from "./tempdirs";

export { removeTempDir, removeTempDirs, tempDir } from "./tempdirs";

const runs = new Map<string, Promise<OfflineRun>>();

/** The offline run of a shipped stack, computed once per test process. */
export function stackRun(stack: string): Promise<OfflineRun> {
    if (!runs.has(stack)) runs.set(stack, runOffline({ stack }));
    return runs.get(stack)!;
}

export function shippedStacks(): string[] {
    return listStacks(readProject(PROJECT_DIR));
}

/** Write a stack file to a temporary directory (removed at exit) and return its path. */
export function tempStackFile(name: string, text: string): string {
    const file = path.join(tempDir("stack"), `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, text);
    return file;
}

/**
 * This project as `pulumi new` makes it under another name: Pulumi.yaml with `name` replaced
 * (comments kept), and the real program. Returns the project's directory (removed at exit).
 */
export function tempProject(name: string, edit?: (doc: YAML.Document) => void): string {
    const dir = tempDir("project");
    const doc = YAML.parseDocument(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
    doc.set("name", name);
    edit?.(doc);
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), doc.toString());
    // The offline engine loads `<project>/index.ts`; this one is the real program.
    fs.writeFileSync(path.join(dir, "index.ts"), `module.exports = require(${JSON.stringify(path.join(PROJECT_DIR, "index.ts"))});\n`);
    return dir;
}

export function ofType(run: OfflineRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** Resources whose ancestors include the Region component `region`. */
export function inRegion(run: OfflineRun, region: string): RecordedResource[] {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    return run.resources.filter((r) => {
        for (let cur = byUrn.get(r.parent); cur; cur = byUrn.get(cur.parent)) {
            if (cur.type === "olympus:index:Region") return cur.name === region;
        }
        return false;
    });
}

export function countByType(resources: RecordedResource[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return counts;
}

/** Inputs with secrets shown as `[secret]`, as a person (or a log) would see them. */
export function inputs(r: RecordedResource): Record<string, any> {
    return redact(r.wireInputs) as Record<string, any>;
}

/** Inputs with secrets revealed: for asserting on secret values, never for printing. */
export function revealedInputs(r: RecordedResource): Record<string, any> {
    return reveal(r.wireInputs) as Record<string, any>;
}

/** The provider resource a resource was declared with. */
export function providerOf(run: OfflineRun, r: RecordedResource): RecordedResource | undefined {
    const urn = r.provider.slice(0, r.provider.lastIndexOf("::"));
    return run.resources.find((p) => p.urn === urn);
}

/** The JSON a region's runtime-config secret holds (`app-config` or `db-config`), secrets revealed. */
export function regionConfig(run: OfflineRun, region: string, kind: "app" | "db"): Record<string, any> {
    const v = run.resources.find((r) => /secretVersion/.test(r.type) && r.name === `${region}-${kind}-config`);
    if (!v) throw new Error(`no ${kind}-config secret version for ${region}`);
    return JSON.parse(String(reveal(v.wireInputs.secretString ?? v.wireInputs.secretData)));
}

/** A file a region's server receives through its config secret (scripts, units, Caddyfile, compose file). */
export function serverFile(run: OfflineRun, region: string, kind: "app" | "db", file: string): string {
    const f = (regionConfig(run, region, kind).files as { path: string; content: string }[]).find((x) => x.path === file);
    if (!f) throw new Error(`${region}'s ${kind}-config carries no ${file}`);
    return f.content;
}
