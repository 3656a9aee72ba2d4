import { containsCidr } from "cidr-tools";
import { beforeAll, describe, expect, it } from "vitest";
import type { NetworkArgs } from "../../src/components/network/network.js";
import { defaultNetworkPlan } from "../../src/config/cidr-plan.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { Naming } from "../../src/config/naming.js";
import { one, ofType, planProgram } from "../harness.js";

const T = {
  network: "gcp:compute/network:Network",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  router: "gcp:compute/router:Router",
  nat: "gcp:compute/routerNat:RouterNat",
  address: "gcp:compute/globalAddress:GlobalAddress",
  connection: "gcp:servicenetworking/connection:Connection",
  firewall: "gcp:compute/firewall:Firewall",
  zone: "gcp:dns/managedZone:ManagedZone",
  policy: "gcp:dns/policy:Policy",
  component: "brume:network:Network",
} as const;

const project = "shop-prod-7781";
const vpcId = `projects/${project}/global/networks/shop-prod-vpc`;
const subnetId = (n: string) => `projects/${project}/regions/europe-west1/subnetworks/${n}`;

/** Plans one standalone Network "net" of environment index 0 with `extra` args. */
function planNetwork(extra: Partial<NetworkArgs> = {}): Promise<Plan> {
  return planProgram(
    async () => {
      const { Network } = await import("../../src/components/network/network.js");
      new Network("net", {
        project,
        region: "europe-west1",
        naming: Naming.of("shop", "prod"),
        ranges: defaultNetworkPlan(0),
        ...extra,
      });
    },
    { defaultProject: project },
  );
}

