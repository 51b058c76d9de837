// What a user can do in each state of the deployment: one table, in the code. The README, the
// runbooks and `npm run plan -- --down` render it (and a test checks them against it); the origin's
// writes-paused rule and its pin read the request lists below, so the table and Caddy cannot disagree.

import { Topology } from "./config";

/** Requests that change identity state: while writes are paused the origin answers them with 503. */
export const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"] as const;
/** Paths (Caddy path matchers: a trailing `*` is a prefix) where a write method writes. */
export const WRITE_PATHS = ["/self-service/*", "/sessions", "/sessions/*", "/oauth2/*", "/userinfo", "/athena/*"] as const;
/** Identity writes after which the origin sets the pin cookie. */
export const PIN_PATHS = [
    "/self-service/login", "/self-service/login/*", "/self-service/registration", "/self-service/registration/*",
    "/self-service/settings", "/self-service/settings/*", "/self-service/recovery", "/self-service/recovery/*",
    "/self-service/verification", "/self-service/verification/*",
] as const;

/** Caddy's `path` matcher: exact, or a prefix when the pattern ends in `*`. */
export function pathMatches(pattern: string, path: string): boolean {
    return pattern.endsWith("*") ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

/** Whether the origin pauses this request while writes are paused. */
export function isPausedWrite(method: string, path: string): boolean {
    return (WRITE_METHODS as readonly string[]).includes(method) && WRITE_PATHS.some((p) => pathMatches(p, path));
}

export interface UserOperation {
    /** What the user (or the client application) does, in their words. */
    readonly operation: string;
    /** A request that does it, as it reaches the origin. */
    readonly method: string;
    readonly path: string;
    /** What it needs of the database: nothing, a read, or a write (Ory's flows write even on GET). */
    readonly database: "none" | "read" | "write";
}

/** The operations users notice, from opening the sign-in page to an API checking a token. */
export const USER_OPERATIONS: readonly UserOperation[] = [
    { operation: "Load the pages (Hera's HTML, scripts, styles)", method: "GET", path: "/login", database: "none" },
    { operation: "Open the sign-in or registration form (starts a flow)", method: "GET", path: "/self-service/login/browser", database: "write" },
    { operation: "Submit the sign-in form (creates a session)", method: "POST", path: "/self-service/login", database: "write" },
    { operation: "Register, change a password or settings, recover, verify", method: "POST", path: "/self-service/registration", database: "write" },
    { operation: "Check the current session (whoami)", method: "GET", path: "/sessions/whoami", database: "read" },
    { operation: "Sign out", method: "GET", path: "/self-service/logout", database: "write" },
    { operation: "Start an OAuth2 / OIDC authorization", method: "GET", path: "/oauth2/auth", database: "write" },
    { operation: "Exchange a code or refresh a token", method: "POST", path: "/oauth2/token", database: "write" },
    { operation: "Revoke a token", method: "POST", path: "/oauth2/revoke", database: "write" },
    { operation: "Read the user's claims (userinfo)", method: "GET", path: "/userinfo", database: "read" },
    { operation: "Fetch the OIDC discovery document and signing keys", method: "GET", path: "/.well-known/jwks.json", database: "read" },
    { operation: "Check a permission (Athena)", method: "GET", path: "/athena/relation-tuples/check", database: "read" },
];

export type DeploymentState = "writes-paused" | "primary-down" | "region-down";

export interface Outcome {
    readonly works: boolean;
    /** What the user gets, when it does not work. */
    readonly result: string;
}

const WORKS: Outcome = { works: true, result: "works" };

/**
 * What an operation does in a state, from what is true of the runtime today:
 * - writes paused: the origin answers the write requests above with 503 and Retry-After; every
 *   other request is served (a GET that starts a flow still writes, which a migration allows).
 * - primary down (single-primary, until a replica is promoted by the failover runbook): every
 *   region's services write to the primary, and the default images read from it too (they have no
 *   read-replica setting), so Hydra's and Kratos' readiness fails everywhere; every region's
 *   /healthz answers 503, Cloudflare marks every pool down and serves the maintenance fallback.
 * - a region down (a replica region, or any per-region region): its users are steered to the next
 *   region of their list, where everything works; `plan --down` says who serves whom.
 */
export function outcome(op: UserOperation, state: DeploymentState, topology: Topology = "single-primary"): Outcome {
    switch (state) {
        case "writes-paused":
            return isPausedWrite(op.method, op.path) ? { works: false, result: "503, Retry-After: 120 (writes paused)" } : WORKS;
        case "primary-down":
            if (topology === "per-region") return outcome(op, "region-down", topology);
            return { works: false, result: "maintenance page (503, Retry-After)" };
        case "region-down":
            return WORKS;
    }
}

/** What each state is, in a sentence, for the tables' captions. */
export const STATE_SUMMARY: Readonly<Record<DeploymentState, string>> = {
    "writes-paused": "`edge.writesPaused: true` (schema migrations): every origin refuses writes; reads and flows that only start go on.",
    "primary-down": "single-primary with the primary's database unreachable, until a replica is promoted (docs/runbooks/regional-failover.md): " +
        "every region depends on the primary, so every region reports not ready and users get the maintenance page (assets cached at the edge still load).",
    "region-down": "a replica region (or, in per-region, any region) down: its users are steered to the next region of their list, where everything works; " +
        "in per-region a list never leaves its jurisdiction, so they may get the maintenance page instead.",
};

/** Column titles. */
export const STATE_TITLE: Readonly<Record<DeploymentState, string>> = {
    "writes-paused": "writes paused",
    "primary-down": "primary down (before promotion)",
    "region-down": "a region down",
};

/**
 * The states' summaries and the table, as Markdown, for the README and the runbooks (`npm run docs`
 * writes it between their `<!-- operations: ... -->` markers; a test checks they carry this text).
 */
export function renderOperationsTable(states: readonly DeploymentState[]): string {
    const summaries = states.map((s) => `- **${STATE_TITLE[s]}**: ${STATE_SUMMARY[s]}`);
    const header = `| what the user does | request | ${states.map((s) => STATE_TITLE[s]).join(" | ")} |`;
    const rule = `|---|---|${states.map(() => "---").join("|")}|`;
    const rows = USER_OPERATIONS.map((op) => `| ${op.operation} | \`${op.method} ${op.path}\` | ${states.map((s) => outcome(op, s).result).join(" | ")} |`);
    return [...summaries, "", header, rule, ...rows].join("\n");
}
