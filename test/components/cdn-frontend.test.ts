/**
 * `brume:cdn:CdnFrontend` on its own (src/components/cdn/cdn-frontend.ts): a domain outside
 * the public zone gets no record and is reported; long bucket names stay within GCP's 63
 * characters; only the load-balancing schemes Cloud CDN works behind are accepted; the transforms
 * reach their children; the bucket's edge security policy is passed to the backend bucket.
 */
import { describe, expect, it } from "vitest";
import { cdnFrontendNames, cdnLoadBalancingSchemes } from "../../src/components/cdn/cdn-frontend.js";
import { Naming } from "../../src/config/naming.js";
import { one, ofType, planProgram } from "../harness.js";

const project = "acme-prod-1234";

function plan(args: { domain: string; bucket?: string; zone?: boolean; scheme?: string; edgePolicy?: boolean }) {
  return planProgram(async () => {
    const { Bucket } = await import("../../src/components/storage/bucket.js");
    const { CdnFrontend } = await import("../../src/components/cdn/cdn-frontend.js");
    const gcp = await import("@pulumi/gcp");
    const naming = Naming.of("acme", "prod");
    const key = args.bucket ?? "assets";
    const edge = args.edgePolicy ? new gcp.compute.SecurityPolicy("edge", { project, name: "acme-prod-edge", type: "CLOUD_ARMOR_EDGE" }) : undefined;
    const bucket = new Bucket("bucket", { project, naming, bucket: key, region: "europe-west1", protect: false, cdn: edge ? { edgeSecurityPolicy: edge.selfLink } : {} });
    const zone = new gcp.dns.ManagedZone("zone", { project, name: "acme-prod-public-zone", dnsName: "acme.example." });
    const frontend = new CdnFrontend("cdn", {
      project,
      naming,
      bucket: key,
      domain: args.domain,
      backendBucket: bucket.backendBucket!.id,
      ...(args.zone === false ? {} : { publicZone: { name: zone.name, dnsName: "acme.example." } }),
      ...(args.scheme ? { loadBalancingScheme: args.scheme as "EXTERNAL" } : {}),
      protect: true,
      transform: { urlMap: (a) => ({ ...a, description: "transformed" }) },
    });
    return { address: frontend.address, outside: frontend.domainOutsideZone };
  }, { defaultProject: project });
}

describe("CdnFrontend", () => {
  it("in the zone: the A record and the CNAME; the address protected; the transform applied", async () => {
    const p = await plan({ domain: "static.acme.example" });
    expect(p.outputs.outside).toBe(false);
    expect(ofType(p, "gcp:dns/recordSet:RecordSet").map((r) => [r.name, r.inputs.type]).sort()).toEqual([
      ["cdn-dns", "A"],
      ["cdn-dnsauth-record", "CNAME"],
    ]);
    expect(one(p, "gcp:dns/recordSet:RecordSet", "cdn-dns").inputs.rrdatas).toEqual([p.outputs.address]);
    expect(one(p, "gcp:compute/globalAddress:GlobalAddress", "cdn-address").protect).toBe(true);
    expect(one(p, "gcp:compute/uRLMap:URLMap", "cdn-url-map").inputs.description).toBe("transformed");
  });

  it("outside the zone (or without one): no record at all, the certificate still issued through its DNS authorization", async () => {
    for (const p of [await plan({ domain: "cdn.other.example" }), await plan({ domain: "static.acme.example", zone: false })]) {
      expect(p.outputs.outside).toBe(true);
      expect(ofType(p, "gcp:dns/recordSet:RecordSet")).toEqual([]);
      const cert = one(p, "gcp:certificatemanager/certificate:Certificate", "cdn-cert");
      expect(cert.inputs.managed).toMatchObject({ dnsAuthorizations: [expect.stringMatching(/-dnsauth-[0-9a-f]{8}-id$/)] });
    }
  });

  it("keeps every physical name within 63 characters, distinct, for a long bucket name", () => {
    const names = cdnFrontendNames(Naming.of("a-rather-long-project", "production"), "a-very-long-bucket-name-for-static-assets", "static.acme.example");
    const values = Object.values(names);
    for (const n of values) expect(n.length, n).toBeLessThanOrEqual(63);
    const { mapEntry, ...distinct } = names;
    expect(mapEntry).toBe(names.certificate); // as the Gateways' map entries (certificateNames)
    expect(new Set(Object.values(distinct)).size).toBe(Object.keys(distinct).length);
    expect(names.urlMap).toMatch(/^a-rather-long-project-production-a-very-long-bucket-name-[0-9a-f]{6}$/);
  });

  it("serves behind the global external ALB (default) or the classic one, nothing else", async () => {
    expect(cdnLoadBalancingSchemes).toEqual(["EXTERNAL_MANAGED", "EXTERNAL"]);
    const classic = await plan({ domain: "static.acme.example", scheme: "EXTERNAL" });
    expect(ofType(classic, "gcp:compute/globalForwardingRule:GlobalForwardingRule").map((r) => r.inputs.loadBalancingScheme)).toEqual(["EXTERNAL", "EXTERNAL"]);
    await expect(plan({ domain: "static.acme.example", scheme: "INTERNAL_MANAGED" })).rejects.toThrow(/a backend bucket serves only behind a global external Application Load Balancer \(EXTERNAL_MANAGED or EXTERNAL\), not INTERNAL_MANAGED/);
  });

  it("passes the bucket's edge security policy to its backend bucket, none by default", async () => {
    const withEdge = await plan({ domain: "static.acme.example", edgePolicy: true });
    const edge = one(withEdge, "gcp:compute/securityPolicy:SecurityPolicy", "edge");
    expect(one(withEdge, "gcp:compute/backendBucket:BackendBucket", "bucket-cdn").inputs.edgeSecurityPolicy).toBe(
      `https://www.googleapis.com/compute/v1/projects/${project}/global/securityPolicies/${String(edge.inputs.name)}`,
    );
    const without = await plan({ domain: "static.acme.example" });
    expect(one(without, "gcp:compute/backendBucket:BackendBucket", "bucket-cdn").inputs.edgeSecurityPolicy).toBeUndefined();
  });
});
