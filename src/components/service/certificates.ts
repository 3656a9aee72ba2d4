/**
 * TLS certificates of the Gateways: Certificate Manager, Google-managed, DNS authorization — one
 * certificate per domain, named by a hash of that domain (gcp-review finding 13). The design, for
 * every Gateway (README "Gateway certificates"):
 *
 * - **DNS authorization** (`PER_PROJECT_RECORD`): the certificate is issued as soon as a CNAME
 *   `_acme-challenge_<id>.<domain>` resolves, before (and independently of) the domain pointing at
 *   the load balancer; per-project records let a rebuilt environment in another project authorize
 *   the same domain without taking it over. The CNAME is created in the environment's public zone
 *   when the domain is in it; otherwise the owner of the domain's zone adds it.
 * - **One certificate per domain**, named `<prefix>-cert-<hash(domain)>`: adding a domain creates a
 *   certificate and a map entry and touches nothing else; removing one deletes only its own. A
 *   certificate's domains are immutable, and GCP refuses to delete a certificate a proxy uses, so
 *   a certificate is never replaced in place — a changed domain set only adds and removes names
 *   that never collide (Pulumi's create-before-delete).
 * - **Global external Gateway** (`gke-l7-global-external-managed`): a certificate map (fixed name,
 *   one entry per hostname) referenced by the Gateway's `networking.gke.io/certmap` annotation.
 *   GKE: "Certificate Manager supports both self-managed and Google-managed certificates.
 *   Google-managed certificates are compatible with regional Gateways and global Gateways"; "You
 *   cannot use the networking.gke.io/certmap annotation with a tls.certificateRefs"
 *   (https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway), and Compute
 *   `SslCertificate`s cap a Gateway at 15 certificates where a map takes thousands
 *   (https://cloud.google.com/kubernetes-engine/docs/concepts/gateway-security).
 * - **Internal Gateway** (`gke-l7-rilb`, regional): regional Certificate Manager certificates with
 *   regional DNS authorizations, listed in the HTTPS listener's
 *   `tls.options["networking.gke.io/cert-manager-certs"]` (regional Gateways take no certificate
 *   map). Same naming (`createInternalCertificates`). The DNS authorization's CNAME must resolve
 *   publicly: it goes to the environment's public zone when the internal name is under it
 *   (`admin.internal.bro.ai` in `bro.ai.`: the private zone `internal.bro.ai.` answers inside the
 *   VPC, the public zone answers Google's CA), else the owner of the public parent zone adds it.
 *   **Decision (issue 14):** names that exist only privately (no public parent zone at all, e.g.
 *   `*.corp`) would need a private CA (Certificate Authority Service issuance config); brume does
 *   not build one — such a name never gets its certificate ACTIVE, and docs/domains.md says so.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import { shortHash, type Naming } from "../../config/naming.js";
import { inZone } from "../network/dns.js";

/** Physical names of one domain's certificate resources (pure: they change only with the domain). */
export function certificateNames(naming: Naming, domain: string): { dnsAuthorization: string; certificate: string; mapEntry: string } {
  const h = shortHash(domain.toLowerCase().replace(/\.$/, ""), 8);
  return { dnsAuthorization: naming.name(["dnsauth", h]), certificate: naming.name(["cert", h]), mapEntry: naming.name(["cert", h]) };
}

/** The certificate map of the external Gateway: one per environment, never replaced. */
export function certificateMapName(naming: Naming): string {
  return naming.name(["gateway", "certmap"]);
}

export interface GatewayCertificatesArgs {
  project: string;
  naming: Naming;
  /** Hostnames served (sorted, unique). */
  domains: readonly string[];
  /** The environment's public zone: the DNS authorization CNAMEs of the domains in it go there. */
  publicZone?: { name: pulumi.Input<string>; dnsName: string };
  labels?: Record<string, string>;
  transform?: {
    dnsAuthorization?: Transform<gcp.certificatemanager.DnsAuthorizationArgs>;
    dnsAuthorizationRecord?: Transform<gcp.dns.RecordSetArgs>;
    certificate?: Transform<gcp.certificatemanager.CertificateArgs>;
    certificateMap?: Transform<gcp.certificatemanager.CertificateMapArgs>;
    certificateMapEntry?: Transform<gcp.certificatemanager.CertificateMapEntryArgs>;
  };
}

export interface GatewayCertificates {
  /** Name of the certificate map the Gateway annotation names. */
  mapName: string;
  map: gcp.certificatemanager.CertificateMap;
  /** By domain. */
  dnsAuthorizations: Record<string, gcp.certificatemanager.DnsAuthorization>;
  /** CNAMEs in the public zone, by domain (domains outside the zone have none). */
  dnsRecords: Record<string, gcp.dns.RecordSet>;
  certificates: Record<string, gcp.certificatemanager.Certificate>;
  mapEntries: Record<string, gcp.certificatemanager.CertificateMapEntry>;
  /** Everything the Gateway must wait for (it serves the map once its entries exist). */
  all: pulumi.Resource[];
}

