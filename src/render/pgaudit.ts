/**
 * pgAudit activation (gcp-review 26): the SQL that turns pgAudit on in one database, the script
 * that runs it in every database of an instance, and the Kubernetes Job manifest that runs the
 * script in the VPC through the Cloud SQL Auth Proxy. Pure: plain values in, text and objects out.
 *
 * Cloud SQL "Audit for PostgreSQL using pgAudit" (https://cloud.google.com/sql/docs/postgres/pg-audit):
 * 1. set the `cloudsql.enable_pgaudit` flag (it loads the library: `shared_preload_libraries`),
 * 2. run `CREATE EXTENSION pgaudit;` in each database to audit, 3. set `pgaudit.log`. The
 * Database component sets the flags (1, 3); the Job does 2, idempotently, on every deploy whose
 * SQL changed.
 *
 * Who may run it: `CREATE EXTENSION` on Cloud SQL needs the `cloudsqlsuperuser` role ("Only users
 * with the cloudsqlsuperuser role can create extensions",
 * https://cloud.google.com/sql/docs/postgres/extensions#requirements). Built-in users created
 * through the Cloud SQL API are members of it ("When you create a new user in Cloud SQL for
 * PostgreSQL, the user is created with the cloudsqlsuperuser role",
 * https://cloud.google.com/sql/docs/postgres/users#other_postgresql_users); IAM users are not
 * (they start with no privileges). So the Job logs in with a built-in user's password, and its
 * Kubernetes identity only needs `roles/cloudsql.client` for the proxy to connect.
 */
import { createHash } from "node:crypto";
import { shQuote } from "./shell.js";

/**
 * Cloud SQL Auth Proxy v2, pinned by digest (tag 2.14.2; the digest as listed by a public mirror
 * manifest of gcr.io/cloud-sql-connectors/cloud-sql-proxy, check with
 * `crane digest gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.2` before changing it).
 * Flags: https://github.com/GoogleCloudPlatform/cloud-sql-proxy#configuring-the-proxy
 */
export const cloudSqlProxyImage =
  "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.2@sha256:d3f195cb893f2abb2ce8f28a4d3eee9b5589750711b4fbf67c78ce215c520e96";

/**
 * The PostgreSQL 15 client (psql) from the Docker Official Image, Alpine, pinned by digest, pulled
 * through Google's Docker Hub cache: "Artifact Registry caches frequently-accessed public Docker Hub
 * images on mirror.gcr.io … Kept in sync with Docker Hub"
 * (https://cloud.google.com/artifact-registry/docs/pull-cached-dockerhub-images). Private nodes reach
 * it through Private Google Access, without Docker Hub's rate limits; the digest is Docker Hub's.
 */
export const psqlImage = "mirror.gcr.io/library/postgres:15-alpine@sha256:fe0737ba566a2c5b2a28f34433c0a423261900ec17b9bf7ad115e1aae7e57f1b";

/** Images the Job runs (Binary Authorization must admit them; they are exact digests). */
export const pgauditJobImages = [cloudSqlProxyImage, psqlImage] as const;

/** Where the Job mounts the SQL. */
export const pgauditSqlPath = "/etc/brume/pgaudit/activate.sql";

/** Port the proxy listens on inside the pod (loopback) and its health port. */
const proxyPort = 5432;
const proxyHealthPort = 9090;

/**
 * The activation SQL for one database, idempotent: it fails (and so the Job fails) when the
 * library is not loaded or `pgaudit.log` is not what the instance flags say, creates the
 * extension if missing and updates it to the installed version after a minor upgrade.
 */
export function pgauditActivationSql(options: { log: string }): string {
  if (!/^[a-z,\s-]+$/.test(options.log)) throw new RangeError(`pgaudit.log must list classes (e.g. "ddl,role"), got ${JSON.stringify(options.log)}`);
  const log = options.log.replace(/\s+/g, "");
  return `-- brume: activate pgAudit in the current database (idempotent).
-- https://cloud.google.com/sql/docs/postgres/pg-audit: the cloudsql.enable_pgaudit flag loads the
-- library; each database then needs the extension.
DO $brume$
BEGIN
  -- An unknown setting reads as NULL: the library is not preloaded.
  IF current_setting('pgaudit.log', true) IS NULL THEN
    RAISE EXCEPTION 'pgaudit is not loaded: set the cloudsql.enable_pgaudit flag (shared_preload_libraries=pgaudit) and restart the instance';
  END IF;
END
$brume$;

CREATE EXTENSION IF NOT EXISTS pgaudit;
ALTER EXTENSION pgaudit UPDATE;

DO $brume$
BEGIN
  IF replace(current_setting('pgaudit.log'), ' ', '') <> '${log}' THEN
    RAISE EXCEPTION 'pgaudit.log is "%", expected "${log}": check the pgaudit.log database flag', current_setting('pgaudit.log');
  END IF;
END
$brume$;
`;
}

/**
 * The script a database Job's container runs (POSIX sh): psql runs a SQL file in each database,
 * stopping at the first error. Connection settings come from the libpq environment (PGHOST,
 * PGPORT, PGUSER, PGPASSWORD, PGSSLMODE); `variable` overrides where the SQL is (a file, or the
 * directory of one `<database>.sql` file per database when `perDatabase`). Shared by the pgAudit
 * activation and the database grants (src/render/database-grants.ts).
 */
