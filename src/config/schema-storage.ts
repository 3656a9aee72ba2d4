/**
 * Config fields of a bucket's delivery (issue 14 item 7, gcp-review 25): the domain a public
 * bucket's Cloud CDN is served on. Wired into ./schema.ts (bucketSchema); rules in ./rules-storage.ts.
 */
import { domainName, strict } from "./primitives.js";

/** `buckets.<b>.cdn`: the load balancer in front of the bucket's Cloud CDN backend. */
export const bucketCdnSchema = strict({
  domain: domainName.meta({
    description:
      "Hostname the bucket's objects are served on over HTTPS (e.g. assets.example.com). Inside the environment's public zone it gets its A record and its certificate's DNS authorization CNAME; outside it, point it at the stack output cdn.<bucket>.address and add the CNAME where its zone is hosted.",
  }),
})
  .optional()
  .meta({
    description:
      "Serve a public bucket on its own domain: a global external Application Load Balancer (reserved address, Certificate Manager certificate, TLS 1.2 MODERN, HTTP redirected to HTTPS) in front of its Cloud CDN backend. Needs public: true.",
  });
