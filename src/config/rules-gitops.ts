/**
 * Cross-field rules of the GitOps delivery (issue 18), and the resolved per-environment settings
 * (sync policy, admin login) the components, the renderer and the docs share.
 */
import { defaultPresetFor } from "./presets.js";
import type { BrumeConfig } from "./schema.js";
import type { SyncPolicy } from "./schema-gitops.js";

type Add = (path: string, message: string, value?: unknown) => void;

function presetOf(config: BrumeConfig, env: string): string {
  return config.environments[env]?.preset ?? defaultPresetFor(env);
}

/** The environment's Argo CD sync policy: the config's, else automated (prune, self-heal) except production: manual. */
export function syncPolicyFor(config: BrumeConfig, env: string): SyncPolicy {
  const own = config.gitops?.sync[env];
  if (own) return own;
  return presetOf(config, env) === "production" ? { automated: false, prune: true, selfHeal: true } : { automated: true, prune: true, selfHeal: true };
}

/** Argo CD's local admin login: off in production-preset environments unless explicitly allowed. */
export function adminLoginFor(config: BrumeConfig, env: string): boolean {
  return config.gitops?.argocd.adminLogin ?? presetOf(config, env) !== "production";
}

/**
 * Who applies the environment's Kubernetes objects: `apply` (pulumi delivery), `handover` (gitops,
 * still registered with retainOnDelete while Argo CD adopts them), `none` (gitops: Argo CD alone).
 */
export function kubernetesObjectsFor(config: BrumeConfig, env: string): "apply" | "handover" | "none" {
  if (config.environments[env]?.delivery !== "gitops") return "apply";
  return config.gitops?.handover.includes(env) ? "handover" : "none";
}

export function gitopsEnvironments(config: BrumeConfig): string[] {
  return Object.entries(config.environments)
    .filter(([, e]) => e.delivery === "gitops")
    .map(([name]) => name);
}

export function checkGitops(config: BrumeConfig, add: Add): void {
  const envs = gitopsEnvironments(config);
  const g = config.gitops;
  if (!g) {
    for (const env of envs) {
      add(
        `environments.${env}.delivery`,
        'delivery "gitops" needs a top-level gitops section: gitops: { repository: git@github.com:<owner>/<repo>.git, credentials: { type: deployKey, secret: <declared secret> } } (docs/gitops.md), or set delivery: pulumi',
        "gitops",
      );
    }
    return;
  }
  const secrets = Object.keys(config.secrets);
  const declared = (name: string) => Object.hasOwn(config.secrets, name);
  const c = g.credentials;
  if (!declared(c.secret)) {
    add("gitops.credentials.secret", `unknown secret "${c.secret}"; declare it under secrets (declared: ${secrets.join(", ") || "none"}) and add its value with gcloud secrets versions add`, c.secret);
  }
  const ssh = !g.repository.startsWith("https://");
  if (c.type === "deployKey" && !ssh) {
    add("gitops.repository", "a deploy key authenticates over SSH: use the SSH URL (git@github.com:<owner>/<repo>.git), or credentials.type: githubApp for HTTPS", g.repository);
  }
  if (c.type === "githubApp") {
    if (ssh) add("gitops.repository", "a GitHub App authenticates over HTTPS: use https://github.com/<owner>/<repo>.git, or credentials.type: deployKey for SSH", g.repository);
    for (const key of ["appId", "installationId"] as const) {
      if (c[key] === undefined) add(`gitops.credentials.${key}`, `credentials.type githubApp needs ${key} (the App's settings page on GitHub shows it)`);
    }
  } else {
    for (const key of ["appId", "installationId"] as const) {
      if (c[key] !== undefined) add(`gitops.credentials.${key}`, `${key} is only for credentials.type githubApp; remove it or set type: githubApp`, c[key]);
    }
  }
  for (const env of Object.keys(g.sync)) {
    if (!Object.hasOwn(config.environments, env)) {
      add(`gitops.sync.${env}`, `unknown environment "${env}"; declared environments: ${Object.keys(config.environments).join(", ")}`, env);
    } else if (config.environments[env]!.delivery !== "gitops") {
      add(`gitops.sync.${env}`, `environment "${env}" is delivered by pulumi; set environments.${env}.delivery: gitops or remove this sync policy`);
    }
  }
  g.handover.forEach((env, i) => {
    if (!Object.hasOwn(config.environments, env)) add(`gitops.handover[${i}]`, `unknown environment "${env}"; declared environments: ${Object.keys(config.environments).join(", ")}`, env);
    else if (config.environments[env]!.delivery !== "gitops") {
      add(`gitops.handover[${i}]`, `environment "${env}" is delivered by pulumi: a handover is the step to gitops; set environments.${env}.delivery: gitops (the way back needs no handover, docs/gitops.md)`, env);
    }
  });
  const sso = g.argocd.sso;
  if (sso && !declared(sso.clientSecret)) {
    add("gitops.argocd.sso.clientSecret", `unknown secret "${sso.clientSecret}"; declare it under secrets (declared: ${secrets.join(", ") || "none"})`, sso.clientSecret);
  }
  for (const env of envs) {
    if (!adminLoginFor(config, env) && !sso) {
      add(
        "gitops.argocd.sso",
        `Argo CD of environment "${env}" has admin login off (production preset): without sso nobody can log in; add gitops.argocd.sso { clientId, clientSecret } (Google OIDC), or set gitops.argocd.adminLogin: true (weaker)`,
      );
    }
    if (!config.environments[env]!.domain && !g.argocd.hostname) {
      add(`environments.${env}.domain`, `Argo CD's UI needs a host on the internal Gateway: set environments.${env}.domain (argocd.<domain>) or gitops.argocd.hostname`);
    }
  }
}
