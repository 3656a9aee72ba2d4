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

const T = {
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  deployment: "kubernetes:apps/v1:Deployment",
};
const backends = (plan: Plan) => (one(plan, T.route, "shop-api-route").inputs.spec as any).rules.at(-1).backendRefs.map((b: any) => [b.name, b.weight]);
const hpaOf = (plan: Plan, v: string) => (one(plan, T.hpa, `shop-api-${v}-hpa`).inputs.spec as any) as { minReplicas: number; maxReplicas: number };
const waitOf = (plan: Plan, v: string) => (one(plan, T.deployment, `shop-api-${v}-deployment`).inputs.metadata as any).annotations["pulumi.com/waitFor"] as string;

/**
 * Capacity before traffic, as Pulumi will order it: each backend with a share s waits (its
 * Deployment's waitFor) for at least ceil(s × 4) available replicas, after its HPA (the Deployment
 * depends on it) and before the route (which depends on the Deployment).
 */
function capacityBeforeTraffic(plan: Plan) {
  const route = one(plan, T.route, "shop-api-route");
  for (const [name, weight] of backends(plan) as [string, number][]) {
    const v = name.replace(/^api-/, "");
    const deployment = one(plan, T.deployment, `shop-api-${v}-deployment`);
    const hpa = one(plan, T.hpa, `shop-api-${v}-hpa`);
    const needed = Math.max(1, Math.ceil((weight * 4) / 100));
    expect((hpa.inputs.spec as any).minReplicas).toBeGreaterThanOrEqual(needed);
    expect(waitOf(plan, v)).toContain(`@.availableReplicas >= ${(hpa.inputs.spec as any).minReplicas}]`);
    expect(deployment.dependencies).toContain(hpa.urn);
    expect(route.dependencies).toContain(deployment.urn);
  }
}

