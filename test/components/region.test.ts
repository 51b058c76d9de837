import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ingressRules, isInternetWide } from "../../policies/lib/resources";
import { loadConfig } from "../../topology/config";
import { planTopology } from "../../topology/plan";
import { OfflineRun, PROJECT_DIR, RecordedResource, isSecretValue, reveal, runOffline } from "../../tools/engine";
import { CLOUDFLARE_IP_RANGES_SNAPSHOT } from "../../tools/mocks";
import { countByType, inRegion, inputs, ofType, providerOf, regionConfig, serverFile, stackRun, tempStackFile } from "../helpers";

const FIREWALLS = ["aws:ec2/securityGroup:SecurityGroup", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "gcp:compute/firewall:Firewall"];
const WIDE = { ipv4MinPrefix: 8, ipv6MinPrefix: 16 };

/** Every plaintext value held in a secret anywhere in the run: what user-data must never contain. */
function secretValues(run: OfflineRun): string[] {
    const found = new Set<string>();
    const walk = (v: unknown, inSecret: boolean): void => {
        if (isSecretValue(v)) return walk((v as { value: unknown }).value, true);
        if (typeof v === "string" && inSecret) {
            found.add(v);
            try { walk(JSON.parse(v), true); } catch { /* not JSON */ }
        } else if (Array.isArray(v)) {
            v.forEach((x) => walk(x, inSecret));
        } else if (v && typeof v === "object") {
            Object.values(v).forEach((x) => walk(x, inSecret));
        }
    };
    for (const r of run.resources) { walk(r.wireInputs, false); walk(r.wireOutputs, false); }
    // Short values (flags, numbers) would match anywhere; keys, passwords and PEM bodies are long.
    return [...found].filter((s) => s.length >= 16);
}

function userData(r: RecordedResource): string {
    const i = inputs(r);
    return r.type === "aws:ec2/instance:Instance" ? i.userData : i.metadata["user-data"];
}

function cloudConfig(r: RecordedResource): { packages: string[]; write_files: { path: string; content: string }[]; runcmd: string[][] } {
    const text = userData(r);
    assert.ok(text.startsWith("#cloud-config\n"), "user-data is a cloud-config document");
    return YAML.parse(text);
}

const file = (r: RecordedResource, path: string) => cloudConfig(r).write_files.find((f) => f.path === path)!.content;
const region = (run: OfflineRun, name: string) => planTopology(loadConfig(run.config.values)).regions.find((r) => r.name === name)!;
const regionOutputs = (run: OfflineRun) => reveal(run.wireOutputs) as { regions: Record<string, Record<string, string>> };

