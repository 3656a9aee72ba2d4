/**
 * The identity a database Job of the environment's cluster runs as (the pgAudit and grants Jobs
 * of ./audit.ts, the restore test's CronJob of ./restore-test.ts): a namespace of its own
 * (Pod Security `restricted`), a Google service account, its grants (given by the caller: they
 * differ per Job), the Workload Identity binding of the Job's Kubernetes service account to it,
 * and that Kubernetes service account, annotated with the GSA.
 *
 * Workload Identity: the KSA `<namespace>/<ksa>` impersonates the GSA through
 * `roles/iam.workloadIdentityUser` on the GSA, with the member
 * `serviceAccount:<project>.svc.id.goog[<namespace>/<ksa>]`, and the KSA carries the annotation
 * `iam.gke.io/gcp-service-account` (https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity).
 *
 * The resources are created in this order (GSA, grants, binding, namespace, KSA), under the
 * given names (`<name>-gsa`, `-workload-identity`, `-namespace`, `-ksa`).
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";

export interface DatabaseJobIdentityArgs<G> {
  project: string;
  /** The GSA's account id, display name and description. */
  accountId: string;
  displayName: string;
  description: string;
  /** The Job's namespace and Kubernetes service account names. */
  namespaceName: string;
  ksa: string;
  /** Labels of the namespace and the KSA. */
  labels: Record<string, string>;
  /** Kubernetes provider of the environment's cluster. */
  provider: k8s.Provider;
  /** The cluster's Workload Identity pool (`<project>.svc.id.goog`), from the cluster. */
  workloadPool: pulumi.Input<string>;
  transform?: Transform<gcp.serviceaccount.AccountArgs>;
  /** The GSA's grants, created right after it (with the GCP children's options). */
  grants: (serviceAccount: gcp.serviceaccount.Account, gcpOpts: pulumi.CustomResourceOptions) => G;
}

export interface DatabaseJobIdentity<G> {
  serviceAccount: gcp.serviceaccount.Account;
  grants: G;
  workloadIdentity: gcp.serviceaccount.IAMMember;
  namespace: k8s.core.v1.Namespace;
  account: k8s.core.v1.ServiceAccount;
  /** Options of the GCP children. */
  gcpOpts: pulumi.CustomResourceOptions;
  /** Options of the Kubernetes children (the cluster's provider), plus `extra`. */
  kubeOpts: (extra?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions;
}

/** Creates the identity of a database Job as children of `parent` (see the module comment). */
export function databaseJobIdentity<G>(
  parent: pulumi.ComponentResource,
  name: string,
  args: DatabaseJobIdentityArgs<G>,
  opts: pulumi.ComponentResourceOptions | undefined,
): DatabaseJobIdentity<G> {
  const gcpOpts = childOptions(parent, opts);
  const kubeOpts = (extra: pulumi.CustomResourceOptions = {}) => ({ ...childOptions(parent, opts, extra), provider: args.provider });
  const serviceAccount = new gcp.serviceaccount.Account(
    ...transformed(
      args.transform,
      `${name}-gsa`,
      {
        project: args.project,
        accountId: args.accountId,
        displayName: args.displayName,
        description: args.description,
      } satisfies gcp.serviceaccount.AccountArgs,
      gcpOpts,
    ),
  );
  const grants = args.grants(serviceAccount, gcpOpts);
  const workloadIdentity = new gcp.serviceaccount.IAMMember(
    `${name}-workload-identity`,
    {
      serviceAccountId: serviceAccount.name,
      role: "roles/iam.workloadIdentityUser",
      // From the cluster's output: the pool exists only once the cluster does (gcp-review 1).
      member: pulumi.interpolate`serviceAccount:${args.workloadPool}[${args.namespaceName}/${args.ksa}]`,
    },
    gcpOpts,
  );
  const namespace = new k8s.core.v1.Namespace(
    `${name}-namespace`,
    { metadata: { name: args.namespaceName, labels: { ...args.labels, "pod-security.kubernetes.io/enforce": "restricted" } } },
    kubeOpts(),
  );
  const account = new k8s.core.v1.ServiceAccount(
    `${name}-ksa`,
    {
      metadata: { name: args.ksa, namespace: args.namespaceName, labels: args.labels, annotations: { "iam.gke.io/gcp-service-account": serviceAccount.email } },
      automountServiceAccountToken: true,
    },
    kubeOpts({ dependsOn: [namespace] }),
  );
  return { serviceAccount, grants, workloadIdentity, namespace, account, gcpOpts, kubeOpts };
}
