/**
 * The CrossGuard policies: one per rule of src/review/policy/rules.ts (`allPolicyRules`), so `brume plan
 * --policy` offline and `pulumi preview --policy-pack policy` run the SAME implementation. Kept
 * apart from index.ts, which starts the policy server, so tests can import the policies.
 */
import type { PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import type { PlannedResource } from "../src/plan/run.js";
import { allPolicyRules, type PolicyRule } from "../src/review/policy/rules.js";

/** Stacks treated as production when the pack config names none. */
export const defaultProductionStacks = ["prod", "production"];

const productionConfig: PolicyConfigSchema = {
  properties: {
    productionStacks: {
      type: "array",
      items: { type: "string" },
      default: defaultProductionStacks,
      description: "Stack names treated as production (stateful resources must be protected).",
    },
  },
};

/** The stack of a URN (`urn:pulumi:<stack>::<project>::…`). */
export function stackOfUrn(urn: string): string {
  return urn.split("::")[0]!.replace(/^urn:pulumi:/, "");
}

/** A CrossGuard resource as the planned resource the pure rules read. */
export function asPlannedResource(args: Pick<ResourceValidationArgs, "urn" | "type" | "name" | "props" | "opts">): PlannedResource {
  return {
    urn: args.urn,
    type: args.type,
    name: args.name,
    parent: args.opts?.parent ?? "",
    inputs: args.props ?? {},
    dependencies: [],
    provider: "",
    protect: args.opts?.protect === true,
    custom: true,
  };
}

export function policyOf(rule: PolicyRule): ResourceValidationPolicy {
  const usesProduction = rule.name === "stateful-protected-in-prod";
  return {
    name: rule.name,
    description: rule.description,
    enforcementLevel: "mandatory",
    ...(usesProduction ? { configSchema: productionConfig } : {}),
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      if (!rule.types.includes(args.type)) return;
      const stacks = usesProduction ? (args.getConfig<{ productionStacks?: string[] }>().productionStacks ?? defaultProductionStacks) : [];
      const production = stacks.includes(stackOfUrn(args.urn));
      for (const message of rule.check(asPlannedResource(args), { production })) reportViolation(message, args.urn);
    },
  };
}

export const policies: ResourceValidationPolicy[] = allPolicyRules.map(policyOf);
