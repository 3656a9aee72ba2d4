/**
 * Plans a brume stack offline as `pulumi up` would run it: Pulumi.yaml names the project,
 * Pulumi.<stack>.yaml gives the stack config, and the real program (src/program/index.ts) runs under
 * the mocks. The brume config is validated first, so bad input fails before any resource exists;
 * the program is handed that validated config rather than loading it a second time.
 */
import { ConfigError } from "../config/errors.js";
import type { LoadedStack } from "../config/load.js";
import { loadStackFiles, offlineSecretPlaceholder, type StackConfig } from "../config/stack-file.js";
import { checkImages, renderImageViolations } from "./images.js";
import { checkCreationOrder, CreationOrderError } from "./creation-order.js";
import { secretValueIssues, secretValuesKey, setSecretCommand } from "../config/secret-values.js";
import { Naming } from "../config/naming.js";
import { PlanError, runProgram, type Plan, type PlannedResource } from "./run.js";
import { secretsWithoutValue } from "./secret-values.js";
import { edgeWarnings } from "./edge-warnings.js";
import { secretPinWarnings } from "../config/secret-versions.js";

// Pulumi.yaml / Pulumi.<stack>.yaml are read by the config layer (strict keys, file and line in errors).
export { offlineSecretPlaceholder, readStackConfig, type StackConfig } from "../config/stack-file.js";

export interface PlanStackOptions {
  stack: string;
  /** brume.yaml / brume.toml; looked up in the current directory when absent. */
  configFile?: string;
  /** Directory with Pulumi.yaml and Pulumi.<stack>.yaml; defaults to the config file's directory. */
  projectDir?: string;
  /**
   * Kubernetes services planned per program run. A larger environment is planned in groups: each
   * run registers the shared resources and one group of services, and the plans are merged (the
   * shared resources must come out byte-identical from every run, or the plan fails). The SDK holds
   * every pending registration in memory until the program's synchronous part ends, so one run of
   * 2,000 services peaks above 3 GB; groups of 50 keep it under 1 GiB and the time linear.
   * @default 50
   */
  servicesPerRun?: number;
  /**
   * Fail the plan when an image would not be admitted or pulled (`checkImages`, src/plan/images.ts).
   * @default true
   */
  checkImages?: boolean;
  /**
   * Check the plan's creation order (./creation-order.ts): a resource the engine would create
   * before something it needs fails the plan with a CreationOrderError. Turn it off only when
   * something outside the plan orders those resources (or to plan a deployed base for a diff).
   * @default true
   */
  creationOrder?: boolean;
  /**
   * Plan a gitops environment as if Pulumi delivered its workloads (`brume render` takes the
   * Kubernetes objects from that plan: one set of renderers for both deliveries, docs/gitops.md).
   */
  asPulumiDelivery?: boolean;
}

export interface StackPlan {
  plan: Plan;
  loaded: LoadedStack;
  /**
   * What the plan accepts but a real environment would not run as declared, one line each: secrets
   * a workload mounts or reads that nothing gives a value (`brume plan` prints them on stderr).
   */
  warnings: string[];
}

/** `brume:secrets` of the stack config: the names given, and those stored without `--secret`. */
function givenSecretValues(stackConfig: StackConfig): { names: string[]; plaintext: string[] } {
  const value = stackConfig.config[secretValuesKey];
  if (value === undefined) return { names: [], plaintext: [] };
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    // A top-level `--secret` without --path: one opaque value, not an object of names.
    return { names: [], plaintext: [] };
  }
  const entries = Object.entries(value);
  return { names: entries.map(([name]) => name), plaintext: entries.filter(([, v]) => v !== offlineSecretPlaceholder).map(([name]) => name) };
}

