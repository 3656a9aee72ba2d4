/**
 * The load-balancer frontend of machine groups: the pure rules (forwarded ports, health-check
 * ranges, domains in a zone) and, planned offline, the A records a public zone gets and the
 * absence of any load-balancer resource on a group that serves nothing.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { domainsInZone, forwardedPorts, healthCheckSourceRanges, inZone } from "../../components/machine/frontend.js";
import { validateConfig } from "../../src/config/load.js";
import { examplePath, one, ofType, planProgram } from "../harness.js";
import { machineSpec } from "./fixtures.js";

const T = {
  address: "gcp:compute/address:Address",
  record: "gcp:dns/recordSet:RecordSet",
  forwardingRule: "gcp:compute/forwardingRule:ForwardingRule",
  backend: "gcp:compute/regionBackendService:RegionBackendService",
  lbHealth: "gcp:compute/regionHealthCheck:RegionHealthCheck",
  firewall: "gcp:compute/firewall:Firewall",
};

describe("frontend rules", () => {
  it("forwards 80 along with 443 (ACME HTTP-01, Caddy's redirect), other ports as served", () => {
    expect(forwardedPorts([443])).toEqual([80, 443]);
    expect(forwardedPorts([443, 80])).toEqual([80, 443]);
    expect(forwardedPorts([8443])).toEqual([8443]);
    expect(forwardedPorts([])).toEqual([]);
  });
  it("admits the passthrough load balancer's health-check ranges only when the group serves", () => {
    expect(healthCheckSourceRanges(false)).toEqual(["35.191.0.0/16", "130.211.0.0/22"]);
    expect(healthCheckSourceRanges(true)).toEqual(["35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22"]);
  });
  it("keeps the domains of the zone (apex included), once each", () => {
    expect(inZone("shop.example.com", "shop.example.com.")).toBe(true);
    expect(inZone("api.shop.example.com", "shop.example.com.")).toBe(true);
    expect(inZone("notshop.example.com", "shop.example.com.")).toBe(false);
    expect(domainsInZone(["b.shop.example.com", "api.other.org", "A.shop.example.com", "b.shop.example.com"], "shop.example.com.")).toEqual([
      "a.shop.example.com",
      "b.shop.example.com",
    ]);
  });
});

describe("DNS records in the environment's public zone", async () => {
  const spec = {
    ...machineSpec,
    services: machineSpec.services!.map((s) => (s.name === "api" ? { ...s, domains: [...s.domains!, "api.other.org"] } : s)),
  };
  const plan = await planProgram(async () => {
    const { MachineGroup } = await import("../../components/machine/machine-group.js");
    const { Naming } = await import("../../src/naming.js");
    const common = {
      project: "shop-prod-1234",
      region: "europe-west1",
      naming: Naming.of("shop", "prod"),
      network: "projects/shop-prod-1234/global/networks/shop-prod",
      subnetwork: "projects/shop-prod-1234/regions/europe-west1/subnetworks/shop-prod-private",
      spec,
      secretIds: ["projects/shop-prod-1234/secrets/shop-prod-agent-bootstrap-token"],
    };
    new MachineGroup("web", { ...common, group: "web", serves: [443], publicZone: { name: "shop-prod-public-zone", dnsName: "shop.example.com." } });
    // Serves nothing: no load balancer, no record, health checks from the autohealing ranges only.
    new MachineGroup("jobs", { ...common, group: "jobs", publicZone: { name: "shop-prod-public-zone", dnsName: "shop.example.com." } });
  });

  it("creates one A record per service domain in the zone, to the load balancer's address", () => {
    const ip = one(plan, T.forwardingRule, "web-forwarding-rule").inputs.ipAddress;
    expect(ip).toMatch(/^203\.0\.113\.\d+$/);
    const records = ofType(plan, T.record).map((r) => r.inputs);
    expect(records).toEqual([
      { project: "shop-prod-1234", managedZone: "shop-prod-public-zone", name: "api.shop.example.com.", type: "A", ttl: 300, rrdatas: [ip] },
      { project: "shop-prod-1234", managedZone: "shop-prod-public-zone", name: "shop.example.com.", type: "A", ttl: 300, rrdatas: [ip] },
    ]);
    expect(one(plan, T.record, "web-dns-api.shop.example.com").dependencies).toContain(one(plan, T.address, "web-address").urn);
  });

  it("gives a group that serves nothing no load balancer at all", () => {
    const jobs = (type: string) => ofType(plan, type).filter((r) => r.name.startsWith("jobs-"));
    for (const type of [T.address, T.record, T.forwardingRule, T.backend, T.lbHealth]) expect(jobs(type)).toEqual([]);
    expect(jobs(T.firewall).map((r) => r.name)).toEqual(["jobs-health-firewall"]);
    expect(one(plan, T.firewall, "jobs-health-firewall").inputs.sourceRanges).toEqual(["35.191.0.0/16", "130.211.0.0/22"]);
  });
});

describe("Machines: the public zone reaches every serving group", async () => {
  const config = validateConfig(parse(readFileSync(examplePath("machines", "brume.yaml"), "utf8")));
  const plan = await planProgram(async () => {
    const { Machines } = await import("../../components/machine/machines.js");
    const { Naming } = await import("../../src/naming.js");
    new Machines("m", {
      config,
      environment: { name: "prod", gcpProject: "tiles-prod-7310", region: "europe-west1", labels: {}, protect: true, replicaRegions: ["europe-west1"] },
      naming: Naming.of("tiles", "prod"),
      network: "projects/tiles-prod-7310/global/networks/tiles-prod",
      subnetwork: "projects/tiles-prod-7310/regions/europe-west1/subnetworks/tiles-prod-private",
      secretIds: { "maps-api-key": "maps-api-key-id", "agent-bootstrap-token": "agent-bootstrap-token-id" },
      publicZone: { name: "tiles-prod-public-zone", dnsName: "tiles.example.com." },
    });
  });

  it("records each group's domains to its own address, and protects the addresses with the environment", () => {
    const ip = (group: string) => one(plan, T.forwardingRule, `m-${group}-forwarding-rule`).inputs.ipAddress;
    expect(ofType(plan, T.record).map((r) => [r.inputs.name, r.inputs.rrdatas])).toEqual([
      ["api.tiles.example.com.", [ip("edge")]],
      ["tiles.example.com.", [ip("edge")]],
      ["www.tiles.example.com.", [ip("web")]],
    ]);
    expect(ip("edge")).not.toBe(ip("web"));
    expect(ofType(plan, T.address).map((r) => r.protect)).toEqual([true, true]);
  });
});
