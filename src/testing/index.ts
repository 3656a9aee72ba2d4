/**
 * `@brume/infra/testing` — a test kit for your own Pulumi stacks, brume's components or any others.
 *
 * What it adds over Pulumi's own unit-testing mocks (`pulumi.runtime.setMocks`):
 * - the plan records each resource's parent, protect flag, dependencies and explicit provider, which
 *   the mocks' `newResource` never sees (pulumi/pulumi#14421: no access to resource options in mocks);
 * - config and StackReference outputs are supplied by the test (`config`, `secrets`, `stackReferences`)
 *   instead of environment variables or a mocked `pulumi:pulumi:StackReference`
 *   (pulumi/pulumi#16042: mocking StackReference outputs);
 * - every registration has completed when the plan returns, so assertions need no `output.apply`
 *   callbacks that silently never run (pulumi/pulumi#6666: awaiting all resources in unit tests);
 * - the mocks are honest: they answer as the cloud would and refuse what it refuses (src/plan/mocks.ts);
 * - assertions as plain functions that throw readable errors (any runner), golden plans with a
 *   readable diff, and the creation-order check and the policy rules as assertions.
 *
 * Vitest matchers live in `@brume/infra/testing/vitest` (vitest is not a dependency of this entry).
 *
 * @example
 *   const plan = await planProgram(async () => (await import("./index.js")).default(), { stack: "prod" });
 *   assertInputs(plan, "gcp:compute/network:Network::acme-prod-vpc", { autoCreateSubnetworks: false });
 *   assertCreationOrder(plan);
 */
export { planProgram, type TestPlanOptions } from "./plan.js";
export {
  assertCreationOrder,
  assertDependsOn,
  assertInputs,
  assertPolicy,
  assertResource,
  findResource,
  findResources,
  PlanAssertionError,
  type ResourceSelector,
} from "./assert.js";
export { assertGoldenPlan, planDifferences } from "./golden.js";
export type { Plan, PlannedResource } from "../plan/run.js";
