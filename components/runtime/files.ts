// The files that run on the servers (components/runtime/files/: scripts, units, static config),
// read as they are in the repository: the program passes them their parameters as data (server.env,
// the region's config secrets), never by editing their text.

import * as fs from "fs";
import * as path from "path";

/** Where the servers keep Olympus' scripts. */
export const LIB_DIR = "/usr/local/lib/olympus";
export const FILES_DIR = path.join(__dirname, "files");

/** A file a server gets: where, with which mode and owner, holding what. */
export interface ServerFile {
    readonly path: string;
    /** Octal, e.g. "0755". */
    readonly mode: string;
    /** user:group; default root:root. */
    readonly owner?: string;
    readonly content: string;
}

const cache = new Map<string, string>();

/** A file of components/runtime/files/, e.g. `app/apply.sh`. */
export function fileSource(relative: string): string {
    let text = cache.get(relative);
    if (text === undefined) {
        text = fs.readFileSync(path.join(FILES_DIR, relative), "utf8");
        cache.set(relative, text);
    }
    return text;
}

/** A repository file installed at `target`: scripts executable, everything else readable. */
export function shipped(relative: string, target: string, mode?: string): ServerFile {
    const executable = /\.sh$/.test(relative) || !relative.includes(".");
    return { path: target, mode: mode ?? (executable ? "0755" : "0644"), content: fileSource(relative) };
}

/** Every shell script in components/runtime/files/ (relative paths): what the tests lint. */
export function shellScripts(): string[] {
    const out: string[] = [];
    for (const dir of fs.readdirSync(FILES_DIR)) {
        for (const f of fs.readdirSync(path.join(FILES_DIR, dir))) {
            const rel = `${dir}/${f}`;
            if (f.endsWith(".sh") || fileSource(rel).startsWith("#!/bin/bash")) out.push(rel);
        }
    }
    return out.sort();
}

/** Every systemd unit in components/runtime/files/. */
export function unitFiles(): string[] {
    return fs.readdirSync(FILES_DIR).flatMap((dir) => fs.readdirSync(path.join(FILES_DIR, dir))
        .filter((f) => /\.(service|timer|mount)$/.test(f)).map((f) => `${dir}/${f}`)).sort();
}
