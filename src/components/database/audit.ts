/**
 * `brume:database:AuditActivation` — turns pgAudit on in every database of a Cloud SQL instance
 * (gcp-review 26): the instance flags load pgAudit, but each database needs
 * `CREATE EXTENSION pgaudit` (https://cloud.google.com/sql/docs/postgres/pg-audit). A Kubernetes
 * Job on the environment's cluster (in the VPC) runs the idempotent SQL of src/render/pgaudit.ts
 * through the Cloud SQL Auth Proxy as a built-in user (a `cloudsqlsuperuser` member, the role
 * CREATE EXTENSION needs on Cloud SQL).
 *
 * Children: a namespace of its own (`<prefix>-<db>-audit`: no service NetworkPolicies to open), a
 * Google service account with `roles/cloudsql.client` on this instance only (an IAM condition on
 * its name) bound to the Job's Kubernetes service account through Workload Identity (the member is
 * built from the cluster's workload pool, so it waits for the cluster), the login password as a
 * Kubernetes Secret, the SQL as an immutable ConfigMap and the Job, both named by a hash of what
 * they run: a changed SQL is a new Job (a Job's pod template is immutable), an unchanged one is
 * never rerun. Pulumi waits for the Job to complete, so a failed activation fails the deploy.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { auditedDatabases, pgauditActivationSql, pgauditJobManifest, pgauditJobName, pgauditJobScript } from "../../render/pgaudit.js";

export interface AuditActivationArgs {
  /** GCP project of the instance (and of the service account). */
  project: string;
  naming: Naming;
  /** Name of the database in brume.yaml (its key under `databases`). */
  name: string;
  /** Physical instance name (plain: the IAM condition names it). */
  instanceName: string;
  /** `<project>:<region>:<instance>`, from the instance. */
  connectionName: pulumi.Input<string>;
  /** Logical databases of the instance; `postgres` is added. */
  databases: string[];
  /** `pgaudit.log` as the instance flags set it (the SQL checks it). */
  pgauditLog: string;
  /** Built-in user the Job logs in as, and its password (a secret). */
  user: string;
  password: pulumi.Input<string>;
  /** Kubernetes provider of the environment's cluster. */
  provider: k8s.Provider;
  /** The cluster's Workload Identity pool (`<project>.svc.id.goog`), from the cluster. */
  workloadPool: pulumi.Input<string>;
  /** Labels on the service account's Kubernetes objects. @default {} */
  labels?: Record<string, string>;
  transform?: {
    serviceAccount?: Transform<gcp.serviceaccount.AccountArgs>;
    job?: Transform<k8s.batch.v1.JobArgs>;
  };
}

