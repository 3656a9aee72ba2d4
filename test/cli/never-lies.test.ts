/**
 * A CLI that never lies (issue 13 item 4): the newcomer's cases (shared/reviews/newcomer.md 5–8,
 * 17), each through the real CLI in process (test/harness.ts `brume`) on throwaway project
 * directories. Exit codes: 0 ok, 1 invalid input, 2 usage.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageVersion } from "../../src/cli/main.js";
import { brume as cli, planProgram, repoRoot } from "../harness.js";

const root = mkdtempSync(join(tmpdir(), "brume-never-lies-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A project directory: the root example's brume.yaml and Pulumi.yaml, and the given stack files. */
function project(files: Record<string, string>, { pulumiYaml = true } = {}): string {
  const dir = join(root, `p${n++}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(repoRoot, "brume.yaml"), join(dir, "brume.yaml"));
  if (pulumiYaml) writeFileSync(join(dir, "Pulumi.yaml"), "name: shop\nruntime: nodejs\n");
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const stage = "config:\n  brume:environment: stage\n";

describe("mistakes in Pulumi.<env>.yaml are errors, not a silently wrong plan (newcomer 6)", () => {
  it("ovr-10: brume:overides is an unknown brume key with a did-you-mean, exit 1", async () => {
    const dir = project({ "Pulumi.stage.yaml": `${stage}  brume:overides:\n    services: { api: { scaling: { min: 1 } } }\n` });
    const r = await cli("plan", "--stack", "stage", "--project-dir", dir, "--config", join(dir, "brume.yaml"));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `${join(dir, "Pulumi.stage.yaml")}: invalid brume config (1 problem):\n` +
        `  - config["brume:overides"] (line 3): unknown brume stack key "brume:overides" (did you mean "brume:overrides"?); brume reads brume:environment, brume:configFile, brume:overrides, brume:release, brume:secrets, brume:secretVersions\n`,
    );
  });

  it("ovr-09: environment / overrides without the brume: namespace are named as the project's keys", async () => {
    const dir = project({ "Pulumi.stage.yaml": "config:\n  environment: stage\n  overrides: {}\n" });
    const r = await cli("validate", "--stack", "stage", "--project-dir", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`  - config["environment"] (line 2): "environment" without a namespace is the project's key "shop:environment", which brume never reads; write it as "brume:environment"`);
    expect(r.stderr).toContain(`  - config["overrides"] (line 3): "overrides" without a namespace`);
  });

  it("ovr-11: a forgotten config: root is explained", async () => {
    const dir = project({ "Pulumi.stage.yaml": "brume:environment: stage\nbrume:overrides: {}\n" });
    const r = await cli("plan", "--stack", "stage", "--project-dir", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`  - brume:environment (line 1): "brume:environment" is at the top level, where Pulumi ignores it (missing "config:" root?)`);
    expect(r.stderr).toContain(`  - brume:overrides (line 2): "brume:overrides" is at the top level`);
  });

  it("other namespaces, secure: values and Pulumi's own top-level keys stay allowed", async () => {
    const dir = project({
      "Pulumi.stage.yaml":
        "secretsprovider: gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k\nencryptedkey: abc\nenvironment: [shop/stage]\n" +
        `${stage}  gcp:project: shop-stage-7781\n  shop:anything: 1\n  other:key: { secure: AAABAJ== }\n`,
    });
    const r = await cli("validate", "--stack", "stage", "--project-dir", dir);
    expect(r).toEqual({ code: 0, stdout: `${join(dir, "brume.yaml")} with ${join(dir, "Pulumi.stage.yaml")}: valid for stack stage (environment stage, 3 services)\n`, stderr: "" });
  });

  it("ovr-14 / ovr-16: brume:configFile is honoured by plan, validate and diff (relative to the project directory)", async () => {
    const dir = project({ "Pulumi.prod.yaml": "config:\n  brume:configFile: infra/brume.yaml\n" });
    mkdirSync(join(dir, "infra"));
    writeFileSync(join(dir, "infra", "brume.yaml"), readFileSync(join(repoRoot, "examples", "minimal", "brume.yaml"), "utf8"));
    const plan = await cli("plan", "--stack", "prod", "--project-dir", dir, "--format", "json", "--no-policy");
    expect(plan.code).toBe(0);
    const parsed = JSON.parse(plan.stdout) as { resources: { type: string; name: string }[] };
    // The project component is the minimal example's (hello), not the root brume.yaml's (shop).
    expect(parsed.resources.find((r) => r.type === "brume:project:Project")?.name).toBe("hello");
    const validate = await cli("validate", "--stack", "prod", "--project-dir", dir);
    expect(validate.stdout).toContain(`${join(dir, "infra", "brume.yaml")} with ${join(dir, "Pulumi.prod.yaml")}: valid for stack prod`);
    const missing = project({ "Pulumi.prod.yaml": "config:\n  brume:configFile: nope/brume.yaml\n" });
    const r = await cli("plan", "--stack", "prod", "--project-dir", missing);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`brume:configFile: config file not found: ${join(missing, "nope", "brume.yaml")}`);
  }, 60_000);

  it("the program `pulumi up` runs (src/program/index.ts) refuses the same keys", async () => {
    const { default: program } = await import("../../src/program/index.js");
    const config = { "brume:configFile": join(repoRoot, "brume.yaml"), "brume:environment": "stage", "brume:overides": { services: {} } };
    await expect(planProgram(() => program(), { project: "shop", stack: "stage", config })).rejects.toThrow(
      /config\["brume:overides"\]: unknown brume stack key "brume:overides" \(did you mean "brume:overrides"\?\)/,
    );
  }, 30_000);

  it("file-07: --project-dir must exist", async () => {
    const r = await cli("plan", "--stack", "prod", "--project-dir", "/nonexistent/dir", "--config", join(repoRoot, "brume.yaml"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^invalid brume config \(1 problem\):\n  - --project-dir: \/nonexistent\/dir is not a directory; pass the directory that holds Pulumi.yaml and Pulumi.prod.yaml/);
  });
});

