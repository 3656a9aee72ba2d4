/**
 * ONE `npm pack` per set of sources, shared by every consumer test (ESM stack, CommonJS stack, the
 * test kit run by the example's own test, later `brume init`): the tarball is cached in the temp
 * directory under a hash of what goes into it (package.json, the lock file, the tsconfigs, README,
 * schema/ and src/), so test files running in parallel, or one after the other, pack once.
 *
 * The pack runs in a copy of the working tree (node_modules linked, no dist/): the tarball is what a
 * clean clone would publish (`prepare` builds dist/ with the repository's tsc), with no stale build
 * output, and the repository's own dist/ is never rewritten under tests that run in parallel.
 * A lock directory makes concurrent callers wait for the one pack in progress.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { repoRoot } from "../harness.js";

export interface PackedPackage {
  /** The .tgz file. */
  tarball: string;
  /** Paths inside the package, as `npm pack --json` lists them. */
  files: string[];
  /** true when this call packed, false when it reused the cached tarball. */
  packed: boolean;
}

/** What the tarball is made of: its contents and the build's inputs. */
const inputs = ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json", "README.md", "schema", "src", "build"];

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => filesUnder(join(path, entry)));
}

/** A hash of every input file's path and content. */
export function sourcesHash(): string {
  const hash = createHash("sha256");
  for (const file of inputs.flatMap((input) => filesUnder(join(repoRoot, input)))) {
    hash.update(relative(repoRoot, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 16);
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 480_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`\`${command} ${args.join(" ")}\` failed in ${cwd}\n${stderr}\n${stdout}`));
      else resolve(stdout);
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pack(dir: string): Promise<Omit<PackedPackage, "packed">> {
  const work = mkdtempSync(join(tmpdir(), "brume-pack-tree-"));
  try {
    const tree = join(work, "pkg");
    cpSync(repoRoot, tree, {
      recursive: true,
      filter: (src) => {
        const rel = relative(repoRoot, src);
        const parts = rel.split(sep);
        return !(parts.includes("node_modules") || ["dist", ".git", "coverage"].includes(parts[0]!) || rel.endsWith(".tgz"));
      },
    });
    symlinkSync(join(repoRoot, "node_modules"), join(tree, "node_modules"), "dir");
    const out = await run("npm", ["pack", "--json", "--pack-destination", dir], tree);
    const packed = (JSON.parse(out) as { filename: string; files: { path: string }[] }[])[0]!;
    return { tarball: join(dir, packed.filename), files: packed.files.map((f) => f.path) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The tarball of the current sources: packed by the first caller, reused by the others. */
export async function packedPackage(): Promise<PackedPackage> {
  const dir = join(tmpdir(), `brume-pack-${sourcesHash()}`);
  const done = join(dir, "pack.json");
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(done)) return { ...(JSON.parse(readFileSync(done, "utf8")) as Omit<PackedPackage, "packed">), packed: false };
    try {
      mkdirSync(lock);
    } catch {
      // Another test file is packing: wait for it (a lock older than 10 minutes is a crashed run's).
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      await sleep(500);
      continue;
    }
    try {
      mkdirSync(dir, { recursive: true });
      const result = await pack(dir);
      writeFileSync(done, JSON.stringify(result));
      return { ...result, packed: true };
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