describe("Region on AWS (us-eu: us-east, the primary)", () => {
    it("declares exactly these resources", async () => {
        const run = await stackRun("us-eu");
        assert.deepStrictEqual(countByType(inRegion(run, "us-east")), {
            "aws:ec2/vpc:Vpc": 1,
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": 1,
            "aws:ec2/internetGateway:InternetGateway": 1,
            "aws:ec2/routeTable:RouteTable": 1,
            "aws:ec2/subnet:Subnet": 4,
            "aws:ec2/routeTableAssociation:RouteTableAssociation": 2,
            "aws:ec2/securityGroup:SecurityGroup": 2,
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": 3,
            "aws:ec2/eip:Eip": 2,
            "aws:ec2/eipAssociation:EipAssociation": 2,
            "aws:secretsmanager/secret:Secret": 6,
            "aws:secretsmanager/secretVersion:SecretVersion": 6,
            "tls:index/privateKey:PrivateKey": 1,
            "tls:index/certRequest:CertRequest": 1,
            "tls:index/locallySignedCert:LocallySignedCert": 1,
            "aws:iam/role:Role": 3,
            "aws:iam/rolePolicy:RolePolicy": 5,
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment": 1,
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": 2,
            "aws:iam/instanceProfile:InstanceProfile": 2,
            "olympus:database:PostgresNode": 1,
            "aws:ec2/instance:Instance": 2,
            "aws:ebs/volume:Volume": 1,
            "aws:ec2/volumeAttachment:VolumeAttachment": 1,
            "aws:dlm/lifecyclePolicy:LifecyclePolicy": 1,
            "aws:cloudwatch/dashboard:Dashboard": 1,
            "aws:cloudwatch/metricAlarm:MetricAlarm": 1,
        });
    });

    it("numbers the VPC and subnets from the plan, spreading each tier over two zones", async () => {
        const run = await stackRun("us-eu");
        const plan = region(run, "us-east");
        const vpc = inRegion(run, "us-east").find((r) => r.type === "aws:ec2/vpc:Vpc")!;
        assert.strictEqual(inputs(vpc).cidrBlock, plan.cidr);
        const subnets = inRegion(run, "us-east").filter((r) => r.type === "aws:ec2/subnet:Subnet").map(inputs);
        assert.deepStrictEqual(subnets.map((s) => s.cidrBlock), [...plan.subnets.app, ...plan.subnets.data]);
        assert.deepStrictEqual(subnets.map((s) => s.availabilityZone), ["us-east-1a", "us-east-1b", "us-east-1a", "us-east-1b"]);
        for (const s of subnets) assert.strictEqual(s.mapPublicIpOnLaunch, false);
    });

    it("routes only the app subnets to the internet", async () => {
        const run = await stackRun("us-eu");
        const r = inRegion(run, "us-east");
        const igw = r.find((x) => x.type === "aws:ec2/internetGateway:InternetGateway")!;
        const table = r.find((x) => x.type === "aws:ec2/routeTable:RouteTable")!;
        assert.deepStrictEqual(inputs(table).routes, [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }]);
        const subnetIds = new Map(r.filter((x) => x.type === "aws:ec2/subnet:Subnet").map((s) => [s.id, s.name]));
        assert.deepStrictEqual(r.filter((x) => x.type === "aws:ec2/routeTableAssociation:RouteTableAssociation").map((a) => subnetIds.get(inputs(a).subnetId)),
            ["us-east-app-a", "us-east-app-b"]);
    });

    it("admits HTTPS to the app server from Cloudflare's ranges only, read at deploy time", async () => {
        const run = await stackRun("us-eu");
        const sg = inputs(inRegion(run, "us-east").find((r) => r.name === "us-east-app-sg")!);
        assert.deepStrictEqual(sg.ingress, [{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: CLOUDFLARE_IP_RANGES_SNAPSHOT.ipv4Cidrs, description: "Cloudflare's published ranges" }]);
        assert.ok(run.calls.some((c) => c.token === "cloudflare:index/getIpRanges:getIpRanges"));
    });

    it("admits PostgreSQL from the local app server and the plan's peers by address, nothing else", async () => {
        const run = await stackRun("us-eu");
        const outputs = regionOutputs(run);
        const appSg = inRegion(run, "us-east").find((r) => r.name === "us-east-app-sg")!;
        const rules = inRegion(run, "us-east").filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map(inputs);
        assert.deepStrictEqual(rules.map((r) => [r.fromPort, r.toPort, r.referencedSecurityGroupId ?? r.cidrIpv4]), [
            [5432, 5432, appSg.id],
            [5432, 5432, `${outputs.regions["eu-west"].originAddress}/32`],
            [5432, 5432, `${(reveal(ofType(run, "olympus:database:PostgresNode").find((n) => n.name === "eu-west-db")!.wireOutputs) as { publicAddress: string }).publicAddress}/32`],
        ]);
    });

    it("opens neither PostgreSQL nor SSH to the internet, and no port 22 at all", async () => {
        const run = await stackRun("us-eu");
        for (const r of inRegion(run, "us-east").filter((x) => FIREWALLS.includes(x.type))) {
            const props = inputs(r);
            for (const rule of ingressRules({ type: r.type, props }, [5432, 22])) {
                assert.deepStrictEqual(rule.cidrs.filter((c) => isInternetWide(c, WIDE) && rule.ports.length > 0), [], r.name);
                assert.ok(!rule.ports.includes(22), `${r.name} opens SSH`);
            }
        }
    });

    it("requires IMDSv2, encrypts every disk, keeps the database on its own protected volume", async () => {
        const run = await stackRun("us-eu");
        for (const vm of inRegion(run, "us-east").filter((r) => r.type === "aws:ec2/instance:Instance")) {
            const i = inputs(vm);
            assert.strictEqual(i.metadataOptions.httpTokens, "required", vm.name);
            assert.strictEqual(i.metadataOptions.httpPutResponseHopLimit, 1, `${vm.name}: containers cannot reach the metadata service`);
            assert.strictEqual(i.rootBlockDevice.encrypted, true, vm.name);
            // A database server keeps its image and ignores user-data (its files arrive through db-config);
            // an app server follows Debian's current image and is replaced with it, as on GCP.
            const db = vm.name.endsWith("-database");
            assert.deepStrictEqual([vm.options.ignoreChanges.includes("ami"), vm.options.ignoreChanges.includes("userData"), i.userDataReplaceOnChange],
                db ? [true, true, false] : [false, false, true], vm.name);
        }
        const volume = inRegion(run, "us-east").find((r) => r.type === "aws:ebs/volume:Volume")!;
        assert.deepStrictEqual([inputs(volume).encrypted, inputs(volume).size, volume.options.protect], [true, 100, true]);
        const db = inRegion(run, "us-east").find((r) => r.name === "us-east-database" && r.type === "aws:ec2/instance:Instance")!;
        const attach = inputs(inRegion(run, "us-east").find((r) => r.type === "aws:ec2/volumeAttachment:VolumeAttachment")!);
        assert.deepStrictEqual([attach.instanceId, attach.volumeId, attach.deviceName], [db.id, volume.id, "/dev/sdf"]);
    });

    it("puts the servers at the plan's fixed private addresses, with their own Elastic IPs", async () => {
        const run = await stackRun("us-eu");
        const plan = region(run, "us-east");
        const vms = inRegion(run, "us-east").filter((r) => r.type === "aws:ec2/instance:Instance");
        assert.deepStrictEqual(vms.map((v) => [v.name, inputs(v).privateIp]), [["us-east-database", plan.privateAddresses.database], ["us-east-app", plan.privateAddresses.app]]);
        const assoc = inRegion(run, "us-east").filter((r) => r.type === "aws:ec2/eipAssociation:EipAssociation").map(inputs);
        assert.deepStrictEqual(assoc.map((a) => a.instanceId).sort(), vms.map((v) => v.id).sort());
    });

    it("gives the servers Session Manager's five agent calls only (not AmazonSSMManagedInstanceCore, which reads every SSM parameter), and their own secrets", async () => {
        const run = await stackRun("us-eu");
        const attachments = inRegion(run, "us-east").filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && !r.name.endsWith("-snapshots")).map(inputs);
        assert.deepStrictEqual(attachments, [], "no AWS managed policy on a server's role");
        for (const role of ["app", "database"]) {
            const policy = JSON.parse(inputs(inRegion(run, "us-east").find((r) => r.name === `us-east-${role}-session-manager`)!).policy);
            assert.deepStrictEqual(policy.Statement, [{
                Sid: "SessionManagerOnly", Effect: "Allow", Resource: "*",
                Action: ["ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
            }], role);
        }
        const app = inRegion(run, "us-east").find((r) => r.name === "us-east-app" && r.type === "aws:ec2/instance:Instance")!;
        const profile = inRegion(run, "us-east").find((r) => r.type === "aws:iam/instanceProfile:InstanceProfile" && r.name === "us-east-app")!;
        assert.strictEqual(inputs(app).iamInstanceProfile, profile.wireOutputs.name);
    });

    it("uses an AWS provider for us-east-1 that tags everything with the stack", async () => {
        const run = await stackRun("us-eu");
        const vpc = inRegion(run, "us-east").find((r) => r.type === "aws:ec2/vpc:Vpc")!;
        const provider = inputs(providerOf(run, vpc)!);
        assert.strictEqual(provider.region, "us-east-1");
        assert.deepStrictEqual(JSON.parse(provider.defaultTags).tags, { "olympus-stack": "us-eu", "olympus-project": "olympus" });
    });

    it("outputs the origin address, the health URL and where writes and reads go", async () => {
        const run = await stackRun("us-eu");
        const out = regionOutputs(run).regions["us-east"];
        const plan = region(run, "us-east");
        assert.match(out.originAddress, /^203\.0\.113\.\d+$/);
        assert.strictEqual(out.healthUrl, `https://${out.originAddress}/healthz`);
        assert.strictEqual(out.writeEndpoint, `${plan.privateAddresses.database}:5432`);
        assert.strictEqual(out.readEndpoint, `${plan.privateAddresses.database}:5432`);
    });
});