describe("no stack trace for bad input (newcomer 7)", () => {
  it("an unclosed flow map in Pulumi.prod.yaml names the file, line and column", async () => {
    const dir = project({ "Pulumi.prod.yaml": "config:\n  brume:overrides:\n    services:\n      api: { scaling: { min: 1 }\n" });
    for (const command of [["plan"], ["diff", "--base", "HEAD"], ["history", "api"], ["release", "promote", "api"]]) {
      const r = await cli(...command, "--stack", "prod", "--project-dir", dir);
      expect(r.code, command.join(" ")).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^${join(dir, "Pulumi.prod.yaml").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: invalid brume config \\(1 problem\\):\\n  - \\(line \\d+, column \\d+\\): YAML syntax error: `));
      expect(r.stderr).not.toContain("    at ");
    }
  });

  it("ovr-13: a broken Pulumi.yaml names its file and line", async () => {
    const dir = project({ "Pulumi.yaml": "name: [shop\n" });
    const r = await cli("plan", "--stack", "prod", "--project-dir", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Pulumi\.yaml: invalid brume config \(1 problem\):\n {2}- \(line \d+, column \d+\): YAML syntax error/);
  });

  it("file-09: --out into a missing directory is one line, before planning", async () => {
    const r = await cli("plan", "--stack", "prod", "--config", join(repoRoot, "brume.yaml"), "--out", "/nonexistent/dir/plan.txt");
    expect(r).toEqual({ code: 1, stdout: "", stderr: "brume: --out /nonexistent/dir/plan.txt: directory /nonexistent/dir does not exist; create it first (mkdir -p /nonexistent/dir)\n" });
  });
});

describe("the project name decides every URN (newcomer 5)", () => {
  it("a missing Pulumi.yaml is a warning naming the fix", async () => {
    const dir = project({}, { pulumiYaml: false });
    const r = await cli("plan", "--stack", "prod", "--project-dir", dir, "--format", "json", "--out", join(dir, "plan.json"), "--no-policy");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: no Pulumi.yaml in ${dir}: planned as Pulumi project "brume"; the project name is part of every URN`);
    expect(JSON.parse(readFileSync(join(dir, "plan.json"), "utf8")).project).toBe("brume");
  }, 30_000);
});

describe("a stale override names itself (newcomer 8)", () => {
  const renamed = () => {
    const dir = project({ "Pulumi.stage.yaml": `${stage}  brume:overrides:\n    services:\n      worker: { scaling: { max: 2 } }\n` });
    writeFileSync(join(dir, "brume.yaml"), readFileSync(join(dir, "brume.yaml"), "utf8").replace("  worker:\n", "  ledger-worker:\n").replace("dependsOn: [worker]", "dependsOn: [ledger-worker]"));
    return dir;
  };

  it("validate --stack applies the stack's overrides and names the undeclared service", async () => {
    const dir = renamed();
    expect((await cli("validate", "--config", join(dir, "brume.yaml"))).code).toBe(0);
    const r = await cli("validate", "--stack", "stage", "--project-dir", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `${join(dir, "Pulumi.stage.yaml")}: invalid brume config (1 problem):\n` +
        `  - brume:overrides.services.worker: ${join(dir, "Pulumi.stage.yaml")} overrides undeclared service "worker" (did you mean "ledger-worker"?); declared: web, api, ledger-worker. Rename or remove the override, or make it a complete entry\n`,
    );
    // plan says the same, not "missing image".
    const plan = await cli("plan", "--stack", "stage", "--project-dir", dir);
    expect(plan.stderr).toContain('overrides undeclared service "worker"');
    expect(plan.stderr).not.toContain("missing image");
  });
});

describe("CLI ergonomics (newcomer 17)", () => {
  it("per-command --help and brume help <command> print that command's options, exit 0", async () => {
    const r = await cli("plan", "--help");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Plan a stack offline[^\n]*\n\nbrume plan \[--stack <env>\]/);
    expect(r.stdout).not.toContain("brume diff");
    expect((await cli("help", "diff")).stdout).toContain("Exit codes: 0 reviewed");
    expect((await cli("help", "dif")).stderr).toBe('brume: unknown command "dif" (did you mean "diff"?)\nRun "brume help" for the commands.\n');
  });

  it("--version prints the package version", async () => {
    const version = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version as string;
    expect(packageVersion()).toBe(version);
    expect(await cli("--version")).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("an unknown option is one line with a did-you-mean, not the help of every command", async () => {
    const r = await cli("plan", "--stak", "prod");
    expect(r).toEqual({ code: 2, stdout: "", stderr: 'brume plan: unknown option --stak (did you mean --stack?)\nRun "brume plan --help" for its options.\n' });
  });

  it("an unknown command and a typo'd release step get a did-you-mean", async () => {
    expect((await cli("plna")).stderr).toBe('brume: unknown command "plna" (did you mean "plan"?)\nRun "brume help" for the commands.\n');
    const r = await cli("release", "promte", "api", "--stack", "prod");
    expect(r).toEqual({ code: 2, stdout: "", stderr: 'brume release: unknown release step "promte" (did you mean "promote"?); steps: start | weight | promote | abort | rollback | status | run\nRun "brume release --help" for its options.\n' });
  });

  it("schema --out writes its file", async () => {
    const out = join(root, "schema.json");
    const r = await cli("schema", "--out", out);
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(repoRoot, "schema", "brume.schema.json"), "utf8"));
  });

  it("contradictory flags are refused", async () => {
    const r = await cli("plan", "--policy", "--no-policy");
    expect(r).toEqual({ code: 2, stdout: "", stderr: 'brume plan: --policy and --no-policy contradict each other; pass one of them\nRun "brume plan --help" for its options.\n' });
    expect((await cli("plan", "--quota", "--no-quota")).code).toBe(2);
  });

  it("--stack naming no environment says --stack, not brume:environment", async () => {
    const dir = project({});
    const r = await cli("plan", "--stack", "qa", "--project-dir", dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('  - --stack qa: unknown environment "qa"; declared environments: prod, stage');
    expect(existsSync(join(dir, "Pulumi.qa.yaml"))).toBe(false);
  });
});

describe("a rollback never moves traffic forward (newcomer 17)", () => {
  // examples/machines with its web group blue/green, r1 live on blue; `start` puts r2 on green.
  // As Argo Rollouts' `undo --to-revision` returns to a revision that ran before, a rollback returns
  // to a release that served: the standby `start` filled has not, so moving to it is `promote`.
  const site = `europe-west1-docker.pkg.dev/tiles-prod-7310/apps/site@sha256:${"1".repeat(64)}`;
  const dir = join(root, "machines");
  const stackFile = join(dir, "Pulumi.prod.yaml");
  const run = (...args: string[]) => cli("release", ...args, "--stack", "prod", "--config", join(dir, "brume.yaml"));

  it("rollback --to the standby that has not served is refused with the step that does it; after promote, rollback goes back", async () => {
    cpSync(join(repoRoot, "examples", "machines"), dir, { recursive: true });
    writeFileSync(stackFile, `${readFileSync(stackFile, "utf8")}  brume:overrides:\n    machines:\n      web:\n        strategy: { type: blueGreen, active: blue, blue: { version: r1 } }\n`);
    expect((await run("start", "--machines", "web", "--version", "r2", "--image", `site=${site}`)).code).toBe(0);
    const started = readFileSync(stackFile, "utf8");
    const refusal =
      'release "r2" on the green group has not served yet (started, not promoted): a rollback returns to a release that served before, and the group keeps none besides the live r1 (blue); `brume release promote` moves traffic forward to r2';
    for (const args of [["--to", "r2"], []]) {
      const r = await run("rollback", "--machines", "web", ...args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(refusal);
      expect(readFileSync(stackFile, "utf8")).toBe(started);
    }
    const status = await run("status", "--machines", "web");
    expect(status.stdout).toContain("rollback: nothing (r2 on the green group has not served yet; promote moves traffic forward to it)");
    // promote moves forward; then r1 has served and r2 too: rollback returns to r1, --to r2 goes back to it.
    expect((await run("promote", "--machines", "web")).stdout).toContain("traffic r1 (blue) → r2 (green)");
    expect((await run("rollback", "--machines", "web")).stdout).toContain("traffic r2 (green) → r1 (blue)");
    expect((await run("rollback", "--machines", "web", "--to", "r2")).stdout).toContain("traffic r1 (blue) → r2 (green)");
  }, 60_000);
});
