// Temporary directories for specs, removed when the test process exits: a spec that fails half-way,
// or forgets its `after`, still leaves nothing in the temp folder. Kept free of heavy imports so a
// child process can load it alone (test/tempdirs.test.ts does, to prove the exit clean-up).

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Every directory made here starts with this, so a leak is easy to spot in the temp folder. */
export const TEMP_PREFIX = "olympus-";

const made = new Set<string>();

/** A new empty directory `<tmp>/olympus-<kind>-XXXXXX`, removed by `removeTempDirs` or at process exit. */
export function tempDir(kind: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${kind}-`));
    made.add(dir);
    return dir;
}

/** Remove one directory made by `tempDir` now (a spec's `after`), instead of at exit. */
export function removeTempDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    made.delete(dir);
}

/** Remove every directory `tempDir` made that is still there. Synchronous: it runs in `exit`. */
export function removeTempDirs(): void {
    for (const dir of made) removeTempDir(dir);
}

/** Directories made and not yet removed (for the leak test). */
export function liveTempDirs(): string[] {
    return [...made];
}

// `exit` fires however mocha ends (with or without --exit, and after a failed run). A signal ends
// the process without it: remove the directories, then let the signal do what it would have done
// (unless someone else, such as mocha on Ctrl-C, handles it). SIGKILL no process can catch.
process.once("exit", removeTempDirs);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
        removeTempDirs();
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
}
