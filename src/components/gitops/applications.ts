/**
 * Argo CD's AppProject and Applications of one environment (pure manifests, validated in tests with
 * @kubernetes-models/argo-cd). The project restricts sources to the GitOps repository and
 * destinations to the environment's namespace, allows no cluster-scoped object and no Secret
 * (secrets stay in Secret Manager). One Application per rendered directory (service, _namespace).
 */
import type { SyncPolicy } from "../../config/schema-gitops.js";

/** The in-cluster API server, as Argo CD names it. */
export const inCluster = "https://kubernetes.default.svc";
const apiVersion = "argoproj.io/v1alpha1";

export interface ArgoObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface AppProjectSpec {
  name: string;
  argocdNamespace: string;
  repository: string;
  /** The environment's namespace: the only destination. */
  namespace: string;
  description: string;
  labels: Record<string, string>;
}

export function appProjectManifest(s: AppProjectSpec): ArgoObject {
  return {
    apiVersion,
    kind: "AppProject",
    metadata: { name: s.name, namespace: s.argocdNamespace, labels: s.labels },
    spec: {
      description: s.description,
      sourceRepos: [s.repository],
      destinations: [{ server: inCluster, namespace: s.namespace }],
      // Nothing cluster-scoped: the Namespace itself is Pulumi's.
      clusterResourceWhitelist: [],
      // No Secret is ever synced from Git.
      namespaceResourceBlacklist: [{ group: "", kind: "Secret" }],
      orphanedResources: { warn: true },
    },
  };
}

export interface ApplicationSpec {
  name: string;
  argocdNamespace: string;
  project: string;
  repository: string;
  branch: string;
  /** Directory of the rendered objects, `<gitops.path>/<env>/<service>`. */
  path: string;
  namespace: string;
  sync: SyncPolicy;
  labels: Record<string, string>;
}

/**
 * Retry of a failed sync: 5 times, 10 s doubling to 3 min (Argo CD `syncPolicy.retry`,
 * https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/#automatic-retry — a GKE Gateway or
 * a CRD-backed policy can refuse the first apply while its controller catches up).
 */
export const syncRetry = { limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } } as const;

export function applicationManifest(s: ApplicationSpec): ArgoObject {
  return {
    apiVersion,
    kind: "Application",
    // No resources-finalizer: deleting the Application leaves its objects running (the way back
    // to the Pulumi delivery, docs/gitops.md; https://argo-cd.readthedocs.io/en/stable/user-guide/app_deletion/).
    metadata: { name: s.name, namespace: s.argocdNamespace, labels: s.labels },
    spec: {
      project: s.project,
      source: { repoURL: s.repository, targetRevision: s.branch, path: s.path },
      destination: { server: inCluster, namespace: s.namespace },
      syncPolicy: {
        ...(s.sync.automated ? { automated: { prune: s.sync.prune, selfHeal: s.sync.selfHeal } } : {}),
        // Server-side apply like Pulumi's provider: fields shared during a handover do not conflict.
        syncOptions: ["CreateNamespace=false", "ServerSideApply=true", "PruneLast=true", "FailOnSharedResource=true"],
        retry: syncRetry,
      },
    },
  };
}