export class AuditActivation extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly job: k8s.batch.v1.Job;
  /** `pgaudit-<hash>`: changes exactly when what the Job runs changes. */
  readonly jobName: string;
  /** The rendered SQL and script (plain). */
  readonly sql: string;
  readonly script: string;

  constructor(name: string, args: AuditActivationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:database:AuditActivation", name, {}, opts);
    this.sql = pgauditActivationSql({ log: args.pgauditLog });
    this.script = pgauditJobScript(auditedDatabases(args.databases));
    this.jobName = pgauditJobName(this.sql, this.script, args.instanceName);
    const namespaceName = args.naming.name([args.name, "audit"], "kubernetes");
    const ksa = "pgaudit";
    const labels = { "app.kubernetes.io/name": "pgaudit", "app.kubernetes.io/managed-by": "brume", ...args.labels };
    const gcpOpts = childOptions(this, opts);
    const kubeOpts = (extra: pulumi.CustomResourceOptions = {}) => ({ ...childOptions(this, opts, extra), provider: args.provider });

    this.serviceAccount = new gcp.serviceaccount.Account(
      ...transformed(
        args.transform?.serviceAccount,
        `${name}-gsa`,
        {
          project: args.project,
          accountId: args.naming.name([args.name, "audit"], "serviceAccountId"),
          displayName: `brume pgAudit activation of ${args.instanceName}`,
          description: `Workload Identity of ${namespaceName}/${ksa}: connects to ${args.instanceName} through the Cloud SQL Auth Proxy`,
        } satisfies gcp.serviceaccount.AccountArgs,
        gcpOpts,
      ),
    );
    // The proxy needs cloudsql.instances.connect (roles/cloudsql.client); password login needs no
    // instanceUser. Cloud SQL has no instance-level IAM: a condition on the name is the narrowest.
    const client = new gcp.projects.IAMMember(
      `${name}-client`,
      {
        project: args.project,
        role: "roles/cloudsql.client",
        member: this.serviceAccount.member,
        condition: {
          title: `brume-${args.instanceName}-audit`.slice(0, 100),
          description: `pgAudit activation: only ${args.instanceName}`,
          expression: `resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/${args.project}/instances/${args.instanceName}"`,
        },
      },
      gcpOpts,
    );
    const workloadIdentity = new gcp.serviceaccount.IAMMember(
      `${name}-workload-identity`,
      {
        serviceAccountId: this.serviceAccount.name,
        role: "roles/iam.workloadIdentityUser",
        // From the cluster's output: the pool exists only once the cluster does (gcp-review 1).
        member: pulumi.interpolate`serviceAccount:${args.workloadPool}[${namespaceName}/${ksa}]`,
      },
      gcpOpts,
    );

    this.namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      { metadata: { name: namespaceName, labels: { ...labels, "pod-security.kubernetes.io/enforce": "restricted" } } },
      kubeOpts(),
    );
    const inNamespace = kubeOpts({ dependsOn: [this.namespace] });
    const account = new k8s.core.v1.ServiceAccount(
      `${name}-ksa`,
      {
        metadata: { name: ksa, namespace: namespaceName, labels, annotations: { "iam.gke.io/gcp-service-account": this.serviceAccount.email } },
        automountServiceAccountToken: true,
      },
      inNamespace,
    );
    const password = new k8s.core.v1.Secret(
      `${name}-password`,
      { metadata: { name: "pgaudit-login", namespace: namespaceName, labels }, type: "Opaque", stringData: { password: pulumi.secret(args.password) } },
      inNamespace,
    );
    const sql = new k8s.core.v1.ConfigMap(
      `${name}-sql`,
      { metadata: { name: this.jobName, namespace: namespaceName, labels }, immutable: true, data: { "activate.sql": this.sql } },
      // Immutable and named by the hash: a new SQL is a new ConfigMap, created before the old one goes.
      inNamespace,
    );
    const manifest = pgauditJobManifest({
      name: this.jobName,
      namespace: namespaceName,
      serviceAccountName: ksa,
      connectionName: "CONNECTION_NAME",
      configMapName: this.jobName,
      passwordSecretName: "pgaudit-login",
      user: args.user,
      script: this.script,
      labels,
    });
    const proxy = manifest.spec.template.spec.initContainers[0]!;
    this.job = new k8s.batch.v1.Job(
      ...transformed(
        args.transform?.job,
        `${name}-job`,
        {
          metadata: manifest.metadata,
          spec: {
            ...manifest.spec,
            template: {
              ...manifest.spec.template,
              spec: {
                ...manifest.spec.template.spec,
                // The connection name is the instance's output (a real dependency), not a string we assemble.
                initContainers: [{ ...proxy, args: [...proxy.args.slice(0, -1), pulumi.output(args.connectionName)] }],
              },
            },
          },
        } satisfies k8s.batch.v1.JobArgs,
        // The pod can only connect once its identity may impersonate the GSA and the GSA may connect.
        kubeOpts({ dependsOn: [account, password, sql, workloadIdentity, client] }),
      ),
    );
    this.registerOutputs({ jobName: this.jobName, namespace: namespaceName });
  }
}
