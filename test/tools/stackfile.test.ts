import * as assert from "assert";
import { PROJECT_DIR } from "../../tools/engine";
import { SECRET_PLACEHOLDER_PREFIX, StackFileError, readProject, resolveConfig, stackFilePath } from "../../tools/stackfile";
import { tempStackFile } from "../helpers";

const project = readProject(PROJECT_DIR);

function refused(text: string): string[] {
    const file = tempStackFile("broken", text);
    try {
        resolveConfig(project, file, "broken");
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
    it("reads the project: name, stack directory, declared keys", () => {
        assert.strictEqual(project.name, "olympus");
        assert.strictEqual(project.stackConfigDir, "stacks");
        assert.deepStrictEqual(project.config["pulumi:disable-default-providers"], { value: ["*"], required: false });
        assert.strictEqual(project.config["olympus:domain"].required, true);
        assert.strictEqual(project.config["olympus:regions"].required, true);
        assert.deepStrictEqual(project.config["olympus:topology"], { value: undefined, default: "single-primary", required: false });
    });

    it("gives the program Pulumi's wire form: project defaults, stack values, structured values as JSON", () => {
        const { values, secretKeys } = resolveConfig(project, stackFilePath(project, "us-eu"), "us-eu");
        assert.strictEqual(values["olympus:domain"], "ciam.example.com");
        assert.strictEqual(values["olympus:topology"], "single-primary");
        assert.strictEqual(values["pulumi:disable-default-providers"], '["*"]');
        assert.deepStrictEqual(JSON.parse(values["olympus:regions"]).map((r: { name: string }) => r.name), ["us-east", "eu-west"]);
        assert.deepStrictEqual(secretKeys, []);
    });

    it("lets a stack override a project default", () => {
        const file = tempStackFile("override", `${MINIMAL}  olympus:topology: per-region\n`);
        assert.strictEqual(resolveConfig(project, file, "override").values["olympus:topology"], "per-region");
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

        it("a missing key that Pulumi.yaml requires", () => {
            assert.deepStrictEqual(refused("config:\n  olympus:domain: ciam.example.com\n"),
                ["FILE: stack 'broken' is missing configuration value 'olympus:regions' (required by Pulumi.yaml)"]);
        });

        it("an empty file, listing every required key", () => {
            assert.deepStrictEqual(refused(""), [
                "FILE: stack 'broken' is missing configuration value 'olympus:domain' (required by Pulumi.yaml)",
                "FILE: stack 'broken' is missing configuration value 'olympus:regions' (required by Pulumi.yaml)",
            ]);
        });

        it("a secure value that is not ciphertext text", () => {
            assert.deepStrictEqual(refused(`${MINIMAL}  cloudflare:apiToken:\n    secure: [1, 2]\n`),
                ["FILE: cloudflare:apiToken: secure: must hold the ciphertext text that `pulumi config set --secret` wrote"]);
        });

        it("a file that does not exist", () => {
            assert.throws(() => resolveConfig(project, "/nonexistent/Pulumi.x.yaml", "x"),
                (err: StackFileError) => err.problems[0] === "/nonexistent/Pulumi.x.yaml: cannot be read (ENOENT)");
        });
    });
});
