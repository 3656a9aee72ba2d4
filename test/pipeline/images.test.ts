/**
 * Images of `build:` services in CI (issue 17 item 8): the workflows of examples/bro-ai (its `admin`
 * service is built from services/admin) build, scan with Trivy and only then push, and hand the
 * pushed digest to the stack. The workflows pass action-validator; the images script passes
 * shellcheck; its `run:` steps run in a git copy of the example, as GitHub Actions runs them (bash
 * -e, the step's env), with stand-ins on PATH that record their arguments and answer as the real
 * tools do:
 * - `docker build` succeeds; `docker push` prints the `<tag>: digest: sha256:… size: …` line;
 * - `trivy image … --exit-code 1` prints a finding and exits 1 when STANDIN_CRITICAL is set (a
 *   fixable critical finding), else prints an empty report and exits 0;
 * - `gcloud artifacts docker images describe` prints STANDIN_EXISTING (the digest of a tag
 *   pushed before) or fails NOT_FOUND as gcloud does; `gcloud auth configure-docker` succeeds;
 * - `pulumi stack output registry` prints the registry once the stack has one (STANDIN_REGISTRY,
 *   or after the first deploy's `up --exclude`), else fails; `pulumi config get brume:overrides`
 *   prints the stack file's overrides as JSON (as pulumi prints an object); `pulumi config set`
 *   stores the value it is given, which the test then hands to the program as `getObject` does.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadStack } from "../../src/config/load.js";
import { readStackConfig } from "../../src/config/stack-file.js";
import main from "../../src/program/main.js";
import { runProgram } from "../../src/plan/run.js";
import {
  imagesScript,
  renderDeployWorkflow,
  renderDriftWorkflow,
  renderPrWorkflow,
  renderReleaseWorkflow,
  trivyPins,
  workflowImages,
  type WorkflowStack,
} from "../../src/render/workflows/workflows.js";
import { examplePath, repoRoot } from "../harness.js";

interface Step { name?: string; run?: string; uses?: string; env?: Record<string, string>; with?: Record<string, unknown> }
interface Job { steps: Step[] }

const stacks: WorkflowStack[] = [
  { stack: "stage", githubEnvironment: "staging", production: false },
  { stack: "prod", githubEnvironment: "production", production: true },
];
const example = loadStack({ cwd: examplePath("bro-ai"), environment: "stage" });
const images = workflowImages(example.config.services);
const registry = "us-central1-docker.pkg.dev/bro-ai-stage/bro-ai-stage-images";
const pushed = `sha256:${"ab".repeat(32)}`;

let dir: string;
let bin: string;
const log = () => join(dir, ".standin.log");
const lines = () => readFileSync(log(), "utf8").split("\n").filter(Boolean);

function standIn(name: string, body: string) {
  writeFileSync(join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >> "$STANDIN_LOG"\n${body}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** The steps of a job from `run:` on, in order, like the runner: the first failure ends the job. */
function runJob(job: Job, extraEnv: Record<string, string> = {}) {
  writeFileSync(log(), "");
  rmSync(join(dir, ".config-set"), { force: true });
  for (const step of job.steps.filter((s) => s.run)) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.env ?? {})) env[k] = v.replace(/\$\{\{[^}]*\}\}/g, "gs://bro-ai-stage-pulumi-state");
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
      cwd: dir,
      encoding: "utf8",
      env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir, STANDIN_LOG: log(), STANDIN_DIR: dir, GITHUB_STEP_SUMMARY: join(dir, ".summary"), ...env, ...extraEnv },
    });
    if (r.status !== 0) return { status: r.status, stderr: r.stderr, stdout: r.stdout };
  }
  return { status: 0, stderr: "", stdout: "" };
}

const workflows = () => ({
  "pr.yml": renderPrWorkflow(stacks, images),
  "deploy.yml": renderDeployWorkflow(stacks, "main", images),
  "release.yml": renderReleaseWorkflow(stacks, images),
  "drift.yml": renderDriftWorkflow(stacks, images),
});
const jobsOf = (file: keyof ReturnType<typeof workflows>) => (parse(workflows()[file]) as { jobs: Record<string, Job> }).jobs;

