/** The CrossGuard pack runs the same rules: each operations rule passes and fails through `validateResource`, and the example prod stack passes every policy. */
import type { ResourceValidation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { asPlannedResource, policies, stackOfUrn } from "../../policy/policies.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { allPolicyRules, checkPlan, operationsRules } from "../../src/review/policy/rules.js";
import { runGate } from "../../src/review/policy/gate.js";
import { loadStack } from "../../src/config/load.js";
import { examplePath, planDir, repoRoot } from "../harness.js";
import { join } from "node:path";

function args(type: string, props: Record<string, unknown>, options: { protect?: boolean; stack?: string; config?: unknown } = {}): ResourceValidationArgs {
  return {
    type,
    props,
    urn: `urn:pulumi:${options.stack ?? "dev"}::t::${type}::r`,
    name: "r",
    opts: { protect: options.protect ?? false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: {} } as unknown as ResourceValidationArgs["opts"],
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: () => (options.config ?? {}) as never,
  } as unknown as ResourceValidationArgs;
}

/** Our policies' validateResource is one function (never a list). */
const validate = (p: ResourceValidationPolicy) => p.validateResource as ResourceValidation;

async function violations(policyName: string, a: ResourceValidationArgs): Promise<string[]> {
  const policy = policies.find((p) => p.name === policyName)!;
  const out: string[] = [];
  await validate(policy)(a, (message, urn) => out.push(`${urn ?? ""}: ${message}`));
  return out;
}

const cases = [
  {
    rule: "no-default-service-accounts",
    good: args("gcp:compute/instanceTemplate:InstanceTemplate", { serviceAccount: { email: "vm@p.iam.gserviceaccount.com", scopes: ["cloud-platform"] } }),
    bad: args("gcp:compute/instanceTemplate:InstanceTemplate", { serviceAccount: { email: "123-compute@developer.gserviceaccount.com" } }),
  },
  {
    rule: "no-basic-roles-for-people",
    good: args("gcp:projects/iAMMember:IAMMember", { role: "roles/container.viewer", member: "group:devs@example.com" }),
    bad: args("gcp:projects/iAMMember:IAMMember", { role: "roles/editor", member: "group:devs@example.com" }),
  },
  {
    rule: "stateful-protected-in-prod",
    good: args("gcp:sql/databaseInstance:DatabaseInstance", {}, { stack: "prod", protect: true }),
    bad: args("gcp:sql/databaseInstance:DatabaseInstance", {}, { stack: "prod", protect: false }),
  },
];

describe("CrossGuard policies", () => {
  it("one policy per rule, same names, mandatory", () => {
    expect(policies.map((p) => p.name)).toEqual(allPolicyRules.map((r) => r.name));
    for (const p of policies) expect(p.enforcementLevel).toBe("mandatory");
    expect(operationsRules.map((r) => r.name)).toEqual(cases.map((c) => c.rule));
  });

  it.each(cases)("$rule: passes a compliant resource, reports a violating one with its URN", async ({ rule, good, bad }) => {
    expect(await violations(rule, good)).toEqual([]);
    const found = await violations(rule, bad);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${bad.urn.replace(/[$.*+?^(){}|[\]\\]/g, "\\$&")}: .{10,}`));
  });

  it("a hardening rule from the lead's list also runs through the pack", async () => {
    expect(await violations("redis-auth-tls", args("gcp:redis/instance:Instance", { authEnabled: true, transitEncryptionMode: "SERVER_AUTHENTICATION" }))).toEqual([]);
    expect(await violations("redis-auth-tls", args("gcp:redis/instance:Instance", { authEnabled: false }))).toHaveLength(2);
    expect(await violations("redis-auth-tls", args("gcp:storage/bucket:Bucket", {}))).toEqual([]);
  });

  it("production comes from the pack config (stack names), unprotected state is fine elsewhere", async () => {
    const unprotected = { stack: "live", protect: false };
    expect(await violations("stateful-protected-in-prod", args("gcp:storage/bucket:Bucket", {}, unprotected))).toEqual([]);
    expect(await violations("stateful-protected-in-prod", args("gcp:storage/bucket:Bucket", {}, { ...unprotected, config: { productionStacks: ["live"] } }))).toHaveLength(1);
    expect(stackOfUrn("urn:pulumi:prod::bro::gcp:storage/bucket:Bucket::b")).toBe("prod");
  });
});

describe("the example prod stacks pass every rule", () => {
  const stacks: [string, string][] = [
    [repoRoot, "brume.yaml"],
    [examplePath("bro-ai"), "brume.yaml"],
  ];
  const plans: Plan[] = [];
  beforeAll(async () => {
    for (const [dir, file] of stacks) plans.push(await planDir(dir, "prod", file));
  });

  it("through the pure rules and the brume plan gate (policy + recovery targets)", () => {
    stacks.forEach(([dir, file], i) => {
      const plan = plans[i]!;
      expect(checkPlan(plan, allPolicyRules, { production: true })).toEqual([]);
      const loaded = loadStack({ configFile: join(dir, file), environment: "prod" });
      const gate = runGate(plan, loaded);
      expect(gate.failed).toBe(false);
      expect(gate.recovery.findings.filter((f) => f.kind === "database").every((f) => f.regionLoss === "covered")).toBe(true);
    });
  });

  it("through the CrossGuard policies' validateResource", async () => {
    const found: string[] = [];
    for (const r of plans.flatMap((p) => p.resources).filter((r: PlannedResource) => r.custom)) {
      for (const p of policies) {
        await validate(p)(args(r.type, r.inputs, { protect: r.protect, stack: "prod" }), (m) => found.push(`${p.name} ${r.urn}: ${m}`));
      }
    }
    expect(found).toEqual([]);
    expect(asPlannedResource(args("t:t:T", { a: 1 }, { protect: true })).protect).toBe(true);
  });
});
