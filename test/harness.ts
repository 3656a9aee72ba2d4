/**
 * Test helpers over the one offline-plan implementation (src/plan). Tests plan real programs and
 * assert on recorded inputs; nothing here mocks anything itself.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { planStack } from "../src/plan/stack.js";
import { runProgram, type Plan, type PlannedResource, type RunProgramOptions } from "../src/plan/run.js";
import { runCli } from "../src/cli/main.js";
import { ConfigError } from "../src/config/errors.js";
import { parseConfigText, validateConfig } from "../src/config/load.js";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const examplePath = (...parts: string[]) => join(repoRoot, "examples", ...parts);

/** Plans a stack of a directory holding brume.yaml (or `configFile`) and Pulumi.<stack>.yaml. */
export async function planDir(dir: string, stack: string, configFile = "brume.yaml"): Promise<Plan> {
  const { plan } = await planStack({ stack, configFile: join(dir, configFile), projectDir: dir });
  return plan;
}

/** Plans an inline program (components imported inside it, after the mocks are set). */
export function planProgram(program: () => unknown, options: Partial<RunProgramOptions> = {}): Promise<Plan> {
  return runProgram(program, { project: "test", stack: "test", ...options });
}

export function ofType(plan: Plan, type: string): PlannedResource[] {
  return plan.resources.filter((r) => r.type === type);
}

/** The one resource of a type with a logical name; fails loudly when absent or ambiguous. */
export function one(plan: Plan, type: string, name: string): PlannedResource {
  const found = plan.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) {
    const names = ofType(plan, type).map((r) => r.name);
    throw new Error(`expected one ${type} named ${name}, found ${found.length}; names of that type: ${names.join(", ")}`);
  }
  return found[0]!;
}

export function byUrn(plan: Plan, urn: string): PlannedResource {
  const found = plan.resources.find((r) => r.urn === urn);
  if (!found) throw new Error(`no resource ${urn}`);
  return found;
}

/** Runs the `brume` CLI in process: its exit code and what it printed. */
export async function brume(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** The problems validation finds in a brume.yaml text, as `path: message` lines; [] when valid. */
export function configProblems(text: string): string[] {
  try {
    validateConfig(parseConfigText(text, "yaml", "brume.yaml"), "brume.yaml");
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}
