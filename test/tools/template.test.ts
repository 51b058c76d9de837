// `pulumi new` from this repository: the template's prompts, answered as a person would (defaults
// taken, secrets encrypted into `secure:` values), make a stack file that plans offline and passes
// the policy pack, under this project's name and under the name a fork gives it.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PACK_NAME, policies } from "../../policies/policies";
import { evaluatePolicies } from "../../tools/analyzer";
import { OfflineRun, PROJECT_DIR, isSecretValue, runOffline } from "../../tools/engine";
import { tempProject, tempStackFile } from "../helpers";

const ANSWERS: Record<string, string> = {
    "olympus:domain": "id.acme.example",
    "olympus:edge.accountId": "0123456789abcdef0123456789abcdef",
    "olympus:edge.zoneId": "fedcba9876543210fedcba9876543210",
    "olympus:gcp.project": "acme-identity-prod",
};

describe("the template (pulumi new)", () => {
    const project = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
    const prompts = project.template.config as Record<string, { description: string; default?: string; secret?: boolean }>;

    it("asks for the domain, the Cloudflare account, zone and token, the regions, the GCP project and the SMTP URL", () => {
        assert.deepStrictEqual(Object.keys(prompts).sort(), [
            "cloudflare:apiToken", "olympus:domain", "olympus:edge.accountId", "olympus:edge.zoneId", "olympus:gcp.project", "olympus:regions", "olympus:smtpUrl",
        ]);
        assert.deepStrictEqual(Object.entries(prompts).filter(([, p]) => p.secret).map(([k]) => k).sort(), ["cloudflare:apiToken", "olympus:smtpUrl"]);
        for (const [key, p] of Object.entries(prompts)) assert.ok(p.description.length > 20, `${key} explains itself`);
    });

    /** The stack file `pulumi new` writes once the prompts are answered. */
    function answeredStackFile(): string {
        const config: Record<string, unknown> = {};
        for (const [key, p] of Object.entries(prompts)) {
            // pulumi new writes a secret answer encrypted: the offline engine never sees its text.
            config[key] = p.secret ? { secure: "v1:AAAAAAAAAAAA:BBBBBBBBBBBBBBBBBBBB" } : p.default ?? ANSWERS[key];
            assert.ok(config[key] !== undefined, `an answer for ${key}`);
        }
        return tempStackFile("acme", YAML.stringify({ config }));
    }

    it("makes a stack file that plans offline and passes the policy pack", async () => {
        await plansAndPasses(await runOffline({ stackFile: answeredStackFile() }));
    });

    it("plans and passes the same with the project renamed at pulumi new (acme-ciam): the keys stay olympus:*", async () => {
        const run = await runOffline({ projectDir: tempProject("acme-ciam"), stackFile: answeredStackFile() });
        assert.strictEqual(run.project, "acme-ciam");
        await plansAndPasses(run);
    });

    async function plansAndPasses(run: OfflineRun): Promise<void> {
        const regions = run.resources.filter((r) => r.type === "olympus:index:Region").map((r) => r.name);
        assert.deepStrictEqual(regions, ["us-east", "eu-west"]);
        const credentials = run.resources.find((r) => r.name === "us-east-credentials" && /secretVersion/.test(r.type))!;
        assert.ok(isSecretValue(credentials.wireInputs.secretString), "the SMTP URL stays a secret");
        const version: string = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "policies", "package.json"), "utf8")).version;
        const violations = await evaluatePolicies(run, policies, PACK_NAME, version);
        assert.deepStrictEqual(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.message), []);
    }
});
