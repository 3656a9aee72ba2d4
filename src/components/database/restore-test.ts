/**
 * `brume:database:RestoreTest` — a scheduled restore test of one Cloud SQL instance (issue 17 item
 * 7, seed 002 "Backup validation: regular restore testing"): a Kubernetes CronJob on the
 * environment's cluster clones the instance to its latest recovery time, runs a check query in the
 * clone, logs one JSON report line and always deletes the clone (src/render/restore-test.ts). A
 * log-based alert sends failures to the environment's notification channels.
 *
 * Where it runs: the instances have private IPs only, and the cluster is already in the VPC with
 * Workload Identity, Binary Authorization and the pinned images of the pgAudit Job. A Cloud Run job
 * with Direct VPC egress would reach the private IP too, but needs its own API, a Cloud Scheduler
 * job with an invoker identity, a Binary Authorization policy for Cloud Run and an egress subnet:
 * more moving parts for a weekly hour.
 *
 * Who may do what. Cloud SQL has no instance-level IAM: project bindings with IAM conditions on the
 * resource name are the narrowest grant ("Allowing users to create instances with specific prefixes
 * or suffixes", "Allowing users to delete development and test instances, but not production
 * instances": https://cloud.google.com/sql/docs/postgres/iam-conditions). Three custom roles,
 * permissions from https://cloud.google.com/sql/docs/postgres/iam-permissions:
 * - source (conditioned on the instance and its sub-resources): `cloudsql.instances.clone`, and
 *   `cloudsql.backupRuns.list`/`get` for the backup-age check. No export, connect or update.
 * - clones (conditioned on `resource.name.startsWith(<instance>-rt-)`): create (the clone), update
 *   (lift the inherited deletion protection, the SSL mode), delete, `cloudsql.users.update` (the
 *   check user's password on the clone).
 * - observer (no condition): `cloudsql.instances.get`/`list`. Operations are project resources
 *   (`projects/<p>/operations/<id>`, "Get the operations of an instance: cloudsql.instances.get"),
 *   which a condition on instance names would never match; `list` is checked on the project.
 * The roles are created by `brume bootstrap` (run by a project owner), never by the environment
 * stack: a deploy identity that could edit a custom role it may also grant could widen its own
 * grants (issue 17 item 3). The environment stack only binds them.
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { transformed, type Transform } from "../child-resources/transform.js";
import { databaseJobIdentity } from "./database-job-identity.js";
import type { Naming } from "../../config/naming.js";
import type { RestoreTestConfig } from "../../config/schema-restore.js";
import type { CustomRoleSpec } from "../security/read-only-roles.js";
import {
  cleanupReserveSeconds,
  restoreCheckScript,
  restoreTestCronJobManifest,
  restoreTestFailureFilter,
  restoreTestScript,
  temporaryInstancePrefix,
} from "../../render/restore-test.js";

/** The custom roles of the restore test (created by `brume bootstrap`, bound here). */
export const restoreTestRoles = {
  source: {
    roleId: "brumeRestoreTestSource",
    title: "brume restore test: source instance",
    description: "Clones a Cloud SQL instance and lists its backups (bound with a condition on the instance name)",
    permissions: ["cloudsql.backupRuns.get", "cloudsql.backupRuns.list", "cloudsql.instances.clone"],
  },
  clones: {
    roleId: "brumeRestoreTestClones",
    title: "brume restore test: temporary clones",
    description: "Creates, prepares and deletes the restore test's temporary instances (bound with a condition on their name prefix)",
    permissions: ["cloudsql.instances.create", "cloudsql.instances.delete", "cloudsql.instances.update", "cloudsql.users.update"],
  },
  observer: {
    roleId: "brumeRestoreTestObserver",
    title: "brume restore test: operations",
    description: "Reads Cloud SQL instances and operations (waiting for a clone): no data, no export",
    permissions: ["cloudsql.instances.get", "cloudsql.instances.list"],
  },
} as const satisfies Record<string, CustomRoleSpec>;

/** `projects/<project>/roles/<id>`: the role name a binding takes. */
export function customRoleName(project: string, role: CustomRoleSpec): string {
  return `projects/${project}/roles/${role.roleId}`;
}

