/**
 * `brume:database:DatabaseBackup` — scheduled logical exports of a Cloud SQL instance to a
 * versioned bucket in the DR region, on top of the instance's own automated backups and PITR
 * (which live in the primary's region). Cloud Scheduler calls the Cloud SQL Admin API
 * (`instances.export`) with an OAuth token of a dedicated service account that holds only
 * `roles/cloudsql.viewer` (which carries `cloudsql.instances.export`). Each export overwrites one
 * object per database; bucket versioning keeps the previous exports for `retentionDays`. A log
 * alert fires when a run or an export fails.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { environmentBucketName } from "../storage/bucket.js";

export interface DatabaseBackupArgs {
  project: string;
  /** Region of the instance (and of the scheduler jobs). */
  region: string;
  /** Region of the export bucket: the DR region. */
  drRegion: string;
  naming: Naming;
  /** Config key of the database (`databases.<name>`). */
  name: string;
  /** Physical name of the Cloud SQL instance. */
  instanceName: string;
  /** The instance's service account (it writes the export files). */
  instanceServiceAccount: pulumi.Input<string>;
  /** Logical databases, one export job each (Postgres exports one database per file). */
  databases: string[];
  /** Cron schedule. @default "0 *\/6 * * *" */
  schedule?: string;
  /** @default "Etc/UTC" */
  timeZone?: string;
  /** Days a previous export is kept (noncurrent versions). @default 30 */
  retentionDays?: number;
  /** Notification channels of the failure alert. @default [] */
  notificationChannels?: pulumi.Input<string>[];
  protect: boolean;
  /** @default {} */
  labels?: Record<string, string>;
  transform?: {
    bucket?: Transform<gcp.storage.BucketArgs>;
    serviceAccount?: Transform<gcp.serviceaccount.AccountArgs>;
    job?: Transform<gcp.cloudscheduler.JobArgs>;
    alert?: Transform<gcp.monitoring.AlertPolicyArgs>;
  };
}

/** Object an export writes: one per database, overwritten each run (versions keep the history). */
export function exportObjectUri(bucket: string, instance: string, database: string): string {
  return `gs://${bucket}/${instance}/${database}.sql.gz`;
}

/** The Cloud SQL Admin `instances.export` request body. */
export function exportRequestBody(bucket: string, instance: string, database: string): { exportContext: Record<string, unknown> } {
  return { exportContext: { fileType: "SQL", uri: exportObjectUri(bucket, instance, database), databases: [database], offload: true } };
}

/** Cloud SQL Admin API export endpoint of an instance. */
export function exportEndpoint(project: string, instance: string): string {
  return `https://sqladmin.googleapis.com/v1/projects/${project}/instances/${instance}/export`;
}

/** Log filter of failed runs and failed exports (the backup-failure alert). */
export function backupFailureFilter(project: string, instance: string, jobNames: string[]): string {
  const jobs = jobNames.map((j) => `"${j}"`).join(" OR ");
  return [
    `(resource.type = "cloud_scheduler_job" AND resource.labels.job_id = (${jobs}) AND severity >= ERROR)`,
    `(resource.type = "cloudsql_database" AND resource.labels.database_id = "${project}:${instance}" AND protoPayload.methodName = "cloudsql.instances.export" AND severity >= ERROR)`,
  ].join(" OR ");
}

/**
 * `brume:database:DatabaseBackup` — scheduled logical exports of a Cloud SQL instance to a versioned
 * bucket in the DR region: a Cloud Scheduler job calls `instances.export` as a dedicated service account
 * holding only `roles/cloudsql.viewer`, and a log-based alert policy fires when a run or an export fails.
 * See `docs/operations.md` ("Backups").
 */
export class DatabaseBackup extends pulumi.ComponentResource {
  readonly bucket: gcp.storage.Bucket;
  readonly instanceWriter: gcp.storage.BucketIAMMember;
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly exporterRole: gcp.projects.IAMMember;
  /** Scheduler jobs by logical database. */
  readonly jobs: Record<string, gcp.cloudscheduler.Job>;
  readonly failureAlert: gcp.monitoring.AlertPolicy;
  /** Physical bucket name (plain). */
  readonly bucketName: string;

