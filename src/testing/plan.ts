/**
 * Planning a program for a test: the offline plan's runProgram (src/plan/run.ts) under the project's
 * honest mocks (src/plan/mocks.ts), with defaults a test wants and config written as a test writes it.
 */
import { runProgram, type Plan, type RunProgramOptions } from "../plan/run.js";

export interface TestPlanOptions {
  /** Pulumi project name (URNs). @default "test" */
  project?: string;
  /** Stack name. @default "test" */
  stack?: string;
  /**
   * Stack config. A key without a namespace gets the project's (`environment` → `<project>:environment`),
   * as `new pulumi.Config()` reads it; `gcp:project` and other namespaced keys are kept. Objects are
   * passed as JSON, as the Pulumi CLI does.
   */
  config?: Record<string, unknown>;
  /** Config values that are secrets (`pulumi config set --secret`), same key rules as `config`. */
  secrets?: Record<string, unknown>;
  /** Outputs of the stacks the program reads with `new pulumi.StackReference(name)`, by name (`org/project/stack`). */
  stackReferences?: Record<string, Record<string, unknown>>;
  /** Project and region of resources that name none (the provider's default). */
  defaultProject?: string;
  defaultRegion?: string;
}

function qualified(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/**
 * Runs `program` under the offline plan's mocks and returns every registered resource with its inputs,
 * parent, dependencies, provider and protect flag. Import your components INSIDE `program` (a dynamic
 * `import()`), not at the top of the test file: the mocks must be installed before they load.
 * Throws the plan's error (every failed registration or refused invoke, listed) when the program fails.
 */
export async function planProgram(program: () => unknown, options: TestPlanOptions = {}): Promise<Plan> {
  const project = options.project ?? "test";
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) config[qualified(project, key)] = value;
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(options.secrets ?? {})) {
    config[qualified(project, key)] = value;
    secretKeys.push(qualified(project, key));
  }
  const run: RunProgramOptions = {
    project,
    stack: options.stack ?? "test",
    config,
    secretKeys,
    ...(options.stackReferences ? { stackReferences: options.stackReferences } : {}),
    ...(options.defaultProject ? { defaultProject: options.defaultProject } : {}),
    ...(options.defaultRegion ? { defaultRegion: options.defaultRegion } : {}),
  };
  return runProgram(program, run);
}
