/**
 * The GitHub Actions workflows, parsed: triggers, least-privilege permissions, pinned actions,
 * no expression interpolated into a shell script, and the steps the review process relies on.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { githubVariables } from "../../src/cli/commands/bootstrap.js";
import { repoRoot } from "../harness.js";

interface Step { uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { permissions?: Record<string, string>; steps: Step[]; if?: string; environment?: string; needs?: string; strategy?: { matrix: Record<string, unknown> } }
interface Workflow { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, Job> }

const dir = join(repoRoot, ".github", "workflows");
const load = (file: string) => parse(readFileSync(join(dir, file), "utf8")) as Workflow;

describe("workflows", () => {
  const files = readdirSync(dir).filter((f) => f.endsWith(".yml"));

  it("are ci, pr and deploy", () => {
    expect(files.sort()).toEqual(["ci.yml", "deploy.yml", "pr.yml"]);
  });

  /** @action-validator/cli: the workflow schema GitHub applies (exit 0 valid, 1 with the errors). */
  const validate = (file: string) =>
    spawnSync(process.execPath, [join(repoRoot, "node_modules/@action-validator/cli/cli.mjs"), file], { encoding: "utf8" });

  it.each(files)("%s passes action-validator", (file) => {
    const result = validate(join(dir, file));
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("action-validator rejects a job without runs-on (the check is real)", () => {
    const tmp = mkdtempSync(join(tmpdir(), "brume-wf-"));
    const bad = join(tmp, "bad.yml");
    writeFileSync(bad, "name: bad\non: push\njobs:\n  build:\n    steps:\n      - run: echo hi\n");
    const result = validate(bad);
    rmSync(tmp, { recursive: true, force: true });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("/jobs/build/runs-on");
  });

  it.each(files)("%s: read-only by default, scoped writes per job, pinned actions, no ${{ }} in run", (file) => {
    const wf = load(file);
    expect(wf.permissions).toEqual({ contents: "read" });
    for (const [name, job] of Object.entries(wf.jobs)) {
      for (const [scope, level] of Object.entries(job.permissions ?? {})) {
        expect(["contents:read", "pull-requests:write", "id-token:write"], `${file} ${name}`).toContain(`${scope}:${level}`);
      }
      for (const step of job.steps) {
        if (step.uses) expect(step.uses, `${file} ${name}`).toMatch(/^[\w.-]+\/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/);
        if (step.run) expect(step.run, `${file} ${name}: pass expressions through env`).not.toContain("${{");
        if (step.uses?.startsWith("actions/checkout")) expect(step.with?.["persist-credentials"]).toBe(false);
      }
    }
  });

  it("ci: typecheck and tests on push and pull request", () => {
    const wf = load("ci.yml");
    expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push"]);
    expect(wf.jobs.test!.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "sudo bash .ci/install-tools.sh", "npm run typecheck", "npm test"]);
  });

  it("pr: tests (with the tools they need), then brume diff of prod and stage against the base branch, one sticky comment", () => {
    const wf = load("pr.yml");
    expect(wf.jobs.diff!.steps.map((s) => s.run).filter(Boolean).slice(0, 3)).toEqual(["npm ci", "sudo bash .ci/install-tools.sh", "npm test"]);
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    const diff = wf.jobs.diff!;
    expect(diff.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    expect(diff.steps.find((s) => s.uses?.startsWith("actions/checkout"))!.with!["fetch-depth"]).toBe(0);
    const run = diff.steps.find((s) => s.run?.includes(" diff "))!;
    // Every stack of the project: one --stack per Pulumi.<stack>.yaml (prod and stage here).
    expect(run.run).toContain('for file in Pulumi.*.yaml; do');
    expect(run.run).toContain('diff "${stacks[@]}" --base "origin/$BASE_REF" --format md');
    const script = join(mkdtempSync(join(tmpdir(), "brume-wf-run-")), "stacks.sh");
    writeFileSync(script, `${run.run!.replace(/npx tsx src\/cli\/main.ts diff/, 'printf "%s\\n"')}`);
    const listed = spawnSync("bash", ["-euo", "pipefail", script], { cwd: repoRoot, encoding: "utf8", env: { ...process.env, BASE_REF: "main" } });
    expect(listed.stdout.split("\n").filter(Boolean)).toEqual(["--stack", "prod", "--stack", "stage", "--base", "origin/main", "--format", "md", "--out", "brume-diff.md"]);
    expect(run.env).toEqual({ BASE_REF: "${{ github.base_ref }}" });
    const comment = diff.steps.find((s) => s.uses?.startsWith("actions/github-script"))!;
    expect(comment.if).toContain("head.repo.full_name == github.repository");
    expect(String(comment.with!.script)).toContain("updateComment");
    expect(String(comment.with!.script)).toContain("<!-- brume-diff -->");
    const preview = wf.jobs.preview!;
    expect(preview.if).toContain("vars.GCP_WORKLOAD_IDENTITY_PROVIDER");
    expect(preview.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(preview.steps.find((s) => s.uses?.startsWith("pulumi/actions"))!.with).toMatchObject({ command: "preview" });
  });

  /**
   * Per job: the identity it assumes (the service-account variable of its auth step), the GitHub
   * environment that gates it, and the state backend it uses (issue 17). The deploy accounts admit
   * only jobs of their GitHub environment and the preview accounts only pull_request runs, so a
   * mismatch here is a job that cannot authenticate, or one that should not.
   */
  it("each job's identity, gating environment and backend", () => {
    const table: Record<string, { identity?: string; environment?: string; backend?: string }> = {};
    for (const file of files) {
      for (const [name, job] of Object.entries(load(file).jobs)) {
        const auth = job.steps.find((s) => s.uses?.startsWith("google-github-actions/auth"));
        const pulumi = job.steps.find((s) => s.uses?.startsWith("pulumi/actions"));
        table[`${file} ${name}`] = {
          ...(auth ? { identity: String(auth.with!.service_account) } : {}),
          ...(job.environment ? { environment: job.environment } : {}),
          ...(pulumi ? { backend: String(pulumi.with!["cloud-url"]) } : {}),
        };
      }
    }
    expect(table).toEqual({
      "ci.yml test": {},
      "pr.yml diff": {},
      "pr.yml preview": { identity: "${{ vars.GCP_STAGE_PREVIEW_SERVICE_ACCOUNT }}", backend: "${{ vars.PULUMI_BACKEND_URL_STAGE }}" },
      "deploy.yml stage": { identity: "${{ vars.GCP_STAGE_DEPLOY_SERVICE_ACCOUNT }}", environment: "staging", backend: "${{ vars.PULUMI_BACKEND_URL_STAGE }}" },
      "deploy.yml prod": { identity: "${{ vars.GCP_PROD_DEPLOY_SERVICE_ACCOUNT }}", environment: "production", backend: "${{ vars.PULUMI_BACKEND_URL_PROD }}" },
    });
    // The variable names are the ones `brume bootstrap` prints.
    for (const env of ["prod", "stage"]) {
      const { deploy, preview } = githubVariables(env);
      expect(JSON.stringify(table)).toContain(deploy);
      if (env === "stage") expect(JSON.stringify(table)).toContain(preview);
    }
  });

  it.each(files)("%s: no pull_request_target; every job with an OIDC token authenticates first and installs gke-gcloud-auth-plugin before Pulumi", (file) => {
    const wf = load(file);
    expect(Object.keys(wf.on)).not.toContain("pull_request_target");
    for (const [name, job] of Object.entries(wf.jobs)) {
      if (job.permissions?.["id-token"] !== "write") continue;
      const uses = job.steps.map((s) => s.uses?.split("@")[0] ?? "");
      const at = (action: string) => uses.indexOf(action);
      expect(at("google-github-actions/auth"), `${file} ${name}`).toBeGreaterThan(-1);
      expect(at("google-github-actions/setup-gcloud"), `${file} ${name}`).toBeGreaterThan(at("google-github-actions/auth"));
      expect(job.steps.find((s) => s.uses?.startsWith("google-github-actions/setup-gcloud"))!.with).toEqual({ install_components: "gke-gcloud-auth-plugin" });
      expect(at("pulumi/actions"), `${file} ${name}`).toBeGreaterThan(at("google-github-actions/setup-gcloud"));
      expect(JSON.stringify(job), "no Pulumi Cloud token: the state is in Cloud Storage").not.toContain("PULUMI_ACCESS_TOKEN");
    }
  });

  it("deploy: stage first, prod after the production environment's approval", () => {
    const wf = load("deploy.yml");
    expect(wf.on).toEqual({ push: { branches: ["main"] } });
    expect(wf.jobs.prod!.needs).toBe("stage");
    expect(wf.jobs.prod!.environment).toBe("production");
    expect(wf.jobs.stage!.steps.at(-1)!.with).toMatchObject({ command: "up", "stack-name": "stage" });
    expect(wf.jobs.prod!.steps.at(-1)!.with).toMatchObject({ command: "up", "stack-name": "prod" });
  });
});
