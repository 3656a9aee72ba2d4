/**
 * Done-when of issue 15: the whole canary (api) and blue/green (web) flows of examples/bro-ai run
 * from the CLI alone (in-process `main`), on a copy of the example, without editing YAML. Each
 * step plans the stack before and after the edit (a step whose plan fails is undone), writes only
 * the release state's keys that move, keeps every other line, and prints the `--target`s.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { brume, examplePath } from "../harness.js";

let dir: string;
const stackFile = () => join(dir, "Pulumi.prod.yaml");
const state = () => parse(readFileSync(stackFile(), "utf8")).config["brume:release"].services;
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const apiImage = `us-docker.pkg.dev/bro-ai-shared/apps/api@${digest("a")}`;
const webImage = `us-docker.pkg.dev/bro-ai-shared/apps/web@${digest("b")}`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "brume-release-"));
  cpSync(examplePath("bro-ai"), dir, { recursive: true });
  // A comment and a flow list the release must keep byte for byte.
  writeFileSync(stackFile(), `${readFileSync(stackFile(), "utf8")}  # releases below are written by brume release\n  ops:tags: [ a, b ]\n`);
});

const config = () => ["--stack", "prod", "--config", join(dir, "brume.yaml")];
async function step(...args: string[]) {
  const r = await brume("release", ...args, ...config());
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return r.stdout;
}

describe("canary flow of api, CLI only", () => {
  it("start refuses a tag in production, with the fix", async () => {
    const r = await brume("release", "start", "api", "--image", "us-docker.pkg.dev/bro-ai-shared/apps/api:1.15.0", ...config());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("production runs images by digest, not tag: pass --image <repository>@sha256:<digest>");
  });

  it("start: v1-15-0 at weight 0, attached to the route; only the release state is written, everything else kept", async () => {
    const before = readFileSync(stackFile(), "utf8");
    const out = await step("start", "api", "--image", apiImage, "--version", "v1-15-0");
    expect(out).toContain("start api (stack prod): default traffic api-v1-14-2 100% → api-v1-14-2 100%");
    expect(out).toContain("9 resource(s) change: 7 added, 2 changed (0 replaced), 0 removed");
    expect(out).toContain("+ kubernetes:batch/v1:Job bro-ai-prod-svc-api-v1-15-0-pre-release");
    expect(out).toContain("pulumi up --stack prod --target-dependents");
    expect(out).toContain("--target 'urn:pulumi:prod::bro-ai::brume:project:Project$brume:service:Service$kubernetes:gateway.networking.k8s.io/v1:HTTPRoute::bro-ai-prod-svc-api-route'");
    const after = readFileSync(stackFile(), "utf8");
    expect(after.startsWith(before)).toBe(true);
    expect(after).toContain("  # releases below are written by brume release\n  ops:tags: [ a, b ]\n");
    expect(state().api).toEqual({ stable: { version: "v1-14-2", image: "us-docker.pkg.dev/bro-ai-shared/apps/api:1.14.2" }, canary: { version: "v1-15-0", image: apiImage }, weight: 0 });
  });

  it("weight 25 then 100: only `weight` moves; the canary is sized for its share", async () => {
    const w25 = await step("weight", "api", "25");
    expect(w25).toContain("→ api-v1-14-2 75%, api-v1-15-0 25%");
    expect(w25).toContain("brume:release.services.api (weight)");
    expect(w25).toMatch(/~ kubernetes:autoscaling\/v2:HorizontalPodAutoscaler bro-ai-prod-svc-api-v1-15-0-hpa/);
    const status = await step("status", "api");
    expect(status).toContain("route: api-v1-14-2 75%, api-v1-15-0 25%");
    expect(status).toMatch(/v1-15-0 {2}canary {2}25% {2}1-8 {2}-/);
    await step("weight", "api", "100");
    expect(state().api.weight).toBe(100);
  });

  it("promote, rollback (marks v1-15-0 bad), and a second rollback that changes nothing", async () => {
    expect(await step("promote", "api")).toContain("→ api-v1-15-0 100%");
    expect(state().api).toMatchObject({ stable: { version: "v1-15-0" }, weight: 0, retained: [{ version: "v1-14-2" }] });
    expect(state().api).not.toHaveProperty("canary");
    // brume plan says that brume.yaml's first release is now shadowed by the stack's release state.
    const plan = await brume("plan", ...config(), "--format", "json", "--out", join(dir, "plan.json"));
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain(
      `warning: services.api.strategy.stable in brume.yaml is {"version":"v1-14-2","image":"us-docker.pkg.dev/bro-ai-shared/apps/api:1.14.2"}, but stack prod runs {"version":"v1-15-0","image":"${apiImage}"} (Pulumi.prod.yaml brume:release): brume.yaml's release keys only seed the first release`,
    );
    const back = await step("rollback", "api");
    expect(back).toContain("default traffic api-v1-15-0 100% → api-v1-14-2 100%");
    expect(back).toMatch(/~ kubernetes:autoscaling\/v2:HorizontalPodAutoscaler bro-ai-prod-svc-api-v1-14-2-hpa/);
    expect(state().api).toMatchObject({ version: "v1-14-2", bad: ["v1-15-0"], rolledBackFrom: "v1-15-0" });
    const text = readFileSync(stackFile(), "utf8");
    const again = await step("rollback", "api");
    expect(again).toContain("nothing to do");
    expect(readFileSync(stackFile(), "utf8")).toBe(text);
    expect(await step("status", "api")).toContain("rollback: nothing (already rolled back from v1-15-0); name another version with --to");
  });

  it("a new start settles the rollback; abort marks the canary bad; promote is then refused with the reason", async () => {
    await step("start", "api", "--image", apiImage.replace(digest("a"), digest("c")), "--version", "v1-16-0", "--weight", "10");
    expect(state().api).toMatchObject({ stable: { version: "v1-14-2" }, canary: { version: "v1-16-0" }, weight: 10 });
    expect(state().api).not.toHaveProperty("version");
    await step("abort", "api");
    expect(state().api).toMatchObject({ weight: 0, bad: ["v1-15-0", "v1-16-0"] });
    const r = await brume("release", "promote", "api", ...config());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('services.api.strategy: the canary "v1-16-0" is marked bad (aborted); start a new version');
  });
});

describe("blue/green flow of web, CLI only", () => {
  it("start fills green, promote switches (blue retained), rollback goes back, twice is a no-op; abort has nothing in flight", async () => {
    await step("start", "web", "--image", webImage, "--version", "v3-3-0");
    expect(state().web).toMatchObject({ active: "blue", green: { version: "v3-3-0", image: webImage } });
    const promoted = await step("promote", "web");
    expect(promoted).toContain("default traffic web-v3-2-0 100% → web-v3-3-0 100%");
    expect(promoted).toContain("(0 replaced)");
    expect(state().web).toMatchObject({ active: "green", retained: [{ version: "v3-2-0" }] });
    expect(state().web).not.toHaveProperty("blue");
    expect(await step("rollback", "web")).toContain("→ web-v3-2-0 100%");
    expect(state().web).toMatchObject({ active: "blue", blue: { version: "v3-2-0" }, bad: ["v3-3-0"] });
    expect(await step("rollback", "web")).toContain("nothing to do");
    const r = await brume("release", "abort", "web", ...config());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no preview is in flight");
  });
});

describe("git precondition (k8s-review 21)", () => {
  it("refuses a step when the stack file differs from the default branch; --break-glass steps anyway", async () => {
    const git = (...a: string[]) => execFileSync("git", ["-C", dir, ...a], { stdio: "ignore", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" } });
    git("init", "-q", "-b", "main");
    git("add", "-A");
    git("commit", "-q", "-m", "base");
    writeFileSync(stackFile(), `${readFileSync(stackFile(), "utf8")}  # an edit not merged yet\n`);
    const r = await brume("release", "weight", "api", "5", ...config());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Pulumi.prod.yaml differs from main: the next deploy from main would revert this step");
    const refused = await brume("release", "start", "api", "--image", apiImage.replace(digest("a"), digest("d")), "--version", "v1-17-0", ...config());
    expect(refused.code).toBe(1);
    const forced = await brume("release", "start", "api", "--image", apiImage.replace(digest("a"), digest("d")), "--version", "v1-17-0", "--break-glass", ...config());
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
  });
});
