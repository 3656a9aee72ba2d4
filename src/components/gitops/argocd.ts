/**
 * `brume:gitops:ArgoCd` — Argo CD installed by the stack in a gitops environment (issue 18, items
 * 2 and 7): the official chart through a Helm release rendered at apply time (so the chart's own
 * objects are not validated offline; its values are, against ./chart.ts), the repository
 * credentials and the SSO client secret from Secret Manager through GKE Secret Sync (never in Pulumi
 * state or Helm values), a gate that waits for Argo CD's CRDs, an AppProject restricted to the
 * repository and the environment's namespace, and one Application per rendered directory.
 *
 * Egress: the argocd namespace has no default-deny (the chart's NetworkPolicies restrict ingress
 * only), so the repo server reaches the Git host (SSH 22 / HTTPS 443) and Dex reaches Google's
 * OIDC endpoints through the environment's Cloud NAT, like every private node.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Naming } from "../../config/naming.js";
import type { SyncPolicy } from "../../config/schema-gitops.js";
import { childOptions } from "../child-resources/options.js";
import { CrdEstablished } from "../readiness/readiness.js";
import { applicationManifest, appProjectManifest } from "./applications.js";
import { argocdChart, argocdValues, undocumentedValues, type ArgocdValuesSpec } from "./chart.js";

export const argocdNamespace = "argocd";
/** Argo CD's CRDs the Applications need Established (the chart installs them: crds.install). */
export const argocdCrds = ["applications.argoproj.io", "appprojects.argoproj.io"];
/** GKE Secret Sync's custom resource (https://cloud.google.com/secret-manager/docs/sync-k8-secrets). */
const secretSyncApiVersion = "secret-sync.gke.io/v1";

export interface ArgoCdArgs {
  provider: k8s.Provider;
  /** The cluster's CRD gate (the SecretProviderClass CRD of the Secret Manager add-on). */
  crdGate: pulumi.Resource;
  /** The cluster's API endpoint and CA: the Argo CD CRD gate polls them. */
  endpoint: pulumi.Input<string>;
  caCertificate: pulumi.Input<string>;
  clusterName: string;
  project: string;
  naming: Naming;
  workloadPool: pulumi.Input<string>;
  environment: string;
  /** The environment's namespace: the AppProject's only destination. */
  namespace: string;
  namespaceResource: pulumi.Resource;
  repository: string;
  branch: string;
  /** `<gitops.path>/<env>`; one Application per directory below it. */
  root: string;
  directories: string[];
  sync: SyncPolicy;
  credentials: { type: "deployKey" | "githubApp"; secretId: string; appId?: string; installationId?: string };
  /** Secret id of the SSO client secret, when SSO is on. */
  ssoSecretId?: string;
  values: Omit<ArgocdValuesSpec, "ssoSecretName">;
  /** Resources the grants wait for (the declared secrets). */
  secrets: pulumi.Resource[];
  labels: Record<string, string>;
}

/**
 * `brume:gitops:ArgoCd` — Argo CD in a gitops environment: its namespace, the official chart as a Helm
 * release, the repository credentials and SSO client secret from Secret Manager through GKE Secret Sync, a
 * wait for Argo CD's CRDs, an AppProject restricted to the repository and one Application per rendered
 * directory. See `docs/gitops.md`.
 */
