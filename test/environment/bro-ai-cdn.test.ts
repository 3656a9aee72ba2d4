/**
 * The public bucket's CDN on its domain in examples/bro-ai (issue 14 item 7, gcp-review 25): the
 * exact chain a request follows — A record → reserved address → forwarding rule :443 → HTTPS
 * proxy (certificate map, SSL policy) → URL map → backend bucket → bucket — the certificate and its
 * DNS authorization CNAME, the HTTP → HTTPS redirect on :80, the stack output, and the cost model.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { edgeWarnings } from "../../src/plan/edge-warnings.js";
import { loadStack } from "../../src/config/load.js";
import { estimateCost } from "../../src/review/cost/estimate.js";
import { examplePath, one, ofType, planDir } from "../harness.js";

let prod: Plan;
let stage: Plan;
beforeAll(async () => {
  prod = await planDir(examplePath("bro-ai"), "prod");
  stage = await planDir(examplePath("bro-ai"), "stage");
}, 300_000);

const T = {
  address: "gcp:compute/globalAddress:GlobalAddress",
  rule: "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  httpProxy: "gcp:compute/targetHttpProxy:TargetHttpProxy",
  urlMap: "gcp:compute/uRLMap:URLMap",
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  backend: "gcp:compute/backendBucket:BackendBucket",
  bucket: "gcp:storage/bucket:Bucket",
  record: "gcp:dns/recordSet:RecordSet",
  zone: "gcp:dns/managedZone:ManagedZone",
  auth: "gcp:certificatemanager/dnsAuthorization:DnsAuthorization",
  cert: "gcp:certificatemanager/certificate:Certificate",
  map: "gcp:certificatemanager/certificateMap:CertificateMap",
  entry: "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry",
} as const;

/** The offline mocks answer a resource's id as `<physical name>-id` (src/plan/mocks.ts mockId). */
const idOf = (r: PlannedResource) => `${String(r.inputs.name)}-id`;
const dependsOn = (r: PlannedResource, on: PlannedResource) => expect(r.dependencies, `${r.name} waits for ${on.name}`).toContain(on.urn);

function chain(plan: Plan, env: string) {
  const p = `bro-ai-${env}-cdn-assets`;
  return {
    address: one(plan, T.address, `${p}-address`),
    httpsRule: one(plan, T.rule, `${p}-https-rule`),
    httpRule: one(plan, T.rule, `${p}-http-rule`),
    httpsProxy: one(plan, T.httpsProxy, `${p}-https-proxy`),
    httpProxy: one(plan, T.httpProxy, `${p}-http-proxy`),
    urlMap: one(plan, T.urlMap, `${p}-url-map`),
    redirectMap: one(plan, T.urlMap, `${p}-redirect-url-map`),
    sslPolicy: one(plan, T.sslPolicy, `${p}-ssl-policy`),
    auth: one(plan, T.auth, `${p}-dnsauth`),
    cnameRecord: one(plan, T.record, `${p}-dnsauth-record`),
    cert: one(plan, T.cert, `${p}-cert`),
    map: one(plan, T.map, `${p}-certmap`),
    entry: one(plan, T.entry, `${p}-certmap-entry`),
    aRecord: one(plan, T.record, `${p}-dns`),
    backend: one(plan, T.backend, `bro-ai-${env}-bucket-assets-cdn`),
    bucket: one(plan, T.bucket, `bro-ai-${env}-bucket-assets-bucket`),
    zone: one(plan, T.zone, `bro-ai-${env}-network-public-zone`),
  };
}