describe("database backups", () => {
    it("snapshots the AWS data volume daily and keeps a week (Data Lifecycle Manager, by tag)", async () => {
        const run = await stackRun("us-eu");
        const volume = inRegion(run, "us-east").find((r) => r.type === "aws:ebs/volume:Volume")!;
        const policy = inputs(inRegion(run, "us-east").find((r) => r.type === "aws:dlm/lifecyclePolicy:LifecyclePolicy")!);
        assert.deepStrictEqual(policy.policyDetails.targetTags, { "olympus-backup": "us-eu-us-east" });
        assert.strictEqual(inputs(volume).tags["olympus-backup"], "us-eu-us-east");
        assert.deepStrictEqual([policy.state, policy.policyDetails.schedules[0].retainRule, policy.policyDetails.schedules[0].createRule.interval], ["ENABLED", { count: 7 }, 24]);
    });

    it("snapshots the GCP data disk daily and keeps a week (a snapshot schedule attached to the disk)", async () => {
        const run = await stackRun("us-eu");
        const disk = inRegion(run, "eu-west").find((r) => r.type === "gcp:compute/disk:Disk")!;
        const schedule = inRegion(run, "eu-west").find((r) => r.type === "gcp:compute/resourcePolicy:ResourcePolicy")!;
        const attach = inputs(inRegion(run, "eu-west").find((r) => r.type === "gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment")!);
        assert.deepStrictEqual([attach.disk, attach.name], [disk.wireOutputs.name, schedule.wireOutputs.name]);
        assert.strictEqual(inputs(schedule).snapshotSchedulePolicy.retentionPolicy.maxRetentionDays, 7);
    });
});

