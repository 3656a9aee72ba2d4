/**
 * DNS names of the environment's Cloud DNS zones, as pure functions: a public zone for `domain`
 * and a private zone, visible only inside the VPC, for internal names.
 */

/** `Shop.Example.com` / `shop.example.com.` → `shop.example.com.` (Cloud DNS wants the final dot). */
export function fqdn(domain: string): string {
  const name = domain.trim().toLowerCase().replace(/\.+$/, "");
  if (!/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z][-a-z0-9]*[a-z0-9]$/.test(name)) {
    throw new Error(`"${domain}" is not a DNS domain such as shop.example.com`);
  }
  return `${name}.`;
}

export interface ZoneDnsNames {
  /** Public zone, present when a domain is given. */
  public?: string;
  /** Private zone: `privateDomain`, else `internal.<domain>`; absent when neither is given. */
  private?: string;
}

/** The DNS names (with the final dot) of the zones an environment gets. */
export function zoneDnsNames(domain: string | undefined, privateDomain?: string): ZoneDnsNames {
  const out: ZoneDnsNames = {};
  if (domain !== undefined) out.public = fqdn(domain);
  if (privateDomain !== undefined) out.private = fqdn(privateDomain);
  else if (domain !== undefined) out.private = `internal.${fqdn(domain)}`;
  return out;
}

/** `api.shop.example.com` is in zone `shop.example.com.` (and so is the apex itself). */
export function inZone(domain: string, zoneDnsName: string): boolean {
  const zone = zoneDnsName.replace(/\.$/, "").toLowerCase();
  const d = domain.replace(/\.$/, "").toLowerCase();
  return d === zone || d.endsWith(`.${zone}`);
}

/** The domains that get an A record: those in the zone, sorted, once each. */
export function domainsInZone(domains: readonly string[], zoneDnsName: string): string[] {
  return [...new Set(domains.map((d) => d.toLowerCase()))].filter((d) => inZone(d, zoneDnsName)).sort();
}

/**
 * Private Google Access through `private.googleapis.com` (gcp-review/k8s-review 18): a private
 * zone `googleapis.com.` in the VPC answers every `*.googleapis.com` name with the four addresses
 * of 199.36.153.8/30, so pods and VMs reach Google APIs on that range only and a NetworkPolicy can
 * allow exactly it instead of `0.0.0.0/0:443`. The records Google documents ("Configure Private
 * Google Access", DNS configuration,
 * https://cloud.google.com/vpc/docs/configure-private-google-access#config-domain): an A record
 * `private.googleapis.com.` to 199.36.153.8–11 and a CNAME `*.googleapis.com.` to it. The range is
 * reached through the VPC's default route to the internet gateway (kept: `deleteDefaultRoutesOnCreate: false`).
 */
export const privateGoogleApis = {
  zoneDnsName: "googleapis.com.",
  cidr: "199.36.153.8/30",
  records: [
    { name: "private.googleapis.com.", type: "A", rrdatas: ["199.36.153.8", "199.36.153.9", "199.36.153.10", "199.36.153.11"] },
    { name: "*.googleapis.com.", type: "CNAME", rrdatas: ["private.googleapis.com."] },
  ],
} as const;
