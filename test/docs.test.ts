/**
 * Docs that cannot drift: every fenced code block of README.md and docs/*.md is executed, validated
 * or typechecked, or carries a counted skip marker (`<!-- skip: <reason> -->` on the line before it).
 *
 * - sh / bash: run by bash (`set -euo pipefail`) in a scratch git repository holding the repo's
 *   example configs (HEAD committed, `origin/main` pointing at it), with stand-ins on PATH:
 *   `brume` and `npx brume` run this checkout's CLI; `pulumi` records its arguments in
 *   $DOCS_PULUMI_LOG and answers as `pulumi` does on success (exit 0, a one-line message);
 * - yaml: a whole brume config is validated by the schema and rules; a fragment is merged over
 *   the root example's brume.yaml and validated the same way; a stack settings file (`config:` root)
 *   is read as strictly as the CLI reads it; `<!-- docs: pulumi-project -->` is a Pulumi.yaml;
 * - ts: typechecked together by tsc, `@brume/infra` mapped to src/ (test/readme.test.ts also runs
 *   two of them under the mocks);
 * - text, md, json: output shown for reading (json: test/readme.test.ts checks the plan contract).
 *
 * The test prints the counts, skips included.
 */
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { readConfigFile, validateConfig } from "../src/config/load.js";
import { deepMerge } from "../src/config/merge.js";
import { readStackConfig } from "../src/config/stack-file.js";
import { repoRoot } from "./harness.js";

