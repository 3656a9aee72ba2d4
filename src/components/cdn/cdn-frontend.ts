/**
 * `brume:cdn:CdnFrontend` — the public bucket's Cloud CDN served on its domain (issue 14
 * item 7, gcp-review 25): a global external Application Load Balancer in front of the bucket's
 * backend bucket (../storage/bucket.ts). The Project wires it, where the bucket and the public zone
 * are known (its own folder: it reuses ../service/certificates.ts, and the service layer already
 * imports the environment that builds the buckets). GKE Gateways cannot route to backend buckets, so the bucket gets a
 * load balancer of its own:
 *
 * - a reserved global static IPv4 address, protected with the environment's data (DNS points at
 *   it; a new address means new A records and a wait for resolvers' caches), as the Gateways';
 * - a Certificate Manager certificate for the domain, with a DNS authorization whose CNAME goes to
 *   the environment's public zone when the domain is in it (../service/certificates.ts: the same
 *   names, the same CNAME function), in a certificate map of its own. A target HTTPS proxy of an
 *   EXTERNAL_MANAGED load balancer takes Certificate Manager certificates through a map only:
 *   "certificateManagerCertificates … only apply when the load balancing scheme is set to
 *   INTERNAL_MANAGED. For EXTERNAL and EXTERNAL_MANAGED, use certificateMap instead"
 *   (@pulumi/gcp 9.37 compute/targetHttpsProxy.d.ts, `certificateManagerCertificates`);
 * - an SSL policy, MODERN profile, TLS 1.2 at least (as the Gateways' and the machines' LB);
 * - a URL map whose default service is the backend bucket, the HTTPS proxy and a forwarding rule
 *   on 443; a second URL map that only 301-redirects to HTTPS (query kept), an HTTP proxy and a
 *   forwarding rule on 80, on the same address;
 * - the domain's A record in the public zone when the domain is in it (brume offers no IPv6, as
 *   for the Gateways: no AAAA record); otherwise `domainOutsideZone` and the plan warning say where
 *   to point it.
 *
 * Cloud rules modelled here:
 * - a backend bucket with Cloud CDN serves only behind a global external Application Load
 *   Balancer (EXTERNAL_MANAGED) or the classic one (EXTERNAL): "Cloud CDN leverages your choice of
 *   either the global external Application Load Balancer or the classic Application Load Balancer"
 *   (https://cloud.google.com/cdn/docs/setting-up-cdn-with-bucket); the regional and internal load
 *   balancers that take backend buckets (https://cloud.google.com/load-balancing/docs/backend-bucket,
 *   "Load balancer support") serve them without CDN — "CDN cannot be enabled … when
 *   loadBalancingScheme is set to INTERNAL_MANAGED" (@pulumi/gcp 9.37 compute/backendBucket.d.ts).
 *   Any other scheme is refused (`cdnLoadBalancingSchemes`);
 * - names ≤ 63 characters (`Naming`, cut with a hash);
 * - the certificate is created after its DNS authorization's CNAME exists (dependsOn), so the CA
 *   can validate at once; the proxy waits for the map entry, the A record for the HTTPS rule (no
 *   client is sent to the address before it serves HTTPS).
 *
 * Cloud Armor: a backend bucket takes only an *edge* security policy (its `edgeSecurityPolicy`):
 * "CLOUD_ARMOR_EDGE - Cloud Armor edge security policies can be configured to filter incoming HTTP
 * requests targeting backend services (including Cloud CDN-enabled) as well as backend buckets",
 * where CLOUD_ARMOR backend policies target backend services only (Compute API, SecurityPolicy.Type,
 * https://cloud.google.com/python/docs/reference/compute/latest/google.cloud.compute_v1.types.SecurityPolicy.Type).
 * The environment has no edge policy to attach: the services' policies are backend policies with
 * per-client rate limits, a rule edge policies do not offer. `BucketCdnArgs.edgeSecurityPolicy`
 * attaches one a caller has.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { inZone } from "../network/dns.js";
import { certificateNames, dnsAuthorizationRecord } from "../service/certificates.js";

/** Load-balancing schemes a backend bucket can serve behind (see the module comment). */
export const cdnLoadBalancingSchemes = ["EXTERNAL_MANAGED", "EXTERNAL"] as const;
export type CdnLoadBalancingScheme = (typeof cdnLoadBalancingSchemes)[number];