describe("canary", () => {
  const flow = steps(serviceConfig({ type: "canary", stable: release("v1") }).strategy, [
    ["deploy v2", (s) => deploy(s, release("v2"))],
    ["weight 25", (s) => setWeight(s, 25)],
    ["weight 100", (s) => setWeight(s, 100)],
    ["promote", promote],
    ["rollback", (s) => rollback(s)],
  ]);
  const plans: Plan[] = [];
  let abortAt25: Plan;
  beforeAll(async () => {
    for (const step of flow) plans.push(await planService(step.strategy));
    abortAt25 = await planService(abort(flow[2]!.strategy));
  });
  const at = (name: string) => flow.findIndex((s) => s.name === name);
  const diff = (name: string) => diffPlans(plans[at(name) - 1]!, plans[at(name)]!);

  it("every step: each backend with traffic is sized and awaited before the route moves", () => {
    for (const plan of [...plans, abortAt25]) capacityBeforeTraffic(plan);
  });

  it("deploy v2 adds the v2 workload at one pod, attached to the route at weight 0; no public header rule", () => {
    const d = diff("deploy v2");
    expect(d.replaced).toEqual([]);
    expect(touched(d)).toEqual([
      "shop-api-route",
      "shop-api-v1-deployment",
      "shop-api-v2-backend-policy",
      "shop-api-v2-deployment",
      "shop-api-v2-health-check",
      "shop-api-v2-hpa",
      "shop-api-v2-pdb",
      "shop-api-v2-service",
    ]);
    expect(hpaOf(plans[1]!, "v2")).toMatchObject({ minReplicas: 1, maxReplicas: 1 });
    expect(backends(plans[1]!)).toEqual([["api-v1", 100], ["api-v2", 0]]);
    // The route is on the public gateway without IAP: a constant header would open the canary to anyone.
    expect((one(plans[1]!, T.route, "shop-api-route").inputs.spec as any).rules).toHaveLength(1);
  });

  it("weight 25 sizes the canary for 25 % (ceil(0.25 × 4) = 1) and sets {75, 25}; every Deployment is re-awaited", () => {
    expect(touched(diff("weight 25"))).toEqual(["shop-api-route", "shop-api-v1-deployment", "shop-api-v2-deployment", "shop-api-v2-hpa"]);
    expect(hpaOf(plans[at("weight 25")]!, "v2")).toMatchObject({ minReplicas: 1, maxReplicas: 5 });
    expect(backends(plans[at("weight 25")]!)).toEqual([["api-v1", 75], ["api-v2", 25]]);
    const step = (p: Plan) => (one(p, T.deployment, "shop-api-v1-deployment").inputs.metadata as any).annotations["brume.dev/release-step"];
    expect(step(plans[at("weight 25")]!)).not.toBe(step(plans[at("deploy v2")]!));
    // Metadata only: the pod template (and so the rollout) is untouched.
    const tpl = (p: Plan) => JSON.stringify((one(p, T.deployment, "shop-api-v1-deployment").inputs.spec as any).template);
    expect(tpl(plans[at("weight 25")]!)).toBe(tpl(plans[at("deploy v2")]!));
  });

  it("weight 100 sizes the canary like stable and waits for 4 ready pods", () => {
    expect(hpaOf(plans[at("weight 100")]!, "v2")).toMatchObject({ minReplicas: 4, maxReplicas: 20 });
    expect(waitOf(plans[at("weight 100")]!, "v2")).toContain("@.availableReplicas >= 4");
  });

  it("promote: the callers' Service and the route move to v2; v1 is retained at one pod, still attached at weight 0", () => {
    const d = diff("promote");
    expect(d.replaced).toEqual([]);
    expect(d.added).toEqual([]);
    expect(d.removed).toEqual([]);
    expect([...d.changed].filter(isStateful)).toEqual([]);
    expect(touched(d)).toEqual(["shop-api-route", "shop-api-service", "shop-api-v1-deployment", "shop-api-v1-hpa", "shop-api-v2-deployment"]);
    const svc = one(plans[at("promote")]!, "kubernetes:core/v1:Service", "shop-api-service");
    expect((svc.inputs.spec as any).selector).toEqual({ "app.kubernetes.io/name": "api", "app.kubernetes.io/version": "v2" });
    expect(backends(plans[at("promote")]!)).toEqual([["api-v2", 100], ["api-v1", 0]]);
    expect(hpaOf(plans[at("promote")]!, "v1")).toMatchObject({ minReplicas: 1, maxReplicas: 20 });
  });

  it("rollback scales v1 back to 4 before the route moves, marks v2 bad; a second rollback changes nothing", () => {
    expect(flow[at("rollback")]!.strategy).toMatchObject({ version: "v1", bad: ["v2"], rolledBackFrom: "v2" });
    expect(hpaOf(plans[at("rollback")]!, "v1")).toMatchObject({ minReplicas: 4 });
    expect(backends(plans[at("rollback")]!)).toEqual([["api-v1", 100], ["api-v2", 0]]);
    const again = rollback(flow[at("rollback")]!.strategy);
    expect(again).toEqual(flow[at("rollback")]!.strategy);
  });

  it("abort at weight 25 sends the canary no traffic, marks it bad and shrinks it to one pod", () => {
    const d = diffPlans(plans[at("weight 25")]!, abortAt25);
    expect(d.replaced).toEqual([]);
    expect(touched(d)).toEqual(["shop-api-route", "shop-api-v1-deployment", "shop-api-v2-deployment", "shop-api-v2-hpa"]);
    expect(backends(abortAt25)).toEqual([["api-v1", 100], ["api-v2", 0]]);
    expect(hpaOf(abortAt25, "v2")).toMatchObject({ minReplicas: 1, maxReplicas: 1 });
    expect(abort(flow[2]!.strategy)).toMatchObject({ weight: 0, bad: ["v2"] });
    expect(() => abort(abort(flow[2]!.strategy))).toThrow("there is no canary in flight to abort");
  });
});