export function databaseJobScript(o: {
  task: string;
  databases: readonly string[];
  variable: string;
  path: string;
  perDatabase: boolean;
  doing: string;
  done: string;
}): string {
  if (o.databases.length === 0) throw new RangeError(`${o.task} needs at least one database`);
  const file = o.perDatabase ? '"$sql/$db.sql"' : '"$sql"';
  return `set -eu
sql="\${${o.variable}:-${o.path}}"
for db in ${o.databases.map(shQuote).join(" ")}; do
  echo "${o.task}: ${o.doing} in database $db"
  psql --no-psqlrc --set=ON_ERROR_STOP=1 --quiet --dbname="$db" --file=${file}
done
echo "${o.task}: ${o.done} in ${o.databases.length} database(s)"
`;
}

/** The pgAudit activation script: the same SQL in each database; `PGAUDIT_SQL` overrides its path. */
export function pgauditJobScript(databases: readonly string[]): string {
  if (databases.length === 0) throw new RangeError("pgAudit activation needs at least one database");
  return databaseJobScript({ task: "pgaudit", databases, variable: "PGAUDIT_SQL", path: pgauditSqlPath, perDatabase: false, doing: "activating", done: "active" });
}

/** The databases of an instance to activate pgAudit in: `postgres` (admin sessions) and the declared ones. */
export function auditedDatabases(declared: readonly string[]): string[] {
  return [...new Set(["postgres", ...declared])];
}

/**
 * Name of a database Job and of its ConfigMap: `<task>-<hash>` of what it runs. A Job's pod
 * template is immutable, so a change never patches a Job: it is a new Job (and the old one is deleted).
 */
export function databaseJobName(task: string, sql: string, script: string, instance: string): string {
  return `${task}-${createHash("sha256").update(`${instance}\n${script}\n${sql}`).digest("hex").slice(0, 10)}`;
}

/** The pgAudit activation Job's name: `pgaudit-<hash>`. */
export function pgauditJobName(sql: string, script: string, instance: string): string {
  return databaseJobName("pgaudit", sql, script, instance);
}

export interface PgauditJobManifestArgs {
  name: string;
  namespace: string;
  /** Kubernetes service account (Workload Identity → a GSA with roles/cloudsql.client). */
  serviceAccountName: string;
  /** `<project>:<region>:<instance>`. */
  connectionName: string;
  /** ConfigMap holding `activate.sql`. */
  configMapName: string;
  /** Secret holding the login user's password under `password`. */
  passwordSecretName: string;
  user: string;
  script: string;
  labels: Record<string, string>;
}

/** What differs between the database Jobs: the container's name and the SQL files it mounts. */
export interface DatabaseJobManifestArgs extends PgauditJobManifestArgs {
  /** Name of the main container. */
  container: string;
  /** Directory the ConfigMap is mounted at. */
  sqlDir: string;
  /** Keys of the ConfigMap, mounted as files of the same name. */
  sqlFiles: readonly string[];
}

/** The pgAudit activation Job: `activate.sql` at `pgauditSqlPath`. */
export function pgauditJobManifest(a: PgauditJobManifestArgs) {
  const file = pgauditSqlPath.slice(pgauditSqlPath.lastIndexOf("/") + 1);
  return databaseJobManifest({ ...a, container: "activate", sqlDir: pgauditSqlPath.slice(0, pgauditSqlPath.lastIndexOf("/")), sqlFiles: [file] });
}

/**
 * A database Job (pgAudit activation, grants): the proxy as a native sidecar (an init container with `restartPolicy: Always`, started
 * before and stopped after the main container, Kubernetes ≥ 1.29:
 * https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/), reaching the instance
 * on its private IP (`--private-ip`); psql connects to it on loopback. No retries beyond 2, no
 * service account token besides the one Workload Identity needs, non-root, read-only root fs.
 */
export function databaseJobManifest(a: DatabaseJobManifestArgs) {
  const restricted = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
  };
  return {
    apiVersion: "batch/v1" as const,
    kind: "Job" as const,
    metadata: { name: a.name, namespace: a.namespace, labels: a.labels },
    spec: {
      backoffLimit: 2,
      activeDeadlineSeconds: 600,
      template: {
        metadata: { labels: a.labels },
        spec: {
          serviceAccountName: a.serviceAccountName,
          restartPolicy: "Never" as const,
          securityContext: { runAsNonRoot: true, runAsUser: 70, runAsGroup: 70, seccompProfile: { type: "RuntimeDefault" as const } },
          initContainers: [
            {
              name: "cloud-sql-proxy",
              image: cloudSqlProxyImage,
              restartPolicy: "Always" as const,
              args: [
                "--private-ip",
                `--port=${proxyPort}`,
                "--address=127.0.0.1",
                "--structured-logs",
                "--health-check",
                "--http-address=0.0.0.0",
                `--http-port=${proxyHealthPort}`,
                "--exit-zero-on-sigterm",
                a.connectionName,
              ],
              // The main container starts once the proxy reports it started.
              startupProbe: { httpGet: { path: "/startup", port: proxyHealthPort }, periodSeconds: 1, failureThreshold: 60 },
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
              securityContext: restricted,
            },
          ],
          containers: [
            {
              name: a.container,
              image: psqlImage,
              command: ["/bin/sh", "-c", a.script],
              env: [
                { name: "PGHOST", value: "127.0.0.1" },
                { name: "PGPORT", value: String(proxyPort) },
                { name: "PGUSER", value: a.user },
                { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: a.passwordSecretName, key: "password" } } },
                // The proxy encrypts the connection to the instance (mutual TLS); loopback is plain.
                { name: "PGSSLMODE", value: "disable" },
                { name: "PGCONNECT_TIMEOUT", value: "10" },
              ],
              volumeMounts: [{ name: "sql", mountPath: a.sqlDir, readOnly: true }],
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
              securityContext: restricted,
            },
          ],
          volumes: [{ name: "sql", configMap: { name: a.configMapName, items: a.sqlFiles.map((f) => ({ key: f, path: f })) } }],
        },
      },
    },
  };
}
