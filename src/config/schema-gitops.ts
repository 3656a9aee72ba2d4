/**
 * GitOps delivery (issue 18): `environments.<env>.delivery` and the `gitops` section. In a gitops
 * environment Pulumi keeps the cloud side of every service (identity, grants, policies) and installs
 * Argo CD; the services' Kubernetes objects are rendered (`brume render`) into a Git repository that
 * Argo CD syncs. Wired into schema.ts; cross-field rules in ./rules-gitops.ts.
 */
import { z } from "zod";
import { dnsLabel, domainName, strict } from "./primitives.js";

export const deliveryNames = ["pulumi", "gitops"] as const;
export type Delivery = (typeof deliveryNames)[number];

export const deliverySchema = z
  .enum(deliveryNames)
  .default("pulumi")
  .meta({
    description:
      "Who applies this environment's Kubernetes workloads: `pulumi` (pulumi up) or `gitops` (Argo CD, installed by the stack, syncs what `brume render` writes to gitops.repository; Pulumi keeps the cloud side). docs/gitops.md",
  });

/** SSH (`git@host:owner/repo.git`, `ssh://…`) or HTTPS URL of a Git repository. */
const gitUrl = z
  .string()
  .regex(/^(git@[A-Za-z0-9.-]+:[A-Za-z0-9_.\/-]+\.git|ssh:\/\/[^\s]+|https:\/\/[^\s]+)$/, {
    error: 'expected a Git URL: "git@github.com:owner/repo.git", "ssh://…" or "https://…"',
  });

export const syncPolicySchema = strict({
  automated: z.boolean().meta({ description: "Argo CD syncs every new commit by itself (false: a person presses Sync, the production approval)." }),
  prune: z.boolean().default(true).meta({ description: "With automated: delete objects that left the repository." }),
  selfHeal: z.boolean().default(true).meta({ description: "With automated: revert changes made in the cluster by hand." }),
});
export type SyncPolicy = z.output<typeof syncPolicySchema>;

export const gitopsCredentialsSchema = strict({
  type: z.enum(["deployKey", "githubApp"]).meta({ description: "A read-only SSH deploy key, or a GitHub App (HTTPS)." }),
  secret: dnsLabel.meta({
    description:
      "Name of a declared secret (top-level `secrets`) holding the SSH private key or the GitHub App's private key. Argo CD reads it from Secret Manager through GKE Secret Sync: never in Pulumi state or Helm values.",
  }),
  appId: z.string().regex(/^[0-9]+$/).optional().meta({ description: "GitHub App id (type githubApp)." }),
  installationId: z.string().regex(/^[0-9]+$/).optional().meta({ description: "GitHub App installation id (type githubApp)." }),
});

export const argocdSsoSchema = strict({
  provider: z.literal("google").default("google").meta({ description: "Google OIDC through Argo CD's bundled Dex." }),
  clientId: z.string().min(1).meta({ description: "OAuth client id (not a secret)." }),
  clientSecret: dnsLabel.meta({ description: "Name of a declared secret holding the OAuth client secret (read from Secret Manager, never in values)." }),
  hostedDomain: domainName.optional().meta({ description: "Only accounts of this Google Workspace domain may log in." }),
});

export const argocdSchema = strict({
  hostname: domainName.optional().meta({
    description: "Host of the Argo CD UI on the environment's internal Gateway (default: argocd.<environment domain>).",
  }),
  sso: argocdSsoSchema.optional().meta({ description: "Single sign-on; required where admin login is off (production)." }),
  adminLogin: z
    .boolean()
    .optional()
    .meta({ description: "Allow the local admin password login. Default: off in production-preset environments, on elsewhere." }),
});

export const gitopsSchema = strict({
  repository: gitUrl.meta({
    description: "The GitOps repository Argo CD syncs from (a separate repository: CI writes to it, Argo CD reads it).",
    examples: ["git@github.com:bro-ai/platform-deploy.git"],
  }),
  branch: z.string().min(1).default("main").meta({ description: "Branch Argo CD tracks." }),
  path: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, { error: "expected a relative directory, e.g. environments" })
    // `brume render` replaces <path>/<env>/ in the checkout: it must stay inside it.
    .refine((p) => !p.split("/").some((seg) => seg === "." || seg === ".."), { error: 'expected a directory inside the repository (no "." or ".." segments)' })
    .default("environments")
    .meta({ description: "Directory of the rendered environments: <path>/<env>/<service>/ and <path>/<env>/_namespace/." }),
  credentials: gitopsCredentialsSchema,
  sync: z
    .record(dnsLabel, syncPolicySchema)
    .default({})
    .meta({
      description:
        "Sync policy per environment. Default: automated with prune and self-heal, except production-preset environments: manual sync (the approval).",
    }),
  argocd: argocdSchema.prefault({}),
  handover: z
    .array(dnsLabel)
    .default([])
    .meta({
      description:
        "Environments moving from pulumi to gitops delivery: Pulumi keeps registering their Kubernetes objects with retainOnDelete while Argo CD adopts them; removing the name afterwards makes the next pulumi up forget them (never delete). docs/gitops.md",
    }),
});
export type GitopsConfig = z.output<typeof gitopsSchema>;
