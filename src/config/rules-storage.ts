/**
 * Cross-field rules of the buckets' delivery (issue 14 item 7). Called from ./rules.ts.
 */
import type { BrumeConfig } from "./schema.js";

type Add = (path: string, message: string, value?: unknown) => void;

export function checkBucketCdn(config: BrumeConfig, add: Add): void {
  // Who already answers each hostname: a domain has one A record in a zone (Cloud DNS refuses a
  // second record set of the same name and type: "resourceRecordSets.create … alreadyExists",
  // https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets/create), so it can point
  // at one load balancer only.
  const owners = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services).sort(([a], [b]) => a.localeCompare(b))) {
    for (const d of svc.expose?.domains ?? []) if (!owners.has(d)) owners.set(d, `service "${name}"`);
  }
  for (const [bucket, b] of Object.entries(config.buckets).sort(([a], [c]) => a.localeCompare(c))) {
    if (b.cdn === undefined) continue;
    const at = `buckets.${bucket}.cdn`;
    if (!b.public) {
      add(at, `a CDN domain serves the bucket through its Cloud CDN backend, which only public buckets have; set buckets.${bucket}.public: true or remove cdn`, b.cdn);
    }
    const domain = b.cdn.domain;
    const owner = owners.get(domain);
    if (owner !== undefined) {
      add(
        `${at}.domain`,
        `domain "${domain}" is already served by ${owner}; a hostname points at one load balancer (one A record), so the bucket needs a domain of its own, e.g. assets.${domain}`,
        domain,
      );
      continue;
    }
    owners.set(domain, `bucket "${bucket}"`);
  }
}
