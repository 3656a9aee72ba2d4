/**
 * `brume release` and `brume history` on a copy of examples/bro-ai: the stack config is edited
 * with its comments kept, and the printed plan diff of each step is routing only.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { brume, examplePath } from "../harness.js";

let dir: string;
const cli = brume;
const stackFile = () => join(dir, "Pulumi.prod.yaml");

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "brume-release-"));
  cpSync(examplePath("bro-ai"), dir, { recursive: true });
  // A canary in flight for api at weight 100, written as a user would (with a comment).
  writeFileSync(
    stackFile(),
    `${readFileSync(stackFile(), "utf8")}  # api release 1.15.0\n  brume:overrides:\n    services:\n      api:\n        strategy:\n          canary: { version: v1-15-0, image: us-docker.pkg.dev/bro-ai-shared/apps/api:1.15.0 }\n          weight: 100\n`,
  );
});

describe("brume release / history", () => {
  const config = () => ["--stack", "prod", "--config", join(dir, "brume.yaml")];

  it("history lists the deployed versions and which one serves", async () => {
    const r = await cli("history", "api", ...config());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\* v1-14-2 +stable/);
    expect(r.stdout).toMatch(/ {2}v1-15-0 +canary \(100%\)/);
  });

  it("promote writes the override (comments kept) and prints a routing-only change", async () => {
    const r = await cli("release", "promote", "api", ...config());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("default traffic v1-14-2 → v1-15-0");
    expect(r.stdout).toContain("2 resource(s) change: 0 added, 2 changed (0 replaced), 0 removed");
    expect(r.stdout).toMatch(/~ kubernetes:gateway.networking.k8s.io\/v1:HTTPRoute bro-ai-prod-svc-api-route/);
    const text = readFileSync(stackFile(), "utf8");
    expect(text).toContain("# api release 1.15.0");
    const strategy = parse(text).config["brume:overrides"].services.api.strategy;
    expect(strategy).toMatchObject({ stable: { version: "v1-15-0" }, canary: null, weight: 0, retained: [{ version: "v1-14-2" }] });
    expect((await cli("history", "api", ...config())).stdout).toMatch(/ {2}v1-14-2 +retained/);
  });

  it("rollback goes back to the retained version, routing only; --dry-run writes nothing", async () => {
    const before = readFileSync(stackFile(), "utf8");
    const dry = await cli("release", "rollback", "api", ...config(), "--dry-run");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("default traffic v1-15-0 → v1-14-2");
    expect(dry.stdout).toContain("2 changed (0 replaced)");
    expect(readFileSync(stackFile(), "utf8")).toBe(before);
    const r = await cli("release", "rollback", "api", ...config(), "--to", "v1-14-2");
    expect(r.code).toBe(0);
    expect(parse(readFileSync(stackFile(), "utf8")).config["brume:overrides"].services.api.strategy.version).toBe("v1-14-2");
  });

  it("refusals are config errors, not stack traces", async () => {
    const r = await cli("release", "rollback", "api", ...config(), "--to", "v0");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('version "v0" is not retained');
    const w = await cli("release", "promote", "worker", ...config());
    expect(w.code).toBe(1);
    expect(w.stderr).toContain("a rolling service has nothing to promote");
    expect((await cli("release", "ship", "api", ...config())).code).toBe(2);
  });
});
