/** The apps namespace quota is derived from what the strategies can run at once (k8s-review 24). */
import { describe, expect, it } from "vitest";
import { peakPods, strategyQuota } from "../../src/components/strategy/quota.js";
import { loadStack } from "../../src/config/load.js";
import { examplePath, one, planDir } from "../harness.js";

describe("namespace quota from the strategies", () => {
  const config = loadStack({ configFile: examplePath("bro-ai", "brume.yaml"), environment: "prod" }).config;

  it("bro-ai prod: api canary 2 × 30 + 1 job, web blue/green 2 × 12, rolling services max + surge; × 1.25", () => {
    expect(peakPods("api", config.services.api!)).toBe(61);
    expect(peakPods("web", config.services.web!)).toBe(24);
    expect(strategyQuota(config)).toEqual({ requestsCpu: "98", requestsMemory: "111Gi", limitsCpu: "98", limitsMemory: "111Gi", pods: 137 });
  });

  it("is what the planned ResourceQuota holds (the old constant was 64 CPU, below api's peak alone)", async () => {
    const plan = await planDir(examplePath("bro-ai"), "prod");
    const quota = one(plan, "kubernetes:core/v1:ResourceQuota", "bro-ai-prod-apps-quota");
    expect((quota.inputs.spec as any).hard).toMatchObject({ "requests.cpu": "98", "requests.memory": "111Gi", "limits.cpu": "98", pods: "137" });
  });
});
