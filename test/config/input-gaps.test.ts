/**
 * Input that was accepted but wrong (newcomer review 16) and the papercuts of review 18: each case is
 * now refused with its path, the value and the fix (src/config/rules-input-gaps.ts, load.ts).
 */
import { describe, expect, it } from "vitest";
import { parseConfigText, validateConfig } from "../../src/config/load.js";
import { isImageReference } from "../../src/config/rules-input-gaps.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { configProblems, repoRoot } from "../harness.js";

const base = (extra = "") => `project: { name: shop, region: europe-west1, drRegion: europe-west4 }
environments:
  prod: { gcpProject: shop-prod-1234 }
services:
  api:
    image: europe-docker.pkg.dev/shop/apps/api:1.0.0
${extra}`;

const problems = configProblems;

describe("accepted but wrong (newcomer 16)", () => {
  it("type-15: two services routing the same host and path", () => {
    const text = base(`    expose: { domains: [api.ledgerly.io] }
    health: { readiness: { path: /healthz } }
  web:
    image: europe-docker.pkg.dev/shop/apps/web:1.0.0
    expose: { domains: [api.ledgerly.io] }
    health: { readiness: { path: /healthz } }
`);
    expect(problems(text)).toEqual(['services.web.expose.domains: api.ledgerly.io/ is already routed to service "api"; give one of them another domain or path']);
    // Another path on the same host is fine.
    expect(problems(text.replace("    expose: { domains: [api.ledgerly.io] }\n", "    expose: { domains: [api.ledgerly.io], paths: [/v1] }\n"))).toEqual([]);
  });

  it("sem-05: scaling.min 0 on a Kubernetes service", () => {
    expect(problems(base("    scaling: { min: 0, max: 3 }\n"))).toEqual([
      "services.api.scaling.min: a Kubernetes service runs at least one pod (the HorizontalPodAutoscaler cannot scale to zero); set min: 1",
    ]);
  });

  it("type-16: a region that does not exist, with a did-you-mean", () => {
    expect(problems(base().replace("region: europe-west1", "region: europe-west99"))).toEqual([
      'project.region: unknown Google Cloud region "europe-west99" (did you mean "europe-west9"?); see https://cloud.google.com/compute/docs/regions-zones',
    ]);
  });

  it("type-24: an image reference a registry cannot parse", () => {
    expect(problems(base().replace("europe-docker.pkg.dev/shop/apps/api:1.0.0", '"worker latest"'))).toEqual([
      "services.api.image: not an image reference: expected [registry/]path[:tag][@sha256:digest] with a lowercase path and no spaces, such as europe-docker.pkg.dev/acme/apps/api:1.0.0",
    ]);
    for (const ok of ["nginx", "nginx:1.27", "localhost:5000/a/b:c", "europe-docker.pkg.dev/p/r/i@sha256:" + "a".repeat(64), "ghcr.io/o/i:v1.2.3-rc.1"]) expect(isImageReference(ok), ok).toBe(true);
    for (const bad of ["worker latest", "Api:1", "a/b:", "a:b:c", ""]) expect(isImageReference(bad), bad).toBe(false);
  });
});

