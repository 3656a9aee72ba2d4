/**
 * Large environments are planned in groups of services (src/plan/stack.ts `servicesPerRun`): the
 * merged plan must be byte-identical to one run of the whole program, and a resource that comes
 * out differently from two runs must fail the plan, never be silently picked. planStack hands the
 * program the config it already validated: the program reading it itself must plan the same.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { renderPlan } from "../../src/plan/format.js";
import { PlanError, runProgram, type Plan } from "../../src/plan/run.js";
import { mergePlans, planStack, readStackConfig, serviceGroups } from "../../src/plan/stack.js";
import { examplePath } from "../harness.js";

/** bro-ai with tracing on (the collector service is shared by every group) and extra services. */
function broAiVariant(extraServices: number): string {
  const dir = mkdtempSync(join(tmpdir(), "brume-groups-"));
  const doc = parseYaml(readFileSync(examplePath("bro-ai", "brume.yaml"), "utf8"));
  doc.observability = { ...doc.observability, tracing: { samplingPercent: 10 } };
  const [, template] = Object.entries(doc.services as Record<string, { runner?: string; expose?: Record<string, unknown> }>).find(([, s]) => (s.runner ?? "kubernetes") === "kubernetes")!;
  // Each copy routes its own path: two services on one host and path are refused (src/config/rules-input-gaps.ts).
  for (let i = 0; i < extraServices; i++) {
    doc.services[`extra-${i}`] = { ...template, image: `europe-docker.pkg.dev/shop-shared/apps/extra-${i}:1.0.${i}`, ...(template.expose ? { expose: { ...template.expose, paths: [`/extra-${i}`] } } : {}) };
  }
  writeFileSync(join(dir, "brume.yaml"), stringifyYaml(doc, { aliasDuplicateObjects: false }));
  for (const file of ["Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.stage.yaml"]) copyFileSync(examplePath("bro-ai", file), join(dir, file));
  cpSync(examplePath("bro-ai", "services"), join(dir, "services"), { recursive: true }); // build contexts
  return dir;
}

const plan = async (dir: string, stack: string, servicesPerRun: number) =>
  renderPlan((await planStack({ stack, configFile: join(dir, "brume.yaml"), projectDir: dir, servicesPerRun })).plan, "json");

describe("planning in groups of services", () => {
  it("splits the Kubernetes services, sorted, into groups of the given size", () => {
    const services = { b: { runner: "kubernetes" }, a: { runner: "kubernetes" }, vm: { runner: "container" }, c: { runner: "kubernetes" } };
    expect(serviceGroups(services, 2)).toEqual([["a", "b"], ["c"]]);
    expect(serviceGroups(services, 50)).toEqual([["a", "b", "c"]]);
    expect(serviceGroups({}, 50)).toEqual([]);
  });

  it.each(["prod", "stage"])("gives the same plan, byte for byte, as one run (bro-ai %s + tracing + 7 services)", async (stack) => {
    const dir = broAiVariant(7);
    const whole = await plan(dir, stack, 1000);
    const parsed = JSON.parse(whole) as Plan;
    // 4 services of the example + 7 extra + the collector, each a brume:service:Service.
    expect(parsed.resources.filter((r) => r.type === "brume:service:Service")).toHaveLength(12);
    expect(await plan(dir, stack, 1)).toBe(whole);
    expect(await plan(dir, stack, 4)).toBe(whole);
  });

  it("the program loading its config from the Pulumi stack config plans what planStack plans", async () => {
    // planStack hands the program the config it validated; `pulumi up` has the program read it itself.
    const dir = examplePath("bro-ai");
    const viaPlanStack = await planStack({ stack: "stage", configFile: join(dir, "brume.yaml"), projectDir: dir });
    const { default: program } = await import("../../src/program/index.js");
    const { project, config, secretKeys } = readStackConfig(dir, "stage");
    const own = await runProgram(() => program(), {
      project,
      stack: "stage",
      config: { ...config, "brume:configFile": join(dir, "brume.yaml"), "brume:environment": "stage" },
      secretKeys,
      defaultProject: viaPlanStack.loaded.environment.gcpProject,
      defaultRegion: viaPlanStack.loaded.environment.region,
    });
    expect(renderPlan(own, "json")).toBe(renderPlan(viaPlanStack.plan, "json"));
  });

  it("fails when a resource shared by two runs differs between them", () => {
    const resource = { urn: "urn:pulumi:prod::p::gcp:compute/network:Network::vpc", type: "gcp:compute/network:Network", name: "vpc", parent: "", inputs: { name: "a" }, dependencies: [], provider: "", protect: false, custom: true };
    const a: Plan = { project: "p", stack: "prod", resources: [resource], outputs: {} };
    const b: Plan = { ...a, resources: [{ ...resource, inputs: { name: "b" } }] };
    expect(mergePlans([a, a]).resources).toEqual([resource]);
    expect(() => mergePlans([a, b])).toThrow(PlanError);
    expect(() => mergePlans([a, b])).toThrow("urn:pulumi:prod::p::gcp:compute/network:Network::vpc differs between service groups");
    expect(() => mergePlans([a, { ...a, outputs: { x: 1 } }])).toThrow("stack outputs differ between service groups");
  });
});
