/** The offline plan harness itself: what it records, what it masks, and how it fails. */
import type * as Pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import { PlanError } from "../../src/plan/run.js";
import { one, planProgram } from "../harness.js";

describe("runProgram", () => {
  it("records parent, dependencies, protect, provider and custom as the engine would", async () => {
    const plan = await planProgram(async () => {
      const pulumi = await import("@pulumi/pulumi");
      const gcp = await import("@pulumi/gcp");
      class Box extends pulumi.ComponentResource {
        constructor(name: string, opts?: Pulumi.ComponentResourceOptions) {
          super("test:box:Box", name, {}, opts);
          this.registerOutputs({});
        }
      }
      const box = new Box("box");
      const provider = new gcp.Provider("p", { project: "acme-1234", region: "europe-west1" }, { parent: box });
      const net = new gcp.compute.Network("net", { name: "net", autoCreateSubnetworks: false }, { parent: box, provider, protect: true });
      new gcp.compute.Subnetwork("sub", { network: net.id, ipCidrRange: "10.0.0.0/24", region: "europe-west1" }, { parent: box, provider });
    });
    const box = one(plan, "test:box:Box", "box");
    const provider = one(plan, "pulumi:providers:gcp", "p");
    const net = one(plan, "gcp:compute/network:Network", "net");
    const sub = one(plan, "gcp:compute/subnetwork:Subnetwork", "sub");
    expect(box).toMatchObject({ urn: "urn:pulumi:test::test::test:box:Box::box", parent: "", custom: false, protect: false });
    expect(net).toMatchObject({
      urn: "urn:pulumi:test::test::test:box:Box$gcp:compute/network:Network::net",
      parent: box.urn,
      provider: provider.urn,
      protect: true,
      custom: true,
      dependencies: [],
    });
    expect(sub.dependencies).toEqual([net.urn]);
    expect(sub.inputs.network).toBe("projects/acme-1234/global/networks/net");
    expect(plan.resources.map((r) => r.urn)).toEqual(plan.resources.map((r) => r.urn).sort());
  });

  it("masks secrets in inputs and outputs, including secrets nested in maps", async () => {
    const plan = await planProgram(async () => {
      const pulumi = await import("@pulumi/pulumi");
      const gcp = await import("@pulumi/gcp");
      const secret = new gcp.secretmanager.Secret("s", { secretId: "s", replication: { auto: {} } });
      new gcp.secretmanager.SecretVersion("v", { secret: secret.id, secretData: pulumi.secret("hunter2-password") });
      new gcp.compute.Network("n", { description: "plain", name: "n" });
      return { password: pulumi.secret("hunter2-password"), plain: "visible" };
    });
    expect(one(plan, "gcp:secretmanager/secretVersion:SecretVersion", "v").inputs.secretData).toBe("[secret]");
    expect(plan.outputs).toEqual({ password: "[secret]", plain: "visible" });
    expect(JSON.stringify(plan)).not.toContain("hunter2");
  });

  it("gives realistic computed outputs: project numbers from the invoke, emails, selfLinks", async () => {
    const plan = await planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        const project = gcp.organizations.getProjectOutput({ projectId: "acme-1234" });
        const sa = new gcp.serviceaccount.Account("sa", { accountId: "runner", project: "acme-1234" });
        return { number: project.number, email: sa.email };
      },
      { defaultProject: "acme-1234" },
    );
    expect(plan.outputs).toEqual({
      number: mockProjectNumber("acme-1234"),
      email: "runner@acme-1234.iam.gserviceaccount.com",
    });
    expect(mockProjectNumber("acme-1234")).toMatch(/^\d{12}$/);
  });

  it("fails the plan on an invoke without a mock, naming it", async () => {
    const run = planProgram(async () => {
      const gcp = await import("@pulumi/gcp");
      const zones = gcp.compute.getZonesOutput({ region: "europe-west1" });
      new gcp.compute.Network("n", { description: zones.names.apply((z) => z.join(",")) });
    });
    await expect(run).rejects.toBeInstanceOf(PlanError);
    await expect(run).rejects.toThrow(/unmocked invoke "gcp:compute\/getZones:getZones"/);
  });

  it("gives the same plan with stack traces off or full, and restores them after the run", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const program = async () => {
      const gcp = await import("@pulumi/gcp");
      const net = new gcp.compute.Network("n", { name: "n", autoCreateSubnetworks: false });
      new gcp.compute.Subnetwork("s", { network: net.id, ipCidrRange: "10.0.0.0/24", region: "europe-west1" });
    };
    const callsites = (pulumi.Resource as unknown as { callsites: unknown }).callsites;
    const limit = Error.stackTraceLimit;
    const off = await planProgram(program, { stackTraces: "off" });
    const full = await planProgram(program, { stackTraces: "full" });
    expect(off).toEqual(full);
    expect((pulumi.Resource as unknown as { callsites: unknown }).callsites).toBe(callsites);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("fails the plan when the program throws", async () => {
    await expect(
      planProgram(async () => {
        throw new Error("boom in program");
      }),
    ).rejects.toThrow(/boom in program/);
  });
});
