/**
 * Assertions over a plan, as plain functions that throw an Error with a readable message (any test
 * runner shows it): find a resource, assert its inputs, dependencies, parent, provider and protect
 * flag, the creation-order check and the policy rules.
 */
import { isDeepStrictEqual } from "node:util";
import { checkCreationOrder, formatViolations, PlanIndex, WaitGraph, type CheckCreationOrderOptions } from "../plan/creation-order.js";
import type { Plan, PlannedResource } from "../plan/run.js";
import { allPolicyRules, checkPlan, type PolicyRule, type RuleContext } from "../review/policy/rules.js";

/** A resource by URN, by `type::name`, by name, or by a predicate. */
export type ResourceSelector = string | { type?: string; name?: string } | ((r: PlannedResource) => boolean);

/** Thrown by every assertion of the kit; `details` holds the mismatches. */
export class PlanAssertionError extends Error {
  override readonly name = "PlanAssertionError";
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(details.length ? `${message}\n${details.map((d) => `  - ${d}`).join("\n")}` : message);
  }
}

function describeSelector(selector: ResourceSelector): string {
  if (typeof selector === "string") return JSON.stringify(selector);
  if (typeof selector === "function") return "the predicate";
  return JSON.stringify(selector);
}

function matches(r: PlannedResource, selector: ResourceSelector): boolean {
  if (typeof selector === "function") return selector(r);
  if (typeof selector === "string") {
    if (selector.startsWith("urn:")) return r.urn === selector;
    const cut = selector.lastIndexOf("::");
    return cut > 0 ? r.type === selector.slice(0, cut) && r.name === selector.slice(cut + 2) : r.name === selector;
  }
  return (selector.type === undefined || r.type === selector.type) && (selector.name === undefined || r.name === selector.name);
}

/** Every resource the selector matches (possibly none). */
export function findResources(plan: Plan, selector: ResourceSelector): PlannedResource[] {
  return plan.resources.filter((r) => matches(r, selector));
}

/** The one resource the selector matches; throws, listing near candidates, when none or several match. */
export function findResource(plan: Plan, selector: ResourceSelector): PlannedResource {
  const found = findResources(plan, selector);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new PlanAssertionError(`${describeSelector(selector)} matches ${found.length} resources; select by URN or { type, name }`, found.map((r) => r.urn));
  }
  const hint = typeof selector === "string" ? selector.slice(selector.lastIndexOf("::") + 1).replace(/^:/, "") : typeof selector === "object" ? (selector.name ?? selector.type ?? "") : "";
  const near = plan.resources.filter((r) => hint && (r.name.includes(hint) || r.type.includes(hint) || hint.includes(r.name))).slice(0, 10);
  throw new PlanAssertionError(
    `no resource matches ${describeSelector(selector)} among ${plan.resources.length} planned resources${near.length ? "; similar:" : ""}`,
    near.map((r) => `${r.type}::${r.name}`),
  );
}

