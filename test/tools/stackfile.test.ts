import * as assert from "assert";
import { PROJECT_DIR, runOffline } from "../../tools/engine";
import { Project, SECRET_PLACEHOLDER_PREFIX, StackFileError, checkProjectConfig, readProject, resolveConfig, stackFilePath } from "../../tools/stackfile";
import { tempStackFile } from "../helpers";

const project = readProject(PROJECT_DIR);

/** The project as it was when Pulumi.yaml declared olympus:* keys (what a project of one's own may still do). */
const declaring: Project = {
    ...project,
    config: {
        ...project.config,
        ...checkProjectConfig("olympus", {
            "olympus:domain": { type: "string" },
            "olympus:topology": { type: "string", default: "single-primary" },
            "olympus:regions": { description: "The regions" },
        }).config,
    },
};

function refused(text: string, by: Project = project): string[] {
    const file = tempStackFile("broken", text);
    try {
        resolveConfig(by, file, "broken");
    } catch (err) {
        assert.ok(err instanceof StackFileError, String(err));
        return err.problems.map((p) => p.replace(file, "FILE"));
    }
    assert.fail("expected the stack file to be refused");
}

const MINIMAL = `config:
  olympus:domain: ciam.example.com
  olympus:regions: us-east=aws/us-east-1*
`;

describe("stack files", () => {
    it("reads the project: name, stack directory, project config (no olympus:* key: the program validates those)", () => {
        assert.strictEqual(project.name, "olympus");
        assert.strictEqual(project.stackConfigDir, "stacks");
        assert.deepStrictEqual(project.config, { "pulumi:disable-default-providers": { value: ["*"], required: false } });
    });

    it("gives the program Pulumi's wire form: project values, stack values, structured values as JSON", () => {
        const { values, secretKeys } = resolveConfig(project, stackFilePath(project, "us-eu"), "us-eu");
        assert.strictEqual(values["olympus:domain"], "ciam.example.com");
        assert.strictEqual(values["pulumi:disable-default-providers"], '["*"]');
        assert.deepStrictEqual(JSON.parse(values["olympus:regions"]).map((r: { name: string }) => r.name), ["us-east", "eu-west"]);
        assert.deepStrictEqual(secretKeys, []);
    });

    it("applies a project default, and lets a stack override it", () => {
        assert.strictEqual(resolveConfig(declaring, tempStackFile("default", MINIMAL), "default").values["olympus:topology"], "single-primary");
        const file = tempStackFile("override", `${MINIMAL}  olympus:topology: per-region\n`);
        assert.strictEqual(resolveConfig(declaring, file, "override").values["olympus:topology"], "per-region");
    });

    it("replaces secure values, top-level or nested, by placeholders and marks their keys secret", () => {
        const file = tempStackFile("secrets", `${MINIMAL}  cloudflare:apiToken:
    secure: v1:abcdefgh:ijklmnop
  olympus:edge:
    accountId: 0123456789abcdef0123456789abcdef
    webhook:
      secure: v1:qrstuvwx:yz
`);
        const { values, secretKeys } = resolveConfig(project, file, "secrets");
        assert.deepStrictEqual(secretKeys.sort(), ["cloudflare:apiToken", "olympus:edge"]);
        assert.strictEqual(values["cloudflare:apiToken"], `${SECRET_PLACEHOLDER_PREFIX}:cloudflare:apiToken`);
        assert.strictEqual(JSON.parse(values["olympus:edge"]).webhook, `${SECRET_PLACEHOLDER_PREFIX}:olympus:edge.webhook`);
        assert.ok(!JSON.stringify(values).includes("v1:"), "ciphertext must not reach the program");
    });

    it("accepts the legacy namespace:config:key form", () => {
        const file = tempStackFile("legacy", `${MINIMAL}  olympus:config:topology: per-region\n`);
        assert.strictEqual(resolveConfig(project, file, "legacy").values["olympus:topology"], "per-region");
    });

    describe("refuses", () => {
        it("text that is not YAML, with the line", () => {
            const [p] = refused("config:\n  olympus:domain: [\n");
            assert.match(p, /^FILE: is not valid YAML \(line \d+, column \d+\): /);
        });

        it("a duplicate key", () => {
            const [p] = refused(`${MINIMAL}  olympus:domain: other.example.com\n`);
            assert.match(p, /^FILE: is not valid YAML \(line 4, column 3\): Map keys must be unique/);
        });

        it("a file that is not a map", () => {
            assert.deepStrictEqual(refused("- just\n- a list\n"), ["FILE: is not a stack file; it must be a YAML map with a config: map"]);
        });

        it("config that is not a map", () => {
            assert.deepStrictEqual(refused("config: [a, b]\n"), ["FILE: config: must be a map of namespace:key entries"]);
        });

        it("a key without a namespace", () => {
            assert.deepStrictEqual(refused(`${MINIMAL}  domain: ciam.example.com\n`),
                ['FILE: config key "domain" is not of the form <namespace>:<name> (e.g. olympus:domain)']);
        });

        it("a missing key that Pulumi.yaml requires (one in the project's namespace, declared without a default)", () => {
            assert.deepStrictEqual(refused("config:\n  olympus:domain: ciam.example.com\n", declaring),
                ["FILE: stack 'broken' is missing configuration value 'olympus:regions' (required by Pulumi.yaml)"]);
        });

        it("an empty file, listing every required key", () => {
            assert.deepStrictEqual(refused("", declaring), [
                "FILE: stack 'broken' is missing configuration value 'olympus:domain' (required by Pulumi.yaml)",
                "FILE: stack 'broken' is missing configuration value 'olympus:regions' (required by Pulumi.yaml)",
            ]);
        });

        it("config written without its config: root, naming the keys", () => {
            assert.deepStrictEqual(refused("olympus:domain: ciam.example.com\nolympus:regions: us-east=aws/us-east-1*\n"), [
                "FILE: olympus:domain, olympus:regions are at the top level; put them under config: (a stack file is config: { namespace:key: value })",
            ]);
            assert.deepStrictEqual(refused(`${MINIMAL}olympus:smtpUrl: smtps://mailer@smtp.example.com:465/\n`), [
                "FILE: olympus:smtpUrl is at the top level; put it under config: (a stack file is config: { namespace:key: value })",
            ]);
        });

        it("a secure value that is not ciphertext text", () => {
            assert.deepStrictEqual(refused(`${MINIMAL}  cloudflare:apiToken:\n    secure: [1, 2]\n`),
                ["FILE: cloudflare:apiToken: secure: must hold the ciphertext text that `pulumi config set --secret` wrote"]);
        });

        it("a misspelled key through the program's own check, not a missing-key message from Pulumi.yaml", async () => {
            const file = tempStackFile("misspelled", "config:\n  olympus:domain: ciam.example.com\n  olympus:region: us-east=aws/us-east-1*\n");
            await assert.rejects(runOffline({ stackFile: file }), (err: Error) => {
                assert.ok(err.message.includes("olympus:region: is not a known key (did you mean regions?)"), err.message);
                assert.ok(!err.message.includes("missing configuration value"), err.message);
                return true;
            });
        });

        it("a file that does not exist", () => {
            assert.throws(() => resolveConfig(project, "/nonexistent/Pulumi.x.yaml", "x"),
                (err: StackFileError) => err.problems[0] === "/nonexistent/Pulumi.x.yaml: cannot be read (ENOENT)");
        });
    });
});