/** The tag the script computes: sha256 of the context's git tree and the Dockerfile (no build args). */
function expectedTag(): string {
  const tree = spawnSync("git", ["rev-parse", "HEAD:services/admin"], { cwd: dir, encoding: "utf8" }).stdout.trim();
  return `src-${createHash("sha256").update(`${tree}\nDockerfile\n`).digest("hex").slice(0, 12)}`;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "brume-images-"));
  bin = join(dir, ".bin");
  cpSync(examplePath("bro-ai"), dir, { recursive: true });
  mkdirSync(bin);
  writeFileSync(join(dir, ".gitignore"), ".bin/\n.standin.log\n.summary\n.config-set\n.registry-created\n.overrides.json\n");
  const git = (...args: string[]) => spawnSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-qm", "bro-ai");
  // What `pulumi config get brume:overrides` prints for this stack file: its object, as JSON.
  const stackFile = parse(readFileSync(join(dir, "Pulumi.stage.yaml"), "utf8")) as { config: Record<string, unknown> };
  writeFileSync(join(dir, ".overrides.json"), JSON.stringify(stackFile.config["brume:overrides"]));
  standIn("npm", "exit 0");
  standIn(
    "docker",
    `if [ "$1" = push ] && [ -n "\${STANDIN_PUSH_FAILS_QUIETLY:-}" ]; then echo "received unexpected HTTP status: 500"; exit 0; fi
if [ "$1" = push ]; then echo "The push refers to repository [\${2%:*}]"; echo "5f70bf18a086: Pushed"; echo "\${2##*:}: digest: ${pushed} size: 528"; fi
exit 0`,
  );
  standIn(
    "trivy",
    `if [ -n "\${STANDIN_CRITICAL:-}" ]; then
  echo "libssl3  CVE-2026-0001  CRITICAL  fixed  3.0.11-1  3.0.15-1"; exit 1
fi
echo "Total: 0 (CRITICAL: 0)"; exit 0`,
  );
  standIn(
    "gcloud",
    `if [ "$1 $2 $3 $4" = "artifacts docker images describe" ]; then
  if [ -n "\${STANDIN_EXISTING:-}" ]; then echo "$STANDIN_EXISTING"; exit 0; fi
  echo "ERROR: (gcloud.artifacts.docker.images.describe) NOT_FOUND: Requested entity was not found." >&2; exit 1
fi
exit 0`,
  );
  standIn(
    "pulumi",
    `case "$1 $2" in
  "stack output")
    if [ -n "\${STANDIN_REGISTRY:-}" ] || [ -e "$STANDIN_DIR/.registry-created" ]; then echo "${registry}"; exit 0; fi
    echo "error: current stack does not have output property 'registry'" >&2; exit 255 ;;
  "config get") cat "$STANDIN_DIR/.overrides.json"; exit 0 ;;
  "config set") printf '%s' "$6" > "$STANDIN_DIR/.config-set"; exit 0 ;;
  "up --stack") if [[ " $* " == *" --exclude "* ]]; then touch "$STANDIN_DIR/.registry-created"; fi; exit 0 ;;
esac
exit 0`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the workflows of a repository with build services", () => {
  it("bro-ai builds admin from services/admin", () => {
    expect(images).toEqual([{ service: "admin", context: "services/admin", dockerfile: "Dockerfile", args: {} }]);
  });

  it.each(["pr.yml", "deploy.yml", "release.yml", "drift.yml"] as const)("%s passes action-validator; no expression inside a run step", (file) => {
    const path = join(dir, `.validate-${file}`);
    writeFileSync(path, workflows()[file]);
    const result = spawnSync(process.execPath, [join(repoRoot, "node_modules/@action-validator/cli/cli.mjs"), path], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
    for (const job of Object.values(jobsOf(file))) for (const s of job.steps) if (s.run) expect(s.run).not.toContain("${{");
  });

  it("the images script passes shellcheck", () => {
    const result = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "-"], { input: imagesScript(images), encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("every job that builds installs the pinned Trivy; the gate runs before the push, the push before pulumi up", () => {
    const deploy = jobsOf("deploy.yml").stage!.steps;
    const setup = deploy.find((s) => s.uses?.startsWith("aquasecurity/setup-trivy@"))!;
    expect(setup.uses).toBe(`aquasecurity/setup-trivy@${"81e514348e19b6112ce2a7e3ecbafe19c1e1f567"}`);
    expect(setup.uses).toMatch(/@[0-9a-f]{40}$/);
    expect(setup.with).toEqual({ version: trivyPins.trivyVersion, cache: true });
    const names = deploy.map((s) => s.name ?? s.uses ?? "run");
    expect(names.indexOf("Images of build services: build, scan (Trivy), push and pin for stage")).toBeGreaterThan(names.indexOf(setup.name!));
    expect(names.indexOf("Images of build services: build, scan (Trivy), push and pin for stage")).toBeLessThan(names.indexOf("pulumi stage"));
    const script = imagesScript(images);
    expect(script.indexOf("trivy image --severity CRITICAL --ignore-unfixed --exit-code 1")).toBeLessThan(script.indexOf('docker push "$ref"'));
    // The pull-request job: no identity, nothing pushed; release and drift only pin (no build, no Trivy).
    const pr = jobsOf("pr.yml").images!;
    expect(pr.steps.map((s) => s.uses ?? s.env?.MODE)).toEqual(["actions/checkout@v4.2.2", setup.uses, "scan"]);
    expect(jobsOf("release.yml")["release-prod"]!.steps.filter((s) => s.env?.MODE).map((s) => s.env!.MODE)).toEqual(["resolve"]);
    expect(jobsOf("drift.yml")["drift-prod"]!.steps.some((s) => s.uses?.startsWith("aquasecurity/"))).toBe(false);
  });
});

describe("the run steps, with stand-in docker, trivy, gcloud and pulumi", () => {
  it("pr.yml: a clean image is built and scanned, never pushed, with no cloud call", () => {
    expect(runJob(jobsOf("pr.yml").images!).status).toBe(0);
    const tag = expectedTag();
    expect(lines()).toEqual([
      `docker build --platform linux/amd64 --file services/admin/Dockerfile --tag brume-scan/admin:${tag} services/admin`,
      `trivy image --severity CRITICAL --ignore-unfixed --exit-code 1 --no-progress brume-scan/admin:${tag}`,
    ]);
  });

  it("pr.yml: a fixable critical finding fails the job", () => {
    const r = runJob(jobsOf("pr.yml").images!, { STANDIN_CRITICAL: "1" });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("CVE-2026-0001");
  });

  it("deploy.yml: a critical finding exits 1 before any push; no digest reaches the stack, pulumi up never runs", () => {
    const r = runJob(jobsOf("deploy.yml").stage!, { STANDIN_REGISTRY: "1", STANDIN_CRITICAL: "1" });
    expect(r.status).toBe(1);
    expect(lines().filter((l) => /^docker push|^pulumi config set|^pulumi up/.test(l))).toEqual([]);
    expect(lines().some((l) => l.startsWith("trivy image"))).toBe(true);
    expect(existsSync(join(dir, ".config-set"))).toBe(false);
  });

  it("deploy.yml: clean → pushed with the registry's host authenticated → the digest handed to the stack → pulumi up", async () => {
    const run = runJob(jobsOf("deploy.yml").stage!, { STANDIN_REGISTRY: "1" });
    expect(run.status, run.stderr).toBe(0);
    const tag = expectedTag();
    const ref = `${registry}/admin:${tag}`;
    const set = readFileSync(join(dir, ".config-set"), "utf8");
    expect(lines()).toEqual([
      "npm ci",
      "pulumi stack output registry --stack stage",
      "gcloud auth configure-docker us-central1-docker.pkg.dev --quiet",
      "pulumi config get --stack stage brume:overrides",
      `gcloud artifacts docker images describe ${ref} --format value(image_summary.digest)`,
      `docker build --platform linux/amd64 --file services/admin/Dockerfile --tag ${ref} services/admin`,
      `trivy image --severity CRITICAL --ignore-unfixed --exit-code 1 --no-progress ${ref}`,
      `docker push ${ref}`,
      `pulumi config set --stack stage brume:overrides ${set}`,
      "pulumi up --stack stage --yes",
    ]);
    // The stack file's own overrides are kept; admin runs the pushed digest and is no longer built.
    const overrides = JSON.parse(set) as { services: Record<string, Record<string, unknown>> };
    expect(overrides.services.admin).toEqual({ expose: { domains: ["admin.internal.stage.bro.ai"] }, image: `${registry}/admin@${pushed}`, build: null });
    expect(overrides.services.web).toMatchObject({ scaling: { min: 1, max: 3 } });
    expect(readFileSync(join(dir, ".summary"), "utf8")).toContain(`admin=${registry}/admin@${pushed}`);

    // The program, given that value as `pulumi up` gives it (a top-level string; the program's
    // getObject parses it): the Deployment runs the digest, and the stack builds nothing.
    const stackConfig = readStackConfig(dir, "stage");
    const plan = await runProgram(() => main(), {
      project: stackConfig.project,
      stack: "stage",
      config: { ...stackConfig.config, "brume:overrides": set, "brume:configFile": join(dir, "brume.yaml") },
      secretKeys: stackConfig.secretKeys,
    });
    expect(plan.resources.filter((r) => r.type === "brume:service:Image" || r.type.startsWith("docker:"))).toEqual([]);
    const images = plan.resources.filter((r) => r.type === "kubernetes:apps/v1:Deployment").flatMap((d) => ((d.inputs.spec as { template: { spec: { containers: { name: string; image: string }[] } } }).template.spec.containers ?? []).map((c) => c.image));
    expect(images).toContain(`${registry}/admin@${pushed}`);
    expect(images.filter((i) => i.includes("/admin"))).toEqual([`${registry}/admin@${pushed}`]);
  }, 120_000);

  it("deploy.yml: a push that reports no digest hands nothing to the stack", () => {
    const r = runJob(jobsOf("deploy.yml").stage!, { STANDIN_REGISTRY: "1", STANDIN_PUSH_FAILS_QUIETLY: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("admin: no image digest for");
    expect(lines().filter((l) => /^pulumi (config set|up)/.test(l))).toEqual([]);
  });

  it("deploy.yml: a source pushed before is neither rebuilt nor rescanned: its digest is pinned", () => {
    const existing = `sha256:${"cd".repeat(32)}`;
    expect(runJob(jobsOf("deploy.yml").stage!, { STANDIN_REGISTRY: "1", STANDIN_EXISTING: existing }).status).toBe(0);
    expect(lines().filter((l) => /^(docker|trivy) /.test(l))).toEqual([]);
    expect(JSON.parse(readFileSync(join(dir, ".config-set"), "utf8")).services.admin.image).toBe(`${registry}/admin@${existing}`);
  });

  it("deploy.yml, first deploy: no registry yet → everything but the built images first, then build, scan, push", () => {
    rmSync(join(dir, ".registry-created"), { force: true });
    expect(runJob(jobsOf("deploy.yml").stage!).status).toBe(0);
    const calls = lines();
    expect(calls.slice(1, 4)).toEqual([
      "pulumi stack output registry --stack stage",
      "pulumi up --stack stage --yes --exclude **brume:service:Image** --exclude-dependents",
      "pulumi stack output registry --stack stage",
    ]);
    expect(calls.filter((l) => l.startsWith("docker push"))).toHaveLength(1);
    expect(calls.at(-1)).toBe("pulumi up --stack stage --yes");
    rmSync(join(dir, ".registry-created"), { force: true });
  });

  it("release.yml and drift.yml: a source never pushed fails instead of building; a pushed one is pinned before pulumi runs", () => {
    const drift = jobsOf("drift.yml")["drift-stage"]!;
    const missing = runJob(drift, { STANDIN_REGISTRY: "1" });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("is not in the registry; deploy.yml builds, scans and pushes it");
    expect(lines().filter((l) => /^(docker|trivy) |^pulumi preview/.test(l))).toEqual([]);

    const existing = `sha256:${"ef".repeat(32)}`;
    expect(runJob(drift, { STANDIN_REGISTRY: "1", STANDIN_EXISTING: existing }).status).toBe(0);
    const calls = lines();
    expect(calls.findIndex((l) => l.startsWith("pulumi config set"))).toBeLessThan(calls.findIndex((l) => l.startsWith("pulumi preview")));

    // release: the release edit is committed first, the pin never enters the commit.
    const release = jobsOf("release.yml")["release-stage"]!.steps.filter((s) => s.run).map((s) => s.name);
    expect(release).toEqual([undefined, "brume release on stage", "Images of build services: pin the scanned digests for stage", "pulumi up stage and push the release state"]);
  });
});
