// The policy pack as the Pulumi CLI runs it: a separate Node.js process started through
// @pulumi/pulumi's run-policy-pack entry point (what the CLI's pulumi-analyzer-policy plugin
// executes, with ts-node type-checking the pack), in the pack's directory, printing the port of
// its gRPC Analyzer server. Used by the pack tests and by `npm run bench`.

import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { PROJECT_DIR } from "./engine";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any -- generated gRPC stubs are untyped */
const grpc = require("@grpc/grpc-js");
const analyzerrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");

export const PACK_DIR = path.join(PROJECT_DIR, "policies");
const RUN_POLICY_PACK = path.join(PROJECT_DIR, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");

export interface PackProcess {
    readonly port: number;
    /** Seconds from spawning the process to the port appearing on its stdout. */
    readonly startupSeconds: number;
    /** Call an Analyzer RPC (`getAnalyzerInfo`, `analyze`, `analyzeStack`, `configure`, `configureStack`). */
    call(method: string, request: any): Promise<any>;
    stop(): void;
}

export function startPolicyPack(options: { dir?: string; timeoutMs?: number } = {}): Promise<PackProcess> {
    const timeoutMs = options.timeoutMs ?? 120_000;
    const started = process.hrtime.bigint();
    // The engine address is the CLI's; the pack only needs one to be given.
    const child: ChildProcess = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:0", "."], {
        cwd: options.dir ?? PACK_DIR,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NODE_OPTIONS: "" },
    });
    let stdout = "";
    let stderr = "";
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill();
            reject(new Error(`the policy pack did not print its port within ${timeoutMs} ms\n${stderr}`));
        }, timeoutMs);
        child.stderr!.on("data", (d) => { stderr += d; });
        child.on("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the policy pack exited (${code}) before serving:\n${stderr}${stdout}`));
        });
        child.stdout!.on("data", (d) => {
            stdout += d;
            const m = /^(\d+)\s*$/m.exec(stdout);
            if (!m) return;
            clearTimeout(timer);
            child.removeAllListeners("exit");
            const port = Number(m[1]);
            const startupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
            const client = new analyzerrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(),
                { "grpc.max_receive_message_length": 400 * 1024 * 1024 });
            resolve({
                port,
                startupSeconds,
                call: (method, request) => new Promise((res, rej) => client[method](request, (err: any, resp: any) => (err ? rej(err) : res(resp)))),
                stop: () => {
                    client.close();
                    child.kill();
                },
            });
        });
    });
}
