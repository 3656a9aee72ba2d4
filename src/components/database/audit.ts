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
 *
 * `grant` adds the database grants Job (src/render/database-grants.ts) the same way, in the same
 * namespace, with the same identity and login: it runs once the services' logins exist (their
 * `gcp.sql.User` resources: the SQL is built from their name outputs, and the Job depends on them).
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import { databaseJobIdentity } from "./database-job-identity.js";
import type { Naming } from "../../config/naming.js";
import { databaseGrantsSql, grantsJobScript, grantsSqlDir, grantsSqlFile } from "../../render/database-grants.js";
import { auditedDatabases, databaseJobManifest, databaseJobName, pgauditActivationSql, pgauditJobName, pgauditJobScript, pgauditSqlPath } from "../../render/pgaudit.js";

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

/** The grants of one logical database: its owner's and its other users' Cloud SQL users. */
export interface DatabaseUserGrants {
  /** Logical database (`DB_NAME`). */
  database: string;
  /** The user that owns schema `public` and runs the migrations. */
  owner: gcp.sql.User;
  /** The other users: read and write on the owner's tables (the owner may be listed; it is skipped). */
  users: gcp.sql.User[];
}

/** The grants Job of an instance and what it runs. */
export interface DatabaseGrantsJob {
  job: k8s.batch.v1.Job;
  configMap: k8s.core.v1.ConfigMap;
  /** `grants-<hash>` of the SQL (from the users' names) and the script. */
  jobName: pulumi.Output<string>;
  /** The SQL by ConfigMap key (`<database>.sql`). */
  sql: pulumi.Output<Record<string, string>>;
  script: string;
}

/**
 * `brume:database:AuditActivation` — turns pgAudit on in every database of one Cloud SQL instance: a
 * Kubernetes Job on the environment's cluster runs `CREATE EXTENSION pgaudit` through the Cloud SQL Auth
 * Proxy, in a namespace of its own, as a Google service account holding `roles/cloudsql.client` on that
 * instance only (Workload Identity); `grant` adds the database grants Job. See `docs/operations.md`
 * ("pgAudit is active").
 */
