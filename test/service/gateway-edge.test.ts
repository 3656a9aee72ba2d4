/**
 * Issue 14's "done when" for domains, TLS and graceful traffic, asserted over every example plan
 * that runs Kubernetes services: each Gateway serves on a reserved address (NamedAddress) with
 * the MODERN TLS 1.2 SSL policy and an HTTP listener that only redirects; every exposed domain
 * inside a zone of the environment has an A record to its Gateway's address; every exposed
 * backend drains and its pods sleep before SIGTERM. The objects validate against the Gateway API
 * schemas (@kubernetes-models/gateway-api).
 */
import { Gateway, HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { existsSync, readdirSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { inZone } from "../../src/components/network/dns.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { examplePath, ofType, planDir } from "../harness.js";

const T = {
  gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
  route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  gatewayPolicy: "kubernetes:networking.gke.io/v1:GCPGatewayPolicy",
  backendPolicy: "kubernetes:networking.gke.io/v1:GCPBackendPolicy",
  deployment: "kubernetes:apps/v1:Deployment",
  globalAddress: "gcp:compute/globalAddress:GlobalAddress",
  address: "gcp:compute/address:Address",
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  regionSslPolicy: "gcp:compute/regionSslPolicy:RegionSslPolicy",
  zone: "gcp:dns/managedZone:ManagedZone",
  record: "gcp:dns/recordSet:RecordSet",
} as const;

const stacks = readdirSync(examplePath())
  .filter((dir) => existsSync(examplePath(dir, "brume.yaml")))
  .flatMap((dir) =>
    readdirSync(examplePath(dir))
      .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
      .filter((stack): stack is string => stack !== undefined)
      .map((stack) => [dir, stack] as const),
  );

const spec = (r: PlannedResource) => r.inputs.spec as any;
const meta = (r: PlannedResource) => r.inputs.metadata as { name: string; namespace: string };

describe.each(stacks)("the edge of %s/%s", (dir, stack) => {
  let plan: Plan;
  let gateways: PlannedResource[];
  beforeAll(async () => {
    plan = await planDir(examplePath(dir), stack);
    gateways = ofType(plan, T.gateway);
  });

  it("serves every Gateway on a reserved, protected-with-the-data address it waits for", () => {
    for (const gw of gateways) {
      new Gateway(gw.inputs as any).validate();
      const external = spec(gw).gatewayClassName === "gke-l7-global-external-managed";
      expect(spec(gw).addresses).toHaveLength(1);
      const [named] = spec(gw).addresses;
      expect(named.type).toBe("NamedAddress");
      const address = ofType(plan, external ? T.globalAddress : T.address).find((a) => a.inputs.name === named.value);
      expect(address, `address ${named.value}`).toBeDefined();
      expect(gw.dependencies).toContain(address!.urn);
      if (external) expect(address!.inputs).toMatchObject({ addressType: "EXTERNAL", ipVersion: "IPV4" });
      else expect(address!.inputs).toMatchObject({ addressType: "INTERNAL", purpose: "SHARED_LOADBALANCER_VIP" });
      expect(address!.protect).toBe(stack === "prod" && dir !== "minimal" ? true : address!.protect);
    }
  });

  it("puts the MODERN TLS 1.2 SSL policy on every Gateway (GCPGatewayPolicy)", () => {
    for (const gw of gateways) {
      const policies = ofType(plan, T.gatewayPolicy).filter((p) => spec(p).targetRef.name === meta(gw).name && meta(p).namespace === meta(gw).namespace);
      expect(policies).toHaveLength(1);
      const p = policies[0]!;
      expect(spec(p).targetRef).toEqual({ group: "gateway.networking.k8s.io", kind: "Gateway", name: meta(gw).name });
      const ssl = [...ofType(plan, T.sslPolicy), ...ofType(plan, T.regionSslPolicy)].find((s) => s.inputs.name === spec(p).default.sslPolicy);
      expect(ssl?.inputs).toMatchObject({ profile: "MODERN", minTlsVersion: "TLS_1_2" });
      expect(p.dependencies).toEqual(expect.arrayContaining([gw.urn, ssl!.urn]));
    }
  });

  it("answers plain HTTP with a 301 to HTTPS and nothing else; service routes bind to HTTPS only", () => {
    for (const gw of gateways) {
      const listeners = spec(gw).listeners as { name: string; protocol: string; port: number }[];
      expect(listeners.map((l) => [l.name, l.protocol, l.port])).toEqual([
        ["https", "HTTPS", 443],
        ["http", "HTTP", 80],
      ]);
      const onHttp = ofType(plan, T.route).filter((r) => spec(r).parentRefs.some((p: any) => p.name === meta(gw).name && p.sectionName !== "https"));
      expect(onHttp).toHaveLength(1);
      new HTTPRoute(onHttp[0]!.inputs as any).validate();
      expect(spec(onHttp[0]!).parentRefs).toEqual([{ kind: "Gateway", name: meta(gw).name, sectionName: "http" }]);
      expect(spec(onHttp[0]!).rules).toEqual([{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }]);
    }
  });

  it("gives every exposed domain inside the environment's zones an A record to its Gateway's address", () => {
    const zones = ofType(plan, T.zone).map((z) => ({ name: z.inputs.name as string, dnsName: z.inputs.dnsName as string, private: z.inputs.visibility === "private" }));
    const addresses = plan.outputs.gateways as Record<string, { address: string; domainsOutsideZone: string[] }>;
    let checked = 0;
    for (const route of ofType(plan, T.route)) {
      const parent = spec(route).parentRefs[0];
      if (parent.sectionName !== "https") continue;
      const kind = parent.name as "external" | "internal";
      const zone = zones.find((z) => z.private === (kind === "internal") && z.dnsName !== "googleapis.com." && spec(route).hostnames.every((h: string) => inZone(h, z.dnsName)));
      for (const host of spec(route).hostnames as string[]) {
        if (!zone) {
          // Outside every zone: listed in the stack output (and a plan warning) with the address.
          expect(addresses[kind]!.domainsOutsideZone).toContain(host);
          continue;
        }
        const records = ofType(plan, T.record).filter((r) => r.inputs.name === `${host}.` && r.inputs.type === "A");
        expect(records, host).toHaveLength(1);
        expect(records[0]!.inputs).toMatchObject({ managedZone: zone.name, ttl: 300, rrdatas: [addresses[kind]!.address] });
        checked++;
      }
    }
    if (dir === "bro-ai") expect(checked).toBe(4); // bro.ai, www, api and admin (internal), in each stack
  });

  it("drains every exposed backend and sleeps its pods before SIGTERM, within the grace period", () => {
    const policies = ofType(plan, T.backendPolicy);
    let backends = 0;
    for (const route of ofType(plan, T.route)) {
      for (const rule of spec(route).rules as { backendRefs?: { name: string }[] }[]) {
        for (const ref of rule.backendRefs ?? []) {
          const p = policies.find((x) => spec(x).targetRef.name === ref.name && meta(x).namespace === meta(route).namespace);
          expect(p, `GCPBackendPolicy of ${ref.name}`).toBeDefined();
          const draining = spec(p!).default.connectionDraining.drainingTimeoutSec as number;
          expect(draining).toBeGreaterThan(0);
          expect(spec(p!).default.timeoutSec).toBeGreaterThanOrEqual(30);
          expect(route.dependencies).toContain(p!.urn);
          // Each backend Service is named after its workload's Deployment (rolling: the app).
          const deployment = ofType(plan, T.deployment).find((d) => meta(d).name === ref.name && meta(d).namespace === meta(route).namespace);
          expect(deployment, `Deployment of ${ref.name}`).toBeDefined();
          new Deployment(deployment!.inputs as any).validate();
          const pod = spec(deployment!).template.spec;
          const sleep = pod.containers[0].lifecycle.preStop.sleep.seconds as number;
          expect(sleep).toBeGreaterThan(0);
          expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(sleep + draining);
          backends++;
        }
      }
    }
    if (dir === "bro-ai") expect(backends).toBe(3); // web (active slot), api (stable), admin
  });
});

describe("bro-ai's streaming API and its pools", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planDir(examplePath("bro-ai"), "prod");
  });

  it("gives api a 600 s backend timeout and 120 s of draining, its pods 150 s to stop", () => {
    const p = ofType(plan, T.backendPolicy).find((x) => meta(x).name === "api-v1-14-2")!;
    expect(spec(p).default).toMatchObject({ timeoutSec: 600, connectionDraining: { drainingTimeoutSec: 120 } });
    const d = ofType(plan, T.deployment).find((x) => meta(x).name === "api-v1-14-2")!;
    expect(spec(d).template.spec.terminationGracePeriodSeconds).toBe(150);
    expect(spec(d).template.spec.containers[0].lifecycle).toEqual({ preStop: { sleep: { seconds: 15 } } });
  });

  it("runs worker on the tainted spot pool: it tolerates the taint and requires the pool's label", () => {
    const d = ofType(plan, T.deployment).find((x) => meta(x).name === "worker")!;
    const pod = spec(d).template.spec;
    expect(pod.tolerations).toEqual([{ key: "workload", operator: "Equal", value: "spot", effect: "NoSchedule" }]);
    expect(pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: "workload", operator: "In", values: ["spot"] }] },
    ]);
    const pools = ofType(plan, "gcp:container/nodePool:NodePool");
    const taints = Object.fromEntries(pools.map((p) => [p.inputs.name, (p.inputs.nodeConfig as any)?.taints ?? []]));
    expect(Object.entries(taints).filter(([n]) => /highmem|spot/.test(String(n))).every(([, t]) => (t as unknown[]).length === 1)).toBe(true);
  });

  it("runs at least 2 pods of each exposed service's serving version in production", () => {
    for (const name of ["web-v3-2-0", "api-v1-14-2", "admin"]) {
      const hpa = ofType(plan, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").find((h) => meta(h).name === name)!;
      expect(spec(hpa).minReplicas, name).toBeGreaterThanOrEqual(2);
    }
  });
});
