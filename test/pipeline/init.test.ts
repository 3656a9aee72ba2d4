/**
 * `brume init` in a product repository (issue 17 item 5): it writes the workflows, brume.yaml,
 * Pulumi.yaml and stack files; every workflow passes action-validator; then the workflows' `run:`
 * steps run there, in a temporary git repository, as GitHub Actions would run them (bash -e, the
 * step's env), with the installed package behind `npx brume` and stand-ins on PATH:
 * - `npm` records its arguments (`npm ci` cannot install here; node_modules is laid out already);
 * - `pulumi` records its arguments and PULUMI_BACKEND_URL, and answers `preview --expect-no-changes`
 *   with exit 1 and a diff when STANDIN_DRIFT names the stack (as the real one does on drift);
 * - `gh` records its arguments and answers `issue list … --jq` with STANDIN_OPEN_ISSUE (the number
 *   of an open drift issue, or nothing), as `gh` prints the jq result;
 * - `gcloud` records its arguments (no run step calls it: auth and the plugin are actions).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../../src/cli/main.js";
import { repoRoot } from "../harness.js";

interface Step { run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, unknown> }
interface Job { steps: Step[]; environment?: string; permissions?: Record<string, string> }

let dir: string;
let bin: string;
const log = () => join(dir, ".standin.log");

function standIn(name: string, body: string) {
  const path = join(bin, name);
  writeFileSync(path, `#!/usr/bin/env bash\necho "${name} $*" >> "$STANDIN_LOG"\n${body}\n`);
  chmodSync(path, 0o755);
}

/** Runs one `run:` step like GitHub Actions: bash -e, the step's env with expressions replaced by `values`. */
function runStep(step: Step, values: Record<string, string> = {}, extraEnv: Record<string, string> = {}) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(step.env ?? {})) env[k] = v.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => values[expr] ?? "");
  return spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
    cwd: dir,
    encoding: "utf8",
    env: { PATH: `${bin}:${join(dir, "node_modules/.bin")}:${process.env.PATH}`, HOME: dir, STANDIN_LOG: log(), GITHUB_STEP_SUMMARY: join(dir, ".summary"), ...env, ...extraEnv },
  });
}