export class AuditActivation extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly job: k8s.batch.v1.Job;
  /** `pgaudit-<hash>`: changes exactly when what the Job runs changes. */
  readonly jobName: string;
  /** The rendered SQL and script (plain). */
  readonly sql: string;
  readonly script: string;
  /** The grants Job (see `grant`). */
  grants?: DatabaseGrantsJob;
  private readonly args: AuditActivationArgs;
  private readonly opts: pulumi.ComponentResourceOptions | undefined;
  private readonly namespaceName: string;
  private readonly labels: Record<string, string>;
  private readonly baseName: string;
  /** What every Job of this instance waits for: its Kubernetes identity and login password, then its GSA's bindings. */
  private readonly jobPrerequisites: { before: pulumi.Resource[]; after: pulumi.Resource[] };

  constructor(name: string, args: AuditActivationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:database:AuditActivation", name, {}, opts);
    this.sql = pgauditActivationSql({ log: args.pgauditLog });
    this.script = pgauditJobScript(auditedDatabases(args.databases));
    this.jobName = pgauditJobName(this.sql, this.script, args.instanceName);
    this.args = args;
    this.opts = opts;
    this.baseName = name;
    const namespaceName = args.naming.name([args.name, "audit"], "kubernetes");
    this.namespaceName = namespaceName;
    const ksa = "pgaudit";
    const labels = { "app.kubernetes.io/name": "pgaudit", "app.kubernetes.io/managed-by": "brume", ...args.labels };
    this.labels = labels;
    const identity = databaseJobIdentity(
      this,
      name,
      {
        project: args.project,
        accountId: args.naming.name([args.name, "audit"], "serviceAccountId"),
        displayName: `brume pgAudit activation of ${args.instanceName}`,
        description: `Workload Identity of ${namespaceName}/${ksa}: connects to ${args.instanceName} through the Cloud SQL Auth Proxy`,
        namespaceName,
        ksa,
        labels,
        provider: args.provider,
        workloadPool: args.workloadPool,
        transform: args.transform?.serviceAccount,
        // The proxy needs cloudsql.instances.connect (roles/cloudsql.client); password login needs no
        // instanceUser. Cloud SQL has no instance-level IAM: a condition on the name is the narrowest.
        grants: (serviceAccount, gcpOpts) =>
          new gcp.projects.IAMMember(
            `${name}-client`,
            {
              project: args.project,
              role: "roles/cloudsql.client",
              member: serviceAccount.member,
              condition: {
                title: `brume-${args.instanceName}-audit`.slice(0, 100),
                description: `pgAudit activation: only ${args.instanceName}`,
                expression: `resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/${args.project}/instances/${args.instanceName}"`,
              },
            },
            gcpOpts,
          ),
      },
      opts,
    );
    this.serviceAccount = identity.serviceAccount;
    this.namespace = identity.namespace;
    const { grants: client, workloadIdentity, account } = identity;
    const inNamespace = identity.kubeOpts({ dependsOn: [this.namespace] });
    const password = new k8s.core.v1.Secret(
      `${name}-password`,
      { metadata: { name: "pgaudit-login", namespace: namespaceName, labels }, type: "Opaque", stringData: { password: pulumi.secret(args.password) } },
      inNamespace,
    );
    this.jobPrerequisites = { before: [account, password], after: [workloadIdentity, client] };
    this.job = this.createJob(name, {
      jobName: this.jobName,
      container: "activate",
      sqlDir: pgauditSqlPath.slice(0, pgauditSqlPath.lastIndexOf("/")),
      sql: { [pgauditSqlPath.slice(pgauditSqlPath.lastIndexOf("/") + 1)]: this.sql },
      script: this.script,
      dependsOn: [],
    }).job;
    this.registerOutputs({ jobName: this.jobName, namespace: namespaceName });
  }

  /**
   * The grants Job: `databaseGrantsSql` for each logical database, with the users' names from
   * their resources, run after they exist; named by a hash of the SQL, so it reruns exactly when a
   * login, the owner or the SQL changes. https://cloud.google.com/sql/docs/postgres/add-manage-iam-users#grant-db-privileges
   */
  grant(grants: DatabaseUserGrants[]): DatabaseGrantsJob {
    if (this.grants) throw new Error(`AuditActivation: grant() was called twice for ${this.args.instanceName}`);
    if (grants.length === 0) throw new RangeError(`AuditActivation: grant() needs at least one database of ${this.args.instanceName}`);
    const databases = grants.map((g) => g.database);
    const script = grantsJobScript(databases);
    const sql = pulumi
      .all(grants.map((g) => pulumi.all([g.owner.name, ...g.users.map((u) => u.name)]).apply(([owner, ...users]) => [grantsSqlFile(g.database), databaseGrantsSql({ database: g.database, owner: owner!, users })] as const)))
      .apply((files) => Object.fromEntries(files) as Record<string, string>);
    const jobName = sql.apply((files) => databaseJobName("grants", Object.entries(files).map(([f, text]) => `${f}\n${text}`).join("\n"), script, this.args.instanceName));
    const { job, configMap } = this.createJob(`${this.baseName}-grants`, {
      jobName,
      container: "grant",
      sqlDir: grantsSqlDir,
      sql,
      files: databases.map(grantsSqlFile),
      script,
      // The roles exist before the Job grants them (the SQL names them from the same outputs);
      // after the pgAudit Job, so the two never run DDL in the same database at once.
      dependsOn: [this.job, ...grants.flatMap((g) => [g.owner, ...g.users])],
    });
    this.grants = { job, configMap, jobName, sql, script };
    return this.grants;
  }

  /**
   * A database Job of this instance: its SQL as an immutable ConfigMap named like the Job, and
   * the Job (src/render/pgaudit.ts `databaseJobManifest`) with the instance's connection name.
   */
  private createJob(
    name: string,
    j: {
      jobName: pulumi.Input<string>;
      container: string;
      sqlDir: string;
      sql: pulumi.Input<Record<string, pulumi.Input<string>>>;
      files?: string[];
      script: string;
      dependsOn: pulumi.Resource[];
    },
  ): { job: k8s.batch.v1.Job; configMap: k8s.core.v1.ConfigMap } {
    const args = this.args;
    const kubeOpts = (extra: pulumi.CustomResourceOptions = {}) => ({ ...childOptions(this, this.opts, extra), provider: args.provider });
    const files = j.files ?? Object.keys(j.sql as Record<string, string>);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-sql`,
      { metadata: { name: j.jobName, namespace: this.namespaceName, labels: this.labels }, immutable: true, data: j.sql },
      // Immutable and named by the hash: a new SQL is a new ConfigMap, created before the old one goes.
      kubeOpts({ dependsOn: [this.namespace] }),
    );
    const manifest = databaseJobManifest({
      name: "JOB_NAME",
      namespace: this.namespaceName,
      serviceAccountName: "pgaudit",
      connectionName: "CONNECTION_NAME",
      configMapName: "JOB_NAME",
      passwordSecretName: "pgaudit-login",
      user: args.user,
      script: j.script,
      labels: this.labels,
      container: j.container,
      sqlDir: j.sqlDir,
      sqlFiles: files,
    });
    const pod = manifest.spec.template.spec;
    const proxy = pod.initContainers[0]!;
    const job = new k8s.batch.v1.Job(
      ...transformed(
        args.transform?.job,
        `${name}-job`,
        {
          metadata: { ...manifest.metadata, name: j.jobName },
          spec: {
            ...manifest.spec,
            template: {
              ...manifest.spec.template,
              spec: {
                ...pod,
                // The connection name is the instance's output (a real dependency), not a string we assemble.
                initContainers: [{ ...proxy, args: [...proxy.args.slice(0, -1), pulumi.output(args.connectionName)] }],
                volumes: [{ name: "sql", configMap: { name: j.jobName, items: files.map((f) => ({ key: f, path: f })) } }],
              },
            },
          },
        } satisfies k8s.batch.v1.JobArgs,
        // The pod can only connect once its identity may impersonate the GSA and the GSA may connect.
        kubeOpts({ dependsOn: [...this.jobPrerequisites.before, configMap, ...this.jobPrerequisites.after, ...j.dependsOn] }),
      ),
    );
    return { job, configMap };
  }
}