describe("canary behind IAP", () => {
  it("keeps the x-brume-canary header rule (reachable only through IAP)", async () => {
    const s = deploy(serviceConfig({ type: "canary", stable: release("v1") }).strategy, release("v2"));
    const plan = await planService(s, { expose: { domains: ["api.shop.example.com"], iap: true } });
    const rules = (one(plan, T.route, "shop-api-route").inputs.spec as any).rules;
    expect(rules[0].matches[0].headers).toEqual([{ type: "Exact", name: "x-brume-canary", value: "1" }]);
    expect(rules[0].backendRefs.map((b: any) => b.name)).toEqual(["api-v2"]);
  });
});

describe("blueGreen", () => {
  const flow = steps(serviceConfig({ type: "blueGreen", active: "blue", blue: release("v1") }).strategy, [
    ["deploy v2", (s) => deploy(s, release("v2"))],
    ["promote", promote],
    ["rollback", (s) => rollback(s)],
  ]);
  const plans: Plan[] = [];
  beforeAll(async () => {
    for (const step of flow) plans.push(await planService(step.strategy));
  });
  const at = (name: string) => flow.findIndex((s) => s.name === name);
  const diff = (name: string) => diffPlans(plans[at(name) - 1]!, plans[at(name)]!);

  it("every step: each backend with traffic is sized and awaited before the route moves", () => {
    for (const plan of plans) capacityBeforeTraffic(plan);
  });

  it("deploy v2 fills the green slot at one pod, attached at weight 0; the route waits for its current generation", () => {
    const d = diff("deploy v2");
    expect(d.replaced).toEqual([]);
    expect(d.added.length).toBe(6);
    expect(backends(plans[1]!)).toEqual([["api-v1", 100], ["api-v2", 0]]);
    expect(hpaOf(plans[1]!, "v2")).toMatchObject({ minReplicas: 1, maxReplicas: 20 });
    const wait = JSON.parse((one(plans[1]!, T.route, "shop-api-route").inputs.metadata as any).annotations["pulumi.com/waitFor"]);
    expect(wait).toEqual([
      "jsonpath={.status.parents[0].conditions[?@.type=='Accepted' && @.status=='True' && @.observedGeneration == $.metadata.generation]}",
      "jsonpath={.status.parents[0].conditions[?@.type=='ResolvedRefs' && @.status=='True' && @.observedGeneration == $.metadata.generation]}",
    ]);
  });

  it("promote sizes green full before switching; blue leaves its slot for retained (no preview rule points at it)", () => {
    const d = diff("promote");
    expect(d.replaced).toEqual([]);
    expect(d.added).toEqual([]);
    expect(touched(d)).toEqual(["shop-api-route", "shop-api-service", "shop-api-v1-deployment", "shop-api-v1-hpa", "shop-api-v2-deployment", "shop-api-v2-hpa"]);
    expect(flow[at("promote")]!.strategy).toMatchObject({ active: "green", green: { version: "v2" }, retained: [{ version: "v1" }] });
    expect((flow[at("promote")]!.strategy as any).blue).toBeUndefined();
    expect(hpaOf(plans[at("promote")]!, "v2")).toMatchObject({ minReplicas: 4 });
    expect(backends(plans[at("promote")]!)).toEqual([["api-v2", 100], ["api-v1", 0]]);
  });

  it("rollback puts v1 back in the blue slot and switches; a second rollback changes nothing; abort has nothing in flight", () => {
    expect(flow[at("rollback")]!.strategy).toMatchObject({ active: "blue", blue: { version: "v1" }, green: { version: "v2" }, bad: ["v2"], rolledBackFrom: "v2" });
    expect(touched(diff("rollback"))).toEqual(["shop-api-route", "shop-api-service", "shop-api-v1-deployment", "shop-api-v1-hpa", "shop-api-v2-deployment", "shop-api-v2-hpa"]);
    expect(diff("rollback").replaced).toEqual([]);
    expect(rollback(flow[at("rollback")]!.strategy)).toEqual(flow[at("rollback")]!.strategy);
    expect(() => abort(flow[at("rollback")]!.strategy)).toThrow("no preview is in flight");
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
