// Reading a rendered postgresql.conf and pg_hba.conf, as the policies see them in a node's db-config.

/** The settings of a postgresql.conf: the last assignment of each name wins, as in PostgreSQL. */
export function confSettings(text: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const raw of text.split("\n")) {
        const line = raw.replace(/#.*$/, "").trim();
        const m = /^([a-z_.]+)\s*=?\s*(.*)$/i.exec(line);
        if (!m || m[2] === "") continue;
        out.set(m[1].toLowerCase(), m[2].trim().replace(/^'(.*)'$/, "$1"));
    }
    return out;
}

export interface HbaLine {
    readonly type: string;
    readonly database: string;
    readonly user: string;
    readonly address?: string;
    readonly method: string;
    readonly text: string;
}

export function hbaLines(text: string): HbaLine[] {
    return text.split("\n").map((raw) => raw.replace(/#.*$/, "").trim()).filter((l) => l !== "").map((line) => {
        const f = line.split(/\s+/);
        return f[0] === "local"
            ? { type: f[0], database: f[1], user: f[2], method: f[3] ?? "", text: line }
            : { type: f[0], database: f[1], user: f[2], address: f[3], method: f[4] ?? "", text: line };
    });
}

/** Size settings in bytes ("20GB", "64MB", "-1" for unlimited, a bare number of MB). */
export function sizeBytes(value: string): number {
    const m = /^(-?\d+)\s*(kB|MB|GB|TB)?$/i.exec(value.trim());
    if (!m) return NaN;
    const unit: Record<string, number> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };
    const n = Number(m[1]);
    return n < 0 ? -1 : n * (m[2] ? unit[m[2].toLowerCase()] : 1024 ** 2);
}