describe("accepted but wrong, decided (newcomer 16: sem-04, type-19)", () => {
  const pushTo = (url: string, extra = "") => `${base(extra)}topics:
  billing:
    subscriptions:
      invoices: { push: "${url}" }
`;
  const internalBilling = `  billing:
    image: europe-docker.pkg.dev/shop/apps/billing:1.0.0
    expose: { public: false, domains: [billing.internal.ledgerly.io] }
    health: { readiness: { path: /healthz } }
`;

  it("sem-04: a push subscription to an internal service's domain is refused with the two fixes", () => {
    expect(problems(pushTo("https://billing.internal.ledgerly.io/pubsub", internalBilling))).toEqual([
      "topics.billing.subscriptions.invoices.push: billing.internal.ledgerly.io is services.billing's internal domain (expose.public: false): Pub/Sub push reaches public HTTPS endpoints only; expose billing on a public domain (the push carries an OIDC token it can verify), or remove push and let the service pull (services.billing.uses.subscriptions: [billing/invoices])",
    ]);
  });

  it("sem-04: plain HTTP, cluster names and private addresses are refused; a public HTTPS endpoint is fine", () => {
    expect(problems(pushTo("http://hooks.ledgerly.io/pubsub"))).toEqual([
      "topics.billing.subscriptions.invoices.push: Pub/Sub pushes to HTTPS endpoints only; use https://hooks.ledgerly.io/pubsub, or remove push and let the service pull (services.<name>.uses.subscriptions: [billing/invoices])",
    ]);
    for (const url of ["https://billing/pubsub", "https://billing.shop.svc.cluster.local/x", "https://10.0.4.2/x", "https://192.168.1.9/x", "https://metadata.google.internal/x"]) {
      expect(problems(pushTo(url)), url).toEqual([
        expect.stringMatching(/^topics\.billing\.subscriptions\.invoices\.push: \S+ is reachable from a private network only: Pub\/Sub push needs a publicly reachable HTTPS endpoint/),
      ]);
    }
    expect(problems(pushTo("https://hooks.ledgerly.io/pubsub"))).toEqual([]);
  });

  it("type-19: an exposed service without ports listens on the documented default, http 8080", () => {
    const config = validateConfig(parseConfigText(base("    expose: { domains: [api.ledgerly.io] }\n    health: { readiness: { path: /healthz } }\n"), "yaml"));
    expect(config.services.api!.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    // The committed JSON Schema (editors show it) documents the default where the service's ports are.
    const descriptions: string[] = [];
    JSON.parse(readFileSync(join(repoRoot, "schema", "brume.schema.json"), "utf8"), (key, value: { description?: unknown }) => {
      if (key === "ports" && typeof value?.description === "string") descriptions.push(value.description);
      return value;
    });
    const ports = descriptions.find((d) => d.startsWith("Ports the container listens on"));
    expect(ports).toContain("Default: one port, `http` 8080/TCP");
    expect(ports).toContain("An exposed service is routed to its first port");
    // An empty list is no way to serve: refused.
    expect(problems(base("    ports: []\n"))).toEqual([expect.stringMatching(/^services\.api\.ports: /)]);
  });
});

describe("renamedFrom (newcomer 13)", () => {
  const renamed = (from: string, extra = "") => base(`    renamedFrom: ${from}\n${extra}`);
  it("names a service that is gone, once", () => {
    expect(problems(renamed("billing"))).toEqual([]);
    expect(problems(renamed("api"))).toEqual(['services.api.renamedFrom: "api" is this service\'s own name; remove renamedFrom']);
    const web = "  web:\n    image: europe-docker.pkg.dev/shop/apps/web:1.0.0\n";
    expect(problems(renamed("web", web))).toEqual(['services.api.renamedFrom: service "web" is still declared: a rename removes the old entry (remove services.web, or this renamedFrom)']);
    expect(problems(renamed("billing", `${web}    renamedFrom: billing\n`))).toEqual(['services.web.renamedFrom: services.api is already renamed from "billing"; one service takes over its resources']);
  });
});

describe("papercuts (newcomer 18)", () => {
  it("a number where text is expected says to quote it", () => {
    const [problem] = problems(base().replace("image: europe-docker.pkg.dev/shop/apps/api:1.0.0", "image: 110"));
    expect(problem).toBe('services.api.image: expected string, got number 110: YAML reads unquoted digits as a number (1.10 becomes 1.1, 0123 loses its zero); quote the value as written, e.g. "110"');
  });

  it("acmeEmail says why it is gone", () => {
    expect(problems(base("acmeEmail: ops@example.com\n"))).toEqual([
      'acmeEmail: "acmeEmail" is no longer a brume key: TLS ends at the Google load balancer with Google-managed certificates: there is no ACME account any more; remove the line',
    ]);
  });

  it("YAML merge keys are read; a multi-document file gets advice for a user, not for a programmer", () => {
    const merged = base().replace("services:\n  api:\n", "services:\n  api:\n    <<: { scaling: { min: 2, max: 4 } }\n");
    expect(problems(merged)).toEqual([]);
    expect(validateConfig(parseConfigText(merged, "yaml")).services.api!.scaling).toMatchObject({ min: 2, max: 4 });
    expect(problems(`${base()}---\nx: 1\n`)).toEqual(["(line 7, column 1): YAML syntax error: a brume config is one YAML document; remove the `---` separator and what follows (or move it to another file)"]);
  });
});
