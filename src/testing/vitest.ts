/**
 * `@brume/infra/testing/vitest` — the test kit's assertions as vitest matchers. This module imports
 * nothing from vitest at run time: pass your `expect`.
 *
 *   import { expect } from "vitest";
 *   import { installPlanMatchers } from "@brume/infra/testing/vitest";
 *   installPlanMatchers(expect);
 *   expect(plan).toHaveResourceInputs("acme-prod-vpc", { autoCreateSubnetworks: false });
 */
import type { CheckCreationOrderOptions } from "../plan/creation-order.js";
import type { Plan } from "../plan/run.js";
import type { PolicyRule, RuleContext } from "../review/policy/rules.js";
import { assertCreationOrder, assertDependsOn, assertInputs, assertPolicy, assertResource, type ResourceSelector } from "./assert.js";
import { assertGoldenPlan } from "./golden.js";

type MatcherResult = { pass: boolean; message: () => string };

function asMatcher(name: string, check: () => void): MatcherResult {
  try {
    check();
    return { pass: true, message: () => `expected the plan not to satisfy ${name}` };
  } catch (err) {
    return { pass: false, message: () => (err instanceof Error ? err.message : String(err)) };
  }
}

/** The matchers, for `expect.extend(planMatchers)`. */
export const planMatchers = {
  toHaveResourceInputs(plan: Plan, selector: ResourceSelector, expected: Record<string, unknown>) {
    return asMatcher("toHaveResourceInputs", () => assertInputs(plan, selector, expected));
  },
  toHaveResourceDependingOn(plan: Plan, dependent: ResourceSelector, required: ResourceSelector | ResourceSelector[], options?: { direct?: boolean }) {
    return asMatcher("toHaveResourceDependingOn", () => assertDependsOn(plan, dependent, required, options));
  },
  toHaveResource(plan: Plan, selector: ResourceSelector, expected: Parameters<typeof assertResource>[2] = {}) {
    return asMatcher("toHaveResource", () => assertResource(plan, selector, expected));
  },
  toPassCreationOrder(plan: Plan, options?: CheckCreationOrderOptions) {
    return asMatcher("toPassCreationOrder", () => assertCreationOrder(plan, options));
  },
  toPassPolicy(plan: Plan, options?: { rules?: readonly PolicyRule[]; context?: RuleContext }) {
    return asMatcher("toPassPolicy", () => assertPolicy(plan, options));
  },
  toMatchGoldenPlan(plan: Plan, file: string, options?: { update?: boolean }) {
    return asMatcher("toMatchGoldenPlan", () => assertGoldenPlan(plan, file, options));
  },
};

/** The part of vitest's (or Jest's) `expect` this needs. */
export interface ExtensibleExpect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  extend(matchers: Record<string, (this: any, received: any, ...args: any[]) => MatcherResult>): void;
}

/** Installs the plan matchers on `expect` (vitest or Jest). */
export function installPlanMatchers(expect: ExtensibleExpect): void {
  expect.extend(planMatchers);
}

/**
 * Types of the matchers, to merge into vitest's `Assertion` in a .d.ts of your tests:
 *   import type { PlanMatchers } from "@brume/infra/testing/vitest";
 *   declare module "vitest" { interface Assertion<T = any> extends PlanMatchers<T> {} }
 */
export interface PlanMatchers<R = unknown> {
  toHaveResourceInputs(selector: ResourceSelector, expected: Record<string, unknown>): R;
  toHaveResourceDependingOn(dependent: ResourceSelector, required: ResourceSelector | ResourceSelector[], options?: { direct?: boolean }): R;
  toHaveResource(selector: ResourceSelector, expected?: Parameters<typeof assertResource>[2]): R;
  toPassCreationOrder(options?: CheckCreationOrderOptions): R;
  toPassPolicy(options?: { rules?: readonly PolicyRule[]; context?: RuleContext }): R;
  toMatchGoldenPlan(file: string, options?: { update?: boolean }): R;
}
