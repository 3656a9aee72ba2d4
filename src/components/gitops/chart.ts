/**
 * The official Argo CD Helm chart (argo-helm), pinned, and the values Brume sets on it: a pure
 * function, checked against the chart's documented keys written down below. The chart is rendered
 * by Helm at apply time (`helm.v3.Release`), so the objects it creates (Deployments, ConfigMaps,
 * CRDs, NetworkPolicies) are NOT validated offline: only these values are.
 *
 * Source of every key: charts/argo-cd/values.yaml of argoproj/argo-helm at commit af0a9310
 * (chart 10.1.1, appVersion v3.4.4).
 */

export const argocdChart = {
  repository: "https://argoproj.github.io/argo-helm",
  chart: "argo-cd",
  version: "10.1.1",
  appVersion: "v3.4.4",
} as const;

/**
 * Images the chart runs at these versions (values.yaml: global.image, dex.image, redis.image); the
 * cluster's Binary Authorization policy admits them (src/components/cluster/images.ts). Pinned here
 * so a chart upgrade is a reviewed change of this list too.
 */
export const argocdImages = {
  argocd: `quay.io/argoproj/argocd:${argocdChart.appVersion}`,
  dex: "ghcr.io/dexidp/dex:v2.45.1",
  redis: "ecr-public.aws.com/docker/library/redis:8.2.3-alpine",
} as const;

/**
 * Binary Authorization admission patterns of those images: each reference exactly, tag included
 * (`admits`: a pattern without a wildcard names one image). Digests would pin the bytes; the chart
 * pins tags and this machine cannot resolve them, so a digest pin is left to the chart upgrade.
 */
export const argocdImagePatterns: readonly string[] = Object.values(argocdImages);

/**
 * The documented keys Brume sets (dotted paths; a key of an argocd-cm / argocd-rbac-cm entry that
 * itself contains dots is one segment, written in brackets). Each is in values.yaml at the commit
 * above; `undocumentedValues` fails on anything else, so a typo never reaches Helm silently.
 */
export const documentedKeys: readonly string[] = [
  "crds.install",
  "crds.keep",
  "global.domain",
  "global.networkPolicy.create",
  "configs.cm.[admin.enabled]",
  "configs.cm.[exec.enabled]",
  "configs.cm.[url]",
  "configs.cm.[dex.config]",
  "configs.cm.[resource.customizations.health.gateway.networking.k8s.io_HTTPRoute]",
  "configs.cm.[timeout.reconciliation]",
  "configs.params.[server.insecure]",
  "configs.rbac.[policy.default]",
  "configs.rbac.[policy.csv]",
  "configs.rbac.[scopes]",
  "configs.secret.createSecret",
  "controller.resources",
  "server.resources",
  "repoServer.resources",
  "applicationSet.resources",
  "notifications.enabled",
  "notifications.resources",
  "dex.enabled",
  "dex.resources",
  "redis.resources",
];

/**
 * Argo CD's health of an HTTPRoute: Healthy once every parent (Gateway) Accepted the route and its
 * references resolved, Degraded when a parent refused it, Progressing before the controller
 * reported. Argo CD has no built-in health for Gateway API routes; custom health checks are Lua in
 * argocd-cm `resource.customizations.health.<group>_<kind>`
 * (https://argo-cd.readthedocs.io/en/stable/operator-manual/health/#custom-health-checks).
 * Conditions per the Gateway API spec: RouteParentStatus.conditions Accepted / ResolvedRefs
 * (https://gateway-api.sigs.k8s.io/reference/spec/#routeparentstatus).
 */
export const httpRouteHealthLua = `hs = {}
if obj.status == nil or obj.status.parents == nil or #obj.status.parents == 0 then
  hs.status = "Progressing"
  hs.message = "Waiting for the Gateway to accept the route"
  return hs
end
for _, parent in ipairs(obj.status.parents) do
  for _, c in ipairs(parent.conditions or {}) do
    if (c.type == "Accepted" or c.type == "ResolvedRefs") and c.status == "False" then
      hs.status = "Degraded"
      hs.message = c.type .. ": " .. (c.message or c.reason or "")
      return hs
    end
  end
end
for _, parent in ipairs(obj.status.parents) do
  local accepted = false
  for _, c in ipairs(parent.conditions or {}) do
    if c.type == "Accepted" and c.status == "True" then accepted = true end
  end
  if not accepted then
    hs.status = "Progressing"
    hs.message = "Waiting for every parent Gateway to accept the route"
    return hs
  end
end
hs.status = "Healthy"
hs.message = "Accepted by every parent Gateway"
return hs
`;

