// What `npm run bench` measures of the servers' boot: from the moment single-region's servers start
// (app and database, booted from their user-data as the machine tests boot them) to the app
// server's /healthz answering 200 through Caddy, against a plain boot of the same image (empty
// user-data) to the end of cloud-init. One run each; a ratio, since absolute seconds depend on the machine.

import { spawnSync } from "child_process";
import { runOffline } from "../engine";
import { MOCK_ORIGIN_CA_PEM } from "../mocks";
import { machineImage, machineToolsMissing } from "./image";
import { Lab } from "./machine";
import { MACHINE_PACKAGES } from "./packages";
import { stackServers } from "./stack";
import * as fs from "fs";
import * as path from "path";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BootFigures {
    readonly plainSeconds: number;
    readonly toHealthySeconds: number;
}

/** Undefined with why, when this machine cannot boot test machines (not root, tools missing). */
export function bootBenchUnavailable(): string | undefined {
    if (process.getuid?.() !== 0) return "needs root (systemd-nspawn, network namespaces)";
    const missing = machineToolsMissing();
    return missing.length > 0 ? `needs ${missing.join(", ")} (npm run test:all installs them)` : undefined;
}

export async function measureBoot(log: (line: string) => void): Promise<BootFigures> {
    const image = machineImage(MACHINE_PACKAGES, log);
    const run = await runOffline({ stack: "single-region" });
    const servers = stackServers(run);
    const app = servers.find((s) => s.role === "app")!;

    const plainLab = new Lab(image);
    let plainSeconds: number;
    try {
        const t = Date.now();
        const m = await plainLab.boot({ ...app.spec, name: "plain", userData: "#cloud-config\n{}\n" });
        await m.cloudInit();
        plainSeconds = (Date.now() - t) / 1000;
    } finally {
        await plainLab.dispose();
    }

    const lab = new Lab(image);
    try {
        const t = Date.now();
        const machines = [];
        for (const s of servers) machines.push(await lab.boot(s.spec));
        const client = machines.find((m) => m.spec.name !== app.spec.name)!;
        const ca = path.join(lab.dir, "origin-ca.pem");
        fs.writeFileSync(ca, MOCK_ORIGIN_CA_PEM);
        const domain = run.config.values["olympus:domain"];
        const address = app.spec.addresses[1].split("/")[0];
        for (;;) {
            const r = spawnSync("ip", ["netns", "exec", client.netns, "curl", "-s", "-o", "/dev/null", "-m", "3", "-w", "%{http_code}", "--cacert", ca,
                "--resolve", `${domain}:443:${address}`, `https://${domain}/healthz`], { encoding: "utf8" });
            if (r.stdout === "200") break;
            if (Date.now() - t > 15 * 60_000) throw new Error("single-region's /healthz did not answer 200 within 15 minutes");
            await sleep(500);
        }
        return { plainSeconds, toHealthySeconds: (Date.now() - t) / 1000 };
    } finally {
        await lab.dispose();
    }
}