function countsByType(plan: Plan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of plan.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

/** Does a firewall allow entry open `port`? (no ports = every port; "a-b" ranges). */
function opensPort(allow: { protocol: string; ports?: string[] }, port: number): boolean {
  if (!["tcp", "all", "6"].includes(allow.protocol)) return false;
  if (!allow.ports || allow.ports.length === 0) return true;
  return allow.ports.some((p) => {
    const [lo, hi] = p.split("-").map(Number);
    return hi === undefined ? lo === port : port >= lo! && port <= hi;
  });
}

/** SSH, RDP and database ports that must never be reachable from outside the env. */
const sensitivePorts = [22, 3389, 3306, 5432, 1433, 6379, 27017, 9200];

/** Every violation of "no rule opens 0.0.0.0/0 (or any public range) to SSH/RDP/databases". */
function publicExposure(plan: Plan): string[] {
  const problems: string[] = [];
  for (const fw of ofType(plan, T.firewall)) {
    const inputs = fw.inputs as { direction?: string; allows?: { protocol: string; ports?: string[] }[]; sourceRanges?: string[] };
    if (inputs.direction !== "INGRESS" || !inputs.allows) continue;
    for (const source of inputs.sourceRanges ?? []) {
      if (source === "0.0.0.0/0" || source === "::/0") problems.push(`${fw.name} allows ${source}`);
      for (const allow of inputs.allows) {
        for (const port of sensitivePorts.filter((p) => opensPort(allow, p))) {
          const internal = containsCidr("10.0.0.0/8", source);
          const iapSsh = port === 22 && source === "35.235.240.0/20";
          if (!internal && !iapSsh) problems.push(`${fw.name} opens ${allow.protocol}:${port} to ${source}`);
        }
      }
    }
  }
  return problems;
}

describe("Network with a domain (defaults)", () => {
  let plan: Plan;
  let component: PlannedResource;
  let vpc: PlannedResource;
  beforeAll(async () => {
    plan = await planNetwork({ domain: "shop.example.com" });
    component = one(plan, T.component, "net");
    vpc = one(plan, T.network, "net-vpc");
  });

  it("creates the expected resources, all children of the component", () => {
    expect(countsByType(plan)).toEqual({
      [T.component]: 1,
      [T.network]: 1,
      [T.subnet]: 3,
      [T.router]: 1,
      [T.nat]: 1,
      [T.address]: 1,
      [T.connection]: 1,
      [T.firewall]: 5,
      // public, private, and googleapis.com (private.googleapis.com, k8s-review 18) with its two records
      [T.zone]: 3,
      "gcp:dns/recordSet:RecordSet": 2,
      [T.policy]: 1,
    });
    for (const r of plan.resources.filter((r) => r.custom)) expect(r.parent, r.name).toBe(component.urn);
    expect(plan.resources.filter((r) => r.protect)).toEqual([]);
  });

  it("keeps the VPC and subnets: custom mode, Private Google Access, flow logs, depending on the VPC", () => {
    expect(vpc.inputs).toMatchObject({ name: "shop-prod-vpc", autoCreateSubnetworks: false, routingMode: "REGIONAL", deleteDefaultRoutesOnCreate: false });
    const nodes = one(plan, T.subnet, "net-nodes");
    expect(nodes.inputs).toMatchObject({
      name: "shop-prod-nodes",
      network: vpcId,
      ipCidrRange: "10.0.0.0/20",
      privateIpGoogleAccess: true,
      secondaryIpRanges: [
        { rangeName: "pods", ipCidrRange: "10.8.0.0/13" },
        { rangeName: "services", ipCidrRange: "10.0.48.0/20" },
      ],
      logConfig: { flowSampling: 0.5, aggregationInterval: "INTERVAL_5_SEC", metadata: "INCLUDE_ALL_METADATA" },
    });
    expect(one(plan, T.subnet, "net-private").inputs).toMatchObject({ name: "shop-prod-private", ipCidrRange: "10.0.16.0/20", privateIpGoogleAccess: true });
    const proxy = one(plan, T.subnet, "net-proxy");
    expect(proxy.inputs).toMatchObject({ ipCidrRange: "10.0.32.0/23", purpose: "REGIONAL_MANAGED_PROXY", role: "ACTIVE" });
    expect(proxy.inputs).not.toHaveProperty("logConfig");
    for (const subnet of ofType(plan, T.subnet)) expect(subnet.dependencies).toEqual([vpc.urn]);
  });

  it("egresses through Cloud NAT on the nodes and private subnets only, with error logging", () => {
    const router = one(plan, T.router, "net-router");
    expect(router.inputs).toMatchObject({ name: "shop-prod-router", region: "europe-west1", network: vpcId, project });
    expect(router.inputs).not.toHaveProperty("bgp");
    expect(router.dependencies).toEqual([vpc.urn]);
    const nat = one(plan, T.nat, "net-nat");
    expect(nat.inputs).toEqual({
      project,
      region: "europe-west1",
      name: "shop-prod-nat",
      router: "shop-prod-router",
      natIpAllocateOption: "AUTO_ONLY",
      sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
      subnetworks: [
        { name: subnetId("shop-prod-nodes"), sourceIpRangesToNats: ["ALL_IP_RANGES"] },
        { name: subnetId("shop-prod-private"), sourceIpRangesToNats: ["ALL_IP_RANGES"] },
      ],
      enableEndpointIndependentMapping: false,
      enableDynamicPortAllocation: true,
      minPortsPerVm: 64,
      maxPortsPerVm: 4096,
      logConfig: { enable: true, filter: "ERRORS_ONLY" },
    });
    const nodes = one(plan, T.subnet, "net-nodes");
    const priv = one(plan, T.subnet, "net-private");
    expect(nat.dependencies).toEqual([nodes.urn, priv.urn, router.urn].sort());
  });

  it("reserves the Private Services Access range and peers it, abandoning the peering on delete", () => {
    const address = one(plan, T.address, "net-psa");
    expect(address.inputs).toMatchObject({
      name: "shop-prod-psa",
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      address: "10.0.64.0",
      prefixLength: 20,
      network: vpcId,
      project,
    });
    const connection = one(plan, T.connection, "net-psa-connection");
    expect(connection.inputs).toEqual({
      network: vpcId,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: ["shop-prod-psa"],
      deletionPolicy: "ABANDON",
    });
    expect(connection.dependencies).toEqual([address.urn, vpc.urn].sort());
  });

  it("denies all ingress at the lowest priority and allows only the planned sources", () => {
    const fw = (name: string) => one(plan, T.firewall, name).inputs;
    const common = { project, network: vpcId, direction: "INGRESS" };
    expect(fw("net-deny-all-ingress")).toMatchObject({
      ...common,
      logConfig: { metadata: "INCLUDE_ALL_METADATA" },
      name: "shop-prod-deny-all-ingress",
      priority: 65534,
      denies: [{ protocol: "all" }],
      sourceRanges: ["0.0.0.0/0"],
    });
    expect(fw("net-allow-internal")).toMatchObject({
      ...common,
      name: "shop-prod-allow-internal",
      priority: 1000,
      allows: [{ protocol: "tcp" }, { protocol: "udp" }, { protocol: "icmp" }],
      sourceRanges: ["10.0.0.0/20", "10.8.0.0/13", "10.0.48.0/20", "10.0.16.0/20", "10.0.32.0/23"],
    });
    expect(fw("net-allow-internal")).not.toHaveProperty("targetTags");
    expect(fw("net-allow-iap-ssh")).toMatchObject({
      ...common,
      priority: 1000,
      allows: [{ protocol: "tcp", ports: ["22"] }],
      sourceRanges: ["35.235.240.0/20"],
      targetTags: ["iap-ssh"],
    });
    expect(fw("net-allow-health-checks")).toMatchObject({
      ...common,
      priority: 1000,
      allows: [{ protocol: "tcp", ports: ["80", "443", "8080"] }],
      sourceRanges: ["35.191.0.0/16", "130.211.0.0/22"],
      targetTags: ["lb-backend"],
    });
    expect(fw("net-allow-proxy")).toMatchObject({
      ...common,
      priority: 1000,
      allows: [{ protocol: "tcp", ports: ["80", "443", "8080"] }],
      sourceRanges: ["10.0.32.0/23"],
      targetTags: ["lb-backend"],
    });
    // Only deny rules log (gcp-review 34): allow-internal would log every east-west connection.
    for (const rule of ofType(plan, T.firewall)) {
      if (rule.name === "net-deny-all-ingress") expect(rule.inputs.logConfig, rule.name).toEqual({ metadata: "INCLUDE_ALL_METADATA" });
      else expect(rule.inputs, rule.name).not.toHaveProperty("logConfig");
      expect(rule.dependencies, rule.name).toEqual([vpc.urn]);
    }
  });

  it("never opens 0.0.0.0/0, nor SSH/RDP/database ports to anything outside the env (but IAP for SSH)", () => {
    expect(publicExposure(plan)).toEqual([]);
  });

  it("serves a DNSSEC-signed public zone and a private zone bound to the VPC, and logs DNS queries", () => {
    const pub = one(plan, T.zone, "net-public-zone");
    expect(pub.inputs).toMatchObject({
      name: "shop-prod-public-zone",
      dnsName: "shop.example.com.",
      visibility: "public",
      dnssecConfig: { state: "on", nonExistence: "nsec3" },
      project,
    });
    expect(pub.dependencies).toEqual([]);
    const priv = one(plan, T.zone, "net-private-zone");
    expect(priv.inputs).toMatchObject({
      name: "shop-prod-private-zone",
      dnsName: "internal.shop.example.com.",
      visibility: "private",
      privateVisibilityConfig: { networks: [{ networkUrl: vpcId }] },
    });
    expect(priv.inputs).not.toHaveProperty("dnssecConfig");
    expect(priv.dependencies).toEqual([vpc.urn]);
    expect(one(plan, T.policy, "net-dns-policy").inputs).toMatchObject({
      name: "shop-prod-dns-policy",
      enableLogging: true,
      enableInboundForwarding: false,
      networks: [{ networkUrl: vpcId }],
    });
  });
});

describe("Network options", () => {
  it("creates no zones without a domain, a private zone for privateDomain alone, and no policy when query logging is off", async () => {
    const bare = await planNetwork({ dnsQueryLogging: false });
    // Only the googleapis.com zone: Google APIs go through private.googleapis.com in every VPC.
    expect(ofType(bare, T.zone).map((z) => [z.name, z.inputs.dnsName, z.inputs.visibility])).toEqual([["net-googleapis-zone", "googleapis.com.", "private"]]);
    expect(ofType(bare, T.policy)).toEqual([]);
    const internal = await planNetwork({ privateDomain: "Shop-Prod.Internal." });
    expect(ofType(internal, T.zone).map((z) => [z.name, z.inputs.dnsName, z.inputs.visibility])).toEqual([
      ["net-googleapis-zone", "googleapis.com.", "private"],
      ["net-private-zone", "shop-prod.internal.", "private"],
    ]);
  });

  it("takes flow log, NAT and serving-port settings, and drops serving rules for an empty port list", async () => {
    const plan = await planNetwork({
      flowLogSampling: 0.1,
      flowLogAggregation: "INTERVAL_1_MIN",
      nat: { minPortsPerVm: 128, maxPortsPerVm: 8192 },
      healthCheckPorts: [3000, 8080, 3000],
      servingPorts: [],
    });
    for (const name of ["net-nodes", "net-private"]) {
      expect(one(plan, T.subnet, name).inputs.logConfig).toEqual({
        flowSampling: 0.1,
        aggregationInterval: "INTERVAL_1_MIN",
        metadata: "INCLUDE_ALL_METADATA",
      });
    }
    expect(one(plan, T.nat, "net-nat").inputs).toMatchObject({ minPortsPerVm: 128, maxPortsPerVm: 8192 });
    expect(one(plan, T.firewall, "net-allow-health-checks").inputs.allows).toEqual([{ protocol: "tcp", ports: ["3000", "8080"] }]);
    expect(ofType(plan, T.firewall).map((f) => f.name).sort()).toEqual([
      "net-allow-health-checks",
      "net-allow-iap-ssh",
      "net-allow-internal",
      "net-deny-all-ingress",
    ]);
  });

  it("protects the public zone only when asked", async () => {
    const plan = await planNetwork({ domain: "shop.example.com", protect: true });
    expect(plan.resources.filter((r) => r.protect).map((r) => r.name)).toEqual(["net-public-zone"]);
  });

  it("lets a transform change a child's inputs (object merge and function)", async () => {
    const plan = await planNetwork({
      transform: {
        nat: { logConfig: { enable: true, filter: "ALL" } },
        firewall: {
          allowIapSsh: (args) => ({ ...args, targetTags: ["bastion"] }),
        },
        servicesAccess: (args) => {
          args.updateOnCreationFail = true;
        },
      },
    });
    expect(one(plan, T.nat, "net-nat").inputs.logConfig).toEqual({ enable: true, filter: "ALL" });
    expect(one(plan, T.firewall, "net-allow-iap-ssh").inputs).toMatchObject({ targetTags: ["bastion"], sourceRanges: ["35.235.240.0/20"] });
    expect(one(plan, T.connection, "net-psa-connection").inputs).toMatchObject({ updateOnCreationFail: true, deletionPolicy: "ABANDON" });
  });

  it("hands the component's dependsOn to every child", async () => {
    const plan = await planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        const { Network } = await import("../../src/components/network/network.js");
        const api = new gcp.projects.Service("compute-api", { project, service: "compute.googleapis.com" });
        new Network(
          "net",
          { project, region: "europe-west1", naming: Naming.of("shop", "prod"), ranges: defaultNetworkPlan(0), domain: "shop.example.com" },
          { dependsOn: [api] },
        );
      },
      { defaultProject: project },
    );
    const api = one(plan, "gcp:projects/service:Service", "compute-api");
    const children = plan.resources.filter((r) => r.custom && r.name.startsWith("net-"));
    expect(children).toHaveLength(19); // 16 + the googleapis.com zone and its two records
    for (const child of children) expect(child.dependencies, child.name).toContain(api.urn);
  });

  it("the exposure scan catches a rule that opens SSH or a database to the internet", async () => {
    const plan = await planNetwork({
      transform: {
        firewall: {
          allowIapSsh: { sourceRanges: ["0.0.0.0/0"] },
          allowHealthChecks: { allows: [{ protocol: "tcp", ports: ["5000-5500"] }] },
        },
      },
    });
    expect(publicExposure(plan)).toEqual([
      "net-allow-health-checks opens tcp:5432 to 35.191.0.0/16",
      "net-allow-health-checks opens tcp:5432 to 130.211.0.0/22",
      "net-allow-iap-ssh allows 0.0.0.0/0",
      "net-allow-iap-ssh opens tcp:22 to 0.0.0.0/0",
    ]);
  });

  it("rejects NAT port settings the API would refuse, before creating anything", async () => {
    await expect(planNetwork({ nat: { minPortsPerVm: 100 } })).rejects.toThrow(
      "nat.minPortsPerVm must be a power of two within 32-32768, got 100",
    );
    await expect(planNetwork({ nat: { minPortsPerVm: 4096, maxPortsPerVm: 4096 } })).rejects.toThrow(
      "nat.maxPortsPerVm must be a power of two above minPortsPerVm (4096) and at most 65536, got 4096",
    );
    await expect(planNetwork({ healthCheckPorts: [0] })).rejects.toThrow("healthCheckPorts: 0 is not a port (1-65535)");
  });
});