export interface ArgocdValuesSpec {
  /** Host of the UI (the SSO redirect URL is https://<host>/api/dex/callback). */
  hostname: string;
  adminLogin: boolean;
  sso?: { clientId: string; hostedDomain?: string };
  /** Name of the Kubernetes Secret (synced from Secret Manager, label part-of: argocd) holding `clientSecret`. */
  ssoSecretName: string;
  /** Argo CD RBAC: access group principals (`group:x@y`) per role; `owner`/`admin` may sync. */
  groups: { sync: string[]; read: string[] };
}

/** Requests = limits (Guaranteed QoS, like the services); sized for one environment's apps. */
const resources = (cpu: string, memory: string) => ({ requests: { cpu, memory }, limits: { cpu, memory } });

/** The chart values: hardened (no admin login in production, no exec, SSO, limits, NetworkPolicies). */
export function argocdValues(spec: ArgocdValuesSpec): Record<string, unknown> {
  const email = (p: string) => p.replace(/^(group|user):/, "");
  const csv = [
    "p, role:brume-sync, applications, get, */*, allow",
    "p, role:brume-sync, applications, sync, */*, allow",
    "p, role:brume-sync, applications, action/*, */*, allow",
    "p, role:brume-read, applications, get, */*, allow",
    ...spec.groups.sync.map((p) => `g, ${email(p)}, role:brume-sync`),
    ...spec.groups.read.map((p) => `g, ${email(p)}, role:brume-read`),
  ];
  const dex = spec.sso
    ? {
        connectors: [
          {
            type: "google",
            id: "google",
            name: "Google",
            config: {
              clientID: spec.sso.clientId,
              // `$<secret>:<key>`: Argo CD reads the value from a Secret labelled part-of: argocd
              // (https://argo-cd.readthedocs.io/en/stable/operator-manual/user-management/#sensitive-data-and-sso-client-secrets).
              clientSecret: `$${spec.ssoSecretName}:clientSecret`,
              redirectURI: `https://${spec.hostname}/api/dex/callback`,
              ...(spec.sso.hostedDomain ? { hostedDomains: [spec.sso.hostedDomain] } : {}),
            },
          },
        ],
      }
    : undefined;
  return {
    crds: { install: true, keep: true },
    global: { domain: spec.hostname, networkPolicy: { create: true } },
    configs: {
      cm: {
        "admin.enabled": spec.adminLogin,
        "exec.enabled": false,
        url: `https://${spec.hostname}`,
        ...(dex ? { "dex.config": JSON.stringify(dex) } : {}),
        "resource.customizations.health.gateway.networking.k8s.io_HTTPRoute": httpRouteHealthLua,
        "timeout.reconciliation": "180s",
      },
      params: { "server.insecure": false },
      rbac: { "policy.default": "", "policy.csv": `${csv.join("\n")}\n`, scopes: "[groups, email]" },
      secret: { createSecret: true },
    },
    controller: { resources: resources("1", "2Gi") },
    server: { resources: resources("250m", "512Mi") },
    repoServer: { resources: resources("500m", "1Gi") },
    applicationSet: { resources: resources("100m", "256Mi") },
    notifications: { enabled: true, resources: resources("100m", "128Mi") },
    dex: { enabled: spec.sso !== undefined, resources: resources("100m", "128Mi") },
    redis: { resources: resources("250m", "256Mi") },
  };
}

/** Dotted paths of the values' leaves (objects of the `resources` keys are one leaf). */
export function valuePaths(values: Record<string, unknown>, prefix = ""): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    // configs.cm / params / rbac are maps passed to Argo CD's ConfigMaps: their keys are one segment.
    const seg = k.includes(".") || ["configs.cm", "configs.params", "configs.rbac"].includes(prefix) ? `[${k}]` : k;
    const path = prefix ? `${prefix}.${seg}` : seg;
    if (v && typeof v === "object" && !Array.isArray(v) && k !== "resources") out.push(...valuePaths(v as Record<string, unknown>, path));
    else out.push(path);
  }
  return out;
}

/** The values' keys that are not documented keys of the pinned chart. */
export function undocumentedValues(values: Record<string, unknown>): string[] {
  return valuePaths(values).filter((p) => !documentedKeys.includes(p));
}
