/**
 * The mocks refuse what the plan cannot know (secret payloads of the stack's own secrets) and give
 * addresses from the plan's own ranges, so what the plan shows would hold on GCP.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { mockAddressIn } from "../../src/plan/mocks.js";
import { PlanError, type Plan } from "../../src/plan/run.js";
import { examplePath, one, ofType, planDir, planProgram } from "../harness.js";

/** Whether an IPv4 address lies in a CIDR (written out here, not taken from the code under test). */
function inCidr(ip: string, cidr: string): boolean {
  const toInt = (text: string) => text.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
  const [base, bits] = cidr.split("/") as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}

describe("secret payloads the plan cannot know", () => {
  it("fails the plan when the stack reads back a secret it creates, even when the read runs before the Secret registers", async () => {
    const run = planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        // The invoke runs first; the Secret registers after it (its inputs wait on a network).
        const token = gcp.secretmanager.getSecretVersionOutput({ secret: "app-token" });
        const net = new gcp.compute.Network("n", { name: "n", description: token.secretData });
        new gcp.secretmanager.Secret("s", { secretId: "app-token", replication: { auto: {} }, labels: { network: net.name } });
      },
      { defaultProject: "acme-1234" },
    );
    await expect(run).rejects.toBeInstanceOf(PlanError);
    await expect(run).rejects.toThrow(
      'getSecretVersion("app-token") reads the payload of a secret this stack creates: on the first apply it has no version yet, ' +
        "and previews cannot read payloads; take the value from Pulumi secret config (pulumi config set --secret) instead of reading it back",
    );
  });

  it("recognizes the secret by its full name and project number too, and getSecretVersionAccess alike", async () => {
    const { mockProjectNumber } = await import("../../src/plan/mocks.js");
    const run = planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        new gcp.secretmanager.Secret("s", { secretId: "app-token", replication: { auto: {} } });
        const v = gcp.secretmanager.getSecretVersionAccessOutput({ secret: `projects/${mockProjectNumber("acme-1234")}/secrets/app-token` });
        new gcp.compute.Network("n", { name: "n", description: v.secretData });
      },
      { defaultProject: "acme-1234" },
    );
    await expect(run).rejects.toThrow(/getSecretVersionAccess\("projects\/\d{12}\/secrets\/app-token"\) reads the payload of a secret this stack creates/);
  });

  it("still answers for a secret the stack does not create (its value exists or not outside the plan)", async () => {
    const plan = await planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        const v = gcp.secretmanager.getSecretVersionOutput({ secret: "managed-elsewhere" });
        new gcp.compute.Network("n", { name: "n", description: v.version });
      },
      { defaultProject: "acme-1234" },
    );
    expect(one(plan, "gcp:compute/network:Network", "n").inputs.description).toBe("1");
  });
});

describe("addresses from the plan's own ranges", () => {
  let prod: Plan;
  beforeAll(async () => {
    prod = await planDir(examplePath("bro-ai"), "prod");
  });

  it("gives the database and the cache addresses inside the PSA range, which the api's NetworkPolicy egress admits", () => {
    const psa = one(prod, "gcp:compute/globalAddress:GlobalAddress", "bro-ai-prod-network-psa").inputs;
    expect(psa).toMatchObject({ purpose: "VPC_PEERING", address: "10.0.64.0", prefixLength: 20 });
    const range = `${String(psa.address)}/${String(psa.prefixLength)}`;
    const outputs = prod.outputs as { databases: Record<string, { privateIp: string }>; caches: Record<string, { host: string }> };
    const dbIp = outputs.databases.main!.privateIp;
    const cacheHost = outputs.caches.sessions!.host;
    expect(inCidr(dbIp, range)).toBe(true);
    expect(inCidr(cacheHost, range)).toBe(true);
    expect(dbIp).not.toBe(cacheHost);

    const policy = one(prod, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "bro-ai-prod-svc-api-network-policy").inputs as {
      spec: { egress: { to: { ipBlock?: { cidr: string } }[]; ports: { port: number }[] }[] };
    };
    const admits = (ip: string, port: number) =>
      policy.spec.egress.some((rule) => rule.to.some((to) => to.ipBlock && inCidr(ip, to.ipBlock.cidr)) && rule.ports.some((p) => p.port === port));
    expect(admits(dbIp, 5432)).toBe(true);
    expect(admits(cacheHost, 6378)).toBe(true);
  });

  it("gives an internal address inside its subnetwork, and never a reserved one", async () => {
    const plan = await planProgram(async () => {
      const gcp = await import("@pulumi/gcp");
      const net = new gcp.compute.Network("n", { name: "n", autoCreateSubnetworks: false });
      const sub = new gcp.compute.Subnetwork("s", { name: "s", network: net.id, ipCidrRange: "10.9.8.0/29", region: "europe-west1" });
      const addresses = [0, 1, 2, 3].map((i) => new gcp.compute.Address(`a${i}`, { addressType: "INTERNAL", subnetwork: sub.id, region: "europe-west1" }));
      return { addresses: addresses.map((a) => a.address) };
    });
    const addresses = (plan.outputs as { addresses: string[] }).addresses;
    // A /29 has 8 addresses; GCP reserves .0, .1, .6 and .7: the four usable ones, each once.
    expect([...addresses].sort()).toEqual(["10.9.8.2", "10.9.8.3", "10.9.8.4", "10.9.8.5"]);
    expect(ofType(plan, "gcp:compute/address:Address")).toHaveLength(4);
  });

  it("gives a private control plane its address in masterIpv4CidrBlock; endpoint is the public one unless the private endpoint is on", async () => {
    const plan = await planProgram(async () => {
      const gcp = await import("@pulumi/gcp");
      const make = (name: string, enablePrivateEndpoint: boolean) =>
        new gcp.container.Cluster(name, { name, location: "europe-west1", privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint, masterIpv4CidrBlock: "172.16.0.16/28" } });
      const open = make("open", false);
      const closed = make("closed", true);
      return { open: open.endpoint, openPrivate: open.privateClusterConfig.apply((c) => c?.privateEndpoint), closed: closed.endpoint };
    });
    const out = plan.outputs as { open: string; openPrivate: string; closed: string };
    expect(out.open).toMatch(/^203\.0\.113\.\d+$/);
    expect(inCidr(out.openPrivate, "172.16.0.16/28")).toBe(true);
    expect(inCidr(out.closed, "172.16.0.16/28")).toBe(true);
  });

  it("allocates deterministically: the same seed gives the same address, a taken one moves on", () => {
    const taken = new Set<string>();
    const first = mockAddressIn("10.0.64.0/20", "sql:a", taken)!;
    expect(mockAddressIn("10.0.64.0/20", "sql:a")).toBe(first);
    expect(mockAddressIn("10.0.64.0/20", "sql:a", taken)).not.toBe(first);
    expect(mockAddressIn("not-a-cidr", "x")).toBeUndefined();
  });
});
