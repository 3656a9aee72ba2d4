/**
 * Shared helpers of the strategy tests: plan a standalone Service (any k8s provider) for a
 * strategy, and compare two plans by URN.
 */
import { serviceSchema, type StrategyConfig } from "../../src/config/schema.js";
import type { Plan } from "../../src/plan/run.js";
import { statefulTypes } from "../../src/review/policy/rules.js";
import { planProgram } from "../harness.js";

export const image = (v: string) => `europe-docker.pkg.dev/shop-prod/apps/api:${v}`;
export const release = (v: string) => ({ version: v, image: image(v) });

export function serviceConfig(strategy: unknown, extra: Record<string, unknown> = {}) {
  return serviceSchema.parse({
    ports: [{ name: "http", port: 8080 }],
    secrets: { STRIPE_KEY: "stripe-key" },
    health: { readiness: { path: "/readyz", port: "http" } },
    scaling: { min: 4, max: 20 },
    expose: { domains: ["api.shop.example.com"], rateLimitPerMinute: 600 },
    uses: { topics: ["orders"], secrets: ["stripe-key"] },
    strategy,
    ...extra,
  });
}

export function planService(strategy: StrategyConfig | Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Plan> {
  const config = serviceConfig(strategy, extra);
  return planProgram(
    async () => {
      const k8s = await import("@pulumi/kubernetes");
      const { Service } = await import("../../src/components/service/service.js");
      const { Naming } = await import("../../src/config/naming.js");
      const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
      new Service(
        "shop-api",
        {
          provider,
          project: "shop-prod",
          naming: Naming.of("shop", "prod"),
          namespace: "shop-prod",
          service: "api",
          config,
          callers: ["web"],
          targets: { secrets: { "stripe-key": "shop-prod-stripe-key" }, topics: { orders: "shop-prod-orders" } },
        },
      );
    },
    { project: "shop", stack: "prod" },
  );
}

export { diffPlans, type PlanDiff } from "../../src/review/release/step-diff.js";
import type { PlanDiff } from "../../src/review/release/step-diff.js";

/** Resources a step touched (added, removed or changed), by logical name. */
export const touched = (d: PlanDiff) => [...d.added, ...d.removed, ...d.changed].map((u) => u.split("::").at(-1)!).sort();

export const isStateful = (urn: string) => (statefulTypes as readonly string[]).some((t) => urn.includes(`$${t}::`) || urn.includes(`::${t}::`));
