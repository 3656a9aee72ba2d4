/**
 * What a Gateway needs around it (issue 14 items 3–4), created as children of the Namespace:
 *
 * - **a reserved address** (gcp-review 24, k8s-review 6): a global static external address for
 *   the external Gateway (`gke-l7-global-external-managed`), a regional internal address with
 *   purpose `SHARED_LOADBALANCER_VIP` in the nodes subnet for the internal one (`gke-l7-rilb`:
 *   its HTTP and HTTPS forwarding rules share the IP). The Gateway names it in
 *   `spec.addresses: [{type: NamedAddress, value: <name>}]` — GKE "Deploying Gateways", Gateway IP
 *   addressing (https://cloud.google.com/kubernetes-engine/docs/how-to/deploying-gateways#gateway_ip_addressing).
 *   Protected with the environment's data: a new address means new A records and a wait for
 *   resolvers' caches.
 * - **A records** of every domain the Gateway serves that is inside the zone it publishes to
 *   (external: the public zone; internal: the private zone), TTL 300. IPv6 is not offered by brume
 *   today (no config field), so there is no AAAA record.
 * - **an SSL policy**: MODERN profile, TLS 1.2 at least (Checkov CKV_GCP weak cipher suites; the
 *   machines' load balancer has the same), global for the external Gateway, regional
 *   (`RegionSslPolicy`) for the regional internal one — GKE "Secure a Gateway", SSL policies
 *   (https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway#secure-using-ssl-policy).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { domainsInZone, inZone } from "../network/dns.js";

export type GatewayKind = "external" | "internal";

/** Physical names of a Gateway's GCP resources (pure). */
export function gatewayEdgeNames(naming: Naming, kind: GatewayKind): { address: string; sslPolicy: string } {
  return { address: naming.name(["gateway", kind]), sslPolicy: naming.name(["gateway", kind, "tls"]) };
}

export interface GatewayEdgeArgs {
  project: string;
  /** Region of the internal Gateway's address and SSL policy. */
  region: string;
  naming: Naming;
  kind: GatewayKind;
  /** Domains the Gateway serves (sorted, unique). */
  domains: readonly string[];
  /** Nodes subnet of the internal Gateway's address (its id or self link). */
  subnetwork?: pulumi.Input<string>;
  /** The zone its domains' A records go to (public for external, private for internal). */
  zone?: { name: pulumi.Input<string>; dnsName: string };
  /** Protect the address (production). */
  protect: boolean;
  labels?: Record<string, string>;
  transform?: {
    address?: Transform<gcp.compute.GlobalAddressArgs>;
    internalAddress?: Transform<gcp.compute.AddressArgs>;
    record?: Transform<gcp.dns.RecordSetArgs>;
    sslPolicy?: Transform<gcp.compute.SSLPolicyArgs>;
    regionSslPolicy?: Transform<gcp.compute.RegionSslPolicyArgs>;
  };
}

export interface GatewayEdge {
  kind: GatewayKind;
  /** Name of the reserved address (the Gateway's NamedAddress). */
  addressName: string;
  addressResource: gcp.compute.GlobalAddress | gcp.compute.Address;
  /** The IP the Gateway serves on. */
  address: pulumi.Output<string>;
  sslPolicyName: string;
  sslPolicy: gcp.compute.SSLPolicy | gcp.compute.RegionSslPolicy;
  /** A records by domain. */
  records: Record<string, gcp.dns.RecordSet>;
  /** Domains served but outside the zone: their owner points them at `address`. */
  outsideZone: string[];
}

/** Domains a Gateway serves that its zone does not hold (sorted). */
export function domainsOutsideZone(domains: readonly string[], zoneDnsName: string | undefined): string[] {
  return [...new Set(domains.map((d) => d.toLowerCase()))].filter((d) => zoneDnsName === undefined || !inZone(d, zoneDnsName)).sort();
}

export function createGatewayEdge(
  parent: pulumi.ComponentResource,
  name: string,
  args: GatewayEdgeArgs,
  opts: pulumi.ComponentResourceOptions | undefined,
): GatewayEdge {
  const t = args.transform ?? {};
  const names = gatewayEdgeNames(args.naming, args.kind);
  const labels = args.labels ?? {};
  const description = `${args.kind} Gateway of ${args.naming.prefix} (DNS points here), managed by brume`;
  let addressResource: gcp.compute.GlobalAddress | gcp.compute.Address;
  let sslPolicy: gcp.compute.SSLPolicy | gcp.compute.RegionSslPolicy;
  const tls = { profile: "MODERN", minTlsVersion: "TLS_1_2" } as const;
  if (args.kind === "external") {
    addressResource = new gcp.compute.GlobalAddress(
      ...transformed(
        t.address,
        `${name}-address-external`,
        { project: args.project, name: names.address, description, addressType: "EXTERNAL", ipVersion: "IPV4", labels },
        statefulOptions(parent, opts, args.protect),
      ),
    );
    sslPolicy = new gcp.compute.SSLPolicy(
      ...transformed(
        t.sslPolicy,
        `${name}-ssl-policy-external`,
        { project: args.project, name: names.sslPolicy, description: "TLS of the external Gateway: MODERN profile, TLS 1.2 or later", ...tls },
        childOptions(parent, opts),
      ),
    );
  } else {
    if (args.subnetwork === undefined) throw new Error(`the internal Gateway of ${args.naming.prefix} needs the nodes subnet for its address (args.internalSubnetwork)`);
    addressResource = new gcp.compute.Address(
      ...transformed(
        t.internalAddress,
        `${name}-address-internal`,
        {
          project: args.project,
          region: args.region,
          name: names.address,
          description,
          addressType: "INTERNAL",
          // The Gateway's HTTP and HTTPS forwarding rules share the one IP.
          purpose: "SHARED_LOADBALANCER_VIP",
          subnetwork: args.subnetwork,
          labels,
        },
        statefulOptions(parent, opts, args.protect),
      ),
    );
    sslPolicy = new gcp.compute.RegionSslPolicy(
      ...transformed(
        t.regionSslPolicy,
        `${name}-ssl-policy-internal`,
        {
          project: args.project,
          region: args.region,
          name: names.sslPolicy,
          description: "TLS of the internal Gateway: MODERN profile, TLS 1.2 or later",
          ...tls,
        },
        childOptions(parent, opts),
      ),
    );
  }
  const address = addressResource.address;
  const records: Record<string, gcp.dns.RecordSet> = {};
  if (args.zone) {
    for (const domain of domainsInZone(args.domains, args.zone.dnsName)) {
      records[domain] = new gcp.dns.RecordSet(
        ...transformed(
          t.record,
          `${name}-dns-${args.kind}-${domain}`,
          { project: args.project, managedZone: args.zone.name, name: `${domain}.`, type: "A", ttl: 300, rrdatas: [address] },
          childOptions(parent, opts),
        ),
      );
    }
  }
  return {
    kind: args.kind,
    addressName: names.address,
    addressResource,
    address,
    sslPolicyName: names.sslPolicy,
    sslPolicy,
    records,
    outsideZone: domainsOutsideZone(args.domains, args.zone?.dnsName),
  };
}
