/**
 * `brume bootstrap --stack <env>` (issue 17): plans, offline, what a project owner creates once per
 * environment before its first deploy — the Pulumi state bucket, the KMS key of the secrets
 * provider, the CI identities and the privileged grants CI may not make — and prints the
 * `pulumi login` / `--secrets-provider` lines and the GitHub variables to set. What the deploy
 * identity may do comes from the environment's own offline plan (`environmentFacts`).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { stackOptions, type Command } from "../command.js";
import type { Plan } from "../../plan/run.js";
import type { EnvironmentFacts } from "../../program/bootstrap.js";

/** Resource types and granted project roles of an environment's plan (custom roles by their full name). */
export function environmentFacts(plan: Plan): EnvironmentFacts {
  const resourceTypes = [...new Set(plan.resources.filter((r) => r.custom).map((r) => r.type))].sort();
  const grantedRoles = [
    ...new Set(
      plan.resources
        .filter((r) => r.type === "gcp:projects/iAMMember:IAMMember")
        .map((r) => String(r.inputs.role)),
    ),
  ].sort();
  return { resourceTypes, grantedRoles };
}

/** The GitHub variable names of an environment's identities (the workflows read the same names). */
export function githubVariables(environment: string): { deploy: string; preview: string } {
  const key = environment.toUpperCase().replace(/-/g, "_");
  return { deploy: `GCP_${key}_DEPLOY_SERVICE_ACCOUNT`, preview: `GCP_${key}_PREVIEW_SERVICE_ACCOUNT` };
}

/** What the owner runs and sets after `pulumi up` of the bootstrap, from the bootstrap plan's outputs. */
export function bootstrapInstructions(plan: Plan, stack: string): string {
  const o = plan.outputs as Record<string, string | undefined>;
  const env = String(o.environment);
  const vars = githubVariables(env);
  const lines = [
    `# ${env}: state and secrets (run in the product repository, after the bootstrap's pulumi up)`,
    `pulumi login ${o.backendUrl}`,
    `pulumi stack init ${stack} --secrets-provider ${o.secretsProvider}`,
    `#   an existing stack keeps its secrets provider: pulumi stack change-secrets-provider ${o.secretsProvider}`,
  ];
  if (o.workloadIdentityProvider) {
    lines.push(
      "# GitHub repository variables (Settings → Secrets and variables → Actions → Variables)",
      `gh variable set GCP_WORKLOAD_IDENTITY_PROVIDER --body '${o.workloadIdentityProvider}'`,
      `gh variable set PULUMI_BACKEND_URL_${env.toUpperCase().replace(/-/g, "_")} --body '${o.backendUrl}'`,
      `gh variable set ${vars.deploy} --body '${o.deployServiceAccount}'`,
      `gh variable set ${vars.preview} --body '${o.previewServiceAccount}'`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export const bootstrapCommand: Command = {
  summary: "Plan an environment's bootstrap (state bucket, secrets key, CI identities) and print the login lines",
  usage: `brume bootstrap [--stack <env>] [--config <file>] [--project-dir <dir>] [--format json|md|text] [--out <file>]
  --stack <env>         Environment stack to bootstrap (default: prod)
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)
  --format <fmt>        Format of the bootstrap plan written with --out: json | text | md (default: text)
  --out <file>          Write the bootstrap plan to a file (default: only its summary on stderr)

Prints the pulumi login / --secrets-provider lines and the GitHub variables on stdout. A project owner applies
the bootstrap once per environment, with a local backend (it creates the state bucket): docs/pipeline.md.`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { ...stackOptions, format: { type: "string", default: "text" }, out: { type: "string" } },
      strict: true,
    });
    const stack = values.stack as string;
    const [{ planStack }, { runProgram }, { checkCreationOrder, formatViolations }, { bootstrapProgram }, { renderPlan, countByType }] = await Promise.all([
      import("../../plan/stack.js"),
      import("../../plan/run.js"),
      import("../../plan/creation-order.js"),
      import("../../program/bootstrap.js"),
      import("../../plan/format.js"),
    ]);
    const { plan: envPlan, loaded } = await planStack({
      stack,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
    });
    const plan = await planBootstrap(runProgram, bootstrapProgram, loaded.config, loaded.environment.name, stack, environmentFacts(envPlan), loaded.environment.gcpProject, loaded.environment.region);
    const violations = checkCreationOrder(plan);
    if (violations.length > 0) {
      io.stderr(`${formatViolations(violations)}\n`);
      return 1;
    }
    if (values.out) writeFileSync(values.out, renderPlan(plan, values.format as "json" | "text" | "md"));
    io.stderr(`bootstrap of ${stack}: ${plan.resources.filter((r) => r.custom).length} resources (${countByType(plan).filter(([t]) => !t.startsWith("brume:")).map(([t, n]) => `${n} ${t.split(":").pop()}`).join(", ")})\n`);
    io.stdout(bootstrapInstructions(plan, stack));
    return 0;
  },
};

/** Plans the bootstrap program of one environment under the project's mocks. */
export async function planBootstrap(
  runProgram: typeof import("../../plan/run.js").runProgram,
  program: typeof import("../../program/bootstrap.js").bootstrapProgram,
  config: import("../../config/schema.js").BrumeConfig,
  environment: string,
  stack: string,
  facts: EnvironmentFacts,
  defaultProject: string,
  defaultRegion: string,
): Promise<Plan> {
  return runProgram(() => program({ config, environment, facts }), { project: `${config.project.name}-bootstrap`, stack, defaultProject, defaultRegion });
}
