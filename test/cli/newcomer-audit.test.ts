/**
 * The newcomer findings (shared/reviews/newcomer.md 4–18, issue 13) that had no regression test of
 * their own: each case as the newcomer ran it, through the CLI (in process, or the built bin for
 * pipes), on throwaway project directories. The other cases are in never-lies.test.ts,
 * output.test.ts, test/config/input-gaps.test.ts and test/diff/danger.test.ts.
 */
import { execFile, execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { brume as cli, configProblems, repoRoot } from "../harness.js";

const root = mkdtempSync(join(tmpdir(), "brume-newcomer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A project directory: the root example's brume.yaml (config project shop), its Pulumi files and the given files. */
function project(files: Record<string, string> = {}): string {
  const dir = join(root, `p${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const f of ["brume.yaml", "Pulumi.yaml", "Pulumi.prod.yaml"]) cpSync(join(repoRoot, f), join(dir, f));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** A git repository of the directory's files, committed: the base a `brume diff --base HEAD` plans. */
function commitAll(dir: string): void {
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: dir, stdio: "pipe" });
  git("init", "-q", "-b", "main");
  git("add", ".");
  git("commit", "-q", "-m", "base");
}

const renameWorker = (dir: string) => {
  const file = join(dir, "brume.yaml");
  writeFileSync(file, readFileSync(file, "utf8").replace("  worker:\n", "  ledger-worker:\n").replace("dependsOn: [worker]", "dependsOn: [ledger-worker]"));
};

describe("newcomer 4: `brume plan --format json | (sleep 1; jq …)` gets the whole plan", () => {
  // The built bin, as `npx brume` runs it (the bundle; output.test.ts: under tsx the truncation does not show).
  const bin = join(repoRoot, "dist/cli/main.js");

  it("a plan JSON larger than a pipe's 64 KiB reaches a slow reader whole, exit 0", async () => {
    if (statSync(bin).mtimeMs < statSync(join(repoRoot, "src/cli/main.ts")).mtimeMs) throw new Error("dist/ is older than src/: run `npm run build` first");
    const inProcess = await cli("plan", "--stack", "prod", "--format", "json");
    expect(inProcess.code).toBe(0);
    const bytes = Buffer.byteLength(inProcess.stdout);
    expect(bytes).toBeGreaterThan(4 * 65_536);
    // The reader sleeps, then parses what it got (jq's role) and prints its size and resource count.
    const reader = `(sleep 1; "${process.execPath}" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(Buffer.byteLength(s), JSON.parse(s).resources.length))')`;
    const command = `set -o pipefail; "${process.execPath}" "${bin}" plan --stack prod --format json 2>/dev/null | ${reader}; echo "rc=$?"`;
    const out = await new Promise<string>((resolve, reject) => execFile("bash", ["-c", command], { cwd: repoRoot }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim()))));
    const resources = (JSON.parse(inProcess.stdout) as { resources: unknown[] }).resources.length;
    expect(out).toBe(`${bytes} ${resources}\nrc=0`);
  }, 60_000);
});

describe("newcomer 5: `cd examples/minimal && npm run brume -- plan --config brume.yaml` is not silent about the directory", () => {
  // npm runs the script in the package's directory and keeps the one the user typed it in as INIT_CWD.
  const run = (initCwd: string) => {
    const loader = join(repoRoot, "node_modules", "tsx", "dist", "loader.mjs");
    const env = { ...process.env, npm_lifecycle_event: "brume", INIT_CWD: initCwd };
    return new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(process.execPath, ["--import", loader, join(repoRoot, "src", "cli", "main.ts"), "validate", "--config", "brume.yaml"], { cwd: repoRoot, env }, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr }))),
    );
  };

  it("warns that the root's brume.yaml was read, and names npx brume; from the package's own directory, no warning", async () => {
    const minimal = join(repoRoot, "examples", "minimal");
    const typed = await run(minimal);
    expect(typed.stdout).toBe("brume.yaml: valid (3 services, environments: prod, stage)\n");
    expect(typed.stderr).toBe(
      `warning: \`npm run brume\` runs in the package's directory ${repoRoot}, not in ${minimal} where you typed it: relative paths and the brume.yaml it finds are the package's; pass absolute paths, or run \`npx brume …\` in your project\n`,
    );
    expect((await run(repoRoot)).stderr).toBe("");
  }, 30_000);
});

