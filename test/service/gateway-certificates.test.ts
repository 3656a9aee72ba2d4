/**
 * Gateway certificates (gcp-review finding 13, the "Certificates" decision): Certificate
 * Manager, DNS authorization, one certificate per domain named by a hash of it, a certificate map
 * on the external Gateway. Adding a domain creates and never replaces.
 */
import { Gateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import fc from "fast-check";
import { copyFileSync, cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { certificateMapName, certificateNames } from "../../src/components/service/certificates.js";
import { gatewayManifest } from "../../src/components/service/manifests.js";
import { diffPlans } from "../../src/review/diff/diff.js";
import { Naming, shortHash } from "../../src/config/naming.js";
import { planStack } from "../../src/plan/stack.js";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, ofType, one } from "../harness.js";

const T = {
  auth: "gcp:certificatemanager/dnsAuthorization:DnsAuthorization",
  cert: "gcp:certificatemanager/certificate:Certificate",
  map: "gcp:certificatemanager/certificateMap:CertificateMap",
  entry: "gcp:certificatemanager/certificateMapEntry:CertificateMapEntry",
  record: "gcp:dns/recordSet:RecordSet",
  gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
} as const;
const domains = ["api.bro.ai", "bro.ai", "www.bro.ai"];
const naming = Naming.of("bro-ai", "prod");

async function planBroAi(overrides?: unknown): Promise<Plan> {
  if (overrides === undefined) return (await planStack({ stack: "prod", configFile: examplePath("bro-ai", "brume.yaml"), projectDir: examplePath("bro-ai") })).plan;
  const dir = mkdtempSync(join(tmpdir(), "brume-certs-"));
  copyFileSync(examplePath("bro-ai", "brume.yaml"), join(dir, "brume.yaml"));
  cpSync(examplePath("bro-ai", "services"), join(dir, "services"), { recursive: true }); // admin is built from services/admin
  writeFileSync(join(dir, "Pulumi.yaml"), "name: bro-ai\nruntime: nodejs\n");
  writeFileSync(join(dir, "Pulumi.prod.yaml"), `config:\n  brume:environment: prod\n  brume:overrides: ${JSON.stringify(overrides)}\n  brume:secrets: { slack-token: { secure: "v1:dGVzdA==" }, admin-iap-client: { secure: "v1:dGVzdA==" } } # the example's Slack channel and admin's IAP client need their secrets\n`);
  return (await planStack({ stack: "prod", configFile: join(dir, "brume.yaml"), projectDir: dir })).plan;
}

describe("certificate names", () => {
  it("are a hash of the one domain they cover: stable, different per domain, valid Certificate Manager names", () => {
    expect(certificateNames(naming, "api.bro.ai")).toEqual({
      dnsAuthorization: `bro-ai-prod-dnsauth-${shortHash("api.bro.ai", 8)}`,
      certificate: `bro-ai-prod-cert-${shortHash("api.bro.ai", 8)}`,
      mapEntry: `bro-ai-prod-cert-${shortHash("api.bro.ai", 8)}`,
    });
    expect(certificateNames(naming, "API.bro.ai.")).toEqual(certificateNames(naming, "api.bro.ai"));
    fc.assert(
      fc.property(fc.domain(), fc.domain(), (a, b) => {
        const na = certificateNames(naming, a);
        // Certificate Manager: 1-64 characters, [a-zA-Z][a-zA-Z0-9_-]*.
        for (const n of Object.values(na)) expect(n).toMatch(/^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/);
        if (a.toLowerCase() !== b.toLowerCase()) expect(na.certificate).not.toBe(certificateNames(naming, b).certificate);
      }),
    );
  });
});

describe("the external Gateway of bro-ai prod", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planBroAi();
  });

  it("has one DNS-authorized Google-managed certificate per domain, its CNAME in the public zone", () => {
    expect(ofType(plan, "gcp:compute/managedSslCertificate:ManagedSslCertificate")).toEqual([]);
    for (const domain of domains) {
      const names = certificateNames(naming, domain);
      const auth = one(plan, T.auth, `bro-ai-prod-apps-dnsauth-${domain}`);
      expect(auth.inputs).toEqual({ project: "bro-ai-prod", name: names.dnsAuthorization, domain, type: "PER_PROJECT_RECORD", labels: {} });
      const record = one(plan, T.record, `bro-ai-prod-apps-dnsauth-record-${domain}`);
      expect(record.inputs).toMatchObject({ project: "bro-ai-prod", managedZone: "bro-ai-prod-public-zone", type: "CNAME", ttl: 300 });
      expect(record.inputs.name).toMatch(new RegExp(`^_acme-challenge_[0-9a-f]+\\.${domain.replace(/\./g, "\\.")}\\.$`));
      expect(record.dependencies).toContain(auth.urn);
      const cert = one(plan, T.cert, `bro-ai-prod-apps-cert-${domain}`);
      expect(cert.inputs).toMatchObject({ project: "bro-ai-prod", name: names.certificate, scope: "DEFAULT", managed: { domains: [domain], dnsAuthorizations: [`${names.dnsAuthorization}-id`] } });
      // Issuance starts once the CNAME exists.
      expect(cert.dependencies).toEqual(expect.arrayContaining([auth.urn, record.urn]));
      const entry = one(plan, T.entry, `bro-ai-prod-apps-certmap-entry-${domain}`);
      expect(entry.inputs).toMatchObject({ name: names.mapEntry, map: certificateMapName(naming), hostname: domain, certificates: [`${names.certificate}-id`] });
    }
    // The internal Gateway's certificates are regional (`location`); these are the global ones.
    // (The assets CDN's certificate is global too, in its own map: test/storage.)
    expect(ofType(plan, T.cert).filter((c) => c.inputs.location === undefined && c.name.startsWith("bro-ai-prod-apps-"))).toHaveLength(domains.length);
  });

  it("names the certificate map in the Gateway annotation and serves HTTPS without a listener certificate", () => {
    expect(one(plan, T.map, "bro-ai-prod-apps-certmap").inputs).toMatchObject({ project: "bro-ai-prod", name: "bro-ai-prod-gateway-certmap" });
    const gateway = one(plan, T.gateway, "bro-ai-prod-apps-gateway-external");
    expect(gateway.inputs.metadata).toMatchObject({ annotations: { "networking.gke.io/certmap": "bro-ai-prod-gateway-certmap" } });
    expect((gateway.inputs.spec as { listeners: unknown[] }).listeners).toEqual([
      { name: "https", protocol: "HTTPS", port: 443, allowedRoutes: { namespaces: { from: "Same" } } },
      // Port 80 only redirects (test/service/gateway-edge.test.ts).
      { name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "Same" } } },
    ]);
    // The Gateway waits for every map entry (the load balancer serves what the map holds).
    for (const entry of ofType(plan, T.entry).filter((e) => e.name.startsWith("bro-ai-prod-apps-"))) expect(gateway.dependencies).toContain(entry.urn);
  });

  it("adding a domain only creates: no certificate is replaced or deleted, no name collides", async () => {
    const more = await planBroAi({ services: { web: { expose: { domains: ["bro.ai", "www.bro.ai", "app.bro.ai"] } } } });
    const diff = diffPlans(plan, more);
    const certificateChanges = diff.changes.filter((c) => c.type.startsWith("gcp:certificatemanager/") || c.type === T.record);
    expect(certificateChanges.map((c) => [c.kind, c.name]).sort()).toEqual(
      [
        ["create", "bro-ai-prod-apps-cert-app.bro.ai"],
        ["create", "bro-ai-prod-apps-certmap-entry-app.bro.ai"],
        ["create", "bro-ai-prod-apps-dnsauth-app.bro.ai"],
        ["create", "bro-ai-prod-apps-dnsauth-record-app.bro.ai"],
        // and its A record to the Gateway's reserved address
        ["create", "bro-ai-prod-apps-dns-external-app.bro.ai"],
      ].sort(),
    );
    expect(one(more, T.cert, "bro-ai-prod-apps-cert-app.bro.ai").inputs.name).toBe(certificateNames(naming, "app.bro.ai").certificate);
  });
});

describe("gatewayManifest with a certificate map", () => {
  it("is a valid Gateway, and refuses pre-shared certificates next to the map", () => {
    const gw = gatewayManifest({ name: "external", namespace: "n", external: true, certificateMap: "shop-prod-gateway-certmap", labels: {} });
    new Gateway(gw as any).validate();
    expect(gw.metadata.annotations).toEqual({ "networking.gke.io/certmap": "shop-prod-gateway-certmap" });
    expect(() => gatewayManifest({ name: "external", namespace: "n", external: true, certificateMap: "m", certificates: ["c"], labels: {} })).toThrow(
      /cannot be combined/,
    );
  });
});
