/**
 * The machine groups' shared frontend: the pure rules (which domains, which group answers each
 * host, the certificate's name, Google's source ranges, domains in a zone) and, planned offline,
 * the one global external Application Load Balancer `Machines` creates for every serving group —
 * address (protected), Google-managed certificate, SSL policy, URL map, HTTPS proxy and rule on
 * 443, the HTTP → HTTPS redirect on 80, A records to the shared address — and nothing of it for
 * groups that serve nothing.
 */
import { describe, expect, it } from "vitest";
import {
  certificateSuffix,
  firewallPorts,
  frontendPlan,
  maxCertificateDomains,
  servesLoadBalancer,
} from "../../src/components/machine/frontend.js";
import { domainsInZone, inZone } from "../../src/components/network/dns.js";
import { validateConfig } from "../../src/config/load.js";
import type { Plan } from "../../src/plan/run.js";
import { one, ofType } from "../harness.js";
import { machinesExample, planMachines } from "./fixtures.js";

const T = {
  globalAddress: "gcp:compute/globalAddress:GlobalAddress",
  certificate: "gcp:compute/managedSslCertificate:ManagedSslCertificate",
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  urlMap: "gcp:compute/uRLMap:URLMap",
  httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  httpProxy: "gcp:compute/targetHttpProxy:TargetHttpProxy",
  globalRule: "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  backend: "gcp:compute/backendService:BackendService",
  record: "gcp:dns/recordSet:RecordSet",
  firewall: "gcp:compute/firewall:Firewall",
  // The passthrough load balancer's pieces: none may remain.
  address: "gcp:compute/address:Address",
  regionBackend: "gcp:compute/regionBackendService:RegionBackendService",
  regionHealth: "gcp:compute/regionHealthCheck:RegionHealthCheck",
  forwardingRule: "gcp:compute/forwardingRule:ForwardingRule",
};

