/**
 * `brume init` in a product repository (issue 17 item 5): it writes the workflows, brume.yaml,
 * Pulumi.yaml and stack files; every workflow passes action-validator; then the workflows' `run:`
 * steps run there, in a temporary git repository, as GitHub Actions would run them (bash -e, the
 * step's env), with the installed package behind `npx brume` and stand-ins on PATH.
 *
 * The installed package is the run's one `npm pack` of these sources (test/consumer/pack.ts, shared
 * with the consumer tests), installed into the product repository exactly as the consumer tests
 * install it: the package.json `brume init` wrote, `@brume/infra` pointed at the tarball and
 * `@pulumi/pulumi` at the consumer example's exact version (so the install comes from npm's cache,
 * `npm install --prefer-offline`). `npx brume` is then node_modules/.bin/brume → the tarball's
 * dist/cli/main.js (the bundled CLI, build/cli-bundle.mjs): this repository's sources are never on the path.
 *
 * Stand-ins:
 * - `npm` records its arguments (`npm ci` would reinstall what the setup installed: the cost of a
 *   second install, for nothing the test would learn);
 * - `pulumi` records its arguments and PULUMI_BACKEND_URL, and answers `preview --expect-no-changes`
 *   with exit 1 and a diff when STANDIN_DRIFT names the stack (as the real one does on drift);
 * - `gh` records its arguments and answers `issue list … --jq` with STANDIN_OPEN_ISSUE (the number
 *   of an open drift issue, or nothing), as `gh` prints the jq result;
 * - `gcloud` records its arguments (no run step calls it: auth and the plugin are actions).
 */
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCli } from "../../src/cli/main.js";
import { repoRoot } from "../harness.js";
import { packedPackage } from "../consumer/pack.js";

/** npm as from a shell in the product repository, not inside the test runner's `npm exec`. */
function npm(args: string[], cwd: string): Promise<string> {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(npm_package_|npm_lifecycle_)/i.test(key) || /^(npm_command|npm_config_local_prefix|npm_config_call|INIT_CWD)$/i.test(key)) delete env[key];
  }
  return new Promise((resolve, reject) => {
    execFile("npm", args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 480_000 }, (err, stdout, stderr) => (err ? reject(new Error(`npm ${args.join(" ")}: ${stderr}`)) : resolve(stdout)));
  });
}

const consumerPulumi = (JSON.parse(readFileSync(join(repoRoot, "examples/consumer-stack/package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@pulumi/pulumi"]!;
let written: { dependencies: Record<string, string> };

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
  // The installed package: the shared tarball, installed with npm from its cache (as test/consumer does).
  const started = Date.now();
  const pack = await packedPackage();
  const packed = Date.now();
  written = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as typeof written;
  const manifest = structuredClone(written);
  manifest.dependencies["@brume/infra"] = `file:${pack.tarball}`;
  manifest.dependencies["@pulumi/pulumi"] = consumerPulumi;
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  await npm(["install", "--prefer-offline", "--no-audit", "--no-fund"], dir);
  console.info(`brume init test (ms): ${JSON.stringify({ [pack.packed ? "npm pack" : "npm pack (cached)"]: packed - started, "npm install": Date.now() - packed })}`);
  writeFileSync(join(dir, ".gitignore"), "node_modules/\n.bin/\n.npm/\n.standin.log\n.summary\nbrume-diff.md\ndrift.txt\n");
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
}, 600_000);

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
      "package-lock.json",
      "package.json",
    ]);
    expect(parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8")).main).toBe("node_modules/@brume/infra/dist/src/program/main.js");
    // The package.json init writes: this package at its version, Pulumi within the peer range.
    const own = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string; peerDependencies: Record<string, string> };
    expect(written.dependencies).toEqual({ "@brume/infra": `^${own.version}`, "@pulumi/pulumi": own.peerDependencies["@pulumi/pulumi"] });
  });

  it("npx brume is the installed package: node_modules/.bin/brume is the tarball's dist, not these sources", () => {
    expect(lstatSync(join(dir, "node_modules/@brume/infra")).isSymbolicLink()).toBe(false);
    expect(realpathSync(join(dir, "node_modules/.bin/brume"))).toBe(join(realpathSync(dir), "node_modules/@brume/infra/dist/cli/main.js"));
    expect(() => lstatSync(join(dir, "node_modules/@brume/infra/src"))).toThrow();
    const version = spawnSync("npx", ["brume", "--version"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH!, HOME: dir } });
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version);
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

  it("--build: the service is built from its context, and every workflow gets its image steps", async () => {
    const other = mkdtempSync(join(tmpdir(), "brume-init-build-"));
    try {
      const args = ["init", "--dir", other, "--name", "shop", "--repository", "acme/shop", "--prod-project", "shop-prod-4821", "--stage-project", "shop-stage-4821"];
      expect(await runCli([...args, "--build", "admin=services/admin"], { stdout: () => undefined, stderr: () => undefined })).toBe(0);
      expect(parse(readFileSync(join(other, "brume.yaml"), "utf8")).services.admin).toEqual({ build: { context: "services/admin" } });
      const modes = (file: string) => Object.values((parse(readFileSync(join(other, ".github/workflows", file), "utf8")) as { jobs: Record<string, Job> }).jobs).flatMap((j) => j.steps.filter((s) => s.env?.MODE).map((s) => s.env!.MODE));
      expect([modes("pr.yml"), modes("deploy.yml"), modes("release.yml"), modes("drift.yml")]).toEqual([["scan"], ["push", "push"], ["resolve", "resolve"], ["resolve", "resolve"]]);
      const err: string[] = [];
      expect(await runCli([...args, "--force", "--build", "admin=../elsewhere"], { stdout: () => undefined, stderr: (t) => err.push(t) })).toBe(2);
      expect(err.join("")).toContain('--build must be "<service>=<context>"');
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
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
