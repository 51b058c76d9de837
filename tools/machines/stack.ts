// A stack's servers as test machines: from an offline run of the real program, each server
// (EC2 instance, Compute Engine instance) with its exact user-data, the addresses the program gave
// it, its identity's secrets (what its IAM policy or per-secret bindings allow) and their values as
// the offline engine recorded them. Booted together on one lab network.

import * as zlib from "zlib";
import { loadConfig } from "../../topology/config";
import { planTopology } from "../../topology/plan";
import { OfflineRun, RecordedResource, reveal } from "../engine";
import { MachineImage } from "./image";
import { CloudIdentity, Lab, Machine, MachineSpec } from "./machine";

const AWS_INSTANCE = "aws:ec2/instance:Instance";
const GCP_INSTANCE = "gcp:compute/instance:Instance";

/** A server of the stack, as the machines harness boots it. */
export interface StackServer {
    readonly region: string;
    readonly role: "app" | "database";
    readonly spec: MachineSpec;
    /** The user-data as text (gunzipped when the program gzipped it). */
    readonly userDataText: string;
}

const plain = (r: RecordedResource) => reveal(r.wireInputs) as Record<string, any>;
const out = (r: RecordedResource) => reveal(r.wireOutputs) as Record<string, any>;

function byType(run: OfflineRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

function one<T>(items: T[], what: string): T {
    if (items.length !== 1) throw new Error(`stack machines: expected one ${what}, found ${items.length}`);
    return items[0];
}

/** Secret values by reference (ARN, or projects/P/secrets/S), as the program stores them. */
function secretValues(run: OfflineRun): Record<string, string> {
    const values: Record<string, string> = {};
    for (const v of byType(run, "aws:secretsmanager/secretVersion:SecretVersion")) values[plain(v).secretId] = plain(v).secretString;
    for (const v of byType(run, "gcp:secretmanager/secretVersion:SecretVersion")) values[plain(v).secret] = plain(v).secretData;
    return values;
}

/** The secrets an AWS instance's role may read: the Resource lists of its role's policies allowing GetSecretValue. */
function awsIdentity(run: OfflineRun, instance: RecordedResource, location: string): CloudIdentity {
    const profileName = plain(instance).iamInstanceProfile;
    const profile = one(byType(run, "aws:iam/instanceProfile:InstanceProfile").filter((p) => (out(p).name ?? plain(p).name) === profileName || p.id === profileName),
        `instance profile ${profileName}`);
    const roleName = plain(profile).role;
    const role = one(byType(run, "aws:iam/role:Role").filter((r) => out(r).name === roleName || r.id === roleName), `role ${roleName}`);
    const allowed = byType(run, "aws:iam/rolePolicy:RolePolicy")
        .filter((p) => plain(p).role === role.id || plain(p).role === out(role).name)
        .flatMap((p) => (JSON.parse(plain(p).policy).Statement as { Effect: string; Action: string | string[]; Resource: string | string[] }[])
            .filter((s) => s.Effect === "Allow" && [s.Action].flat().includes("secretsmanager:GetSecretValue"))
            .flatMap((s) => [s.Resource].flat()));
    return { cloud: "aws", location, principal: out(role).name, allowedSecrets: allowed };
}

/** The secrets a GCP instance's service account may read: its per-secret accessor bindings. */
function gcpIdentity(run: OfflineRun, instance: RecordedResource, location: string): CloudIdentity {
    const email = plain(instance).serviceAccount.email;
    const allowed = byType(run, "gcp:secretmanager/secretIamMember:SecretIamMember")
        .filter((b) => plain(b).member === `serviceAccount:${email}` && plain(b).role === "roles/secretmanager.secretAccessor")
        .map((b) => plain(b).secretId);
    return { cloud: "gcp", location, principal: email, allowedSecrets: allowed, project: out(instance).project ?? "offline-project", zone: plain(instance).zone };
}

/** The servers of a run, ready to boot: regions from the Region components' outputs. */
export function stackServers(run: OfflineRun, dataDiskMb = 2048): StackServer[] {
    const regions = byType(run, "olympus:index:Region").map((r) => out(r) as { regionName: string; cloud: string; location: string; addresses: { app: string; database?: string } });
    const values = secretValues(run);
    const plan = planTopology(loadConfig(run.config.values));
    const servers: StackServer[] = [];
    for (const instance of [...byType(run, AWS_INSTANCE), ...byType(run, GCP_INSTANCE)]) {
        const m = /^(.+)-(app|database)$/.exec(instance.name);
        if (!m) throw new Error(`stack machines: cannot tell the region and role of server ${instance.name}`);
        const [, regionName, role] = m as unknown as [string, string, "app" | "database"];
        const region = regions.find((r) => r.regionName === regionName);
        if (!region) throw new Error(`stack machines: server ${instance.name} has no Region component`);
        const i = plain(instance);
        const aws = instance.type === AWS_INSTANCE;
        const userData: string | Buffer = aws
            ? (i.userDataBase64 ? Buffer.from(i.userDataBase64, "base64") : i.userData)
            : i.metadata["user-data"];
        const userDataText = Buffer.isBuffer(userData) ? zlib.gunzipSync(userData).toString("utf8") : userData;
        const privateIp = aws ? i.privateIp : i.networkInterfaces[0].networkIp;
        const publicIp = role === "app" ? region.addresses.app : region.addresses.database!;
        const identity = aws ? awsIdentity(run, instance, region.location) : gcpIdentity(run, instance, region.location);
        const secrets = Object.fromEntries(identity.allowedSecrets.filter((ref) => values[ref] !== undefined).map((ref) => [ref, values[ref]]));
        // Every other secret of the stack is in the store too: the stand-in refuses what the identity may not read.
        const store = { ...values, ...secrets };
        servers.push({
            region: regionName,
            role,
            userDataText,
            spec: {
                name: `${regionName}-${role === "app" ? "app" : "db"}`,
                hostname: `${regionName}-${role}`,
                userData,
                // The private address in its subnet (the plan's first app subnet), the public one as the cloud maps it.
                addresses: [`${privateIp}/${plan.regions.find((r) => r.name === regionName)!.subnets.app[0].split("/")[1]}`, `${publicIp}/32`],
                identity,
                secrets: store,
                ...(role === "database" ? { dataDisk: { device: aws ? "/dev/xvdf" : "/dev/disk/by-id/google-olympus-data", sizeMb: dataDiskMb } } : {}),
            },
        });
    }
    return servers;
}

/** Boot every server of a run (or those `pick` keeps) and wait for cloud-init on each. */
export async function bootStack(run: OfflineRun, image: MachineImage, opts: { pick?: (s: StackServer) => boolean; log?: (l: string) => void } = {}):
    Promise<{ lab: Lab; machines: Map<string, { server: StackServer; machine: Machine }> }> {
    const servers = stackServers(run).filter(opts.pick ?? (() => true));
    const lab = new Lab(image);
    const machines = new Map<string, { server: StackServer; machine: Machine }>();
    try {
        for (const server of servers) {
            const machine = await lab.boot(server.spec);
            machines.set(server.spec.name, { server, machine });
            opts.log?.(`booted ${server.spec.name} (${server.spec.addresses.join(", ")})`);
        }
    } catch (err) {
        await lab.dispose();
        throw err;
    }
    return { lab, machines };
}