describe("Region on GCP (us-eu: eu-west, a replica)", () => {
    it("declares exactly these resources", async () => {
        const run = await stackRun("us-eu");
        assert.deepStrictEqual(countByType(inRegion(run, "eu-west")), {
            "gcp:compute/subnetwork:Subnetwork": 1,
            "gcp:compute/firewall:Firewall": 8,
            "gcp:compute/address:Address": 2,
            "gcp:secretmanager/secret:Secret": 7,
            "gcp:secretmanager/secretVersion:SecretVersion": 7,
            "tls:index/privateKey:PrivateKey": 1,
            "tls:index/certRequest:CertRequest": 1,
            "tls:index/locallySignedCert:LocallySignedCert": 1,
            "gcp:serviceaccount/account:Account": 2,
            "gcp:secretmanager/secretIamMember:SecretIamMember": 7,
            "olympus:database:PostgresNode": 1,
            "gcp:compute/disk:Disk": 1,
            "gcp:compute/resourcePolicy:ResourcePolicy": 1,
            "gcp:compute/diskResourcePolicyAttachment:DiskResourcePolicyAttachment": 1,
            "gcp:compute/instance:Instance": 2,
            "gcp:projects/iAMMember:IAMMember": 1,
            "gcp:monitoring/dashboard:Dashboard": 1,
            "gcp:monitoring/alertPolicy:AlertPolicy": 2,
        });
    });

    it("puts its subnet on the stack's one GCP network, in europe-west1, with private Google access", async () => {
        const run = await stackRun("us-eu");
        const [net] = ofType(run, "gcp:compute/network:Network");
        assert.deepStrictEqual([inputs(net).autoCreateSubnetworks, inputs(net).routingMode], [false, "GLOBAL"]);
        const subnet = inputs(inRegion(run, "eu-west").find((r) => r.type === "gcp:compute/subnetwork:Subnetwork")!);
        assert.deepStrictEqual([subnet.network, subnet.region, subnet.ipCidrRange, subnet.privateIpGoogleAccess],
            [net.id, "europe-west1", region(run, "eu-west").subnets.app[0], true]);
    });

    it("admits HTTPS from Cloudflare, PostgreSQL from its app and the peers, SSH from IAP only", async () => {
        const run = await stackRun("us-eu");
        const rules = Object.fromEntries(inRegion(run, "eu-west").filter((r) => r.type === "gcp:compute/firewall:Firewall").map((r) => [r.name, inputs(r)]));
        assert.deepStrictEqual(rules["eu-west-https-from-cloudflare"].sourceRanges, CLOUDFLARE_IP_RANGES_SNAPSHOT.ipv4Cidrs);
        assert.deepStrictEqual(rules["eu-west-https-from-cloudflare"].targetTags, ["olympus-eu-west-app"]);
        assert.deepStrictEqual([rules["eu-west-db-from-app"].sourceTags, rules["eu-west-db-from-app"].targetTags], [["olympus-eu-west-app"], ["olympus-eu-west-db"]]);
        assert.deepStrictEqual(rules["eu-west-ssh-from-iap"].sourceRanges, ["35.235.240.0/20"]);
        const out = regionOutputs(run).regions["us-east"];
        const usDb = (reveal(ofType(run, "olympus:database:PostgresNode").find((n) => n.name === "us-east-db")!.wireOutputs) as { publicAddress: string }).publicAddress;
        assert.deepStrictEqual(rules["eu-west-db-from-peers"].sourceRanges, [`${out.originAddress}/32`, `${usDb}/32`]);
        for (const [name, rule] of Object.entries(rules)) {
            for (const r of ingressRules({ type: "gcp:compute/firewall:Firewall", props: rule }, [5432, 22])) {
                assert.deepStrictEqual(r.cidrs.filter((c) => isInternetWide(c, WIDE) && r.ports.length > 0), [], name);
            }
        }
    });

    it("runs Shielded VMs with OS Login, blocked project SSH keys, and the database on its own protected disk", async () => {
        const run = await stackRun("us-eu");
        for (const vm of inRegion(run, "eu-west").filter((r) => r.type === "gcp:compute/instance:Instance")) {
            const i = inputs(vm);
            assert.deepStrictEqual(i.shieldedInstanceConfig, { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true }, vm.name);
            assert.deepStrictEqual([i.metadata["enable-oslogin"], i.metadata["block-project-ssh-keys"]], ["TRUE", "true"], vm.name);
        }
        const disk = inRegion(run, "eu-west").find((r) => r.type === "gcp:compute/disk:Disk")!;
        assert.deepStrictEqual([inputs(disk).size, inputs(disk).type, disk.options.protect], [100, "pd-ssd", true]);
        const db = inputs(inRegion(run, "eu-west").find((r) => r.name === "eu-west-database" && r.type === "gcp:compute/instance:Instance")!);
        assert.deepStrictEqual(db.attachedDisks, [{ source: disk.id, deviceName: "olympus-data" }]);
        assert.strictEqual(db.networkInterfaces[0].networkIp, region(run, "eu-west").privateAddresses.database);
    });

    it("writes to the primary's database and reads from its own, which streams from the primary", async () => {
        const run = await stackRun("us-eu");
        const out = regionOutputs(run).regions["eu-west"];
        const usDb = (reveal(ofType(run, "olympus:database:PostgresNode").find((n) => n.name === "us-east-db")!.wireOutputs) as { publicAddress: string }).publicAddress;
        assert.strictEqual(out.writeEndpoint, `${usDb}:5432`);
        assert.strictEqual(out.readEndpoint, `${region(run, "eu-west").privateAddresses.database}:5432`);
        const node = reveal(ofType(run, "olympus:database:PostgresNode").find((n) => n.name === "eu-west-db")!.wireOutputs) as Record<string, unknown>;
        assert.deepStrictEqual([node.role, node.upstream, node.walLevel], ["replica", "us-east", "replica"]);
    });
});

