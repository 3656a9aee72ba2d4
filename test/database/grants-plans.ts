/** Plans of the examples the grants tests read (bro-ai prod; machines prod, as configured and in iam mode). */
import { join } from "node:path";
import { loadStack } from "../../src/config/load.js";
import { runProgram, type Plan, type PlannedResource } from "../../src/plan/run.js";
import { examplePath, one, planDir } from "../harness.js";

export const planBroAi = (): Promise<Plan> => planDir(examplePath("bro-ai"), "prod");

/** examples/machines prod, with `overrides` as `brume:overrides` would give them. */
export async function planMachines(overrides: unknown = {}): Promise<Plan> {
  const dir = examplePath("machines");
  const configFile = join(dir, "brume.yaml");
  const loaded = loadStack({ configFile, environment: "prod", overrides });
  const program = async () => (await import("../../src/program/index.js")).default();
  return runProgram(program, {
    project: "tiles",
    stack: "prod",
    config: { "brume:configFile": configFile, "brume:environment": "prod", "brume:overrides": overrides },
    defaultProject: loaded.environment.gcpProject,
    defaultRegion: loaded.environment.region,
  });
}

/** The grants Job of database `db` of a plan, its ConfigMap, and what the Job's container runs. */
export function grantsOf(plan: Plan, prefix: string) {
  const job = one(plan, "kubernetes:batch/v1:Job", `${prefix}-audit-grants-job`);
  const configMap = one(plan, "kubernetes:core/v1:ConfigMap", `${prefix}-audit-grants-sql`);
  const pod = (job.inputs as { spec: { template: { spec: Record<string, any> } } }).spec.template.spec;
  const container = pod.containers[0] as { command: string[]; env: { name: string; value?: string }[] };
  return {
    job,
    configMap,
    pod,
    script: container.command[2]!,
    user: container.env.find((e) => e.name === "PGUSER")!.value!,
    files: (configMap.inputs as { data: Record<string, string> }).data,
  };
}

/** The `name` input of a Cloud SQL user of the plan. */
export const userName = (r: PlannedResource): string => (r.inputs as { name: string }).name;
