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