/** Runs a process without blocking the test worker (a blocked worker misses vitest's RPC deadline). */
async function run(file: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { ...options, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    return { status: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

interface Block {
  file: string;
  line: number;
  lang: string;
  code: string;
  /** `<!-- skip: reason -->` / `<!-- docs: kind -->` on the line before the fence. */
  skip?: string;
  kind?: string;
}

export function codeBlocks(file: string, text: string): Block[] {
  const lines = text.split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    const before = lines.slice(0, i).reverse().find((l) => l.trim() !== "") ?? "";
    const skip = /^<!-- skip: (.+?) -->$/.exec(before)?.[1];
    const kind = /^<!-- docs: (.+?) -->$/.exec(before)?.[1];
    blocks.push({ file, line: i + 1, lang: open[1] ?? "", code: lines.slice(i + 1, end).join("\n") + "\n", ...(skip ? { skip } : {}), ...(kind ? { kind } : {}) });
    i = end;
  }
  return blocks;
}

const pages = ["README.md", ...readdirSync(join(repoRoot, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const blocks = pages.flatMap((file) => codeBlocks(file, readFileSync(join(repoRoot, file), "utf8")));
const where = (b: Block) => `${b.file}:${b.line}`;
const counts = { run: 0, validated: 0, typechecked: 0, shown: 0, skipped: 0 };
const scratch = mkdtempSync(join(tmpdir(), "brume-docs-"));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  console.log(`docs: ${blocks.length} code blocks in ${pages.length} pages: ${counts.run} run, ${counts.validated} validated, ${counts.typechecked} typechecked, ${counts.shown} shown output, ${counts.skipped} skipped (marked)`);
});

const shell = blocks.filter((b) => ["sh", "bash", "shell"].includes(b.lang));
const yaml = blocks.filter((b) => b.lang === "yaml" || b.lang === "yml");
const ts = blocks.filter((b) => b.lang === "ts" || b.lang === "typescript");
const shown = blocks.filter((b) => ["text", "md", "json", "mermaid", "console"].includes(b.lang));

it("every block has a language the test knows", () => {
  const known = new Set([...shell, ...yaml, ...ts, ...shown]);
  expect(blocks.filter((b) => !known.has(b)).map(where)).toEqual([]);
  counts.shown = shown.length;
  // The README's two commands come first (test/readme.test.ts checks package.json defines them).
  expect(shell[0]).toMatchObject({ file: "README.md" });
  expect(shell[0]!.code).toMatch(/^npm ci && npm run plan .*\nbash \.ci\/install-tools\.sh && npm ci && npm test/);
});

describe("shell blocks run against stand-ins", () => {
  const bin = join(scratch, "bin");
  const work = join(scratch, "repo");
  const pulumiLog = join(scratch, "pulumi.log");
  const setup = () => {
    if (existsSync(work)) return;
    mkdirSync(bin, { recursive: true });
    mkdirSync(work, { recursive: true });
    for (const f of ["brume.yaml", "Pulumi.yaml", "Pulumi.prod.yaml", "Pulumi.stage.yaml", "schema"]) cpSync(join(repoRoot, f), join(work, f), { recursive: true });
    cpSync(join(repoRoot, "examples"), join(work, "examples"), { recursive: true, filter: (src) => !src.includes("node_modules") });
    const loader = join(repoRoot, "node_modules", "tsx", "dist", "loader.mjs");
    writeFileSync(join(bin, "brume"), `#!/bin/sh\nexec node --import ${loader} ${join(repoRoot, "src", "cli", "main.ts")} "$@"\n`);
    // `npx brume …` in a product repository runs the installed bin: the same CLI.
    writeFileSync(join(bin, "npx"), `#!/bin/sh\n[ "$1" = brume ] || { echo "npx stand-in: only 'npx brume' is supported" >&2; exit 127; }\nshift\nexec brume "$@"\n`);
    // The Pulumi CLI is not on this machine: record the call, answer as a successful run does.
    writeFileSync(join(bin, "pulumi"), `#!/bin/sh\necho "pulumi $*" >> ${pulumiLog}\necho "pulumi $1: done (stand-in)"\n`);
    for (const f of ["brume", "npx", "pulumi"]) chmodSync(join(bin, f), 0o755);
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=docs", "-c", "user.email=docs@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: work, stdio: "pipe" });
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "docs scratch");
    git("update-ref", "refs/remotes/origin/main", "HEAD");
  };

  for (const block of shell) {
    it(`${where(block)}${block.skip ? ` (skipped: ${block.skip})` : ""}`, async () => {
      if (block.skip) {
        counts.skipped++;
        return;
      }
      setup();
      const r = await run("bash", ["-c", `set -euo pipefail\n${block.code}`], { cwd: work, env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
      expect(r.status, `${where(block)} exited ${r.status}:\n${r.stderr}`).toBe(0);
      counts.run++;
    }, 180_000);
  }
});

it("the Pulumi stand-in saw the README's first `pulumi up`", () => {
  expect(readFileSync(join(scratch, "pulumi.log"), "utf8")).toContain("pulumi up --stack prod\n");
});

describe("YAML blocks are valid config", () => {
  // Fragments are merged over the root example (prod and stage, every data service).
  const minimal = readConfigFile(join(repoRoot, "brume.yaml"));
  for (const block of yaml) {
    it(`${where(block)}${block.skip ? ` (skipped: ${block.skip})` : ""}`, () => {
      if (block.skip) {
        counts.skipped++;
        return;
      }
      const doc = parseYaml(block.code) as Record<string, unknown>;
      if (block.kind === "pulumi-project") {
        expect(doc).toMatchObject({ name: expect.any(String), runtime: "nodejs", main: expect.stringMatching(/program\/main\.js$/) });
      } else if ("config" in doc) {
        const dir = mkdtempSync(join(scratch, "stack-"));
        writeFileSync(join(dir, "Pulumi.yaml"), "name: docs\nruntime: nodejs\n");
        writeFileSync(join(dir, "Pulumi.docs.yaml"), block.code);
        expect(() => readStackConfig(dir, "docs"), where(block)).not.toThrow();
      } else if ("project" in doc && "environments" in doc) {
        expect(() => validateConfig(doc, where(block))).not.toThrow();
      } else {
        // A fragment: what it adds to the smallest config must be valid there.
        expect(() => validateConfig(deepMerge(minimal, doc), where(block))).not.toThrow();
      }
      counts.validated++;
    });
  }
});

describe("TypeScript blocks typecheck", () => {
  it(`${ts.length} blocks, @brume/infra mapped to src/`, async () => {
    const dir = join(repoRoot, "test", ".docs-snippets");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const files = ts.filter((b) => !b.skip).map((b, i) => {
      const file = join(dir, `block-${i}.ts`);
      writeFileSync(file, `// ${where(b)}\n${b.code}`);
      return file;
    });
    counts.skipped += ts.filter((b) => b.skip).length;
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: "../../tsconfig.json",
        compilerOptions: { noEmit: true, rootDir: "../..", paths: { "@brume/infra": ["../../src/index.ts"], "@brume/infra/*": ["../../src/*/index.ts"] } },
        include: files.map((f) => f.slice(dir.length + 1)),
      }),
    );
    const r = await run(process.execPath, [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", join(dir, "tsconfig.json")]);
    rmSync(dir, { recursive: true, force: true });
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
    counts.typechecked += files.length;
  }, 240_000);
});