  constructor(name: string, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:database:DatabaseBackup", name, {}, opts);
    this.bucketName = environmentBucketName(args.project, args.naming, [args.name, "exports"]);
    this.bucket = this.createBucket(name, args, opts);
    this.instanceWriter = new gcp.storage.BucketIAMMember(
      `${name}-instance-writer`,
      { bucket: this.bucket.name, role: "roles/storage.objectAdmin", member: pulumi.interpolate`serviceAccount:${args.instanceServiceAccount}` },
      childOptions(this, opts),
    );
    this.serviceAccount = new gcp.serviceaccount.Account(
      ...transformed(
        args.transform?.serviceAccount,
        `${name}-exporter`,
        {
          project: args.project,
          accountId: args.naming.name([args.name, "export"], "serviceAccountId"),
          displayName: `Scheduled exports of ${args.instanceName}`,
        },
        childOptions(this, opts),
      ),
    );
    this.exporterRole = new gcp.projects.IAMMember(
      `${name}-exporter-sql`,
      { project: args.project, role: "roles/cloudsql.viewer", member: this.serviceAccount.member },
      childOptions(this, opts),
    );
    this.jobs = Object.fromEntries(args.databases.map((db) => [db, this.createJob(name, db, args, opts)]));
    this.failureAlert = this.createAlert(name, args, opts);
    this.registerOutputs({ bucket: this.bucket.name });
  }

  private createBucket(name: string, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    const retention = args.retentionDays ?? 30;
    return new gcp.storage.Bucket(
      ...transformed(
        args.transform?.bucket,
        `${name}-bucket`,
        {
          project: args.project,
          name: this.bucketName,
          location: args.drRegion.toUpperCase(),
          storageClass: "STANDARD",
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          versioning: { enabled: true },
          softDeletePolicy: { retentionDurationSeconds: 7 * 86_400 },
          lifecycleRules: [
            { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: retention, withState: "ARCHIVED" } },
          ],
          forceDestroy: false,
          labels: { ...args.labels, purpose: "database-exports" },
        },
        statefulOptions(this, opts, args.protect),
      ),
    );
  }

  private createJob(name: string, db: string, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.cloudscheduler.Job(
      ...transformed(
        args.transform?.job,
        `${name}-job-${db}`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name([args.name, db, "export"]),
          description: `Export ${db} of ${args.instanceName} to gs://${this.bucketName} (DR region ${args.drRegion})`,
          schedule: args.schedule ?? "0 */6 * * *",
          timeZone: args.timeZone ?? "Etc/UTC",
          attemptDeadline: "320s",
          retryConfig: { retryCount: 3, minBackoffDuration: "60s", maxBackoffDuration: "600s" },
          httpTarget: {
            uri: exportEndpoint(args.project, args.instanceName),
            httpMethod: "POST",
            headers: { "Content-Type": "application/json" },
            body: Buffer.from(JSON.stringify(exportRequestBody(this.bucketName, args.instanceName, db))).toString("base64"),
            oauthToken: { serviceAccountEmail: this.serviceAccount.email, scope: "https://www.googleapis.com/auth/cloud-platform" },
          },
        },
        childOptions(this, opts, { dependsOn: [this.exporterRole, this.instanceWriter] }),
      ),
    );
  }

  private createAlert(name: string, args: DatabaseBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    const jobNames = args.databases.map((db) => args.naming.name([args.name, db, "export"]));
    return new gcp.monitoring.AlertPolicy(
      ...transformed(
        args.transform?.alert,
        `${name}-failure-alert`,
        {
          project: args.project,
          displayName: `[${args.naming.prefix}] Database export of ${args.instanceName} failed`,
          combiner: "OR",
          severity: "ERROR",
          conditions: [{ displayName: "Export run or export operation failed", conditionMatchedLog: { filter: backupFailureFilter(args.project, args.instanceName, jobNames) } }],
          notificationChannels: args.notificationChannels ?? [],
          alertStrategy: { notificationRateLimit: { period: "3600s" }, autoClose: "86400s" },
          documentation: {
            content: `A scheduled export of ${args.instanceName} to gs://${this.bucketName} failed: the DR copy is getting older than the RPO. Check the Cloud Scheduler job logs, then run \`brume runbook\` for the manual export command.`,
            mimeType: "text/markdown",
          },
          userLabels: args.labels ?? {},
        },
        childOptions(this, opts),
      ),
    );
  }
}
