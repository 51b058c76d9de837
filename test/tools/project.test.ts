// Pulumi.yaml under Pulumi's project-config rules, as shipped and with the project renamed the way
// `pulumi new` renames it: a fork may call its project anything, because the program's keys stay
// in the olympus: namespace and the project file declares none of them. The rules and messages are
// the Pulumi CLI's (pulumi/pulumi sdk/go/common/workspace/project.go, `(*Project).Validate`),
// applied by tools/stackfile.ts exactly where the CLI applies them: when it loads the project.

import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PROJECT_DIR } from "../../tools/engine";
import { StackFileError, checkProjectConfig, namespacedByProject, readProject } from "../../tools/stackfile";
import { tempProject } from "../helpers";

const shipped = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));

/** What this file declared before forks could rename the project. */
const OLYMPUS_DECLARATIONS = {
    "olympus:domain": { type: "string", description: "Public hostname users reach" },
    "olympus:topology": { type: "string", description: "single-primary or per-region", default: "single-primary" },
    "olympus:regions": { description: "The regions" },
};

const problems = (name: string, config: unknown) => checkProjectConfig(name, config).problems;

describe("Pulumi.yaml under Pulumi's project-config rules", () => {
    it("is accepted as shipped, declaring only pulumi:disable-default-providers (a value, not a type)", () => {
        const { config, problems: found } = checkProjectConfig(shipped.name, shipped.config);
        assert.deepStrictEqual(found, []);
        assert.deepStrictEqual(config, { "pulumi:disable-default-providers": { value: ["*"], required: false } });
    });

    for (const name of ["acme-ciam", "identity", "olympus-eu"]) {
        it(`is accepted with the project renamed ${name}, as pulumi new writes it`, () => {
            const project = readProject(tempProject(name));
            assert.strictEqual(project.name, name);
            assert.strictEqual(project.stackConfigDir, "stacks");
            assert.deepStrictEqual(project.config, { "pulumi:disable-default-providers": { value: ["*"], required: false } });
        });
    }

    it("declares no olympus:* key, so no project name can put one outside its namespace", () => {
        assert.deepStrictEqual(Object.keys(shipped.config).filter((k) => k.startsWith("olympus:")), []);
    });

    it("keeps the template's prompts in the olympus: namespace (pulumi new writes a namespaced key as it is)", () => {
        const keys = Object.keys(shipped.template.config);
        assert.deepStrictEqual(keys.filter((k) => !k.includes(":")), [], "an unnamespaced prompt would land in the renamed project's namespace");
        assert.ok(keys.includes("olympus:domain") && keys.includes("olympus:regions"));
    });

    describe("the rules", () => {
        it("a key is in the project's namespace when it has none or starts with the project's name and a colon", () => {
            assert.deepStrictEqual(
                ["size", "acme-ciam:size", "olympus:domain", "acme:size", "pulumi:disable-default-providers"].map((k) => namespacedByProject("acme-ciam", k)),
                [true, true, false, false, false]);
        });

        it("the project's own keys may declare a type and a default; one without either is required of every stack", () => {
            assert.deepStrictEqual(problems("olympus", OLYMPUS_DECLARATIONS), []);
            const { config } = checkProjectConfig("olympus", OLYMPUS_DECLARATIONS);
            assert.deepStrictEqual(config["olympus:topology"], { default: "single-primary", required: false });
            assert.deepStrictEqual([config["olympus:domain"].required, config["olympus:regions"].required], [true, true]);
        });

        it("a plain value is a default in the project's namespace and a value outside it", () => {
            const { config } = checkProjectConfig("acme-ciam", { size: "t3.micro", "aws:region": "us-west-2", "pulumi:tags": ["a"] });
            assert.deepStrictEqual(config, {
                "acme-ciam:size": { default: "t3.micro", required: false },
                "aws:region": { value: "us-west-2", required: false },
                "pulumi:tags": { value: ["a"], required: false },
            });
        });

        it("a key outside the namespace may carry a value (pulumi: is not special)", () => {
            assert.deepStrictEqual(problems("acme-ciam", { "olympus:topology": { value: "per-region", description: "fixed for this fork" } }), []);
        });
    });

    describe("refuses, with the Pulumi CLI's message", () => {
        it("the old declarations once the project is renamed: a type, a default, no value", () => {
            assert.deepStrictEqual(problems("acme-ciam", OLYMPUS_DECLARATIONS), [
                "Configuration key 'olympus:domain' is not namespaced by the project and should not define a type",
                "Configuration key 'olympus:topology' is not namespaced by the project and should not define a type",
                "Configuration key 'olympus:regions' is namespaced and must provide an attribute 'value'",
            ]);
        });

        it("a default outside the namespace", () => {
            assert.deepStrictEqual(problems("acme-ciam", { "olympus:topology": { default: "single-primary" } }), [
                "Configuration key 'olympus:topology' is not namespaced by the project and should not define a default value. " +
                "Did you mean to use the 'value' attribute instead of 'default'?",
            ]);
        });

        it("both a default and a value", () => {
            assert.deepStrictEqual(problems("olympus", { "olympus:topology": { default: "a", value: "b" } }),
                ["project config 'olympus:topology' cannot have both a 'default' and 'value' attribute"]);
        });

        it("an array without items, and a default not of the declared type", () => {
            assert.deepStrictEqual(problems("olympus", { zones: { type: "array" }, count: { type: "integer", default: "two" }, list: { type: "array", items: { type: "string" }, default: [1] } }), [
                "The configuration key 'zones' declares an array but does not specify the underlying type via the 'items' attribute",
                "The default value specified for configuration key 'count' is not of the expected type 'integer'",
                "The default value specified for configuration key 'list' is not of the expected type 'array<string>'",
            ]);
        });

        it("an attribute a declaration cannot have, and a type Pulumi does not know", () => {
            assert.deepStrictEqual(problems("olympus", { "aws:tags": { team: "identity" }, size: { type: "map" } }), [
                "config: aws:tags: team is not allowed in a declaration; use type, items, description, secret, default, value (a structured value goes under value:)",
                'config: size: type "map" is not a config type; use one of string, integer, boolean, array, object',
            ]);
        });

        it("config: as text (the old spelling of stackConfigDir) beside stackConfigDir; alone, it is the stack directory", () => {
            const alone = tempProject("acme-ciam", (doc) => { doc.set("config", "stacks"); doc.delete("stackConfigDir"); });
            assert.strictEqual(readProject(alone).stackConfigDir, "stacks");
            const both = tempProject("acme-ciam", (doc) => doc.set("config", "stacks"));
            assert.throws(() => readProject(both), (err: StackFileError) =>
                err.problems[0] === `${path.join(both, "Pulumi.yaml")}: Should not use both config and stackConfigDir to define the stack directory. ` +
                "Use only stackConfigDir instead. (the Pulumi CLI refuses this project file; the project is named acme-ciam)");
        });

        it("a renamed project file with a typed olympus: key, naming the file and the project", () => {
            const dir = tempProject("acme-ciam", (doc) => doc.setIn(["config", "olympus:domain"], { type: "string" }));
            const file = path.join(dir, "Pulumi.yaml");
            assert.throws(() => readProject(dir), (err: StackFileError) => {
                assert.deepStrictEqual(err.problems, [
                    `${file}: Configuration key 'olympus:domain' is not namespaced by the project and should not define a type ` +
                    "(the Pulumi CLI refuses this project file; the project is named acme-ciam)",
                ]);
                return true;
            });
        });
    });
});
