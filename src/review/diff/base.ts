/**
 * Where the base plan of `brume diff` comes from: a saved plan JSON (`brume plan --format json`),
 * or the same stack's config files at a git ref.
 *
 * Decision: a git base is planned with the HEAD code on the BASE config files (brume.yaml /
 * brume.toml, Pulumi.yaml, Pulumi.<stack>.yaml and the other files beside them, read with
 * `git ls-tree` / `git show` — read-only, no worktree, no checkout). This shows what the config
 * change does; a change of component code is visible by diffing against a plan JSON saved from
 * the base code (`brume plan --format json --out base.json` on the base branch). The report says
 * which one was used.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { planContract } from "../../plan/contract.js";
import type { Plan } from "../../plan/run.js";
import { planStack } from "../../plan/stack.js";
import { emptyPlan } from "./diff.js";

export class BaseError extends Error {
  override readonly name = "BaseError";
}

/** Reads and validates a plan JSON. */
export function readPlanFile(file: string): Plan {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new BaseError(`cannot read the base plan ${file}: ${(err as Error).message}`);
  }
  const parsed = planContract.safeParse(doc);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new BaseError(`${file} is not a brume plan JSON (at ${first.path.join(".") || "(root)"}: ${first.message}); write one with \`brume plan --format json --out ${basename(file)}\``);
  }
  return parsed.data as Plan;
}

function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/** Top level of the git work tree holding `dir`; BaseError when it is not in one. */
export function gitTopLevel(dir: string): string {
  try {
    return git(dir, ["rev-parse", "--show-toplevel"]).trim();
  } catch {
    throw new BaseError(`${dir} is not inside a git repository: pass --base <plan.json> instead of a git ref`);
  }
}

/** Copies the files directly inside `relDir` at `ref` into `target/relDir` (read-only on the repo). */
function copyDirAtRef(top: string, ref: string, relDir: string, target: string): number {
  const prefix = relDir ? `${relDir.replace(/\\/g, "/")}/` : "";
  let listing: string;
  try {
    listing = git(top, ["ls-tree", "-z", ref, "--", prefix || "."]);
  } catch (err) {
    throw new BaseError(`git cannot read ${ref}: ${String((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`);
  }
  let count = 0;
  mkdirSync(join(target, relDir), { recursive: true });
  for (const entry of listing.split("\0").filter(Boolean)) {
    const [meta, path] = entry.split("\t") as [string, string];
    if (meta.split(" ")[1] !== "blob") continue;
    const content = execFileSync("git", ["cat-file", "blob", meta.split(" ")[2]!], { cwd: top, maxBuffer: 64 * 1024 * 1024 });
    writeFileSync(join(target, path), content);
    count++;
  }
  return count;
}

export interface GitBaseOptions {
  ref: string;
  stack: string;
  /** The head's config file (its path inside the repository is read at `ref`). */
  configFile: string;
  /** The head's Pulumi project directory (default: the config file's directory). */
  projectDir?: string;
}

/**
 * Plans `stack` from the config files at `ref` with the current code. A config file that does not
 * exist at `ref` gives an empty plan (everything is created); a missing Pulumi.<stack>.yaml is
 * planned with defaults, as `brume plan` does.
 */
export async function planAtGitRef(options: GitBaseOptions): Promise<Plan> {
  const configFile = resolve(options.configFile);
  const projectDir = resolve(options.projectDir ?? dirname(configFile));
  const top = gitTopLevel(dirname(configFile));
  try {
    git(top, ["rev-parse", "--verify", "--quiet", `${options.ref}^{commit}`]);
  } catch {
    throw new BaseError(`unknown git ref "${options.ref}" (in CI, fetch it first: git fetch origin <branch>)`);
  }
  const tmp = mkdtempSync(join(tmpdir(), "brume-base-"));
  try {
    const relConfigDir = relative(top, dirname(configFile));
    const relProjectDir = relative(top, projectDir);
    copyDirAtRef(top, options.ref, relConfigDir, tmp);
    if (relProjectDir !== relConfigDir) copyDirAtRef(top, options.ref, relProjectDir, tmp);
    const baseConfig = join(tmp, relConfigDir, basename(configFile));
    const baseProjectDir = join(tmp, relProjectDir);
    const project = projectName(join(baseProjectDir, "Pulumi.yaml")) ?? projectName(join(projectDir, "Pulumi.yaml")) ?? "brume";
    // No config file at the base: nothing was deployed from it. A config without this stack's
    // Pulumi.<stack>.yaml is planned with defaults, as `brume plan` plans it (not as a new stack).
    if (!existsSync(baseConfig)) return emptyPlan(project, options.stack);
    // The base is what is deployed: its creation order is history, not this change's business.
    const { plan } = await planStack({ stack: options.stack, configFile: baseConfig, projectDir: baseProjectDir, creationOrder: false });
    return plan;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function projectName(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  const m = /^name:\s*(\S+)/m.exec(readFileSync(file, "utf8"));
  return m?.[1];
}

/** True when `base` names an existing file (a plan JSON) rather than a git ref. */
export function isPlanFile(base: string): boolean {
  return base.endsWith(".json") || existsSync(base);
}
