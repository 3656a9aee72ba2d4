import { describe, expect, it } from "vitest";
import { planContract } from "../../src/plan/contract.js";
import { renderPlan } from "../../src/plan/format.js";
import { one, ofType, planDir, repoRoot } from "../harness.js";

describe("offline plan of the root example stack", () => {
  it("is byte-identical across runs and satisfies the JSON contract", async () => {
    const first = renderPlan(await planDir(repoRoot, "prod"), "json");
    const second = renderPlan(await planDir(repoRoot, "prod"), "json");
    expect(second).toBe(first);
    const parsed = planContract.parse(JSON.parse(first));
    const urns = parsed.resources.map((r) => r.urn);
    expect(urns).toEqual([...urns].sort());
  });

  it("pins the gcp provider to the environment's project, region and labels", async () => {
    const plan = await planDir(repoRoot, "prod");
    const provider = one(plan, "pulumi:providers:gcp", "shop-gcp");
    expect(provider.inputs).toMatchObject({
      project: "shop-prod-7781",
      region: "europe-west1",
      defaultLabels: { team: "platform", project: "shop", environment: "prod", "managed-by": "brume" },
    });
    for (const r of plan.resources.filter((r) => r.custom && r.type.startsWith("gcp:"))) {
      expect(r.provider, r.urn).toBe(provider.urn);
    }
  });

  it("builds a custom-mode VPC with the planned subnets, flow logs and Private Google Access", async () => {
    const plan = await planDir(repoRoot, "prod");
    const vpc = one(plan, "gcp:compute/network:Network", "shop-prod-network-vpc");
    expect(vpc.inputs).toMatchObject({ name: "shop-prod-vpc", autoCreateSubnetworks: false, routingMode: "REGIONAL" });
    const nodes = one(plan, "gcp:compute/subnetwork:Subnetwork", "shop-prod-network-nodes");
    expect(nodes.inputs).toMatchObject({
      ipCidrRange: "10.0.0.0/20",
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        { rangeName: "pods", ipCidrRange: "10.8.0.0/13" },
        { rangeName: "services", ipCidrRange: "10.0.48.0/20" },
      ],
      logConfig: { flowSampling: 0.1, aggregationInterval: "INTERVAL_5_MIN", metadata: "INCLUDE_ALL_METADATA" }, // production preset
    });
    // The VPC, and the project APIs the environment enables first.
    expect(nodes.dependencies).toContain(vpc.urn);
    expect(nodes.dependencies).toContain(one(plan, "gcp:projects/service:Service", "shop-prod-apis-compute").urn);
    const proxy = one(plan, "gcp:compute/subnetwork:Subnetwork", "shop-prod-network-proxy");
    expect(proxy.inputs).toMatchObject({ purpose: "REGIONAL_MANAGED_PROXY", role: "ACTIVE", ipCidrRange: "10.0.32.0/23" });
    expect(proxy.inputs).not.toHaveProperty("logConfig");
    expect(ofType(plan, "gcp:compute/subnetwork:Subnetwork")).toHaveLength(3);
  });

  it("applies Pulumi.stage.yaml: the staging preset and disjoint ranges", async () => {
    const plan = await planDir(repoRoot, "stage");
    expect(plan.outputs).toMatchObject({ environment: "stage", preset: "staging", gcpProject: "shop-stage-7781" });
    const nodes = one(plan, "gcp:compute/subnetwork:Subnetwork", "shop-stage-network-nodes");
    expect(nodes.inputs).toMatchObject({ ipCidrRange: "10.16.0.0/20", logConfig: { flowSampling: 0.1 } });
  });
});