/** The restore-test roles an environment's plan grants (bootstrap creates exactly these). */
export function grantedRestoreTestRoles(project: string, grantedRoles: readonly string[]): CustomRoleSpec[] {
  return Object.values(restoreTestRoles).filter((r) => grantedRoles.includes(customRoleName(project, r)));
}

/** The IAM condition expressions of the source and clone bindings. */
export function restoreTestConditions(project: string, instance: string): { source: string; clones: string } {
  const base = `projects/${project}/instances/`;
  return {
    // Names only: backup runs are sub-resources of the instance, with their own resource type.
    source: `resource.name == "${base}${instance}" || resource.name.startsWith("${base}${instance}/")`,
    clones: `resource.name.startsWith("${base}${temporaryInstancePrefix(project, instance)}")`,
  };
}

export interface RestoreTestArgs {
  project: string;
  naming: Naming;
  /** Name of the database in brume.yaml (its key under `databases`). */
  name: string;
  /** Physical instance name (plain: the conditions and the script name it). */
  instanceName: string;
  /** `databases.<name>.restoreTest`, with defaults. */
  config: RestoreTestConfig;
  /** Logical database and built-in user of the check (the config's or the instance's first). */
  database: string;
  user: string;
  /** The instance requires client certificates (the clone is relaxed to ENCRYPTED_ONLY for the check). */
  requireClientCertificates: boolean;
  /** Kubernetes provider of the environment's cluster. */
  provider: k8s.Provider;
  /** The cluster's Workload Identity pool (`<project>.svc.id.goog`), from the cluster. */
  workloadPool: pulumi.Input<string>;
  /** Notification channels of the failure alert. @default [] */
  notificationChannels?: pulumi.Input<string>[];
  /** @default {} */
  labels?: Record<string, string>;
  transform?: {
    serviceAccount?: Transform<gcp.serviceaccount.AccountArgs>;
    cronJob?: Transform<k8s.batch.v1.CronJobArgs>;
    alert?: Transform<gcp.monitoring.AlertPolicyArgs>;
  };
}

/**
 * `brume:database:RestoreTest` — a scheduled restore test of one Cloud SQL instance: a Kubernetes CronJob
 * on the environment's cluster clones the instance, runs a check query in the clone and deletes it, and a
 * log-based alert policy sends failures to the notification channels; it binds custom roles that `brume
 * bootstrap` creates. See `docs/recovery.md`.
 */
export class RestoreTest extends pulumi.ComponentResource {
  readonly namespace: k8s.core.v1.Namespace;
  readonly serviceAccount: gcp.serviceaccount.Account;
  /** The three role bindings, by role (source, clones, observer). */
  readonly grants: Record<keyof typeof restoreTestRoles, gcp.projects.IAMMember>;
  readonly cronJob: k8s.batch.v1.CronJob;
  readonly failureAlert: gcp.monitoring.AlertPolicy;
  /** Every clone's name starts with it. */
  readonly temporaryPrefix: string;
  readonly namespaceName: string;
  /** The rendered scripts (plain). */
  readonly restoreScript: string;
  readonly checkScript: string;