describe("newcomer 6 (ovr-14/16): brume:configFile is honoured by every command, not only plan and validate", () => {
  // Pulumi.prod.yaml points at infra/brume.yaml (the minimal example: project hello, one service
  // `web`, GCP project hello-prod-4821); the directory's own brume.yaml is the root example (shop).
  const dir = project({
    "Pulumi.prod.yaml": "config:\n  brume:configFile: infra/brume.yaml\n",
    "infra/brume.yaml": readFileSync(join(repoRoot, "examples", "minimal", "brume.yaml"), "utf8"),
  });
  const at = ["--stack", "prod", "--project-dir", dir];

  it("cost, quota and runbook price and describe the stack's config file", async () => {
    const cost = await cli("cost", ...at, "--format", "json");
    expect(cost.code).toBe(0);
    const names = (JSON.parse(cost.stdout) as { lines: { name: string }[] }).lines.map((l) => l.name);
    expect(names).toContain("hello-prod-cluster-cluster");
    expect(names.filter((name) => name.startsWith("shop-"))).toEqual([]);
    const quota = await cli("quota", ...at);
    expect(quota.code).toBe(0);
    expect(quota.stdout).toContain("  hello-prod-cluster-pool-general (node pool, europe-west1): 15 × e2-standard-4 at max");
    expect(quota.stdout).not.toContain("shop-prod-");
    const runbook = await cli("runbook", ...at);
    expect(runbook.code).toBe(0);
    expect(runbook.stdout).toContain("# Disaster recovery runbook — prod (hello-prod-4821)");
  }, 60_000);

  it("history and release read its services (the root example's api is not in it)", async () => {
    expect((await cli("history", "web", ...at)).code).toBe(0);
    for (const command of [["history", "api"], ["release", "status", "api"]]) {
      const r = await cli(...command, ...at);
      expect(r.code, command.join(" ")).toBe(1);
      expect(r.stderr).toContain('  - services.api: unknown service "api"; declared: web');
    }
  }, 60_000);

  it("env prints the connection variables of the stack's config file (it read ./brume.yaml before)", async () => {
    const r = await cli("env", "web", ...at);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# web in prod \(hello-prod-4821\): the connection contract/);
    expect(r.stdout).toContain("export GOOGLE_CLOUD_PROJECT='hello-prod-4821'\n");
    // And its --project-dir must exist, as for the other commands.
    const missing = await cli("env", "web", "--stack", "prod", "--project-dir", "/nonexistent/dir");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("  - --project-dir: /nonexistent/dir is not a directory");
  });

  it("diff plans base and head from it: a saved plan of it is unchanged", async () => {
    const base = join(dir, "base.json");
    expect((await cli("plan", ...at, "--format", "json", "--out", base, "--no-policy")).code).toBe(0);
    const r = await cli("diff", ...at, "--base", base, "--format", "json", "--no-policy");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).environments[0].diff.counts).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
  }, 60_000);
});

describe("newcomer 8: a stale override in one stack names itself in `brume diff` too", () => {
  it("after renaming worker, diff --stack prod --stack stage names Pulumi.stage.yaml's override, not a missing image", async () => {
    const stack = join(root, `p${n}`, "Pulumi.stage.yaml");
    const dir = project({ "Pulumi.stage.yaml": "config:\n  brume:environment: stage\n  brume:overrides:\n    services:\n      worker: { scaling: { max: 2 } }\n" });
    commitAll(dir);
    renameWorker(dir);
    const r = await cli("diff", "--stack", "prod", "--stack", "stage", "--base", "HEAD", "--config", join(dir, "brume.yaml"));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `${stack}: invalid brume config (1 problem):\n` +
        `  - brume:overrides.services.worker: ${stack} overrides undeclared service "worker" (did you mean "ledger-worker"?); declared: web, api, ledger-worker. Rename or remove the override, or make it a complete entry\n`,
    );
  }, 60_000);
});