const workflow = (file: string) => parse(readFileSync(join(dir, ".github/workflows", file), "utf8")) as { on: Record<string, unknown>; jobs: Record<string, Job> };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "brume-init-"));
  bin = join(dir, ".bin");
  mkdirSync(bin);
  const git = (...args: string[]) => spawnSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
  git("init", "-q", "-b", "main");
  const out: string[] = [];
  const code = await runCli(
    ["init", "--dir", dir, "--name", "shop", "--repository", "acme/shop", "--repository-id", "812345678", "--owner-id", "1234567", "--pool-project-number", "193746405319", "--prod-project", "shop-prod-4821", "--stage-project", "shop-stage-4821"],
    { stdout: (t) => out.push(t), stderr: (t) => out.push(t) },
  );
  expect(code, out.join("")).toBe(0);
  // The installed package: node_modules/@brume/infra and its `brume` bin (what `npm ci` lays out).
  mkdirSync(join(dir, "node_modules/@brume"), { recursive: true });
  mkdirSync(join(dir, "node_modules/.bin"), { recursive: true });
  symlinkSync(repoRoot, join(dir, "node_modules/@brume/infra"));
  writeFileSync(join(dir, "node_modules/.bin/brume"), `#!/usr/bin/env bash\nexec node ${join(repoRoot, "node_modules/tsx/dist/cli.mjs")} ${join(repoRoot, "src/cli/main.ts")} "$@"\n`);
  chmodSync(join(dir, "node_modules/.bin/brume"), 0o755);
  writeFileSync(join(dir, ".gitignore"), "node_modules/\n.bin/\n.standin.log\n.summary\nbrume-diff.md\ndrift.txt\n");
  git("add", "-A");
  git("commit", "-qm", "brume init");
  git("update-ref", "refs/remotes/origin/main", "HEAD");
  standIn("npm", "exit 0");
  standIn("gcloud", "exit 0");
  standIn(
    "pulumi",
    `echo "  PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL" >> "$STANDIN_LOG"
if [[ " $* " == *" --expect-no-changes "* && -n "\${STANDIN_DRIFT:-}" && " $* " == *" --stack $STANDIN_DRIFT "* ]]; then
  echo "~ gcp:storage/bucket:Bucket shop-$STANDIN_DRIFT-logs update [diff: ~labels]"; echo "error: no changes were expected but changes were proposed"; exit 1
fi
exit 0`,
  );
  standIn("gh", `if [ "$1 $2" = "issue list" ]; then echo "\${STANDIN_OPEN_ISSUE:-}"; fi\nexit 0`);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("brume init writes a product repository", () => {
  it("the files, and a config that validates", () => {
    const listed = spawnSync("git", ["ls-files"], { cwd: dir, encoding: "utf8" }).stdout.split("\n").filter(Boolean).sort();
    expect(listed).toEqual([
      ".github/workflows/deploy.yml",
      ".github/workflows/drift.yml",
      ".github/workflows/pr.yml",
      ".github/workflows/release.yml",
      ".gitignore",
      "Pulumi.prod.yaml",
      "Pulumi.stage.yaml",
      "Pulumi.yaml",
      "brume.yaml",
    ]);
    expect(parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8")).main).toBe("node_modules/@brume/infra/dist/src/program/main.js");
  });

  it("refuses to overwrite without --force", async () => {
    const err: string[] = [];
    const code = await runCli(["init", "--dir", dir, "--name", "shop", "--repository", "acme/shop", "--prod-project", "shop-prod-4821", "--stage-project", "shop-stage-4821"], {
      stdout: () => undefined,
      stderr: (t) => err.push(t),
    });
    expect(code).toBe(1);
    expect(err.join("")).toContain("pass --force to overwrite");
  });

  it.each(["pr.yml", "deploy.yml", "release.yml", "drift.yml"])("%s passes action-validator and matches its snapshot", (file) => {
    const path = join(dir, ".github/workflows", file);
    const result = spawnSync(process.execPath, [join(repoRoot, "node_modules/@action-validator/cli/cli.mjs"), path], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readFileSync(path, "utf8")).toMatchSnapshot();
    for (const job of Object.values(workflow(file).jobs)) for (const s of job.steps) if (s.run) expect(s.run).not.toContain("${{");
  });

  it("each job: the identity it assumes, the environment that gates it, the backend it uses", () => {
    const table: Record<string, string> = {};
    for (const file of ["pr.yml", "deploy.yml", "release.yml", "drift.yml"]) {
      for (const [name, job] of Object.entries(workflow(file).jobs)) {
        const auth = job.steps.find((s) => s.uses?.startsWith("google-github-actions/auth"));
        const backend = job.steps.find((s) => s.env?.PULUMI_BACKEND_URL)?.env?.PULUMI_BACKEND_URL;
        table[`${file} ${name}`] = [auth ? String(auth.with!.service_account) : "no identity", job.environment ?? "no environment", backend ?? "offline"].join(" | ");
      }
    }
    expect(table).toEqual({
      "pr.yml diff": "no identity | no environment | offline",
      "pr.yml preview-stage": "${{ vars.GCP_STAGE_PREVIEW_SERVICE_ACCOUNT }} | no environment | ${{ vars.PULUMI_BACKEND_URL_STAGE }}",
      "deploy.yml stage": "${{ vars.GCP_STAGE_DEPLOY_SERVICE_ACCOUNT }} | staging | ${{ vars.PULUMI_BACKEND_URL_STAGE }}",
      "deploy.yml prod": "${{ vars.GCP_PROD_DEPLOY_SERVICE_ACCOUNT }} | production | ${{ vars.PULUMI_BACKEND_URL_PROD }}",
      "release.yml release-stage": "${{ vars.GCP_STAGE_DEPLOY_SERVICE_ACCOUNT }} | staging | ${{ vars.PULUMI_BACKEND_URL_STAGE }}",
      "release.yml release-prod": "${{ vars.GCP_PROD_DEPLOY_SERVICE_ACCOUNT }} | production | ${{ vars.PULUMI_BACKEND_URL_PROD }}",
      "drift.yml drift-stage": "${{ vars.GCP_STAGE_DEPLOY_SERVICE_ACCOUNT }} | staging | ${{ vars.PULUMI_BACKEND_URL_STAGE }}",
      "drift.yml drift-prod": "${{ vars.GCP_PROD_DEPLOY_SERVICE_ACCOUNT }} | production | ${{ vars.PULUMI_BACKEND_URL_PROD }}",
    });
    expect(Object.keys(workflow("pr.yml").on)).toEqual(["pull_request"]);
  });
});

describe("the workflows' run steps, in the product repository", () => {
  it("pr.yml: npm ci, then the installed brume diffs both stacks against origin/main (offline) and writes the comment body; the stage preview runs pulumi against its bucket", () => {
    writeFileSync(log(), "");
    const pr = workflow("pr.yml");
    for (const step of pr.jobs.diff!.steps.filter((s) => s.run)) {
      const r = runStep(step, { "github.base_ref": "main" });
      expect(r.status, `${step.run}\n${r.stdout}\n${r.stderr}`).toBe(0);
    }
    const diff = readFileSync(join(dir, "brume-diff.md"), "utf8");
    expect(diff).toContain("prod");
    expect(diff).toContain("stage");
    expect(readFileSync(join(dir, ".summary"), "utf8")).toBe(diff);
    const preview = pr.jobs["preview-stage"]!.steps.find((s) => s.run && s.env?.PULUMI_BACKEND_URL)!;
    expect(runStep(preview, { "vars.PULUMI_BACKEND_URL_STAGE": "gs://shop-stage-pulumi-state" }).status).toBe(0);
    expect(readFileSync(log(), "utf8")).toBe("npm ci\npulumi preview --stack stage --diff\n  PULUMI_BACKEND_URL=gs://shop-stage-pulumi-state\n");
  }, 120_000);

  it("deploy.yml: pulumi up of stage, then prod, each against its own bucket", () => {
    writeFileSync(log(), "");
    const deploy = workflow("deploy.yml");
    expect(Object.keys(deploy.jobs)).toEqual(["stage", "prod"]);
    for (const [stack, job] of Object.entries(deploy.jobs)) {
      for (const step of job.steps.filter((s) => s.run)) {
        expect(runStep(step, { [`vars.PULUMI_BACKEND_URL_${stack.toUpperCase()}`]: `gs://shop-${stack}-pulumi-state` }).status).toBe(0);
      }
    }
    expect(readFileSync(log(), "utf8")).toBe(
      "npm ci\npulumi up --stack stage --yes\n  PULUMI_BACKEND_URL=gs://shop-stage-pulumi-state\nnpm ci\npulumi up --stack prod --yes\n  PULUMI_BACKEND_URL=gs://shop-prod-pulumi-state\n",
    );
  });

  it("drift.yml: no drift, no issue; a drifted stack opens one issue, then comments on it when it is still open", () => {
    const step = workflow("drift.yml").jobs["drift-prod"]!.steps.find((s) => s.run && s.env?.STACK)!;
    writeFileSync(log(), "");
    expect(runStep(step, {}, {}).status).toBe(0);
    expect(readFileSync(log(), "utf8")).toBe("pulumi preview --stack prod --refresh --expect-no-changes --diff\n  PULUMI_BACKEND_URL=\n");

    writeFileSync(log(), "");
    expect(runStep(step, {}, { STANDIN_DRIFT: "prod" }).status).toBe(1);
    const opened = readFileSync(log(), "utf8").split("\n");
    expect(opened[2]).toBe("gh issue list --state open --label drift --search in:title Drift: stack prod differs from its state --json number --jq .[0].number // empty");
    expect(opened[3]).toMatch(/^gh issue create --title Drift: stack prod differs from its state --label drift --body pulumi preview --refresh found changes in prod:/);

    writeFileSync(log(), "");
    expect(runStep(step, {}, { STANDIN_DRIFT: "prod", STANDIN_OPEN_ISSUE: "12" }).status).toBe(1);
    const updated = readFileSync(log(), "utf8").split("\n");
    expect(updated[3]).toMatch(/^gh issue comment 12 --body pulumi preview --refresh found changes in prod:/);
    expect(updated.filter((l) => l.startsWith("gh issue create"))).toEqual([]);
  });

  it("release.yml: refuses an unknown step or a service name that is no DNS label, before touching anything", () => {
    const step = workflow("release.yml").jobs["release-prod"]!.steps.find((s) => s.run && s.env?.STACK)!;
    writeFileSync(log(), "");
    const bad = runStep(step, { "inputs.step": "rm", "inputs.service": "web" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown step rm");
    const injected = runStep(step, { "inputs.step": "abort", "inputs.service": "web;curl" });
    expect(injected.status).toBe(2);
    expect(readFileSync(log(), "utf8")).toBe("");
  });
});