describe("runtime config (what the servers read every 30 s)", () => {
    const config = (run: OfflineRun, regionName: string, purpose: string) => {
        const v = inRegion(run, regionName).find((r) => r.name === `${regionName}-${purpose}` && /secretVersion/.test(r.type))!;
        return JSON.parse(String(reveal(v.wireInputs.secretString ?? v.wireInputs.secretData)));
    };

    it("makes the primary region the writer and the replica region a lag-gated reader", async () => {
        const run = await stackRun("us-eu");
        const us = config(run, "us-east", "app-config");
        const eu = config(run, "eu-west", "app-config");
        const { tls, files, services, migrations, readiness, enable, apply, monitorRole, ...rest } = us;
        assert.deepStrictEqual(rest, { writer: true, writeHost: region(run, "us-east").privateAddresses.database, readHost: region(run, "us-east").privateAddresses.database, port: 5432, maxReplicationLagSeconds: null, writesPaused: false });
        assert.deepStrictEqual([apply, enable, monitorRole], ["/usr/local/lib/olympus/apply.sh", ["olympus-readiness.service", "olympus-metrics.timer"], "olympus_monitor"]);
        assert.deepStrictEqual(migrations.map((m: { job: string }) => m.job), ["hydra-migrate", "kratos-migrate", "athena-migrate"]);
        assert.deepStrictEqual(readiness.checks.map((c: { url: string }) => c.url), ["http://127.0.0.1:3000/health/ready", "http://127.0.0.1:4444/health/ready",
            "http://127.0.0.1:4433/health/ready", "http://127.0.0.1:4466/health/ready"]);
        assert.ok(files.length > 5 && services.length === 4);
        // Self-managed: the stack's own database CA, and the server's name checked too.
        const ca = reveal(ofType(run, "tls:index/selfSignedCert:SelfSignedCert").find((c) => c.name.startsWith("database-ca"))!.wireOutputs.certPem);
        assert.deepStrictEqual(tls, { sslMode: "verify-full", caPem: ca });
        assert.deepStrictEqual(eu.tls, tls);
        assert.strictEqual(us.bootstrapRoles, undefined, "a self-managed node makes its own roles");
        assert.deepStrictEqual([eu.writer, eu.readHost, eu.maxReplicationLagSeconds], [false, region(run, "eu-west").privateAddresses.database, 30]);
        assert.strictEqual(`${eu.writeHost}:5432`, regionOutputs(run).regions["eu-west"].writeEndpoint);
    });

    it("tells the replica's database its role and upstream, and admits the peers by address in pg_hba", async () => {
        const run = await stackRun("us-eu");
        const db = config(run, "eu-west", "db-config");
        const usDb = (reveal(ofType(run, "olympus:database:PostgresNode").find((n) => n.name === "us-east-db")!.wireOutputs) as { publicAddress: string }).publicAddress;
        assert.deepStrictEqual([db.role, db.upstream], ["replica", `${usDb}:5432`]);
        assert.match(db.pgHba, new RegExp(`^hostssl\\s+replication\\s+olympus_replicator\\s+${usDb.replace(/\./g, "\\.")}/32\\s+scram-sha-256$`, "m"));
        assert.match(db.pgHba, new RegExp(`^hostssl\\s+hydra\\s+hydra\\s+${region(run, "eu-west").privateAddresses.app.replace(/\./g, "\\.")}/32\\s+scram-sha-256$`, "m"));
        assert.match(db.postgresqlConf, /^max_slot_wal_keep_size = '20GB'$/m);
        assert.strictEqual(config(run, "us-east", "db-config").role, "primary");
    });
});

