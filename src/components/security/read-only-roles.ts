/**
 * Read-only roles that read no data (gcp-review 17): the preview identity of pull requests and the
 * "read-only" humans of production hold metadata reads, never a permission that exports or reads a
 * payload. Predefined viewer roles that carry one are replaced by custom roles listing exactly the
 * metadata permissions they need:
 * - `roles/cloudsql.viewer` carries `cloudsql.instances.export` (Cloud SQL IAM roles,
 *   https://cloud.google.com/sql/docs/postgres/iam-roles): a dump to any bucket the holder owns;
 * - `roles/logging.viewer` carries `logging.logEntries.list` (every application log line);
 * - `roles/artifactregistry.reader` carries `artifactregistry.repositories.downloadArtifacts`.
 * The permissions the tests rely on for the predefined roles kept are a dated snapshot with its
 * source in test/fixtures/predefined-role-permissions.json.
 */

/** Permissions that export or read data: never in a preview or viewer role. */
export const dataPermissionPatterns: readonly RegExp[] = [
  /\.export$/,
  /^cloudsql\.instances\.(export|executeSql|login|connect)$/,
  /^logging\.(private)?logEntries\.list$/i,
  /^logging\.views\.access$/,
  /^secretmanager\.versions\.access$/,
  /^storage\.objects\.get$/,
  /^bigquery\.tables\.(getData|export)$/,
  /^artifactregistry\.repositories\.downloadArtifacts$/,
  /^redis\.instances\.(getAuthString|export)$/,
  /^pubsub\.subscriptions\.consume$/,
  /^container\.secrets\.get$/,
  // Error events carry the logged message and stack trace: a log payload.
  /^errorreporting\.events\.list$/,
];

/** Whether a permission exports or reads data. */
export function isDataPermission(permission: string): boolean {
  return dataPermissionPatterns.some((p) => p.test(permission));
}

/** Metadata of Cloud SQL, logging configuration, BigQuery datasets, scheduler jobs, certificates, registries. */
export const metadataReadPermissions: readonly string[] = [
  "artifactregistry.repositories.get",
  "artifactregistry.repositories.getIamPolicy",
  "artifactregistry.repositories.list",
  "bigquery.datasets.get",
  "bigquery.datasets.getIamPolicy",
  "binaryauthorization.policy.get",
  "certificatemanager.certmapentries.get",
  "certificatemanager.certmapentries.list",
  "certificatemanager.certmaps.get",
  "certificatemanager.certmaps.list",
  "certificatemanager.certs.get",
  "certificatemanager.certs.list",
  "certificatemanager.dnsauthorizations.get",
  "certificatemanager.dnsauthorizations.list",
  "cloudscheduler.jobs.get",
  "cloudscheduler.jobs.list",
  "cloudsql.backupRuns.get",
  "cloudsql.backupRuns.list",
  "cloudsql.databases.get",
  "cloudsql.databases.list",
  "cloudsql.instances.get",
  "cloudsql.instances.list",
  "cloudsql.sslCerts.get",
  "cloudsql.sslCerts.list",
  "cloudsql.users.list",
  "logging.buckets.get",
  "logging.buckets.list",
  "logging.exclusions.get",
  "logging.exclusions.list",
  "logging.logMetrics.get",
  "logging.logMetrics.list",
  "logging.sinks.get",
  "logging.sinks.list",
];

/**
 * Predefined roles of the preview identity: each reads metadata only (their data permissions are
 * checked against the snapshot in the tests).
 */
export const previewPredefinedRoles = [
  "roles/browser",
  "roles/compute.viewer",
  "roles/container.viewer",
  "roles/redis.viewer",
  "roles/pubsub.viewer",
  "roles/secretmanager.viewer",
  "roles/storage.bucketViewer",
  "roles/dns.reader",
  "roles/cloudkms.viewer",
  "roles/iam.serviceAccountViewer",
  "roles/iam.securityReviewer",
  "roles/serviceusage.serviceUsageViewer",
  "roles/monitoring.viewer",
] as const;

/** A custom role: id (`[a-zA-Z0-9_.]{3,64}`), title and permissions. */
export interface CustomRoleSpec {
  roleId: string;
  title: string;
  description: string;
  permissions: readonly string[];
}

/**
 * The metadata reader, granted to the preview identity and to production's read-only humans. A
 * deleted custom role's id stays reserved for 37 days ("Creating and managing custom roles",
 * https://cloud.google.com/iam/docs/creating-custom-roles#deleting-custom-role): the id never changes.
 */
export const metadataReaderRole: CustomRoleSpec = {
  roleId: "brumeMetadataReader",
  title: "brume metadata reader",
  description: "Reads the metadata of what brume manages (Cloud SQL, logging configuration, datasets, jobs, certificates, registries): no export, no log entry, no payload",
  permissions: metadataReadPermissions,
};
