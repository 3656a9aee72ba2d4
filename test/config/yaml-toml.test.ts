/**
 * brume.yaml and brume.toml are two spellings of one document: examples/minimal keeps both, and
 * they must parse to the same value and plan to the same bytes.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readConfigFile, validateConfig } from "../../src/config/load.js";
import { renderPlan } from "../../src/plan/format.js";
import { planStack } from "../../src/plan/stack.js";
import { examplePath, one } from "../harness.js";

const dir = examplePath("minimal");
const yamlFile = examplePath("minimal", "brume.yaml");
const tomlFile = examplePath("minimal", "brume.toml");

describe("examples/minimal: YAML and TOML are the same config", () => {
  it("start with the editor schema directive of their format", () => {
    expect(readFileSync(yamlFile, "utf8").split("\n")[0]).toBe("# yaml-language-server: $schema=../../schema/brume.schema.json");
    expect(readFileSync(tomlFile, "utf8").split("\n")[0]).toBe("#:schema ../../schema/brume.schema.json");
  });

  it("parse to the same document", () => {
    const fromYaml = readConfigFile(yamlFile);
    const fromToml = readConfigFile(tomlFile);
    expect(fromToml).toEqual(fromYaml);
    // Same key order too: the plan walks maps in document order.
    expect(JSON.stringify(fromToml)).toBe(JSON.stringify(fromYaml));
    expect(fromYaml).toEqual({
      project: { name: "hello", region: "europe-west1", drRegion: "europe-west4" },
      environments: { prod: { gcpProject: "hello-prod-4821" } },
      services: {
        web: {
          image: "europe-docker.pkg.dev/hello-prod-4821/apps/web:1.0.0",
          ports: [{ name: "http", port: 8080 }],
          health: { readiness: { path: "/healthz" } },
          expose: { domains: ["hello.example.com"] },
        },
      },
    });
    const config = validateConfig(fromYaml);
    expect(config.services.web!.runner).toBe("kubernetes");
    expect(validateConfig(fromToml)).toEqual(validateConfig(fromYaml));
  });

  it("plan to byte-identical JSON that names neither file", async () => {
    const fromYaml = await planStack({ stack: "prod", configFile: yamlFile, projectDir: dir });
    const fromToml = await planStack({ stack: "prod", configFile: tomlFile, projectDir: dir });
    const yamlJson = renderPlan(fromYaml.plan, "json");
    const tomlJson = renderPlan(fromToml.plan, "json");
    expect(tomlJson).toBe(yamlJson);
    expect(yamlJson).not.toContain("brume.yaml");
    expect(yamlJson).not.toContain("brume.toml");
    expect(yamlJson).not.toContain(dir);

    // And it is a real plan of the minimal stack, not two empty ones.
    expect(fromYaml.loaded.file).toBe(yamlFile);
    expect(fromToml.loaded.file).toBe(tomlFile);
    expect(fromYaml.plan.project).toBe("minimal");
    expect(fromYaml.plan.stack).toBe("prod");
    expect(fromYaml.plan.outputs).toMatchObject({ environment: "prod", preset: "production", gcpProject: "hello-prod-4821", region: "europe-west1" });
    const provider = one(fromYaml.plan, "pulumi:providers:gcp", "hello-gcp");
    expect(provider.inputs).toMatchObject({
      project: "hello-prod-4821",
      region: "europe-west1",
      defaultLabels: { project: "hello", environment: "prod", "managed-by": "brume" },
    });
    const nodes = one(fromYaml.plan, "gcp:compute/subnetwork:Subnetwork", "hello-prod-network-nodes");
    expect(nodes.inputs).toMatchObject({ ipCidrRange: "10.0.0.0/20" });
  });
});