describe("user-data", () => {
    it("holds no secret: not the key, a password, a private key or the SMTP URL", async () => {
        const run = await stackRun("us-eu");
        const secrets = secretValues(run);
        assert.ok(secrets.length >= 8, "the scan found the run's secrets");
        for (const vm of [...ofType(run, "aws:ec2/instance:Instance"), ...ofType(run, "gcp:compute/instance:Instance")]) {
            const text = userData(vm);
            for (const s of secrets) assert.ok(!text.includes(s), `${vm.name}'s user-data contains a secret value`);
            assert.ok(!/BEGIN [A-Z ]*PRIVATE KEY/.test(text), `${vm.name}'s user-data contains a private key`);
        }
    });

    it("fetches each secret at boot from the region's own store, by reference (server.env), with curl alone", async () => {
        const run = await stackRun("us-eu");
        const app = inRegion(run, "eu-west").find((r) => r.name === "eu-west-app" && r.type === "gcp:compute/instance:Instance")!;
        const env = file(app, "/etc/olympus/server.env");
        const ref = (purpose: string) => inRegion(run, "eu-west").find((r) => r.name === `eu-west-${purpose}` && r.type === "gcp:secretmanager/secret:Secret")!.wireOutputs.name;
        assert.match(env, new RegExp(`^OLYMPUS_SECRETS="master-key=${ref("master-key")} credentials=${ref("credentials")} app-config=${ref("app-config")} origin-tls=${ref("origin-tls")}"$`, "m"));
        assert.match(env, /^OLYMPUS_CLOUD="gcp"$/m);
        assert.match(file(app, "/usr/local/lib/olympus/cloud.sh"), /secretmanager\.googleapis\.com\/v1\/\$1\/versions\/latest:access/);
        const usApp = inRegion(run, "us-east").find((r) => r.name === "us-east-app" && r.type === "aws:ec2/instance:Instance")!;
        assert.match(file(usApp, "/etc/olympus/server.env"), /^OLYMPUS_LOCATION="us-east-1"$/m);
        assert.ok(!cloudConfig(usApp).packages.some((p) => /awscli|aws-cli/.test(p)), "no cloud CLI: curl signs the requests");
        assert.ok(!cloudConfig(usApp).runcmd.some((c) => c[0] === "snap"), "nothing from snap");
    });

    it("runs pinned images, exposes them on loopback only behind Debian's Caddy, migrates and mails only where writes go", async () => {
        const run = await stackRun("us-eu");
        const app = inRegion(run, "eu-west").find((r) => r.name === "eu-west-app" && r.type === "gcp:compute/instance:Instance")!;
        assert.ok(cloudConfig(app).packages.includes("caddy"), "Caddy is Debian's package");
        const compose = YAML.parse(serverFile(run, "eu-west", "app", "/etc/olympus/compose.yaml"));
        const config = loadConfig(run.config.values);
        assert.strictEqual(compose.services.caddy, undefined);
        for (const s of ["hera", "hydra", "kratos", "athena"]) assert.strictEqual(compose.services[s].image, config.images[s as "hydra"]);
        assert.deepStrictEqual(compose.services.hydra.ports, ["127.0.0.1:4444:4444", "127.0.0.1:4445:4445"]);
        assert.deepStrictEqual(compose.services["hydra-migrate"].profiles, ["migrate"]);
        assert.deepStrictEqual(compose.services["kratos-courier"].profiles, ["writer"]);
        assert.deepStrictEqual(compose.services.kratos.command, ["serve"], "one courier only: kratos serve does not watch the courier queue");
        const services = regionConfig(run, "eu-west", "app").services as { name: string; dsn?: { write: string; read: string | null } }[];
        // Upstream Hydra 2.2 and Kratos 1.3 read one database URL: every read goes where writes go.
        assert.deepStrictEqual(services.map((x) => [x.name, x.dsn?.write, x.dsn?.read]),
            [["hera", undefined, undefined], ["hydra", "DSN", null], ["kratos", "DSN", null], ["athena", "DSN", null]]);
    });

    it("installs PostgreSQL 17 from Debian's archive, keeps PostgreSQL from making its own cluster, and carries the node's files in db-config", async () => {
        const run = await stackRun("us-eu");
        const db = inRegion(run, "us-east").find((r) => r.name === "us-east-database" && r.type === "aws:ec2/instance:Instance")!;
        const cfg = cloudConfig(db);
        assert.ok(cfg.packages.includes("postgresql-17"));
        assert.ok(!cfg.runcmd.some((c) => /pgdg/.test(c.join(" "))), "no PGDG for Debian's own major");
        assert.strictEqual(file(db, "/etc/postgresql-common/createcluster.d/olympus.conf"), "create_main_cluster = false\n");
        assert.match(serverFile(run, "us-east", "db", "/etc/olympus/postgres/node.env"), /^PG_BIN="\/usr\/lib\/postgresql\/17\/bin"$/m);
        const unit = serverFile(run, "us-east", "db", "/etc/systemd/system/olympus-db.service");
        assert.match(unit, /^User=postgres$/m);
        assert.match(unit, /^RequiresMountsFor=\/var\/lib\/olympus\/pgdata$/m);
        assert.match(unit, /^AssertPathIsMountPoint=\/var\/lib\/olympus$/m);
        // A former primary back from an outage reads its (new) role before PostgreSQL starts.
        assert.ok(unit.indexOf("ExecStartPre=+/usr/local/lib/olympus/sync.sh --boot") < unit.indexOf("ExecStart=/usr/local/lib/olympus/olympus-db converge"), unit);
    });

    it("installs another PostgreSQL major from the PostgreSQL project's repository", async () => {
        const base = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "stacks", "Pulumi.us-eu.yaml"), "utf8"));
        base.config["olympus:database"].version = "16";
        const run = await runOffline({ stackFile: tempStackFile("pg16", YAML.stringify(base)) });
        const db = inRegion(run, "us-east").find((r) => r.name === "us-east-database" && r.type === "aws:ec2/instance:Instance")!;
        const cfg = cloudConfig(db);
        assert.ok(!cfg.packages.includes("postgresql-16") && cfg.packages.includes("postgresql-common"));
        assert.deepStrictEqual(cfg.runcmd.slice(0, 2), [["/usr/share/postgresql-common/pgdg/apt.postgresql.org.sh", "-y"], ["apt-get", "install", "-y", "postgresql-16"]]);
    });
});

describe("component inputs and outputs the policy pack reads", () => {
    it("Olympus carries the whole plan", async () => {
        const run = await stackRun("us-eu");
        const plan = planTopology(loadConfig(run.config.values));
        assert.deepStrictEqual(JSON.parse(JSON.stringify(inputs(ofType(run, "olympus:index:Olympus")[0]).plan)), JSON.parse(JSON.stringify(plan)));
    });

    it("each Region says who it is in its outputs", async () => {
        const run = await stackRun("us-eu");
        const eu = reveal(ofType(run, "olympus:index:Region").find((r) => r.name === "eu-west")!.wireOutputs) as Record<string, unknown>;
        assert.deepStrictEqual([eu.topology, eu.role, eu.upstream, eu.jurisdiction, eu.cloud, eu.location], ["single-primary", "replica", "us-east", "EU", "gcp", "europe-west1"]);
    });

    it("one provider per cloud location, and one each for random, tls and Cloudflare", async () => {
        const run = await stackRun("us-eu");
        assert.deepStrictEqual(run.resources.filter((r) => r.type.startsWith("pulumi:providers:")).map((r) => r.name).sort(),
            ["aws-us-east-1", "cloudflare", "gcp-europe-west1", "random", "tls"]);
    });
});