describe("frontend rules", () => {
  it("serves 443 only: [443] is a backend of the load balancer, [] is none, other ports are refused", () => {
    expect(servesLoadBalancer("web", [443])).toBe(true);
    expect(servesLoadBalancer("web", [443, 443])).toBe(true);
    expect(servesLoadBalancer("web", [])).toBe(false);
    expect(servesLoadBalancer("web")).toBe(false);
    expect(() => servesLoadBalancer("web", [443, 8443])).toThrow('MachineGroup "web": the Application Load Balancer reaches the machines on 443 only; serves lists 8443');
  });
  it("opens the health port, and 443 when serving (the rule's source ranges are asserted on the plan in machine-group.test)", () => {
    expect(firewallPorts(9000, false)).toEqual([9000]);
    expect(firewallPorts(9000, true)).toEqual([443, 9000]);
    expect(firewallPorts(443, true)).toEqual([443]);
  });
  it("sends each group's domains to that group, the first group (sorted) by default", () => {
    expect(frontendPlan({})).toBeUndefined();
    expect(frontendPlan({ web: ["www.shop.example.com"], edge: ["API.shop.example.com", "shop.example.com.", "api.shop.example.com"] })).toEqual({
      domains: ["api.shop.example.com", "shop.example.com", "www.shop.example.com"],
      hostRules: [
        { group: "edge", hosts: ["api.shop.example.com", "shop.example.com"] },
        { group: "web", hosts: ["www.shop.example.com"] },
      ],
      defaultGroup: "edge",
    });
  });
  it("refuses a serving group without a domain, a domain on two groups and more domains than a managed certificate holds", () => {
    expect(() => frontendPlan({ a: ["x.example.com"], jobs: [] })).toThrow('machine group "jobs" serves but none of its services exposes a domain');
    expect(() => frontendPlan({ a: ["x.example.com"], b: ["x.example.com"] })).toThrow('domain "x.example.com" is served by machine groups "a" and "b"');
    const many = Array.from({ length: maxCertificateDomains + 1 }, (_, i) => `d${i}.example.com`);
    expect(() => frontendPlan({ a: many })).toThrow("at most 100 domains; the serving machine groups expose 101");
    expect(frontendPlan({ a: many.slice(1) })!.domains).toHaveLength(100);
  });
  it("names the certificate after its sorted domain list: same list, same name; new list, new name", () => {
    expect(certificateSuffix(["b.example.com", "a.example.com"])).toBe(certificateSuffix(["a.example.com", "b.example.com"]));
    expect(certificateSuffix(["a.example.com"])).not.toBe(certificateSuffix(["a.example.com", "b.example.com"]));
    expect(certificateSuffix(["a.example.com"])).toMatch(/^[0-9a-f]{8}$/);
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

/** Plans `Machines` for a config (the example by default), prod-like: the environment protects its data. */
const example = machinesExample;

describe("Machines: one Application Load Balancer for every serving group", async () => {
  const doc = example();
  // A domain outside the public zone: certified and routed, but no A record.
  doc.services.site.expose.domains.push("tiles.other.org");
  const plan = await planMachines(doc);
  const address = () => one(plan, T.globalAddress, "m-address");

  it("reserves one static global IPv4 address, protected with the environment's data", () => {
    expect(ofType(plan, T.globalAddress)).toHaveLength(1);
    expect(address().inputs).toMatchObject({ name: "tiles-prod-machines-lb", addressType: "EXTERNAL", ipVersion: "IPV4" });
    expect(address().protect).toBe(true);
  });

  it("certifies every domain of the serving groups with one Google-managed certificate named after them", () => {
    const cert = one(plan, T.certificate, "m-certificate");
    const domains = ["api.tiles.example.com", "tiles.example.com", "tiles.other.org", "www.tiles.example.com"];
    expect(cert.inputs.managed).toEqual({ domains });
    expect(cert.inputs.name).toBe(`tiles-prod-machines-cert-${certificateSuffix(domains)}`);
    // Create-before-delete: the new certificate exists before the proxy moves to it.
    expect(cert.inputs.name).toMatch(/^tiles-prod-machines-cert-[0-9a-f]{8}$/);
  });

  it("terminates HTTPS on 443 with the certificate and a MODERN, TLS 1.2+ SSL policy", () => {
    expect(one(plan, T.sslPolicy, "m-ssl-policy").inputs).toMatchObject({ name: "tiles-prod-machines-tls", profile: "MODERN", minTlsVersion: "TLS_1_2" });
    const proxy = one(plan, T.httpsProxy, "m-https-proxy");
    expect(proxy.inputs).toMatchObject({
      name: "tiles-prod-machines-https-proxy",
      urlMap: "tiles-prod-machines-url-map-id",
      sslPolicy: "tiles-prod-machines-tls-id",
      sslCertificates: [`${one(plan, T.certificate, "m-certificate").inputs.name}-id`],
    });
    const rule = one(plan, T.globalRule, "m-https-rule");
    expect(rule.inputs).toMatchObject({
      loadBalancingScheme: "EXTERNAL_MANAGED",
      ipProtocol: "TCP",
      portRange: "443",
      target: "tiles-prod-machines-https-proxy-id",
    });
    expect(rule.inputs.ipAddress).toMatch(/^203\.0\.113\.\d+$/);
    expect(rule.dependencies).toEqual(expect.arrayContaining([address().urn, proxy.urn]));
  });

  it("routes each group's domains to that group's backend service; other hosts to the first group", () => {
    const map = one(plan, T.urlMap, "m-url-map");
    expect(map.inputs).toMatchObject({
      defaultService: "tiles-prod-edge-backend-id",
      hostRules: [
        { hosts: ["api.tiles.example.com", "tiles.example.com"], pathMatcher: "edge" },
        { hosts: ["tiles.other.org", "www.tiles.example.com"], pathMatcher: "web" },
      ],
      pathMatchers: [
        { name: "edge", defaultService: "tiles-prod-edge-backend-id" },
        { name: "web", defaultService: "tiles-prod-web-backend-id" },
      ],
    });
    for (const group of ["edge", "web"]) expect(map.dependencies).toContain(one(plan, T.backend, `m-${group}-backend`).urn);
  });

  it("redirects plain HTTP on 80 to HTTPS (301, query kept) on the same address", () => {
    expect(one(plan, T.urlMap, "m-redirect-url-map").inputs).toMatchObject({
      name: "tiles-prod-machines-http-redirect",
      defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT", stripQuery: false },
    });
    expect(one(plan, T.urlMap, "m-redirect-url-map").inputs.defaultService).toBeUndefined();
    expect(one(plan, T.httpProxy, "m-http-proxy").inputs.urlMap).toBe("tiles-prod-machines-http-redirect-id");
    const http = one(plan, T.globalRule, "m-http-rule");
    expect(http.inputs).toMatchObject({ loadBalancingScheme: "EXTERNAL_MANAGED", portRange: "80", target: "tiles-prod-machines-http-proxy-id" });
    expect(http.inputs.ipAddress).toBe(one(plan, T.globalRule, "m-https-rule").inputs.ipAddress);
    expect(ofType(plan, T.globalRule).map((r) => r.inputs.portRange).sort()).toEqual(["443", "80"]);
  });

  it("points every domain in the public zone at the shared address (none outside it)", () => {
    const ip = one(plan, T.globalRule, "m-https-rule").inputs.ipAddress;
    expect(ofType(plan, T.record).map((r) => [r.name, r.inputs])).toEqual([
      ["m-dns-api.tiles.example.com", { project: "tiles-prod-7310", managedZone: "tiles-prod-public-zone", name: "api.tiles.example.com.", type: "A", ttl: 300, rrdatas: [ip] }],
      ["m-dns-tiles.example.com", { project: "tiles-prod-7310", managedZone: "tiles-prod-public-zone", name: "tiles.example.com.", type: "A", ttl: 300, rrdatas: [ip] }],
      ["m-dns-www.tiles.example.com", { project: "tiles-prod-7310", managedZone: "tiles-prod-public-zone", name: "www.tiles.example.com.", type: "A", ttl: 300, rrdatas: [ip] }],
    ]);
    expect(one(plan, T.record, "m-dns-www.tiles.example.com").dependencies).toContain(address().urn);
  });

  it("leaves no passthrough piece and no rule open to the internet", () => {
    for (const type of [T.address, T.regionBackend, T.regionHealth, T.forwardingRule]) expect(ofType(plan, type)).toEqual([]);
    for (const fw of ofType(plan, T.firewall)) expect(fw.inputs.sourceRanges).toEqual(["35.191.0.0/16", "130.211.0.0/22"]);
    expect(ofType(plan, T.firewall).map((r) => r.name)).toEqual(["m-edge-health-firewall", "m-web-health-firewall"]);
  });
});

describe("Machines: groups that serve nothing get no load balancer", async () => {
  const doc = example();
  doc.machines.edge.serves = [];
  const oneServing = await planMachines(doc);
  doc.machines.web.serves = [];
  const none = await planMachines(doc);

  it("a group without serves is no backend: no backend service, no named port, no host rule, no certificate domain, health port only", () => {
    expect(ofType(oneServing, T.backend).map((r) => r.name)).toEqual(["m-web-backend"]);
    expect(one(oneServing, T.urlMap, "m-url-map").inputs).toMatchObject({
      defaultService: "tiles-prod-web-backend-id",
      hostRules: [{ hosts: ["www.tiles.example.com"], pathMatcher: "web" }],
    });
    expect(one(oneServing, T.certificate, "m-certificate").inputs.managed).toEqual({ domains: ["www.tiles.example.com"] });
    expect(ofType(oneServing, T.record).map((r) => r.inputs.name)).toEqual(["www.tiles.example.com."]);
    expect(one(oneServing, T.firewall, "m-edge-health-firewall").inputs.allows).toEqual([{ protocol: "tcp", ports: ["9000"] }]);
    expect(one(oneServing, "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", "m-edge-group").inputs.namedPorts).toEqual([]);
  });

  it("no serving group: no address, certificate, URL map, proxy, forwarding rule or record at all", () => {
    for (const type of [T.globalAddress, T.certificate, T.sslPolicy, T.urlMap, T.httpsProxy, T.httpProxy, T.globalRule, T.backend, T.record]) {
      expect(ofType(none, type)).toEqual([]);
    }
    expect(ofType(none, T.firewall).map((r) => r.inputs.allows)).toEqual([[{ protocol: "tcp", ports: ["9000"] }], [{ protocol: "tcp", ports: ["9000"] }]]);
  });

  it("without a public zone: the frontend, no record", async () => {
    const plan = await planMachines(example(), false);
    expect(ofType(plan, T.record)).toEqual([]);
    expect(ofType(plan, T.globalRule)).toHaveLength(2);
  });
});

describe("Machines: a blue/green switch moves nothing of the shared frontend", async () => {
  const at = (active: "blue" | "green") => {
    const doc = example();
    doc.machines.web.strategy = { type: "blueGreen", active, blue: { version: "v1" }, green: { version: "v2", services: { site: { image: "europe-west1-docker.pkg.dev/tiles-prod-7310/apps/site:1.1.0" } } } };
    return planMachines(doc);
  };
  const blue = await at("blue");
  const green = await at("green");

  it("changes only the group's backend service: address, certificate, URL map, proxies, rules and records stay", () => {
    const inputs = (plan: Plan) => new Map(plan.resources.map((r) => [r.name, JSON.stringify(r.inputs)]));
    const a = inputs(blue);
    const b = inputs(green);
    expect([...a.keys()]).toEqual([...b.keys()]);
    expect([...b.keys()].filter((name) => a.get(name) !== b.get(name))).toEqual(["m-web-backend"]);
    expect((one(green, T.backend, "m-web-backend").inputs.backends as any[]).map((x) => x.capacityScaler)).toEqual([0, 1]);
  });
});

describe("rate limits of machine services (Cloud Armor on the group's backend service)", async () => {
  const { rateLimitExpression } = await import("../../src/components/machine/machine-group.js");

  it("matches the service's hosts and path prefixes as Caddy routes them", () => {
    expect(rateLimitExpression({ domains: ["api.tiles.example.com"], paths: ["/"] })).toBe("request.headers['host'] == 'api.tiles.example.com'");
    expect(rateLimitExpression({ domains: ["b.example.com", "A.example.com"], paths: ["/docs/", "/api"] })).toBe(
      "(request.headers['host'] == 'a.example.com' || request.headers['host'] == 'b.example.com') && " +
        "(request.path == '/api' || request.path.startsWith('/api/') || request.path == '/docs' || request.path.startsWith('/docs/'))",
    );
    expect(rateLimitExpression({ domains: ["x.example.com"], paths: ["/it's"] })).toBe("request.headers['host'] == 'x.example.com' && (request.path == '/it\\'s' || request.path.startsWith('/it\\'s/'))");
  });

  it("throttles each limited service per client IP (429 above the limit) and attaches the policy to the backend service", async () => {
    const doc = example();
    doc.services.site.expose.rateLimitPerMinute = 120;
    doc.services.site.expose.paths = ["/shop"];
    const plan = await planMachines(doc);
    const armor = one(plan, "gcp:compute/securityPolicy:SecurityPolicy", "m-web-armor");
    expect(armor.inputs).toMatchObject({ name: "tiles-prod-web-armor", type: "CLOUD_ARMOR" });
    const rules = armor.inputs.rules as any[];
    expect(rules.map((r) => [r.priority, r.action])).toEqual([
      [1000, "throttle"],
      [2147483647, "allow"],
    ]);
    expect(rules[0]).toMatchObject({
      match: { expr: { expression: "request.headers['host'] == 'www.tiles.example.com' && (request.path == '/shop' || request.path.startsWith('/shop/'))" } },
      rateLimitOptions: { conformAction: "allow", exceedAction: "deny(429)", enforceOnKey: "IP", rateLimitThreshold: { count: 120, intervalSec: 60 } },
    });
    const backend = one(plan, T.backend, "m-web-backend");
    expect(backend.inputs.securityPolicy).toBe("https://www.googleapis.com/compute/v1/projects/tiles-prod-7310/global/securityPolicies/tiles-prod-web-armor");
    expect(backend.dependencies).toContain(armor.urn);
  });

  it("refuses what the machines' load balancer does not do: internal exposure, IAP", () => {
    const doc = example();
    doc.services.site.expose.public = false;
    doc.services.site.expose.iap = true;
    const messages = (() => {
      try {
        validateConfig(doc);
        return [];
      } catch (err) {
        return (err as { issues: { path: string; message: string }[] }).issues.map((i) => `${i.path}: ${i.message}`);
      }
    })();
    expect(messages).toEqual([
      "services.site.expose.public: services on machines are served by the environment's public load balancer only; remove public: false, or run the service with runner: kubernetes (internal gateway)",
      "services.site.expose.iap: Identity-Aware Proxy is not set up on the machines' load balancer; remove iap, or run the service with runner: kubernetes",
    ]);
  });
});