/** Physical names of a bucket's CDN frontend (pure: they change only with the bucket or the domain). */
export function cdnFrontendNames(naming: Naming, bucket: string, domain: string) {
  const part = (...p: string[]) => naming.name([bucket, "cdn", ...p]);
  return {
    address: part("lb"),
    sslPolicy: part("tls"),
    certificateMap: part("certmap"),
    urlMap: part("url-map"),
    httpsProxy: part("https-proxy"),
    httpsRule: part("https"),
    redirectUrlMap: part("http-redirect"),
    httpProxy: part("http-proxy"),
    httpRule: part("http"),
    ...certificateNames(naming, domain),
  };
}

export interface CdnFrontendArgs {
  project: string;
  naming: Naming;
  /** The bucket's key in brume.yaml (`buckets.<key>`). */
  bucket: string;
  /** Hostname served. */
  domain: string;
  /** The backend bucket (its id or self link): the URL map's default service. */
  backendBucket: pulumi.Input<string>;
  /** The environment's public zone: the A record and the DNS authorization CNAME go there when the domain is in it. */
  publicZone?: { name: pulumi.Input<string>; dnsName: string };
  /** @default "EXTERNAL_MANAGED" */
  loadBalancingScheme?: CdnLoadBalancingScheme;
  /** Protect the address (production). */
  protect: boolean;
  labels?: Record<string, string>;
  transform?: {
    address?: Transform<gcp.compute.GlobalAddressArgs>;
    dnsAuthorization?: Transform<gcp.certificatemanager.DnsAuthorizationArgs>;
    dnsAuthorizationRecord?: Transform<gcp.dns.RecordSetArgs>;
    certificate?: Transform<gcp.certificatemanager.CertificateArgs>;
    certificateMap?: Transform<gcp.certificatemanager.CertificateMapArgs>;
    certificateMapEntry?: Transform<gcp.certificatemanager.CertificateMapEntryArgs>;
    sslPolicy?: Transform<gcp.compute.SSLPolicyArgs>;
    urlMap?: Transform<gcp.compute.URLMapArgs>;
    httpsProxy?: Transform<gcp.compute.TargetHttpsProxyArgs>;
    httpsRule?: Transform<gcp.compute.GlobalForwardingRuleArgs>;
    redirectUrlMap?: Transform<gcp.compute.URLMapArgs>;
    httpProxy?: Transform<gcp.compute.TargetHttpProxyArgs>;
    httpRule?: Transform<gcp.compute.GlobalForwardingRuleArgs>;
    record?: Transform<gcp.dns.RecordSetArgs>;
  };
}

/**
 * `brume:cdn:CdnFrontend` — a global external Application Load Balancer serving a public bucket's Cloud
 * CDN backend bucket on its domain: a reserved global IPv4 address, a Certificate Manager certificate with
 * its DNS authorization and certificate map, a MODERN SSL policy, URL maps, proxies and forwarding rules
 * for HTTPS and the HTTP redirect, and the A record when the domain is in the public zone. See
 * `docs/storage.md`.
 */
export class CdnFrontend extends pulumi.ComponentResource {
  readonly addressResource: gcp.compute.GlobalAddress;
  readonly dnsAuthorization: gcp.certificatemanager.DnsAuthorization;
  /** The DNS authorization's CNAME, when the domain is in the public zone. */
  readonly dnsAuthorizationRecord?: gcp.dns.RecordSet;
  readonly certificate: gcp.certificatemanager.Certificate;
  readonly certificateMap: gcp.certificatemanager.CertificateMap;
  readonly certificateMapEntry: gcp.certificatemanager.CertificateMapEntry;
  readonly sslPolicy: gcp.compute.SSLPolicy;
  readonly urlMap: gcp.compute.URLMap;
  readonly httpsProxy: gcp.compute.TargetHttpsProxy;
  readonly httpsRule: gcp.compute.GlobalForwardingRule;
  readonly redirectUrlMap: gcp.compute.URLMap;
  readonly httpProxy: gcp.compute.TargetHttpProxy;
  readonly httpRule: gcp.compute.GlobalForwardingRule;
  /** The A record, when the domain is in the public zone. */
  readonly record?: gcp.dns.RecordSet;
  readonly domain: string;
  /** True when the stack creates no record: the domain's owner points it at `address`. */
  readonly domainOutsideZone: boolean;
  /** The IP the domain points at. */
  readonly address: pulumi.Output<string>;
  /** `https://<domain>/` */
  readonly url: string;

