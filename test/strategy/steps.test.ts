/**
 * Each strategy, step by step (deploy v1 → deploy v2 → weight 25 → weight 100 → promote →
 * rollback → abort), planned offline: exactly which resources each step changes. Promote, abort
 * and rollback change at most 2 resources, replace none, and never touch a stateful resource.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { abort, deploy, promote, ReleaseError, rollback, setWeight } from "../../src/components/strategy/strategy.js";
import type { StrategyConfig } from "../../src/config/schema.js";
import type { Plan } from "../../src/plan/run.js";
import { one } from "../harness.js";
import { diffPlans, isStateful, planService, release, serviceConfig, touched } from "./plan-steps.js";

type Step = { name: string; strategy: StrategyConfig };

/** Runs the step functions (what `brume release` writes) from a first config. */
function steps(first: StrategyConfig, moves: [string, (s: StrategyConfig) => StrategyConfig][]): Step[] {
  const out: Step[] = [{ name: "deploy v1", strategy: first }];
  for (const [name, move] of moves) out.push({ name, strategy: move(out.at(-1)!.strategy) });
  return out;
}

const routingOnly = (d: ReturnType<typeof diffPlans>) => {
  expect(d.replaced).toEqual([]);
  expect(d.added).toEqual([]);
  expect(d.removed).toEqual([]);
  expect(d.changed.length).toBeLessThanOrEqual(2);
  expect([...d.changed].filter(isStateful)).toEqual([]);
  expect(d.changed.filter((u) => u.includes("Cluster"))).toEqual([]);
};

describe("canary", () => {
  const flow = steps(serviceConfig({ type: "canary", stable: release("v1") }).strategy, [
    ["deploy v2", (s) => deploy(s, release("v2"))],
    ["weight 25", (s) => setWeight(s, 25)],
    ["weight 100", (s) => setWeight(s, 100)],
    ["promote", promote],
    ["rollback", (s) => rollback(s)],
    ["abort", abort],
  ]);
  const plans: Plan[] = [];
  let abortAt25: Plan;
  beforeAll(async () => {
    for (const step of flow) plans.push(await planService(step.strategy));
    abortAt25 = await planService(abort(flow[2]!.strategy));
  });
  const at = (name: string) => flow.findIndex((s) => s.name === name);
  const diff = (name: string) => diffPlans(plans[at(name) - 1]!, plans[at(name)]!);

  it("deploy v2 adds the v2 workload at one pod and lists it in the route at weight 0", () => {
    const d = diff("deploy v2");
    expect(d.replaced).toEqual([]);
    expect(touched(d)).toEqual([
      "shop-api-route",
      "shop-api-v2-backend-policy",
      "shop-api-v2-deployment",
      "shop-api-v2-health-check",
      "shop-api-v2-hpa",
      "shop-api-v2-pdb",
      "shop-api-v2-service",
    ]);
    const hpa = one(plans[1]!, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "shop-api-v2-hpa");
    expect(hpa.inputs).toMatchObject({ spec: { minReplicas: 1, maxReplicas: 1 } });
    const route = one(plans[1]!, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "shop-api-route");
    const rules = (route.inputs.spec as any).rules;
    expect(rules.at(-1).backendRefs.map((b: any) => [b.name, b.weight])).toEqual([["api-v1", 100], ["api-v2", 0]]);
    // Traffic moves only after the new version's Deployment and Service exist and are ready.
    const v2 = ["shop-api-v2-deployment", "shop-api-v2-service"].map((n) => plans[1]!.resources.find((r) => r.name === n)!.urn);
    expect(route.dependencies).toEqual(expect.arrayContaining(v2));
  });

  it("weight 25 resizes the canary and sets route weights {75, 25}", () => {
    expect(touched(diff("weight 25"))).toEqual(["shop-api-route", "shop-api-v2-hpa"]);
    const hpa = one(plans[at("weight 25")]!, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "shop-api-v2-hpa");
    expect(hpa.inputs).toMatchObject({ spec: { minReplicas: 1, maxReplicas: 5 } });
    const route = one(plans[at("weight 25")]!, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "shop-api-route");
    expect((route.inputs.spec as any).rules.at(-1).backendRefs.map((b: any) => b.weight)).toEqual([75, 25]);
  });

  it("weight 100 sizes the canary like stable", () => {
    expect(touched(diff("weight 100"))).toEqual(["shop-api-route", "shop-api-v2-hpa"]);
  });

  it("promote changes the route and the callers' Service only", () => {
    const d = diff("promote");
    routingOnly(d);
    expect(touched(d)).toEqual(["shop-api-route", "shop-api-service"]);
    const svc = one(plans[at("promote")]!, "kubernetes:core/v1:Service", "shop-api-service");
    expect((svc.inputs.spec as any).selector).toEqual({ "app.kubernetes.io/name": "api", "app.kubernetes.io/version": "v2" });
  });

  it("rollback to the retained v1 changes routing only", () => {
    expect(flow[at("rollback")]!.strategy).toMatchObject({ version: "v1" });
    const d = diff("rollback");
    routingOnly(d);
    expect(touched(d)).toEqual(["shop-api-route", "shop-api-service"]);
  });

  it("abort after a rollback changes nothing; abort at weight 25 changes the route and the canary size", () => {
    routingOnly(diff("abort"));
    expect(touched(diff("abort"))).toEqual([]);
    const d = diffPlans(plans[at("weight 25")]!, abortAt25);
    routingOnly(d);
    expect(touched(d)).toEqual(["shop-api-route", "shop-api-v2-hpa"]);
  });
});