describe("newcomer 10: routine changes do not trip --fail-on-danger", () => {
  it("a rename (3 iam-widening dangers before) has no danger: exit 0, only the probable-rename note", async () => {
    const dir = project();
    commitAll(dir);
    renameWorker(dir);
    const r = await cli("diff", "--stack", "prod", "--base", "HEAD", "--config", join(dir, "brume.yaml"), "--fail-on-danger");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/^ {2}! /m);
    expect(r.stdout).toContain('  ? probable rename: "worker" → "ledger-worker"');
  }, 60_000);
});

describe("newcomer 14: security-relevant arrays in text diffs, element by element", () => {
  it("a new caller of api adds one NetworkPolicy peer; the gateway ranges are not reprinted as a blob", async () => {
    const dir = project();
    commitAll(dir);
    const file = join(dir, "brume.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("databases:\n", "  notifier:\n    image: europe-docker.pkg.dev/shop-shared/apps/notifier:1.0.0\n    dependsOn: [api]\ndatabases:\n"));
    const r = await cli("diff", "--stack", "prod", "--base", "HEAD", "--config", file);
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const at = lines.indexOf("  ~  kubernetes:networking.k8s.io/v1:NetworkPolicy  shop-prod-svc-api-network-policy");
    expect(at).toBeGreaterThan(-1);
    expect(lines[at + 1]).toBe('       spec.ingress[0].from[0]: (absent) => {"podSelector":{"matchLabels":{"app.kubernetes.io/name":"notifier"}}}');
    expect(lines[at + 2]).not.toMatch(/^ {7}spec\./);
    expect(r.stdout).not.toContain("spec.ingress: [");
  }, 60_000);

  it("promote shows the HTTPRoute's backends field by field", async () => {
    const dir = join(root, "bro-ai-promote");
    cpSync(join(repoRoot, "examples", "bro-ai"), dir, { recursive: true });
    const run = (...args: string[]) => cli(...args, "--stack", "prod", "--config", join(dir, "brume.yaml"));
    const image = `us-docker.pkg.dev/bro-ai-shared/apps/api@sha256:${"2".repeat(64)}`;
    expect((await run("release", "start", "api", "--image", image, "--version", "v1-15-0", "--weight", "10")).code).toBe(0);
    const base = join(dir, "base.json");
    expect((await run("plan", "--format", "json", "--out", base, "--no-policy")).code).toBe(0);
    expect((await run("release", "promote", "api")).code).toBe(0);
    const r = await run("diff", "--base", base, "--no-policy");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const at = lines.indexOf("  ~  kubernetes:gateway.networking.k8s.io/v1:HTTPRoute  bro-ai-prod-svc-api-route");
    expect(lines.slice(at + 1, at + 6)).toEqual([
      '       spec.rules[0].backendRefs[0].name: "api-v1-14-2" => "api-v1-15-0"',
      "       spec.rules[0].backendRefs[0].weight: 90 => 100",
      '       spec.rules[0].backendRefs[1].name: "api-v1-15-0" => "api-v1-14-2"',
      "       spec.rules[0].backendRefs[1].weight: 10 => 0",
      expect.not.stringMatching(/^ {7}spec\./),
    ]);
  }, 90_000);
});

describe("newcomer 17: a refused release step is the CLI's refusal, not a config problem", () => {
  it("rollback --to a version that is not retained: one line, exit 1, the stack file untouched", async () => {
    const dir = join(root, "bro-ai-rollback");
    cpSync(join(repoRoot, "examples", "bro-ai"), dir, { recursive: true });
    const stackFile = join(dir, "Pulumi.prod.yaml");
    const before = readFileSync(stackFile, "utf8");
    const r = await cli("release", "rollback", "api", "--to", "v9-9-9", "--stack", "prod", "--config", join(dir, "brume.yaml"));
    expect(r).toEqual({
      code: 1,
      stdout: "",
      stderr: `brume: release rollback refused: services.api.strategy: version "v9-9-9" is not retained; deployed versions: v1-14-2 (${stackFile} unchanged)\n`,
    });
    expect(r.stderr).not.toContain("invalid brume config");
    expect(readFileSync(stackFile, "utf8")).toBe(before);
  }, 60_000);
});

describe("newcomer 18: papercuts", () => {
  const problems = configProblems;
  const machines = readFileSync(join(repoRoot, "examples", "machines", "brume.yaml"), "utf8");
  const vfox = (version: string, sha256: string) => machines.replace(/( {4}vfox:\n {6}version: )[^\n]+/, `$1${version}`).replace(/( {6}url: https:\/\/github.com\/version-fox[^\n]+\n(?: *#[^\n]*\n)*? {6}sha256: )[^\n]+/, `$1${sha256}`);

  it("an unquoted vfox.version 1.10 and an all-digit vfox.sha256 say to quote them, showing the text as written", () => {
    expect(problems(vfox('"0.6.0"', "7c4a8d09ca3762af61e59520943dc26494f8941b7c4a8d09ca3762af61e59520"))).toEqual([]);
    const quote = ": YAML reads unquoted digits as a number (1.10 becomes 1.1, 0123 loses its zero); quote the value as written, e.g.";
    expect(problems(vfox("1.10", "0".repeat(64)))).toEqual([
      `machines.edge.vfox.version: expected string, got number 1.1${quote} "1.10"`,
      `machines.edge.vfox.sha256: expected string, got number 0${quote} "${"0".repeat(64)}"`,
    ]);
  });

  it("an HPA minimum 2 → 3 costs $0 in the diff, and the diff (text, md) and brume cost say that pod counts are not priced", async () => {
    const dir = project();
    commitAll(dir);
    const file = join(dir, "brume.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("scaling: { min: 2, max: 10, targetCpu: 65 }", "scaling: { min: 3, max: 10, targetCpu: 65 }"));
    const note = "pod counts are not priced: pods run on the node pools, priced at their minimum nodes (an HPA's replicas change no line)";
    const diff = await cli("diff", "--stack", "prod", "--base", "HEAD", "--config", file, "--format", "json");
    expect(diff.code).toBe(0);
    const env = JSON.parse(diff.stdout).environments[0] as { diff: { changes: { name: string; changes: { path: string; old: unknown; new: unknown }[] }[] }; cost: { deltaUsd: number } };
    expect(env.diff.changes.find((c) => c.name === "shop-prod-svc-api-hpa")?.changes).toEqual([{ path: "spec.minReplicas", old: 2, new: 3 }]);
    expect(env.cost.deltaUsd).toBe(0);
    // The diff says why its $0 is not "free", in text and in the pull-request comment, though no cost line changed.
    const text = await cli("diff", "--stack", "prod", "--base", "HEAD", "--config", file, "--format", "text");
    expect(text.stdout).toContain(`\n  $ ${note}\n`);
    const md = await cli("diff", "--stack", "prod", "--base", "HEAD", "--config", file, "--format", "md");
    expect(md.stdout).toMatch(/<details><summary>Cost: \$[\d,.]+ → \$[\d,.]+ per month \(±\$0\.00\)<\/summary>\n\nPod counts are not priced/);
    expect(md.stdout).toMatch(/usage assumptions: pubsubGiB=10, natGiB=100, bucketGiB=50, registryGiB=20, [^\n]*logsGiB=100, [^\n]*lbGiB=100\./);
    expect(md.stdout).toContain(`\nPod counts are not priced: pods run on the node pools, priced at their minimum nodes (an HPA's replicas change no line).\n`);
    expect((await cli("cost", "--stack", "prod", "--config", file)).stdout).toMatch(new RegExp(`\\nusage assumptions: [^\\n]+\\n${note.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\n$`));
  }, 60_000);

  it("the schema describes source.runtime, source.build and vfox's version and sha256, with an example", () => {
    const schema = JSON.parse(readFileSync(join(repoRoot, "schema", "brume.schema.json"), "utf8")) as {
      properties: { services: { additionalProperties: { properties: { source: { properties: Record<string, { description?: string }> } } } }; machines: { additionalProperties: { properties: { vfox: { properties: Record<string, { description?: string }> } } } } };
    };
    const source = schema.properties.services.additionalProperties.properties.source.properties;
    expect(source.runtime?.description).toContain("`<plugin>@<version>` (e.g. `nodejs@20.11.1`");
    expect(source.build?.description).toContain("once per source version");
    expect(source.build?.description).toContain("e.g. `npm ci && npm run build`");
    const v = schema.properties.machines.additionalProperties.properties.vfox.properties;
    expect(v.version?.description).toContain('(e.g. "0.6.10")');
    expect(v.sha256?.description).toContain("checksums.txt");
    expect(v.url?.description).toContain("vfox_{version}_linux_x86_64.tar.gz");
  });
});