export async function planStack(options: PlanStackOptions): Promise<StackPlan> {
  // Validate before running anything: bad input never reaches the program.
  const { inputs, loaded: validated } = loadStackFiles(options);
  const { configFile, stackConfig, environment, stackFile } = inputs;
  const loaded = options.asPulumiDelivery ? asPulumiDelivery(validated) : validated;
  const given = givenSecretValues(stackConfig);
  const valueIssues = secretValueIssues(loaded.config, given.names, given.plaintext, options.stack);
  if (valueIssues.length > 0) throw new ConfigError(valueIssues, stackFile);
  // The program module creates nothing at import time, so it is loaded before the run: the run
  // can then switch stack traces off (see runProgram's `stackTraces`).
  const { default: program } = await import("../program/index.js");
  const runOptions = {
    project: stackConfig.project,
    stack: options.stack,
    config: { ...stackConfig.config, "brume:configFile": configFile, "brume:environment": environment },
    secretKeys: stackConfig.secretKeys,
    defaultProject: loaded.environment.gcpProject,
    defaultRegion: loaded.environment.region,
    // A brume.yaml stack's only dynamic providers are brume's readiness waits, whose serialization
    // test/readiness/serialized.test.ts checks: the plan does not pay for it again (≈0.5 s CPU).
    dynamicProviders: "skip" as const,
  };
  // The config was loaded and validated above from the same stack config the program would read
  // it from (a test checks both give the same plan): the program gets it instead of loading it again.
  const groups = serviceGroups(loaded.config.services, options.servicesPerRun ?? 50);
  let plan: Plan;
  if (groups.length <= 1) plan = await runProgram(() => program({ loaded }), runOptions);
  else {
    const plans: Plan[] = [];
    for (const onlyServices of groups) plans.push(await runProgram(() => program({ onlyServices, loaded }), runOptions));
    plan = mergePlans(plans);
  }
  if (options.creationOrder ?? true) {
    const violations = checkCreationOrder(plan);
    if (violations.length > 0) throw new CreationOrderError(violations);
  }
  if (options.checkImages ?? true) {
    const violations = checkImages(plan, { readableRegistries: loaded.environment.cluster.readableRegistries });
    if (violations.length > 0) throw new PlanError(renderImageViolations(violations));
  }
  // The config as validated (asPulumiDelivery changes only what the program ran with).
  return { plan, loaded: validated, warnings: [...stackConfig.warnings, ...(validated.shadowed ?? []), ...stackWarnings(plan, loaded, options.stack)] };
}

/** The warnings of a brume stack's plan, each fix naming the `brume:secrets` key of the secret. */
export function stackWarnings(plan: Plan, loaded: LoadedStack, stack: string): string[] {
  const naming = Naming.of(loaded.config.project.name, loaded.environment.name);
  const byId = new Map(Object.keys(loaded.config.secrets).map((name) => [naming.name(name, "secretId"), name]));
  return [
    ...secretsWithoutValue(plan, {
      setCommand: (secretId) => {
        const name = byId.get(secretId);
        return name === undefined ? undefined : setSecretCommand(name, stack);
      },
    }).map((s) => s.message),
    // Domains outside the zone, egress not restricted by host name (issue 14).
    ...edgeWarnings(plan, loaded),
    // Unpinned secrets where replicas may disagree, signing keys without a pin (docs/secrets.md).
    ...secretPinWarnings(loaded.config, loaded.environment),
  ];
}

/** Kubernetes service names in groups of `size` (sorted, so a group's members are stable). */
export function serviceGroups(services: Record<string, { runner: string }>, size: number): string[][] {
  const names = Object.keys(services)
    .filter((key) => services[key]!.runner === "kubernetes")
    .sort();
  const groups: string[][] = [];
  for (let i = 0; i < names.length; i += Math.max(1, size)) groups.push(names.slice(i, i + Math.max(1, size)));
  return groups;
}

/**
 * One plan from the runs of service groups: each resource once, sorted by URN. A resource in
 * several runs (the environment, the namespace, …) must be identical in each; stack outputs too,
 * except the per-service ones (`perServiceOutputs`: each run has its own services'), which are joined.
 */
export function mergePlans(plans: Plan[]): Plan {
  const [first] = plans;
  if (!first) throw new Error("mergePlans: no plan");
  const byUrn = new Map<string, { resource: PlannedResource; json: string }>();
  const conflicts: string[] = [];
  for (const plan of plans) {
    for (const resource of plan.resources) {
      const json = JSON.stringify(resource);
      const seen = byUrn.get(resource.urn);
      if (!seen) byUrn.set(resource.urn, { resource, json });
      else if (seen.json !== json) conflicts.push(`${resource.urn} differs between service groups`);
    }
    if (JSON.stringify(shared(plan.outputs)) !== JSON.stringify(shared(first.outputs))) conflicts.push("stack outputs differ between service groups");
  }
  if (conflicts.length > 0) throw new PlanError(conflicts);
  const resources = [...byUrn.values()].map((entry) => entry.resource).sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  const outputs: Record<string, unknown> = { ...first.outputs };
  for (const key of perServiceOutputs) {
    if (!plans.some((p) => key in p.outputs)) continue;
    const joined = Object.assign({}, ...plans.map((p) => (p.outputs[key] ?? {}) as Record<string, unknown>));
    outputs[key] = Object.fromEntries(Object.entries(joined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  return { project: first.project, stack: first.stack, resources, outputs };
}

/** Stack outputs keyed by service: each group's run knows only its own services' entries. */
const perServiceOutputs = ["images"] as const;

function shared(outputs: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...outputs };
  for (const key of perServiceOutputs) delete rest[key];
  return rest;
}

/** The stack with its environment delivered by Pulumi (validated as it is; only the delivery differs). */
function asPulumiDelivery(loaded: LoadedStack): LoadedStack {
  const name = loaded.environment.name;
  const environments = { ...loaded.config.environments, [name]: { ...loaded.config.environments[name]!, delivery: "pulumi" as const } };
  return { ...loaded, config: { ...loaded.config, environments } };
}
