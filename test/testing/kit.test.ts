/**
 * The test kit (@brume/infra/testing) on a small program of plain SDK resources: config and
 * StackReference outputs supplied by the test, each assertion passing on what the program did and
 * failing with a message that names what differs, golden plans with a readable diff, and the vitest
 * matchers installed on vitest's expect.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertCreationOrder,
  assertDependsOn,
  assertGoldenPlan,
  assertInputs,
  assertPolicy,
  assertResource,
  findResource,
  planProgram,
  PlanAssertionError,
  type Plan,
} from "../../src/testing/index.js";
import { installPlanMatchers, type PlanMatchers } from "../../src/testing/vitest.js";

declare module "vitest" {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Assertion<T = any> extends PlanMatchers<T> {}
}
installPlanMatchers(expect);

/** A network and a subnet in a project enabled by the program, reading config and another stack. */
async function program() {
  const pulumi = await import("@pulumi/pulumi");
  const gcp = await import("@pulumi/gcp");
  const config = new pulumi.Config();
  const shared = new pulumi.StackReference("acme/shared/prod");
  const project = config.require("gcpProject");
  const compute = new gcp.projects.Service("compute", { project, service: "compute.googleapis.com", disableOnDestroy: false });
  const network = new gcp.compute.Network("vpc", { project, autoCreateSubnetworks: false, routingMode: "REGIONAL" }, { dependsOn: [compute], protect: true });
  const subnet = new gcp.compute.Subnetwork("nodes", {
    project,
    network: network.id,
    region: "europe-west1",
    ipCidrRange: shared.getOutput("nodesRange") as import("@pulumi/pulumi").Output<string>,
    privateIpGoogleAccess: true,
    logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
  });
  // SSH from anywhere: the policy rules refuse it.
  new gcp.compute.Firewall("ssh", { project, network: network.id, sourceRanges: ["0.0.0.0/0"], allows: [{ protocol: "tcp", ports: ["22"] }] });
  return { subnet: subnet.selfLink, password: config.requireSecret("password") };
}

let plan: Plan;
const work = mkdtempSync(join(tmpdir(), "brume-kit-"));
beforeAll(async () => {
  plan = await planProgram(program, {
    project: "acme",
    stack: "prod",
    config: { gcpProject: "acme-prod-4242" },
    secrets: { password: "hunter2" },
    stackReferences: { "acme/shared/prod": { nodesRange: "10.0.0.0/20" } },
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function failure(check: () => unknown): string {
  try {
    check();
  } catch (err) {
    expect(err).toBeInstanceOf(PlanAssertionError);
    return (err as Error).message;
  }
  throw new Error("expected the assertion to fail");
}

describe("planProgram", () => {
  it("plans with the test's config, secrets and StackReference outputs", () => {
    assertInputs(plan, "nodes", { project: "acme-prod-4242", ipCidrRange: "10.0.0.0/20", region: "europe-west1" });
    expect(plan.outputs.password).toBe("[secret]");
    expect(findResource(plan, "nodes").urn).toBe("urn:pulumi:prod::acme::gcp:compute/subnetwork:Subnetwork::nodes");
  });

  it("fails a StackReference to a stack the test did not supply, naming the option", async () => {
    await expect(planProgram(program, { config: { gcpProject: "p" }, secrets: { password: "x" } })).rejects.toThrow(
      /StackReference "acme\/shared\/prod": no such stack in this plan; pass its outputs as stackReferences/,
    );
  });
});

describe("assertions", () => {
  it("assert inputs by subset and name every mismatching path", () => {
    assertInputs(plan, { type: "gcp:compute/network:Network", name: "vpc" }, { autoCreateSubnetworks: false });
    const message = failure(() => assertInputs(plan, "nodes", { privateIpGoogleAccess: false, logConfig: { flowSampling: 1 }, stackType: "IPV4_ONLY" }));
    expect(message).toContain("inputs of gcp:compute/subnetwork:Subnetwork::nodes differ from the expected ones");
    expect(message).toContain("  - privateIpGoogleAccess: expected false, got true");
    expect(message).toContain("  - logConfig.flowSampling: expected 1, got 0.5");
    expect(message).toContain('  - stackType: missing (expected "IPV4_ONLY")');
  });

  it("find resources by URN, type::name or name, and list similar ones when none matches", () => {
    expect(findResource(plan, "gcp:compute/network:Network::vpc").name).toBe("vpc");
    // 4: StackReferences are reads, not registrations.
    expect(failure(() => findResource(plan, "nodez"))).toMatch(/no resource matches "nodez" among 4 planned resources/);
  });

  it("assert dependencies, transitive through dependsOn and inputs, or direct", () => {
    assertDependsOn(plan, "nodes", ["vpc", "compute"]);
    assertDependsOn(plan, "nodes", "vpc", { direct: true });
    expect(failure(() => assertDependsOn(plan, "nodes", "compute", { direct: true }))).toContain(
      "gcp:compute/subnetwork:Subnetwork::nodes does not wait for this resource directly (its dependencies: gcp:compute/network:Network::vpc, pulumi:pulumi:StackReference::acme/shared/prod)",
    );
    expect(failure(() => assertDependsOn(plan, "compute", "vpc"))).toContain("does not wait for this resource");
  });

  it("assert parent, protect and provider", () => {
    assertResource(plan, "vpc", { parent: "", protect: true, provider: "" });
    expect(failure(() => assertResource(plan, "nodes", { protect: true }))).toContain("  - protect: expected true, got false");
  });

  it("run the creation-order check and the policy rules as assertions", () => {
    // The subnet is created after the Compute API through the network: the check passes.
    assertCreationOrder(plan);
    const message = failure(() => assertPolicy(plan, { context: { production: true } }));
    expect(message).toContain("the plan breaks 1 policy rule\n");
    expect(message).toContain("  - no-internet-to-admin-or-data-ports: gcp:compute/firewall:Firewall::ssh: allows 22 from the internet");
  });
});

describe("golden plans", () => {
  it("write the file on the first run, pass on the same plan, and show what changed", () => {
    const file = join(work, "golden", "plan.json");
    assertGoldenPlan(plan, file);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(plan);
    assertGoldenPlan(plan, file);
    const changed = structuredClone(plan);
    const subnet = changed.resources.find((r) => r.name === "nodes")!;
    subnet.inputs.ipCidrRange = "10.1.0.0/20";
    changed.resources.find((r) => r.name === "vpc")!.protect = false;
    writeFileSync(file, JSON.stringify(changed));
    const message = failure(() => assertGoldenPlan(plan, file));
    expect(message).toContain(`the plan differs from the golden plan ${file}`);
    expect(message).toMatch(/(replace|update) gcp:compute\/subnetwork:Subnetwork::nodes/);
    expect(message).toContain('ipCidrRange: "10.1.0.0/20" → "10.0.0.0/20"');
    expect(message).toContain("protect gcp:compute/network:Network::vpc: false → true");
  });
});

describe("vitest matchers", () => {
  it("pass and fail as the assertions do", () => {
    expect(plan).toHaveResourceInputs("vpc", { routingMode: "REGIONAL" });
    expect(plan).toHaveResourceDependingOn("nodes", "compute");
    expect(plan).toHaveResource("vpc", { protect: true });
    expect(plan).toPassCreationOrder();
    expect(plan).not.toHaveResourceInputs("vpc", { routingMode: "GLOBAL" });
    expect(() => expect(plan).toHaveResourceInputs("vpc", { routingMode: "GLOBAL" })).toThrow('routingMode: expected "GLOBAL", got "REGIONAL"');
  });
});