  constructor(name: string, args: RestoreTestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:database:RestoreTest", name, {}, opts);
    const c = args.config;
    const deadlineSeconds = c.timeoutMinutes * 60;
    const workSeconds = deadlineSeconds - cleanupReserveSeconds;
    this.temporaryPrefix = temporaryInstancePrefix(args.project, args.instanceName);
    this.restoreScript = restoreTestScript({
      project: args.project,
      instance: args.instanceName,
      prefix: this.temporaryPrefix,
      database: args.database,
      user: args.user,
      minimum: c.minimum,
      maxBackupAgeHours: c.maxBackupAgeHours,
      maxRecoveryLagMinutes: c.maxRecoveryLagMinutes,
      workSeconds,
      relaxClientCertificates: args.requireClientCertificates,
    });
    this.checkScript = restoreCheckScript({ query: c.query, waitSeconds: workSeconds });
    this.namespaceName = args.naming.name([args.name, "restore"], "kubernetes");
    const ksa = "restore-test";
    const labels = { "app.kubernetes.io/name": "restore-test", "app.kubernetes.io/managed-by": "brume", ...args.labels };
    const identity = databaseJobIdentity(
      this,
      name,
      {
        project: args.project,
        accountId: args.naming.name([args.name, "restore"], "serviceAccountId"),
        displayName: `brume restore test of ${args.instanceName}`,
        description: `Workload Identity of ${this.namespaceName}/${ksa}: clones ${args.instanceName} to ${this.temporaryPrefix}*, checks and deletes the clone`,
        namespaceName: this.namespaceName,
        ksa,
        labels,
        provider: args.provider,
        workloadPool: args.workloadPool,
        transform: args.transform?.serviceAccount,
        grants: (serviceAccount, gcpOpts) => this.createGrants(name, args, serviceAccount, gcpOpts),
      },
      opts,
    );
    this.serviceAccount = identity.serviceAccount;
    this.grants = identity.grants;
    this.namespace = identity.namespace;
    const { gcpOpts, kubeOpts, workloadIdentity, account } = identity;
    const manifest = restoreTestCronJobManifest({
      name: "restore-test",
      namespace: this.namespaceName,
      serviceAccountName: ksa,
      schedule: c.schedule,
      timeZone: c.timeZone,
      deadlineSeconds,
      restoreScript: this.restoreScript,
      checkScript: this.checkScript,
      labels,
      // The cost estimate prices the clone from these (src/review/cost).
      // A run typically holds its clone about an hour (creation, check, deletion); the deadline bounds it.
      annotations: { "brume.dev/restores": args.instanceName, "brume.dev/clone-hours": "1", "brume.dev/clone-max-hours": String(c.timeoutMinutes / 60) },
    });
    this.cronJob = new k8s.batch.v1.CronJob(
      ...transformed(
        args.transform?.cronJob,
        `${name}-cronjob`,
        { metadata: manifest.metadata, spec: manifest.spec } satisfies k8s.batch.v1.CronJobArgs,
        // A run can only clone once its identity may impersonate the GSA and the GSA holds the roles.
        kubeOpts({ dependsOn: [account, workloadIdentity, ...Object.values(this.grants)] }),
      ),
    );
    this.failureAlert = new gcp.monitoring.AlertPolicy(
      ...transformed(
        args.transform?.alert,
        `${name}-failure-alert`,
        {
          project: args.project,
          displayName: `[${args.naming.prefix}] Restore test of ${args.instanceName} failed`,
          combiner: "OR",
          severity: "ERROR",
          conditions: [
            {
              displayName: "A restore test step failed, timed out, or left its clone behind",
              conditionMatchedLog: { filter: restoreTestFailureFilter(args.project, this.namespaceName) },
            },
          ],
          notificationChannels: args.notificationChannels ?? [],
          alertStrategy: { notificationRateLimit: { period: "3600s" }, autoClose: "604800s" },
          documentation: {
            content: `The scheduled restore test of ${args.instanceName} failed: the backups or the point-in-time recovery may not restore. The log line names the stage (backup, recovery-time, clone, wait, prepare, check, cleanup) and the message. A \`cleanup-failed\` line means a clone (${this.temporaryPrefix}*) is still running and billed: delete it (docs/recovery.md, "Restore test").`,
            mimeType: "text/markdown",
          },
          userLabels: args.labels ?? {},
        },
        gcpOpts,
      ),
    );
    this.registerOutputs({ namespace: this.namespaceName, temporaryPrefix: this.temporaryPrefix, schedule: c.schedule });
  }

  private createGrants(name: string, args: RestoreTestArgs, serviceAccount: gcp.serviceaccount.Account, opts: pulumi.CustomResourceOptions): RestoreTest["grants"] {
    const conditions = restoreTestConditions(args.project, args.instanceName);
    const grant = (part: keyof typeof restoreTestRoles, condition?: { title: string; description: string; expression: string }) =>
      new gcp.projects.IAMMember(
        `${name}-${part}`,
        { project: args.project, role: customRoleName(args.project, restoreTestRoles[part]), member: serviceAccount.member, ...(condition ? { condition } : {}) },
        opts,
      );
    return {
      source: grant("source", { title: `brume-${args.instanceName}-restore-source`.slice(0, 100), description: `Restore test: clone ${args.instanceName} only`, expression: conditions.source }),
      clones: grant("clones", {
        title: `brume-${args.instanceName}-restore-clones`.slice(0, 100),
        description: `Restore test: only instances named ${this.temporaryPrefix}*`,
        expression: conditions.clones,
      }),
      observer: grant("observer"),
    };
  }
}