describe("blueGreen", () => {
  const flow = steps(serviceConfig({ type: "blueGreen", active: "blue", blue: release("v1") }).strategy, [
    ["deploy v2", (s) => deploy(s, release("v2"))],
    ["promote", promote],
    ["rollback", (s) => rollback(s)],
    ["abort", abort],
  ]);
  const plans: Plan[] = [];
  beforeAll(async () => {
    for (const step of flow) plans.push(await planService(step.strategy));
  });
  const at = (name: string) => flow.findIndex((s) => s.name === name);
  const diff = (name: string) => diffPlans(plans[at(name) - 1]!, plans[at(name)]!);

  it("deploy v2 fills the green slot and routes the preview header to it", () => {
    const d = diff("deploy v2");
    expect(d.replaced).toEqual([]);
    expect(d.added.length).toBe(6);
    const route = one(plans[1]!, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "shop-api-route");
    const rules = (route.inputs.spec as any).rules;
    expect(rules[0].matches[0].headers).toEqual([{ type: "Exact", name: "x-brume-preview", value: "1" }]);
    expect(rules[0].backendRefs.map((b: any) => b.name)).toEqual(["api-v2"]);
    expect(rules[1].backendRefs.map((b: any) => [b.name, b.weight])).toEqual([["api-v1", 100]]);
    expect((route.inputs.metadata as any).annotations["pulumi.com/waitFor"]).toMatch(/Accepted/);
  });

  it("promote switches the route and the callers' Service to green; blue stays up", () => {
    const d = diff("promote");
    routingOnly(d);
    expect(touched(d)).toEqual(["shop-api-route", "shop-api-service"]);
    expect(plans[at("promote")]!.resources.some((r) => r.name === "shop-api-v1-deployment")).toBe(true);
  });

  it("rollback switches back to blue, routing only; abort is a no-op", () => {
    routingOnly(diff("rollback"));
    expect(touched(diff("rollback"))).toEqual(["shop-api-route", "shop-api-service"]);
    expect(touched(diff("abort"))).toEqual([]);
  });
});

describe("rolling", () => {
  const v1 = serviceConfig({ type: "rolling" }, { image: "europe-docker.pkg.dev/shop-prod/apps/api:v1" });
  let p1: Plan;
  let p2: Plan;
  beforeAll(async () => {
    p1 = await planService(v1.strategy, { image: "europe-docker.pkg.dev/shop-prod/apps/api:v1" });
    p2 = await planService(v1.strategy, { image: "europe-docker.pkg.dev/shop-prod/apps/api:v2" });
  });

  it("maxUnavailable 0, maxSurge, minReadySeconds, progressDeadlineSeconds; version only in the pod template", () => {
    const d = one(p1, "kubernetes:apps/v1:Deployment", "shop-api-deployment");
    expect(d.inputs.spec).toMatchObject({
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
      minReadySeconds: 10,
      progressDeadlineSeconds: 600,
      selector: { matchLabels: { "app.kubernetes.io/name": "api" } },
      template: { metadata: { labels: { "app.kubernetes.io/version": "v1" } } },
    });
  });

  it("a new image changes the Deployment in place (no replacement)", () => {
    const d = diffPlans(p1, p2);
    expect(d.replaced).toEqual([]);
    expect(touched(d)).toEqual(["shop-api-deployment"]);
  });

  it("release steps are refused with a reason", () => {
    expect(() => promote(v1.strategy)).toThrow(ReleaseError);
    expect(() => rollback(v1.strategy)).toThrow(/keeps no previous version running/);
    expect(() => abort(v1.strategy)).toThrow(ReleaseError);
  });
});