  constructor(name: string, args: CdnFrontendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:cdn:CdnFrontend", name, {}, opts);
    const scheme = args.loadBalancingScheme ?? "EXTERNAL_MANAGED";
    if (!(cdnLoadBalancingSchemes as readonly string[]).includes(scheme)) {
      throw new Error(`CdnFrontend ${name}: a backend bucket serves only behind a global external Application Load Balancer (${cdnLoadBalancingSchemes.join(" or ")}), not ${scheme}`);
    }
    const names = cdnFrontendNames(args.naming, args.bucket, args.domain);
    const zone = args.publicZone && inZone(args.domain, args.publicZone.dnsName) ? args.publicZone : undefined;
    this.domain = args.domain;
    this.domainOutsideZone = zone === undefined;
    this.url = `https://${args.domain}/`;

    this.addressResource = this.createAddress(name, args, names.address, opts);
    this.address = this.addressResource.address;
    this.dnsAuthorization = this.createDnsAuthorization(name, args, names.dnsAuthorization, opts);
    if (zone) {
      this.dnsAuthorizationRecord = dnsAuthorizationRecord(this, `${name}-dnsauth-record`, this.dnsAuthorization, args.project, zone.name, args.transform?.dnsAuthorizationRecord, opts);
    }
    this.certificate = this.createCertificate(name, args, names.certificate, opts);
    this.certificateMap = this.createCertificateMap(name, args, names.certificateMap, opts);
    this.certificateMapEntry = this.createCertificateMapEntry(name, args, names.mapEntry, opts);
    this.sslPolicy = this.createSslPolicy(name, args, names.sslPolicy, opts);
    this.urlMap = this.createUrlMap(name, args, names.urlMap, opts);
    this.httpsProxy = this.createHttpsProxy(name, args, names.httpsProxy, opts);
    this.httpsRule = this.createRule(name, args, "https", names.httpsRule, 443, this.httpsProxy.id, scheme, opts);
    this.redirectUrlMap = this.createRedirectUrlMap(name, args, names.redirectUrlMap, opts);
    this.httpProxy = this.createHttpProxy(name, args, names.httpProxy, opts);
    this.httpRule = this.createRule(name, args, "http", names.httpRule, 80, this.httpProxy.id, scheme, opts);
    if (zone) this.record = this.createRecord(name, args, zone, opts);

    this.registerOutputs({ address: this.address, domain: this.domain, url: this.url });
  }

  private createAddress(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions): gcp.compute.GlobalAddress {
    return new gcp.compute.GlobalAddress(
      ...transformed(
        args.transform?.address,
        `${name}-address`,
        {
          project: args.project,
          name: physical,
          description: `Load balancer of the ${args.bucket} bucket's CDN, ${args.domain} (DNS points here), managed by brume`,
          addressType: "EXTERNAL",
          ipVersion: "IPV4",
          labels: args.labels ?? {},
        } satisfies gcp.compute.GlobalAddressArgs,
        statefulOptions(this, opts, args.protect),
      ),
    );
  }

