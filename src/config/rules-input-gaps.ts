/**
 * Input the schema accepts but the cloud would not run as written (newcomer review 16): a region
 * that does not exist, an image reference a registry cannot parse, a Kubernetes service scaled to
 * zero, two services routing the same host and path. Each issue says the fix.
 */
import type { ConfigIssue } from "./errors.js";
import { suggestKey } from "./primitives.js";
import type { BrumeConfig } from "./schema.js";

/**
 * Google Cloud regions (https://cloud.google.com/compute/docs/regions-zones#available, December
 * 2026). A region missing here is a change of this list, not a config work-around.
 */
export const gcpRegions: readonly string[] = [
  "africa-south1",
  "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3", "asia-south1", "asia-south2",
  "asia-southeast1", "asia-southeast2", "asia-southeast3",
  "australia-southeast1", "australia-southeast2",
  "europe-central2", "europe-north1", "europe-north2", "europe-southwest1",
  "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10", "europe-west12",
  "me-central1", "me-central2", "me-west1",
  "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1",
  "southamerica-east1", "southamerica-west1",
  "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
];

/**
 * An image reference as the distribution reference grammar parses it
 * (https://github.com/distribution/reference/blob/main/reference.go): registry host[:port], lowercase
 * path components, an optional tag (`[\w][\w.-]{0,127}`) and an optional digest. No whitespace.
 */
const imageReference =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export function isImageReference(image: string): boolean {
  return imageReference.test(image);
}

export function checkInputGaps(config: BrumeConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const region = (path: string, value: string | undefined) => {
    if (value === undefined || gcpRegions.includes(value)) return;
    const hint = suggestKey(value, gcpRegions);
    issues.push({ path, value, message: `unknown Google Cloud region "${value}"${hint ? ` (did you mean "${hint}"?)` : ""}; see https://cloud.google.com/compute/docs/regions-zones` });
  };
  region("project.region", config.project.region);
  region("project.drRegion", config.project.drRegion);
  for (const [name, env] of Object.entries(config.environments)) region(`environments.${name}.region`, env.region);

  issues.push(...renameProblems(config), ...pushProblems(config));
  const routes = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services)) {
    const at = `services.${name}`;
    if (svc.image !== undefined && !isImageReference(svc.image)) {
      issues.push({
        path: `${at}.image`,
        value: svc.image,
        message: `not an image reference: expected [registry/]path[:tag][@sha256:digest] with a lowercase path and no spaces, such as europe-docker.pkg.dev/acme/apps/${name}:1.0.0`,
      });
    }
    if (svc.runner !== "kubernetes") continue;
    // An HPA's minReplicas is at least 1 unless the alpha HPAScaleToZero gate is on, which GKE does
    // not enable (https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates/):
    // min 0 would silently run one pod.
    if (svc.scaling.min === 0) issues.push({ path: `${at}.scaling.min`, value: 0, message: "a Kubernetes service runs at least one pod (the HorizontalPodAutoscaler cannot scale to zero); set min: 1" });
    for (const domain of svc.expose?.domains ?? []) {
      for (const path of svc.expose?.paths ?? []) {
        const key = `${svc.expose?.public === false ? "internal" : "public"} ${domain}${path}`;
        const other = routes.get(key);
        // Two HTTPRoutes with the same host and path: the Gateway keeps the oldest and drops the other
        // (https://gateway-api.sigs.k8s.io/reference/spec/#httprouterule, rule precedence).
        if (other) issues.push({ path: `${at}.expose.domains`, value: domain, message: `${domain}${path} is already routed to service "${other}"; give one of them another domain or path` });
        else routes.set(key, name);
      }
    }
  }
  return issues;
}

/**
 * `renamedFrom:` names a service that no longer exists, once: the alias moves that service's state,
 * which a service still declared under the old name (or a second rename from it) would also claim
 * (Pulumi refuses two resources answering to one URN: https://www.pulumi.com/docs/iac/concepts/options/aliases/).
 */
function renameProblems(config: BrumeConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const claimed = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services)) {
    const from = svc.renamedFrom;
    if (from === undefined) continue;
    const path = `services.${name}.renamedFrom`;
    if (from === name) issues.push({ path, value: from, message: `"${name}" is this service's own name; remove renamedFrom` });
    else if (config.services[from]) issues.push({ path, value: from, message: `service "${from}" is still declared: a rename removes the old entry (remove services.${from}, or this renamedFrom)` });
    else if (claimed.has(from)) issues.push({ path, value: from, message: `services.${claimed.get(from)} is already renamed from "${from}"; one service takes over its resources` });
    else claimed.set(from, name);
  }
  return issues;
}

/** Hosts only a private network resolves or reaches: RFC 1918 / loopback / link-local addresses, cluster and `.internal` names. */
const privateHost = /^(localhost|10\.\d+\.\d+\.\d+|127\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|169\.254\.\d+\.\d+|\[?::1\]?)$|(\.internal|\.local|\.svc|\.cluster\.local)$|^[^.]+$/;

/**
 * Pub/Sub push endpoints: Pub/Sub delivers from Google's network to a publicly reachable HTTPS
 * endpoint with a valid certificate (https://cloud.google.com/pubsub/docs/push#properties_of_a_push_subscription),
 * so an internal service (`expose.public: false`, on the internal load balancer), a cluster name or
 * a private address never receives a message: the subscription retries, then dead-letters everything.
 */
function pushProblems(config: BrumeConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const internalDomains = new Map<string, string>();
  for (const [name, svc] of Object.entries(config.services)) {
    if (svc.expose?.public === false) for (const d of svc.expose.domains) internalDomains.set(d.toLowerCase(), name);
  }
  for (const [topic, t] of Object.entries(config.topics)) {
    for (const [sub, s] of Object.entries(t.subscriptions)) {
      if (s.push === undefined) continue;
      const path = `topics.${topic}.subscriptions.${sub}.push`;
      const url = new URL(s.push);
      const host = url.hostname.toLowerCase();
      const pull = `or remove push and let the service pull (services.<name>.uses.subscriptions: [${topic}/${sub}])`;
      if (url.protocol !== "https:") {
        issues.push({ path, value: s.push, message: `Pub/Sub pushes to HTTPS endpoints only; use https://${url.host}${url.pathname}, ${pull}` });
      } else if (internalDomains.has(host)) {
        const svc = internalDomains.get(host)!;
        issues.push({
          path,
          value: s.push,
          message: `${host} is services.${svc}'s internal domain (expose.public: false): Pub/Sub push reaches public HTTPS endpoints only; expose ${svc} on a public domain (the push carries an OIDC token it can verify), ${pull.replace("<name>", svc)}`,
        });
      } else if (privateHost.test(host)) {
        issues.push({ path, value: s.push, message: `${host} is reachable from a private network only: Pub/Sub push needs a publicly reachable HTTPS endpoint; push to a public domain, ${pull}` });
      }
    }
  }
  return issues;
}