/** The global external Gateway's certificates (children of `parent`). */
export function createExternalCertificates(
  parent: pulumi.ComponentResource,
  name: string,
  args: GatewayCertificatesArgs,
  opts: pulumi.ComponentResourceOptions | undefined,
): GatewayCertificates {
  const t = args.transform ?? {};
  const labels = args.labels ?? {};
  const mapName = certificateMapName(args.naming);
  const map = new gcp.certificatemanager.CertificateMap(
    ...transformed(
      t.certificateMap,
      `${name}-certmap`,
      { project: args.project, name: mapName, description: `Certificates of the external Gateway of ${args.naming.prefix}, managed by brume`, labels },
      childOptions(parent, opts),
    ),
  );
  const out: GatewayCertificates = { mapName, map, dnsAuthorizations: {}, dnsRecords: {}, certificates: {}, mapEntries: {}, all: [map] };
  for (const domain of args.domains) {
    const names = certificateNames(args.naming, domain);
    const auth = new gcp.certificatemanager.DnsAuthorization(
      ...transformed(
        t.dnsAuthorization,
        `${name}-dnsauth-${domain}`,
        { project: args.project, name: names.dnsAuthorization, domain, type: "PER_PROJECT_RECORD", labels },
        childOptions(parent, opts),
      ),
    );
    out.dnsAuthorizations[domain] = auth;
    if (args.publicZone && inZone(domain, args.publicZone.dnsName)) {
      out.dnsRecords[domain] = dnsAuthorizationRecord(parent, `${name}-dnsauth-record-${domain}`, auth, args.project, args.publicZone.name, t.dnsAuthorizationRecord, opts);
    }
    const certificate = new gcp.certificatemanager.Certificate(
      ...transformed(
        t.certificate,
        `${name}-cert-${domain}`,
        {
          project: args.project,
          name: names.certificate,
          description: `${domain}, managed by brume`,
          scope: "DEFAULT",
          managed: { domains: [domain], dnsAuthorizations: [auth.id] },
          labels,
        },
        childOptions(parent, opts, out.dnsRecords[domain] ? { dependsOn: [out.dnsRecords[domain]!] } : {}),
      ),
    );
    out.certificates[domain] = certificate;
    out.mapEntries[domain] = new gcp.certificatemanager.CertificateMapEntry(
      ...transformed(
        t.certificateMapEntry,
        `${name}-certmap-entry-${domain}`,
        { project: args.project, name: names.mapEntry, map: map.name, hostname: domain, certificates: [certificate.id], labels },
        childOptions(parent, opts),
      ),
    );
    out.all.push(out.mapEntries[domain]!);
  }
  return out;
}

export interface InternalCertificates {
  /** Certificate names in the HTTPS listener's `networking.gke.io/cert-manager-certs`. */
  names: string[];
  dnsAuthorizations: Record<string, gcp.certificatemanager.DnsAuthorization>;
  dnsRecords: Record<string, gcp.dns.RecordSet>;
  certificates: Record<string, gcp.certificatemanager.Certificate>;
  /** Everything the Gateway must wait for (its listener names the certificates). */
  all: pulumi.Resource[];
}

/**
 * The regional internal Gateway's certificates (children of `parent`): regional DNS
 * authorizations and Google-managed regional certificates (Certificate Manager, `location` the
 * Gateway's region — "Deploy a regional internal Application Load Balancer with Certificate
 * Manager", https://cloud.google.com/certificate-manager/docs/deploy-google-managed-regional).
 */
export function createInternalCertificates(
  parent: pulumi.ComponentResource,
  name: string,
  args: GatewayCertificatesArgs & { region: string },
  opts: pulumi.ComponentResourceOptions | undefined,
): InternalCertificates {
  const t = args.transform ?? {};
  const labels = args.labels ?? {};
  const out: InternalCertificates = { names: [], dnsAuthorizations: {}, dnsRecords: {}, certificates: {}, all: [] };
  for (const domain of args.domains) {
    const names = certificateNames(args.naming, domain);
    const auth = new gcp.certificatemanager.DnsAuthorization(
      ...transformed(
        t.dnsAuthorization,
        `${name}-dnsauth-internal-${domain}`,
        { project: args.project, location: args.region, name: names.dnsAuthorization, domain, type: "PER_PROJECT_RECORD", labels },
        childOptions(parent, opts),
      ),
    );
    out.dnsAuthorizations[domain] = auth;
    if (args.publicZone && inZone(domain, args.publicZone.dnsName)) {
      out.dnsRecords[domain] = dnsAuthorizationRecord(parent, `${name}-dnsauth-internal-record-${domain}`, auth, args.project, args.publicZone.name, t.dnsAuthorizationRecord, opts);
    }
    const certificate = new gcp.certificatemanager.Certificate(
      ...transformed(
        t.certificate,
        `${name}-cert-internal-${domain}`,
        {
          project: args.project,
          location: args.region,
          name: names.certificate,
          description: `${domain} (internal Gateway), managed by brume`,
          managed: { domains: [domain], dnsAuthorizations: [auth.id] },
          labels,
        },
        childOptions(parent, opts, out.dnsRecords[domain] ? { dependsOn: [out.dnsRecords[domain]!] } : {}),
      ),
    );
    out.certificates[domain] = certificate;
    out.names.push(names.certificate);
    out.all.push(certificate);
  }
  return out;
}

/**
 * The CNAME a DNS authorization asks for (`dnsResourceRecords[0]`), in the environment's public
 * zone: the certificate is issued once it resolves, before the domain points at the load balancer.
 */
export function dnsAuthorizationRecord(
  parent: pulumi.Resource,
  logicalName: string,
  auth: gcp.certificatemanager.DnsAuthorization,
  project: pulumi.Input<string>,
  managedZone: pulumi.Input<string>,
  transform: Transform<gcp.dns.RecordSetArgs> | undefined,
  opts: pulumi.ComponentResourceOptions | undefined,
): gcp.dns.RecordSet {
  const record = auth.dnsResourceRecords.apply((records) => records[0]);
  return new gcp.dns.RecordSet(
    ...transformed(
      transform,
      logicalName,
      {
        project,
        managedZone,
        name: record.apply((r) => r?.name ?? ""),
        type: record.apply((r) => r?.type ?? "CNAME"),
        ttl: 300,
        rrdatas: record.apply((r) => (r ? [r.data] : [])),
      },
      childOptions(parent, opts),
    ),
  );
}