describe("examples/bro-ai: the assets bucket's CDN on its domain", () => {
  for (const [env, domain] of [["prod", "assets.bro.ai"], ["stage", "assets.stage.bro.ai"]] as const) {
    it(`${env}: A record → address → :443 rule → HTTPS proxy → URL map → backend bucket → bucket`, () => {
      const plan = env === "prod" ? prod : stage;
      const c = chain(plan, env);
      const output = (plan.outputs.cdn as Record<string, Record<string, unknown>>).assets!;
      const ip = c.address.inputs.address ?? output.address;
      expect(output).toEqual({ domain, url: `https://${domain}/`, address: ip, domainOutsideZone: false });
      expect(typeof ip).toBe("string");
      expect(c.address.inputs).toMatchObject({ name: `bro-ai-${env}-assets-cdn-lb`, addressType: "EXTERNAL", ipVersion: "IPV4" });
      expect(c.address.protect).toBe(env === "prod");

      expect(c.aRecord.inputs).toMatchObject({ managedZone: c.zone.inputs.name, name: `${domain}.`, type: "A", ttl: 300, rrdatas: [ip] });
      dependsOn(c.aRecord, c.httpsRule);

      expect(c.httpsRule.inputs).toMatchObject({ loadBalancingScheme: "EXTERNAL_MANAGED", ipProtocol: "TCP", portRange: "443", ipAddress: ip, target: idOf(c.httpsProxy) });
      expect(c.httpsProxy.inputs).toMatchObject({
        urlMap: idOf(c.urlMap),
        certificateMap: `//certificatemanager.googleapis.com/${idOf(c.map)}`,
        sslPolicy: idOf(c.sslPolicy),
      });
      expect(c.httpsProxy.inputs.sslCertificates).toBeUndefined();
      dependsOn(c.httpsProxy, c.entry);
      expect(c.sslPolicy.inputs).toMatchObject({ profile: "MODERN", minTlsVersion: "TLS_1_2" });
      expect(c.urlMap.inputs.defaultService).toBe(idOf(c.backend));
      expect(c.urlMap.inputs.hostRules).toBeUndefined();
      expect(c.backend.inputs).toMatchObject({ enableCdn: true, bucketName: c.bucket.inputs.name });
      expect(c.bucket.inputs).toMatchObject({ publicAccessPrevention: "enforced" });
    });

    it(`${env}: the certificate of ${domain}, issued through its DNS authorization's CNAME in the public zone`, () => {
      const plan = env === "prod" ? prod : stage;
      const c = chain(plan, env);
      expect(c.auth.inputs).toMatchObject({ domain, type: "PER_PROJECT_RECORD" });
      expect(c.cnameRecord.inputs).toMatchObject({ managedZone: c.zone.inputs.name, type: "CNAME", ttl: 300 });
      expect(String(c.cnameRecord.inputs.name)).toMatch(new RegExp(`^_acme-challenge_[0-9a-f]{12}\\.${domain.replace(/\./g, "\\.")}\\.$`));
      expect(c.cert.inputs).toMatchObject({ scope: "DEFAULT", managed: { domains: [domain], dnsAuthorizations: [idOf(c.auth)] } });
      dependsOn(c.cert, c.cnameRecord);
      expect(c.entry.inputs).toMatchObject({ map: c.map.inputs.name, hostname: domain, certificates: [idOf(c.cert)] });
    });

    it(`${env}: plain HTTP on the same address only 301-redirects to HTTPS`, () => {
      const plan = env === "prod" ? prod : stage;
      const c = chain(plan, env);
      expect(c.httpRule.inputs).toMatchObject({ loadBalancingScheme: "EXTERNAL_MANAGED", portRange: "80", ipAddress: c.httpsRule.inputs.ipAddress, target: idOf(c.httpProxy) });
      expect(c.httpProxy.inputs.urlMap).toBe(idOf(c.redirectMap));
      expect(c.redirectMap.inputs.defaultUrlRedirect).toEqual({ httpsRedirect: true, redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT", stripQuery: false });
      expect(c.redirectMap.inputs.defaultService).toBeUndefined();
    });
  }

  it("every name of the frontend is unique per type and within GCP's 63 characters", () => {
    const frontend = prod.resources.filter((r) => r.custom && r.name.startsWith("bro-ai-prod-cdn-assets-"));
    expect(frontend).toHaveLength(14);
    for (const r of frontend) if (typeof r.inputs.name === "string" && r.type !== T.record) expect(r.inputs.name.length, r.name).toBeLessThanOrEqual(63);
    const keys = frontend.filter((r) => r.type !== T.record).map((r) => `${r.type}/${String(r.inputs.name)}`);
    expect(new Set(keys).size).toBe(keys.length);
    // Children of the component, itself a child of the Project.
    const component = prod.resources.find((r) => r.type === "brume:cdn:CdnFrontend")!;
    expect(component.name).toBe("bro-ai-prod-cdn-assets");
    for (const r of frontend) expect(r.parent, r.name).toBe(component.urn);
  });

  it("the cost model prices the two forwarding rules (data counted once, on :443), the rest of the load balancer is free", () => {
    const e = estimateCost(prod);
    const line = (name: string) => e.lines.find((l) => l.name === name);
    expect(line("bro-ai-prod-cdn-assets-https-rule")!.detail).toContain("GiB processed");
    expect(line("bro-ai-prod-cdn-assets-http-rule")!.detail).toContain("HTTP → HTTPS redirect");
    expect(line("bro-ai-prod-cdn-assets-http-rule")!.monthlyUsd).toBeGreaterThan(0);
    for (const name of ["url-map", "https-proxy", "ssl-policy", "address", "cert"]) expect(line(`bro-ai-prod-cdn-assets-${name}`), name).toBeUndefined();
    expect(e.notPriced.filter((n) => n.name.startsWith("bro-ai-prod-cdn-"))).toEqual([]);
  });

  it("no plan warning when the domain is in the zone; one with the address when it is not", () => {
    const loaded = loadStack({ configFile: examplePath("bro-ai", "brume.yaml"), environment: "prod" });
    expect(edgeWarnings(prod, loaded).filter((w) => w.includes("CDN"))).toEqual([]);
    const outside = { ...prod, outputs: { ...prod.outputs, cdn: { assets: { domain: "cdn.example.net", address: "203.0.113.9", domainOutsideZone: true } } } };
    expect(edgeWarnings(outside, loaded).filter((w) => w.includes("CDN"))).toEqual([
      expect.stringMatching(/^CDN domain "cdn\.example\.net" of bucket "assets" is outside .* point it at 203\.0\.113\.9 .*DNS authorization CNAME/),
    ]);
  });
});
