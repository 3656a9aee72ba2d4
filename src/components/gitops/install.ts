/**
 * Argo CD for a gitops environment, from the brume config (the wiring of `ArgoCd`): the rendered
 * directories (one Application each), the environment's sync policy, SSO, admin login and the
 * access groups that may sync (owner, admin) or read (developer, viewer).
 */
import * as pulumi from "@pulumi/pulumi";
import { adminLoginFor, syncPolicyFor } from "../../config/rules-gitops.js";
import type { BrumeConfig } from "../../config/schema.js";
import type { Environment } from "../environment/environment.js";
import { fqdn } from "../network/dns.js";
import { ArgoCd } from "./argocd.js";

/** Directories `brume render` writes for these services (and the shared `_namespace`). */
export function renderedDirectories(serviceKeys: readonly string[]): string[] {
  return ["_namespace", ...[...serviceKeys].sort()];
}

export function installArgoCd(
  parent: pulumi.Resource,
  name: string,
  args: { config: BrumeConfig; environment: Environment; namespace: string; namespaceResource: pulumi.Resource; serviceKeys: string[] },
  opts: pulumi.ComponentResourceOptions,
): ArgoCd | undefined {
  const { config, environment: env } = args;
  const g = config.gitops;
  const resolved = env.environment;
  if (!g || config.environments[resolved.name]?.delivery !== "gitops") return undefined;
  const groups = config.access?.groups;
  const secretId = (s: string) => env.naming.name(s, "secretId");
  return new ArgoCd(
    `${name}-argocd`,
    {
      provider: env.cluster.provider,
      crdGate: env.cluster.crdGate,
      endpoint: env.cluster.endpoint,
      caCertificate: env.cluster.cluster.masterAuth.apply((a) => a.clusterCaCertificate ?? ""),
      clusterName: `${name}-cluster`,
      project: resolved.gcpProject,
      naming: env.naming,
      workloadPool: env.cluster.workloadPool,
      environment: resolved.name,
      namespace: args.namespace,
      namespaceResource: args.namespaceResource,
      repository: g.repository,
      branch: g.branch,
      root: `${g.path}/${resolved.name}`,
      directories: renderedDirectories(args.serviceKeys),
      sync: syncPolicyFor(config, resolved.name),
      credentials: {
        type: g.credentials.type,
        secretId: secretId(g.credentials.secret),
        ...(g.credentials.appId ? { appId: g.credentials.appId } : {}),
        ...(g.credentials.installationId ? { installationId: g.credentials.installationId } : {}),
      },
      ...(g.argocd.sso ? { ssoSecretId: secretId(g.argocd.sso.clientSecret) } : {}),
      values: {
        hostname: g.argocd.hostname ?? `argocd.${fqdn(resolved.domain ?? "").replace(/\.$/, "")}`,
        adminLogin: adminLoginFor(config, resolved.name),
        ...(g.argocd.sso ? { sso: { clientId: g.argocd.sso.clientId, ...(g.argocd.sso.hostedDomain ? { hostedDomain: g.argocd.sso.hostedDomain } : {}) } } : {}),
        groups: { sync: [...(groups?.owner ?? []), ...(groups?.admin ?? [])], read: [...(groups?.developer ?? []), ...(groups?.viewer ?? [])] },
      },
      secrets: [g.credentials.secret, ...(g.argocd.sso ? [g.argocd.sso.clientSecret] : [])].flatMap((s) => (env.secrets[s] ? [env.secrets[s]!] : [])),
      labels: { environment: resolved.name, "app.kubernetes.io/managed-by": "brume" },
    },
    opts,
  );
}
