/** Config rules of machine groups: path-located messages, never a stack trace. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";
import { examplePath } from "../harness.js";

const example = () => parse(readFileSync(examplePath("machines", "brume.yaml"), "utf8"));
function issues(doc: any): string[] {
  try {
    validateConfig(doc);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

describe("machine rules", () => {
  it("accepts the example", () => expect(issues(example())).toEqual([]));
  it("needs vfox for process services", () => {
    const doc = example();
    delete doc.machines.edge.vfox;
    expect(issues(doc)).toEqual(["machines.edge.vfox: process services (renderer) need vfox: set version, url and sha256 of the vfox binary"]);
  });
  it("needs a run command for process services", () => {
    const doc = example();
    delete doc.services.renderer.command;
    expect(issues(doc)).toEqual(['services.renderer.command: runner "process" needs the command that starts the service']);
  });
  it("checks strategy releases", () => {
    const doc = example();
    doc.machines.edge.strategy = { type: "canary", stable: { version: "v1" }, canary: { version: "v1", services: { apx: { image: "x" } } } };
    expect(issues(doc)).toEqual([
      "machines.edge.strategy.canary.version: the canary must differ from the stable release (v1)",
      'machines.edge.strategy.canary.services.apx: unknown service on this group "apx" (did you mean "api"?); declared services on this group: api, renderer',
    ]);
    doc.machines.edge.strategy = { type: "blueGreen", active: "green", blue: { version: "v1" } };
    expect(issues(doc)).toEqual(['machines.edge.strategy.green: the active slot "green" needs a release ({ version: … })']);
  });
  it("rejects cos-stable until the agent install supports it", () => {
    const doc = example();
    doc.machines.edge.image = "cos-stable";
    expect(issues(doc)).toEqual([
      "machines.edge.image: cos-stable is not supported yet: the agent install targets Debian's filesystem (COS mounts / read-only); use debian-12",
    ]);
  });
});
