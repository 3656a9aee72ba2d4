/**
 * `brume diff` and `brume cost` through the CLI: a git base in a throwaway repository (config
 * files at a ref, planned with the current code), a plan JSON base, usage errors.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { brume, repoRoot } from "../harness.js";

const cli = brume;

describe("brume diff with a git base", () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), "brume-git-"));
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: repo, stdio: "pipe" });
    git("init", "-q", "-b", "main");
    cpSync(join(repoRoot, "Pulumi.yaml"), join(repo, "infra", "Pulumi.yaml"), { recursive: true });
    for (const f of ["brume.yaml", "Pulumi.prod.yaml"]) cpSync(join(repoRoot, f), join(repo, "infra", f));
    git("add", ".");
    git("commit", "-q", "-m", "base");
    // The change under review: a bigger cache (in place) and a new stage stack.
    const text = readFileSync(join(repo, "infra", "brume.yaml"), "utf8").replace("sessions: {}", "sessions: { memoryGb: 10 }");
    writeFileSync(join(repo, "infra", "brume.yaml"), text);
    cpSync(join(repoRoot, "Pulumi.stage.yaml"), join(repo, "infra", "Pulumi.stage.yaml"));
  });

  it("plans the config at the ref with the current code and renders Markdown", async () => {
    const { code, stdout, stderr } = await cli("diff", "--stack", "prod", "--stack", "stage", "--base", "HEAD", "--format", "md", "--config", join(repo, "infra", "brume.yaml"));
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toContain("Compared with `HEAD`.");
    expect(stdout).toMatch(/\| \*\*prod\*\* \| \+0 \| ~1 \| ±0 \| -0 \| \$[\d,.]+ \| \+\$\d+/);
    expect(stdout).toContain("<code>memorySizeGb</code> | <code>5</code> | <code>10</code>");
    // Pulumi.stage.yaml does not exist at the base: the base is planned with defaults, as `brume
    // plan` plans it, so only the stage overrides show, not +everything (newcomer 10, sem-10).
    expect(stdout).toMatch(/\| \*\*stage\*\* \| \+0 \| ~[1-9]\d? \| ±0 \| -0 \|/);
    expect(stdout).toContain("protected · `Instance` **shop-prod-cache-sessions-instance**");
    expect(await cli("diff", "--stack", "prod", "--base", "HEAD", "--config", join(repo, "infra", "brume.yaml"), "--fail-on-danger").then((r) => r.code)).toBe(3);
  }, 30_000);

  it("takes a saved plan JSON as the base and fails cleanly on a bad ref or file", async () => {
    const planFile = join(repo, "prod.json");
    expect((await cli("plan", "--stack", "prod", "--config", join(repo, "infra", "brume.yaml"), "--format", "json", "--out", planFile)).code).toBe(0);
    const same = await cli("diff", "--stack", "prod", "--base", planFile, "--format", "json", "--config", join(repo, "infra", "brume.yaml"));
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout).environments[0].diff.counts).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
    const wrongStack = await cli("diff", "--stack", "stage", "--base", planFile, "--config", join(repo, "infra", "brume.yaml"));
    expect(wrongStack).toMatchObject({ code: 1, stderr: expect.stringContaining('is a plan of stack "prod", not "stage"') });
    const badRef = await cli("diff", "--stack", "prod", "--base", "no-such-branch", "--config", join(repo, "infra", "brume.yaml"));
    expect(badRef).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown git ref "no-such-branch"') });
    writeFileSync(join(repo, "junk.json"), "{}");
    const junk = await cli("diff", "--stack", "prod", "--base", join(repo, "junk.json"), "--config", join(repo, "infra", "brume.yaml"));
    expect(junk).toMatchObject({ code: 1, stderr: expect.stringContaining("is not a brume plan JSON") });
    expect((await cli("diff", "--format", "html")).code).toBe(2);
    expect((await cli("cost", "--assume", "nope=1")).code).toBe(2);
  }, 30_000);

  it("brume cost prints the estimate", async () => {
    const { code, stdout } = await cli("cost", "--stack", "prod", "--config", join(repo, "infra", "brume.yaml"), "--format", "json", "--assume", "bucketGiB=1000");
    expect(code).toBe(0);
    const e = JSON.parse(stdout);
    expect(e.assumptions.bucketGiB).toBe(1000);
    expect(e.lines.find((l: { name: string }) => l.name === "shop-prod-bucket-uploads-bucket").monthlyUsd).toBe(26);
  }, 30_000);

  it("brume cost takes its assumptions from the config, the stack's overrides, then --assume", async () => {
    const dir = mkdtempSync(join(tmpdir(), "brume-cost-"));
    cpSync(join(repoRoot, "Pulumi.yaml"), join(dir, "Pulumi.yaml"));
    writeFileSync(join(dir, "brume.yaml"), `${readFileSync(join(repoRoot, "brume.yaml"), "utf8")}\ncost:\n  assumptions: { bucketGiB: 200, natGiB: 0 }\n`);
    writeFileSync(join(dir, "Pulumi.prod.yaml"), `${readFileSync(join(repoRoot, "Pulumi.prod.yaml"), "utf8")}  brume:overrides:\n    cost: { assumptions: { natGiB: 10 } }\n`);
    const estimate = async (...extra: string[]) => {
      const { code, stdout, stderr } = await cli("cost", "--stack", "prod", "--config", join(dir, "brume.yaml"), "--format", "json", ...extra);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      return JSON.parse(stdout) as { assumptions: Record<string, number>; lines: { name: string; monthlyUsd: number }[] };
    };
    const fromConfig = await estimate();
    // bucketGiB from brume.yaml, natGiB from Pulumi.prod.yaml's overrides, the rest schema defaults.
    expect(fromConfig.assumptions).toEqual({ bucketGiB: 200, registryGiB: 20, natGiB: 10, lbGiB: 100, pubsubGiB: 10, logsGiB: 100, scannedImages: 60, networkLogsGiB: 20 });
    const uploads = (e: typeof fromConfig) => e.lines.find((l) => l.name === "shop-prod-bucket-uploads-bucket")!.monthlyUsd;
    expect(uploads(fromConfig)).toBe(5.2); // 200 GiB × $0.026 (multi-region STANDARD)
    const overridden = await estimate("--assume", "bucketGiB=1000");
    expect(overridden.assumptions.bucketGiB).toBe(1000);
    expect(overridden.assumptions.natGiB).toBe(10);
    expect(uploads(overridden)).toBe(26);
  }, 30_000);
});
