/**
 * `brume release … --machines <group>` on a copy of examples/machines: each step writes the group's
 * strategy into the stack config's overrides and prints the plan diff — routing only (the backend
 * service, or the group and a template for a canary), never a replacement.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { abortMachines, promoteMachines, rollbackMachines, type MachineStrategy } from "../../src/components/machine/releases.js";
import { brume, examplePath } from "../harness.js";

let dir: string;
const cli = brume;
const stackFile = () => join(dir, "Pulumi.prod.yaml");
const overrides = () => parse(readFileSync(stackFile(), "utf8")).config["brume:overrides"];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "brume-machine-release-"));
  cpSync(examplePath("machines"), dir, { recursive: true });
  // web: blue/green with v2 on green, blue live; edge: a canary on 10 % of its instances.
  writeFileSync(
    stackFile(),
    `${readFileSync(stackFile(), "utf8")}  # site 1.1.0 on green\n  brume:overrides:\n    machines:\n      web:\n        strategy:\n          type: blueGreen\n          active: blue\n          blue: { version: v1 }\n          green: { version: v2, services: { site: { image: europe-west1-docker.pkg.dev/tiles-prod-7310/apps/site:1.1.0 } } }\n      edge:\n        strategy:\n          type: canary\n          stable: { version: v1 }\n          canary: { version: v2, services: { api: { image: europe-west1-docker.pkg.dev/tiles-prod-7310/apps/api:2.4.0 } } }\n          percent: 10\n`,
  );
});

describe("brume release --machines", () => {
  const config = () => ["--stack", "prod", "--config", join(dir, "brume.yaml")];

  it("history lists the releases each group runs and which takes the traffic", async () => {
    const web = await cli("history", "--machines", "web", ...config());
    expect(web.stderr).toBe("");
    expect(web.code).toBe(0);
    expect(web.stdout).toBe(
      "machines web (stack prod, strategy blueGreen) — * takes the traffic\n" +
        "  RELEASE  ROLE                         PINS\n" +
        "* v1       blue (live, capacity 1)      the group's agent and services\n" +
        "  v2       green (standby, capacity 0)  site europe-west1-docker.pkg.dev/tiles-prod-7310/apps/site:1.1.0\n",
    );
    const edge = await cli("history", "--machines", "edge", ...config());
    expect(edge.stdout).toContain("* v1       stable (90% of instances)");
    expect(edge.stdout).toContain("  v2       canary (10% of instances)");
  });

  it("promote (blue/green) switches the live group: the backend service only, comments kept", async () => {
    const r = await cli("release", "promote", "--machines", "web", ...config());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("promote machines web (stack prod): traffic v1 (blue) → v2 (green)");
    expect(r.stdout).toContain("1 resource(s) change: 0 added, 1 changed (0 replaced), 0 removed");
    expect(r.stdout).toMatch(/~ gcp:compute\/backendService:BackendService tiles-prod-machines-web-backend/);
    expect(readFileSync(stackFile(), "utf8")).toContain("# site 1.1.0 on green");
    expect(overrides().machines.web.strategy).toMatchObject({ type: "blueGreen", active: "green" });
  });

  it("rollback (blue/green) goes back to the other group, kept UPDATED; --dry-run writes nothing", async () => {
    const before = readFileSync(stackFile(), "utf8");
    const dry = await cli("release", "rollback", "--machines", "web", ...config(), "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("traffic v2 (green) → v1 (blue)");
    expect(readFileSync(stackFile(), "utf8")).toBe(before);
    const r = await cli("release", "rollback", "--machines", "web", "--to", "v1", ...config());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 resource(s) change: 0 added, 1 changed (0 replaced), 0 removed");
    expect(overrides().machines.web.strategy.active).toBe("blue");
  });

  it("promote (canary) makes the canary stable: the group and the old template, nothing replaced", async () => {
    const r = await cli("release", "promote", "--machines", "edge", ...config());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("traffic v1 (canary v2 on 10%) → v2");
    expect(r.stdout).toMatch(/\(0 replaced\)/);
    expect(r.stdout).toMatch(/~ gcp:compute\/regionInstanceGroupManager:RegionInstanceGroupManager tiles-prod-machines-edge-group/);
    expect(overrides().machines.edge.strategy).toMatchObject({ type: "canary", stable: { version: "v2" }, canary: null });
  });

  it("refuses steps that do not apply, with the config path and why", async () => {
    const r = await cli("release", "abort", "--machines", "web", ...config());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("machines.web.strategy: a blue/green switch is instant, nothing is in flight: roll back to the other group instead");
    const unknown = await cli("release", "promote", "--machines", "nope", ...config());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('machines.nope: unknown machine group "nope"; declared: edge, web');
    expect((await cli("release", "promote", "api", "--machines", "edge", ...config())).code).toBe(2);
  });
});

describe("machine release steps", () => {
  const bg: MachineStrategy = { type: "blueGreen", active: "blue", blue: { version: "v1" }, green: { version: "v2" } };
  const canary: MachineStrategy = { type: "canary", stable: { version: "v1" }, canary: { version: "v2" }, percent: 25 };

  it("blue/green: promote and rollback switch the active group and nothing else; abort has nothing to abort", () => {
    expect(promoteMachines(bg)).toEqual({ ...bg, active: "green" });
    expect(rollbackMachines(promoteMachines(bg))).toEqual(bg);
    expect(rollbackMachines(promoteMachines(bg), "v1")).toEqual(bg);
    expect(() => rollbackMachines(bg, "v9")).toThrow('release "v9" is not deployed; deployed: v1 (blue), v2 (green)');
    expect(() => rollbackMachines(bg, "v1")).toThrow('release "v1" is already active (blue)');
    expect(() => abortMachines(bg)).toThrow("nothing is in flight");
    expect(() => promoteMachines({ type: "blueGreen", active: "blue", blue: { version: "v1" } })).toThrow("the green group has no release");
  });

  it("canary: promote makes the canary stable, abort drops it; neither rolls back once promoted", () => {
    expect(promoteMachines(canary)).toEqual({ type: "canary", stable: { version: "v2" }, percent: 25 });
    expect(abortMachines(canary)).toEqual({ type: "canary", stable: { version: "v1" }, percent: 25 });
    expect(() => promoteMachines(abortMachines(canary))).toThrow("there is no canary release to promote");
    expect(() => rollbackMachines(canary)).toThrow("keeps no previous release once promoted");
    expect(() => promoteMachines({ type: "rolling" })).toThrow("nothing to promote");
  });
});