export class ArgoCd extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly release: k8s.helm.v3.Release;
  readonly crdGate: CrdEstablished;
  readonly project: k8s.apiextensions.CustomResource;
  readonly applications: Record<string, k8s.apiextensions.CustomResource>;

  constructor(name: string, args: ArgoCdArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:gitops:ArgoCd", name, {}, opts);
    const k = (extra: pulumi.CustomResourceOptions = {}) => childOptions(this, opts, { provider: args.provider, ...extra });

    this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: argocdNamespace, labels: args.labels } }, k());
    const synced = this.createSecretSync(name, args, k);
    this.release = this.createRelease(name, args, k({ dependsOn: [this.namespace, ...synced] }));
    this.crdGate = new CrdEstablished(
      `${name}-crds`,
      { endpoint: args.endpoint, caCertificate: args.caCertificate, establishedCrds: argocdCrds, clusterName: args.clusterName },
      childOptions(this, opts, { dependsOn: [this.release] }),
    );
    const afterCrds = () => k({ dependsOn: [this.crdGate, this.release] });
    const projectName = args.environment;
    this.project = new k8s.apiextensions.CustomResource(
      `${name}-project`,
      appProjectManifest({
        name: projectName,
        argocdNamespace,
        repository: args.repository,
        namespace: args.namespace,
        description: `brume environment ${args.environment}: ${args.root} of ${args.repository}`,
        labels: args.labels,
      }) as unknown as k8s.apiextensions.CustomResourceArgs,
      afterCrds(),
    );
    this.applications = {};
    for (const dir of args.directories) {
      this.applications[dir] = new k8s.apiextensions.CustomResource(
        `${name}-app-${dir}`,
        applicationManifest({
          name: `${args.environment}-${dir.replace(/^_/, "")}`,
          argocdNamespace,
          project: projectName,
          repository: args.repository,
          branch: args.branch,
          path: `${args.root}/${dir}`,
          namespace: args.namespace,
          sync: args.sync,
          labels: args.labels,
        }) as unknown as k8s.apiextensions.CustomResourceArgs,
        k({ dependsOn: [this.crdGate, this.release, this.project, args.namespaceResource] }),
      );
    }
    this.registerOutputs({ namespace: argocdNamespace, applications: Object.keys(this.applications) });
  }

  private createRelease(name: string, args: ArgoCdArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const values = argocdValues({ ...args.values, ssoSecretName: "brume-argocd-sso" });
    const unknown = undocumentedValues(values);
    if (unknown.length > 0) throw new Error(`ArgoCd ${name}: values ${unknown.join(", ")} are not documented keys of argo-cd ${argocdChart.version} (src/components/gitops/chart.ts)`);
    return new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: "argocd",
        namespace: argocdNamespace,
        chart: argocdChart.chart,
        version: argocdChart.version,
        repositoryOpts: { repo: argocdChart.repository },
        values,
        createNamespace: false,
        // Roll back a failed upgrade instead of leaving Argo CD half-upgraded.
        atomic: true,
        timeout: 600,
      },
      opts,
    );
  }

  /**
   * The repository Secret Argo CD reads (label `argocd.argoproj.io/secret-type: repository`, keys
   * `url`, `sshPrivateKey` or `githubApp*`; https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/#repositories)
   * and the SSO client secret, synced from Secret Manager by GKE Secret Sync under a dedicated
   * identity that may read only those secrets. The non-secret fields (URL, App ids) are Secret
   * Manager secrets of their own: Secret Sync fills a Kubernetes Secret from provider objects only.
   */
  private createSecretSync(name: string, args: ArgoCdArgs, k: (extra?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions): pulumi.Resource[] {
    const ksa = "brume-secret-sync";
    const gsa = new gcp.serviceaccount.Account(
      `${name}-sync-gsa`,
      { project: args.project, accountId: args.naming.name("argocd-sync", "serviceAccountId"), displayName: "brume Argo CD secret sync", description: `Workload Identity of ${argocdNamespace}/${ksa}` },
      childOptions(this, undefined),
    );
    const wi = new gcp.serviceaccount.IAMMember(
      `${name}-sync-workload-identity`,
      { serviceAccountId: gsa.name, role: "roles/iam.workloadIdentityUser", member: pulumi.interpolate`serviceAccount:${args.workloadPool}[${argocdNamespace}/${ksa}]` },
      childOptions(this, undefined),
    );
    const plain: Record<string, string> = { url: args.repository };
    if (args.credentials.type === "githubApp") {
      plain.githubAppID = args.credentials.appId ?? "";
      plain.githubAppInstallationID = args.credentials.installationId ?? "";
    }
    const fieldSecrets = Object.entries(plain).map(([key, value]) => {
      const secret = new gcp.secretmanager.Secret(
        `${name}-repo-${key.toLowerCase()}`,
        { project: args.project, secretId: args.naming.name(["argocd-repo", key.toLowerCase()], "secretId"), replication: { auto: {} }, labels: { environment: args.environment } },
        childOptions(this, undefined),
      );
      const version = new gcp.secretmanager.SecretVersion(`${name}-repo-${key.toLowerCase()}-version`, { secret: secret.id, secretData: value }, childOptions(this, undefined));
      return { key, secretId: secret.secretId, resources: [secret, version] };
    });
    const readable = [
      ...fieldSecrets.map((f) => ({ key: f.key, secretId: f.secretId as pulumi.Input<string>, after: f.resources as pulumi.Resource[] })),
      { key: args.credentials.type === "deployKey" ? "sshPrivateKey" : "githubAppPrivateKey", secretId: args.credentials.secretId, after: args.secrets },
      ...(args.ssoSecretId ? [{ key: "clientSecret", secretId: args.ssoSecretId, after: args.secrets }] : []),
    ];
    const grants = readable.map(
      (r) =>
        new gcp.secretmanager.SecretIamMember(
          `${name}-sync-${r.key.toLowerCase()}`,
          { project: args.project, secretId: r.secretId, role: "roles/secretmanager.secretAccessor", member: gsa.member },
          childOptions(this, undefined, { dependsOn: r.after }),
        ),
    );
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-sync-ksa`,
      { metadata: { name: ksa, namespace: argocdNamespace, labels: args.labels, annotations: { "iam.gke.io/gcp-service-account": gsa.email } }, automountServiceAccountToken: false },
      k({ dependsOn: [this.namespace, wi] }),
    );
    const objects = readable.map((r) => ({ resourceName: pulumi.interpolate`projects/${args.project}/secrets/${r.secretId}/versions/latest`, path: r.key }));
    const spc = new k8s.apiextensions.CustomResource(
      `${name}-sync-class`,
      {
        apiVersion: "secrets-store.csi.x-k8s.io/v1",
        kind: "SecretProviderClass",
        metadata: { name: "brume-argocd", namespace: argocdNamespace, labels: args.labels },
        spec: {
          provider: "gke",
          parameters: { secrets: pulumi.all(objects.map((o) => o.resourceName)).apply((names) => names.map((n, i) => `- resourceName: "${n}"\n  path: "${objects[i]!.path}"\n`).join("")) },
        },
      },
      k({ dependsOn: [this.namespace, args.crdGate, ...grants] }),
    );
    const sync = (suffix: string, secretName: string, labels: Record<string, string>, keys: string[]) =>
      new k8s.apiextensions.CustomResource(
        `${name}-sync-${suffix}`,
        {
          apiVersion: secretSyncApiVersion,
          kind: "SecretSync",
          metadata: { name: secretName, namespace: argocdNamespace, labels: args.labels },
          spec: {
            serviceAccountName: ksa,
            secretProviderClassName: "brume-argocd",
            secretObject: { type: "Opaque", labels, data: keys.map((key) => ({ sourcePath: key, targetKey: key })) },
          },
        },
        k({ dependsOn: [spc, account] }),
      );
    const repoKeys = readable.filter((r) => r.key !== "clientSecret").map((r) => r.key);
    return [
      sync("repository", "brume-gitops-repository", { "argocd.argoproj.io/secret-type": "repository" }, repoKeys),
      ...(args.ssoSecretId ? [sync("sso", "brume-argocd-sso", { "app.kubernetes.io/part-of": "argocd" }, ["clientSecret"])] : []),
    ];
  }
}