  private createDnsAuthorization(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.certificatemanager.DnsAuthorization(
      ...transformed(
        args.transform?.dnsAuthorization,
        `${name}-dnsauth`,
        { project: args.project, name: physical, domain: args.domain, type: "PER_PROJECT_RECORD", labels: args.labels ?? {} } satisfies gcp.certificatemanager.DnsAuthorizationArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** Issued once the CNAME resolves: created after it, so the CA's first check can succeed. */
  private createCertificate(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.certificatemanager.Certificate(
      ...transformed(
        args.transform?.certificate,
        `${name}-cert`,
        {
          project: args.project,
          name: physical,
          description: `${args.domain} (CDN of bucket ${args.bucket}), managed by brume`,
          scope: "DEFAULT",
          managed: { domains: [args.domain], dnsAuthorizations: [this.dnsAuthorization.id] },
          labels: args.labels ?? {},
        } satisfies gcp.certificatemanager.CertificateArgs,
        childOptions(this, opts, this.dnsAuthorizationRecord ? { dependsOn: [this.dnsAuthorizationRecord] } : {}),
      ),
    );
  }

  private createCertificateMap(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.certificatemanager.CertificateMap(
      ...transformed(
        args.transform?.certificateMap,
        `${name}-certmap`,
        { project: args.project, name: physical, description: `Certificate of ${args.domain} (CDN of bucket ${args.bucket}), managed by brume`, labels: args.labels ?? {} } satisfies gcp.certificatemanager.CertificateMapArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createCertificateMapEntry(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.certificatemanager.CertificateMapEntry(
      ...transformed(
        args.transform?.certificateMapEntry,
        `${name}-certmap-entry`,
        {
          project: args.project,
          name: physical,
          map: this.certificateMap.name,
          hostname: args.domain,
          certificates: [this.certificate.id],
          labels: args.labels ?? {},
        } satisfies gcp.certificatemanager.CertificateMapEntryArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** Checkov CKV_GCP weak cipher suites: MODERN profile, TLS 1.2 at least (as the Gateways). */
  private createSslPolicy(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.SSLPolicy(
      ...transformed(
        args.transform?.sslPolicy,
        `${name}-ssl-policy`,
        { project: args.project, name: physical, description: `TLS of ${args.domain}: MODERN profile, TLS 1.2 or later`, profile: "MODERN", minTlsVersion: "TLS_1_2" } satisfies gcp.compute.SSLPolicyArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createUrlMap(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.URLMap(
      ...transformed(
        args.transform?.urlMap,
        `${name}-url-map`,
        { project: args.project, name: physical, description: `Every path of ${args.domain} to the ${args.bucket} bucket's Cloud CDN backend`, defaultService: args.backendBucket } satisfies gcp.compute.URLMapArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** Serves the map once its entry exists (a map without one has no certificate to present). */
  private createHttpsProxy(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.TargetHttpsProxy(
      ...transformed(
        args.transform?.httpsProxy,
        `${name}-https-proxy`,
        {
          project: args.project,
          name: physical,
          description: `HTTPS of ${args.domain}: Certificate Manager certificate, MODERN TLS`,
          urlMap: this.urlMap.id,
          certificateMap: pulumi.interpolate`//certificatemanager.googleapis.com/${this.certificateMap.id}`,
          sslPolicy: this.sslPolicy.id,
        } satisfies gcp.compute.TargetHttpsProxyArgs,
        childOptions(this, opts, { dependsOn: [this.certificateMapEntry] }),
      ),
    );
  }

  private createRule(
    name: string,
    args: CdnFrontendArgs,
    part: "https" | "http",
    physical: string,
    port: number,
    target: pulumi.Input<string>,
    scheme: CdnLoadBalancingScheme,
    opts?: pulumi.ComponentResourceOptions,
  ): gcp.compute.GlobalForwardingRule {
    return new gcp.compute.GlobalForwardingRule(
      ...transformed(
        part === "https" ? args.transform?.httpsRule : args.transform?.httpRule,
        `${name}-${part}-rule`,
        {
          project: args.project,
          name: physical,
          description: `Port ${port} of ${args.domain} (CDN of bucket ${args.bucket})`,
          loadBalancingScheme: scheme,
          ipProtocol: "TCP",
          ipAddress: this.address,
          portRange: String(port),
          target,
          labels: args.labels ?? {},
        } satisfies gcp.compute.GlobalForwardingRuleArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** Plain HTTP only redirects: 301 to the same URL over HTTPS, query kept. */
  private createRedirectUrlMap(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.URLMap(
      ...transformed(
        args.transform?.redirectUrlMap,
        `${name}-redirect-url-map`,
        {
          project: args.project,
          name: physical,
          description: `HTTP → HTTPS (301) for ${args.domain}`,
          defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT", stripQuery: false },
        } satisfies gcp.compute.URLMapArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createHttpProxy(name: string, args: CdnFrontendArgs, physical: string, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.TargetHttpProxy(
      ...transformed(
        args.transform?.httpProxy,
        `${name}-http-proxy`,
        { project: args.project, name: physical, description: `HTTP → HTTPS redirect of ${args.domain}`, urlMap: this.redirectUrlMap.id } satisfies gcp.compute.TargetHttpProxyArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** Clients are sent to the address once it serves HTTPS. */
  private createRecord(name: string, args: CdnFrontendArgs, zone: NonNullable<CdnFrontendArgs["publicZone"]>, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.dns.RecordSet(
      ...transformed(
        args.transform?.record,
        `${name}-dns`,
        { project: args.project, managedZone: zone.name, name: `${args.domain}.`, type: "A", ttl: 300, rrdatas: [this.address] } satisfies gcp.dns.RecordSetArgs,
        childOptions(this, opts, { dependsOn: [this.httpsRule] }),
      ),
    );
  }
}