/** Paths where `actual` differs from the `expected` subset (objects: only the expected keys; arrays: whole). */
function subsetMismatches(actual: unknown, expected: unknown, path: string, out: string[]): void {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      out.push(`${path || "inputs"}: expected an object, got ${JSON.stringify(actual)}`);
      return;
    }
    for (const [key, value] of Object.entries(expected)) {
      const next = path ? `${path}.${key}` : key;
      if (!(key in actual)) out.push(`${next}: missing (expected ${JSON.stringify(value)})`);
      else subsetMismatches((actual as Record<string, unknown>)[key], value, next, out);
    }
    return;
  }
  if (!isDeepStrictEqual(actual, expected)) out.push(`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/**
 * Asserts that the resource's inputs contain `expected` (nested objects match by the keys given; arrays
 * and values match exactly; secrets show as "[secret]"). Returns the resource.
 */
export function assertInputs(plan: Plan, selector: ResourceSelector, expected: Record<string, unknown>): PlannedResource {
  const r = findResource(plan, selector);
  const mismatches: string[] = [];
  subsetMismatches(r.inputs, expected, "", mismatches);
  if (mismatches.length) throw new PlanAssertionError(`inputs of ${r.type}::${r.name} differ from the expected ones`, mismatches);
  return r;
}

/**
 * Asserts that `dependent` waits for each of `required` before it is created: through its dependencies
 * (`dependsOn` and inputs from their outputs), its provider or its parent, directly or transitively.
 * `{ direct: true }` requires each to be a direct dependency.
 */
export function assertDependsOn(plan: Plan, dependent: ResourceSelector, required: ResourceSelector | ResourceSelector[], options: { direct?: boolean } = {}): void {
  const r = findResource(plan, dependent);
  const graph = new WaitGraph(new PlanIndex(plan));
  const missing = (Array.isArray(required) ? required : [required])
    .map((s) => findResource(plan, s))
    .filter((q) => (options.direct ? !r.dependencies.includes(q.urn) : !graph.waits(r.urn, q.urn)))
    .map((q) => `${q.type}::${q.name} (${q.urn})`);
  if (missing.length) {
    throw new PlanAssertionError(
      `${r.type}::${r.name} does not wait for ${missing.length === 1 ? "this resource" : "these resources"}${options.direct ? " directly" : ""} (its dependencies: ${r.dependencies.length ? r.dependencies.map(urnName).join(", ") : "none"})`,
      missing,
    );
  }
}

/** Asserts the resource's parent (a component) and, when given, its protect flag and explicit provider. */
export function assertResource(
  plan: Plan,
  selector: ResourceSelector,
  expected: { parent?: ResourceSelector | ""; protect?: boolean; provider?: ResourceSelector | ""; ignoreChanges?: string[] },
): PlannedResource {
  const r = findResource(plan, selector);
  const problems: string[] = [];
  const urnOf = (s: ResourceSelector | "") => (s === "" ? "" : findResource(plan, s).urn);
  if (expected.parent !== undefined && r.parent !== urnOf(expected.parent)) problems.push(`parent: expected ${urnOf(expected.parent) || "none"}, got ${r.parent || "none"}`);
  if (expected.protect !== undefined && r.protect !== expected.protect) problems.push(`protect: expected ${expected.protect}, got ${r.protect}`);
  if (expected.provider !== undefined && r.provider !== urnOf(expected.provider)) problems.push(`provider: expected ${urnOf(expected.provider) || "the default provider"}, got ${r.provider || "the default provider"}`);
  if (expected.ignoreChanges !== undefined && !isDeepStrictEqual(r.ignoreChanges ?? [], [...expected.ignoreChanges].sort())) {
    problems.push(`ignoreChanges: expected ${JSON.stringify([...expected.ignoreChanges].sort())}, got ${JSON.stringify(r.ignoreChanges ?? [])}`);
  }
  if (problems.length) throw new PlanAssertionError(`${r.type}::${r.name} is not as expected`, problems);
  return r;
}

/**
 * Asserts the creation-order check passes: every resource waits for what the cloud requires to exist
 * first (APIs enabled, CRDs installed, networks peered …), as a first `pulumi up` on a fresh project needs.
 */
export function assertCreationOrder(plan: Plan, options: CheckCreationOrderOptions = {}): void {
  const violations = checkCreationOrder(plan, options);
  if (violations.length) throw new PlanAssertionError(`the plan fails the creation-order check (${violations.length} violations):\n${formatViolations(violations)}`);
}

/** Asserts the policy rules pass (hardening; with `{ production: true }` stateful resources must be protected). */
export function assertPolicy(plan: Plan, options: { rules?: readonly PolicyRule[]; context?: RuleContext } = {}): void {
  const violations = checkPlan(plan, options.rules ?? allPolicyRules, options.context ?? {});
  if (violations.length) {
    throw new PlanAssertionError(
      `the plan breaks ${violations.length} policy rule${violations.length === 1 ? "" : "s"}`,
      violations.map((v) => `${v.rule}: ${urnName(v.urn)}: ${v.message}`),
    );
  }
}

function urnName(urn: string): string {
  const parts = urn.split("::");
  return `${(parts[2] ?? "").split("$").pop()}::${parts[3] ?? urn}`;
}
