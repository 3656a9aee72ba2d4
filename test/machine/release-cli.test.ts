/**
 * `brume release … --machines <group>` on a copy of examples/machines: each step writes the group's
 * release state (`brume:release`, the keys that move) and prints the plan diff — routing only (the
 * backend service, or the group and a template for a canary), never a replacement.
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
const released = () => parse(readFileSync(stackFile(), "utf8")).config["brume:release"].machines;
const site = `europe-west1-docker.pkg.dev/tiles-prod-7310/apps/site@sha256:${"1".repeat(64)}`;
const api = `europe-west1-docker.pkg.dev/tiles-prod-7310/apps/api@sha256:${"2".repeat(64)}`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "brume-machine-release-"));
  cpSync(examplePath("machines"), dir, { recursive: true });
  // The strategies' shape for this stack (a per-stack override): web blue/green with v1 live on
  // blue, edge a canary group on v1. Every release from here on is a `brume release` command.
  writeFileSync(
    stackFile(),
    `${readFileSync(stackFile(), "utf8")}  # the machine groups' release shape in prod\n  brume:overrides:\n    machines:\n      web:\n        strategy: { type: blueGreen, active: blue, blue: { version: v1 } }\n      edge:\n        strategy: { type: canary, stable: { version: v1 }, percent: 10 }\n`,
  );
});

describe("brume release --machines: the flows from the CLI alone", () => {
  const config = () => ["--stack", "prod", "--config", join(dir, "brume.yaml")];
  async function step(...args: string[]) {
    const r = await cli("release", ...args, ...config());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    return r.stdout;
  }

  it("start (blue/green) fills green with v2, written as release state; history and status show it", async () => {
    // (The example runs the development preset: tags would be accepted; production refuses them, test/strategy/cli.test.ts.)
    const out = await step("start", "--machines", "web", "--version", "v2", "--image", `site=${site}`);
    expect(out).toContain("(0 replaced)");
    expect(released().web).toEqual({ active: "blue", blue: { version: "v1" }, green: { version: "v2", services: { site: { image: site } } }, staged: "v2" });
    expect(readFileSync(stackFile(), "utf8")).toContain("# the machine groups' release shape in prod");
    const web = await cli("history", "--machines", "web", ...config());
    expect(web.stdout).toContain("* v1       blue (live, capacity 1)");
    expect(web.stdout).toContain("  v2       green (standby, capacity 0)");
    // v2 has not served: a rollback would move traffic forward (newcomer 17), so status says promote does.
    expect(await step("status", "--machines", "web")).toContain("rollback: nothing (v2 on the green group has not served yet; promote moves traffic forward to it)");
  });

  it("promote (blue/green) switches the live group: the backend service only", async () => {
    const r = await step("promote", "--machines", "web");
    expect(r).toContain("promote machines web (stack prod): traffic v1 (blue) → v2 (green)");
    expect(r).toContain("1 resource(s) change: 0 added, 1 changed (0 replaced), 0 removed");
    expect(r).toMatch(/~ gcp:compute\/backendService:BackendService tiles-prod-machines-web-backend/);
    expect(r).toContain("brume:release.machines.web (active, staged)");
    expect(released().web.active).toBe("green");
  });

  it("rollback (blue/green) goes back to the other group, kept UPDATED; --dry-run writes nothing", async () => {
    const before = readFileSync(stackFile(), "utf8");
    const dry = await step("rollback", "--machines", "web", "--dry-run");
    expect(dry).toContain("traffic v2 (green) → v1 (blue)");
    expect(readFileSync(stackFile(), "utf8")).toBe(before);
    const r = await step("rollback", "--machines", "web", "--to", "v1");
    expect(r).toContain("1 resource(s) change: 0 added, 1 changed (0 replaced), 0 removed");
    expect(released().web).toMatchObject({ active: "blue", rolledBackFrom: "v2" });
    expect(await step("rollback", "--machines", "web")).toContain("nothing to do");
  });

  it("canary: start on 10 %, weight 50, promote — the group and templates, nothing replaced", async () => {
    await step("start", "--machines", "edge", "--version", "v2", "--image", `api=${api}`);
    expect(released().edge).toEqual({ stable: { version: "v1" }, canary: { version: "v2", services: { api: { image: api } } }, percent: 10 });
    const w = await step("weight", "--machines", "edge", "50");
    expect(w).toContain("traffic v1 (canary v2 on 10%) → v1 (canary v2 on 50%)");
    expect(released().edge.percent).toBe(50);
    const r = await step("promote", "--machines", "edge");
    expect(r).toContain("traffic v1 (canary v2 on 50%) → v2");
    expect(r).toMatch(/\(0 replaced\)/);
    expect(r).toMatch(/~ gcp:compute\/regionInstanceGroupManager:RegionInstanceGroupManager tiles-prod-machines-edge-group/);
    expect(released().edge).toEqual({ stable: { version: "v2", services: { api: { image: api } } }, percent: 50 });
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
    expect(rollbackMachines(promoteMachines(bg))).toEqual({ ...bg, rolledBackFrom: "v2" });
    expect(rollbackMachines(promoteMachines(bg), "v1")).toEqual({ ...bg, rolledBackFrom: "v2" });
    // A second rollback changes nothing (it would roll forward to v2); --to still switches; a promote clears the mark.
    const back = rollbackMachines(promoteMachines(bg));
    expect(rollbackMachines(back)).toBe(back);
    expect(rollbackMachines(back, "v2")).toMatchObject({ active: "green", rolledBackFrom: "v1" });
    expect(promoteMachines(back)).toEqual({ ...bg, active: "green" });
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
