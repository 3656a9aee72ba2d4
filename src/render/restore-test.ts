/**
 * The restore test of a Cloud SQL instance (issue 17 item 7, seed 002 "Backup validation: regular
 * restore testing"): the two scripts a Kubernetes CronJob runs in the environment's VPC and the
 * CronJob manifest. Pure: plain values in, text and objects out.
 *
 * What a run proves. It clones the instance to its latest point-in-time recovery time, "an
 * independent copy of the source instance with the same data and settings"; for PostgreSQL "the
 * point in time … defines a past state of the instance to clone"
 * (https://cloud.google.com/sdk/gcloud/reference/sql/instances/clone). A point-in-time recovery
 * starts from an automated backup and replays the write-ahead logs up to that time
 * (https://cloud.google.com/sql/docs/postgres/backup-recovery/pitr), so one clone exercises both
 * the backup and the log archive the 15-minute RPO depends on. Restoring a backup instead proves
 * the backup only, and needs a target instance created first with matching settings ("restore to a
 * different instance": `gcloud sql backups restore --restore-instance`,
 * https://cloud.google.com/sql/docs/postgres/backup-recovery/restoring); the clone creates it. The
 * run also checks the newest SUCCESSFUL backup's age (`gcloud sql backups list`) and how far the
 * latest recovery time lags (`gcloud sql instances get-latest-recovery-time`, "the latest time that
 * can be used to perform point in time recovery",
 * https://cloud.google.com/sdk/gcloud/reference/sql/instances/get-latest-recovery-time).
 *
 * Two containers share a memory volume: `restore` (the gcloud CLI) clones, waits, resets the check
 * user's password on the clone only, writes the clone's private address and server CA, and always
 * deletes the clone (trap on EXIT); `check` (psql) waits for that file, runs the check query over
 * TLS verified against the clone's server CA (sslmode=verify-ca) and writes the result back. The
 * clone inherits the instance's private-IP-only network; no production password leaves Secret
 * Manager. Every wait is bounded; the final line is one JSON object Cloud Logging parses into
 * `jsonPayload` (https://cloud.google.com/logging/docs/structured-logging), which the failure alert matches.
 */
import { psqlImage } from "./pgaudit.js";
import { shQuote } from "./shell.js";

/**
 * The gcloud CLI image (Debian 12, `:VERSION-slim`: gcloud and its core components,
 * https://github.com/GoogleCloudPlatform/cloud-sdk-docker), pinned by digest (tag 562.0.0-slim; the
 * digest as pinned by a public Dockerfile; check with
 * `crane digest gcr.io/google.com/cloudsdktool/google-cloud-cli:562.0.0-slim` before changing it).
 */
export const gcloudImage =
  "gcr.io/google.com/cloudsdktool/google-cloud-cli:562.0.0-slim@sha256:0da2de42ae51cd6092b5caf7c96d25003659fd15548760eb4c50c2623e7bf9c2";

/** Images the CronJob runs (Binary Authorization must admit them; exact digests). */
export const restoreTestImages = [gcloudImage, psqlImage] as const;

/** `event` of every line the scripts log; the alert filter matches it. */
export const restoreTestEvent = "brume.restore-test";

/** Where the containers share the target and the result (a memory-backed emptyDir). */
export const restoreWorkDir = "/run/restore";

/** Seconds kept at the end of a run for the deletion (the Job's deadline minus this bounds the work). */
export const cleanupReserveSeconds = 900;

/**
 * Cloud SQL instance ids: lowercase letters, digits and hyphens, starting with a letter; "The total
 * length of project-ID:instance-ID must be 98 characters or less"
 * (https://cloud.google.com/sql/docs/postgres/create-instance, "Instance ID"). A deleted name "can be
 * reused immediately" (https://cloud.google.com/sql/docs/postgres/delete-instance): each run still
 * gets a new one (UTC timestamp + random), so a run never meets the clone of an earlier one that is
 * still being deleted.
 */
export const maxInstanceIdWithProject = 98;
/** `YYYYmmddHHMMSS-xxxx` the script appends to the prefix (UTC time, 2 random bytes). */
export const temporarySuffixLength = 19;

/** The prefix of every clone of `instance`: `<instance>-rt-`, cut (with a hash) so a full name fits. */
export function temporaryInstancePrefix(project: string, instance: string): string {
  const room = maxInstanceIdWithProject - project.length - 1 - temporarySuffixLength;
  const full = `${instance}-rt`;
  if (room < 8) throw new RangeError(`project id "${project}" leaves no room for a temporary Cloud SQL instance name`);
  if (full.length + 1 <= room) return `${full}-`;
  let h = 0;
  for (const c of full) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const hash = h.toString(16).padStart(8, "0").slice(0, 6);
  return `${full.slice(0, room - hash.length - 2).replace(/-+$/, "")}-${hash}-`;
}

export interface RestoreScriptOptions {
  project: string;
  /** The instance under test. */
  instance: string;
  /** `temporaryInstancePrefix(project, instance)`. */
  prefix: string;
  database: string;
  /** Built-in user whose password is reset on the clone. */
  user: string;
  minimum: number;
  maxBackupAgeHours: number;
  maxRecoveryLagMinutes: number;
  /** Seconds the clone and the check may take (the Job's deadline minus `cleanupReserveSeconds`). */
  workSeconds: number;
  /** The instance requires client certificates: the clone is switched to ENCRYPTED_ONLY before the check. */
  relaxClientCertificates: boolean;
}

/**
 * The `restore` container's script (POSIX sh). Exit codes: 0 passed, 1 a step failed, 2 a wait
 * timed out, 3 the clone could not be deleted (reported on its own line too). `RESTORE_DIR`,
 * `RESTORE_POLL_SECONDS`, `RESTORE_WORK_SECONDS` and `RESTORE_CLEANUP_SECONDS` override the
 * defaults (the tests run it against stand-ins with short waits).
 */
export function restoreTestScript(o: RestoreScriptOptions): string {
  for (const [k, v] of Object.entries({ minimum: o.minimum, maxBackupAgeHours: o.maxBackupAgeHours, maxRecoveryLagMinutes: o.maxRecoveryLagMinutes, workSeconds: o.workSeconds })) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`restore test ${k} must be a whole number, got ${v}`);
  }
  if (!o.prefix.startsWith(o.instance.slice(0, 8))) throw new RangeError(`temporary prefix ${o.prefix} does not name ${o.instance}`);
  return `# brume restore test of ${o.instance} (src/render/restore-test.ts): clone to the latest
# recovery time, check, always delete the clone.
set -u
project=${shQuote(o.project)}
source_instance=${shQuote(o.instance)}
prefix=${shQuote(o.prefix)}
database=${shQuote(o.database)}
user=${shQuote(o.user)}
minimum=${o.minimum}
max_backup_age_seconds=${o.maxBackupAgeHours * 3600}
max_recovery_lag_seconds=${o.maxRecoveryLagMinutes * 60}
relax_client_certificates=${o.relaxClientCertificates ? 1 : 0}
dir="\${RESTORE_DIR:-${restoreWorkDir}}"
poll="\${RESTORE_POLL_SECONDS:-20}"
started=$(date +%s)
deadline=$((started + \${RESTORE_WORK_SECONDS:-${o.workSeconds}}))
cleanup_seconds="\${RESTORE_CLEANUP_SECONDS:-${cleanupReserveSeconds - 60}}"

stage=start
result=failed
code=1
message=""
temp=""
create_attempted=0
backup_id=""
point_in_time=""
lag_seconds=""
value=""

json() { printf '%s' "$1" | tr '\\n\\t\\r' '   ' | sed 's/\\\\/\\\\\\\\/g; s/"/\\\\"/g'; }

# One JSON line: severity, result, message (Cloud Logging reads severity and message).
line() {
  printf '{"severity":"%s","event":"${restoreTestEvent}","result":"%s","stage":"%s","source":"%s","instance":"%s","backup":"%s","pointInTime":"%s","recoveryLagSeconds":"%s","value":"%s","minimum":%s,"durationSeconds":%s,"message":"%s"}\\n' \\
    "$1" "$2" "$stage" "$source_instance" "$temp" "$backup_id" "$point_in_time" "$lag_seconds" "$(json "$value")" "$minimum" "$(($(date +%s) - started))" "$(json "$3")"
}

fail() { message="$1"; code="\${2:-1}"; [ "$code" -eq 2 ] && result=timeout; exit "$code"; }

seconds_since() { t=$(date -d "$1" +%s 2>/dev/null) || return 1; echo $(($(date +%s) - t)); }

not_found() { printf '%s' "$1" | grep -q -e 'HTTPError 404' -e 'does not exist' -e 'was not found'; }

# Deletes the clone once a create was attempted; its failure is reported on its own line. The clone
# inherits deletion protection from the instance
# (https://cloud.google.com/sql/docs/postgres/deletion-protection): lifted first.
cleanup() {
  trap - EXIT
  : > "$dir/done" 2>/dev/null || true
  cleanup_status=0
  if [ "$create_attempted" -eq 1 ]; then
    end=$(($(date +%s) + cleanup_seconds))
    gone=0
    accepted=0
    out=""
    while :; do
      if [ "$accepted" -eq 0 ]; then
        gcloud sql instances patch "$temp" --project "$project" --no-deletion-protection --quiet >/dev/null 2>&1 || true
        if out=$(gcloud sql instances delete "$temp" --project "$project" --async --quiet 2>&1); then
          accepted=1
        elif not_found "$out"; then
          gone=1
          break
        fi
      fi
      if describe=$(gcloud sql instances describe "$temp" --project "$project" --format 'value(state)' 2>&1); then
        [ "$accepted" -eq 0 ] || out="deletion accepted, the clone is still $describe"
      elif not_found "$describe"; then
        gone=1
        break
      fi
      [ "$(date +%s)" -lt "$end" ] || break
      sleep "$poll"
    done
    if [ "$gone" -eq 0 ]; then
      failed_stage=$stage
      stage=cleanup
      line ERROR cleanup-failed "the clone $temp is not deleted: $(printf '%s' "$out" | tail -n 1); delete it: gcloud sql instances patch $temp --no-deletion-protection; gcloud sql instances delete $temp"
      stage=$failed_stage
      cleanup_status=3
    fi
  fi
  if [ "$result" = passed ]; then
    line INFO passed "restore of $source_instance passed: $value >= $minimum"
  else
    line ERROR "$result" "restore of $source_instance failed at $stage: $message"
  fi
  [ "$cleanup_status" -eq 0 ] || exit "$cleanup_status"
  exit "$code"
}
trap cleanup EXIT
trap 'message="terminated"; exit 1' TERM INT

stage=backup
out=$(gcloud sql backups list --project "$project" --instance "$source_instance" --filter status=SUCCESSFUL --sort-by ~windowStartTime --limit 1 --format 'value(id,endTime)' 2>&1) || fail "listing backups failed: $out"
[ -n "$out" ] || fail "no SUCCESSFUL backup of $source_instance"
backup_id=$(printf '%s' "$out" | cut -f1)
backup_age=$(seconds_since "$(printf '%s' "$out" | cut -f2)") || fail "unreadable backup end time: $out"
[ "$backup_age" -le "$max_backup_age_seconds" ] || fail "the latest SUCCESSFUL backup $backup_id is $((backup_age / 3600)) h old (limit $((max_backup_age_seconds / 3600)) h)"

stage=recovery-time
point_in_time=$(gcloud sql instances get-latest-recovery-time "$source_instance" --project "$project" --format 'value(latestRecoveryTime)' 2>&1) || fail "reading the latest recovery time failed: $point_in_time"
lag_seconds=$(seconds_since "$point_in_time") || fail "unreadable recovery time: $point_in_time"
[ "$lag_seconds" -le "$max_recovery_lag_seconds" ] || fail "the latest recovery time lags by $lag_seconds s (limit $max_recovery_lag_seconds s): transaction logs are not being archived"

stage=clone
temp="$prefix$(date -u +%Y%m%d%H%M%S)-$(od -An -N2 -tx1 /dev/urandom | tr -d ' \\n')"
create_attempted=1
operation=$(gcloud sql instances clone "$source_instance" "$temp" --project "$project" --point-in-time "$point_in_time" --async --format 'value(name)' 2>&1) || fail "clone failed: $operation"

stage="wait"
while :; do
  if status=$(gcloud sql operations describe "$operation" --project "$project" --format 'value(status,error.errors[0].code,error.errors[0].message)' 2>&1); then
    if [ "$(printf '%s' "$status" | cut -f1)" = DONE ]; then
      error=$(printf '%s' "$status" | cut -s -f2- | tr -d '\\t')
      [ -z "$error" ] || fail "the clone operation failed: $(printf '%s' "$status" | cut -s -f2- | tr '\\t' ' ')"
      break
    fi
  fi
  [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for the clone (operation $operation: $status)" 2
  sleep "$poll"
done

stage=prepare
if [ "$relax_client_certificates" -eq 1 ]; then
  out=$(gcloud sql instances patch "$temp" --project "$project" --ssl-mode ENCRYPTED_ONLY --quiet 2>&1) || fail "switching the clone to ENCRYPTED_ONLY failed: $out"
fi
# The clone keeps the instance's password policy (length, complexity, no user name inside).
password="$user"
while case "$password" in *"$user"*) true ;; *) false ;; esac do
  password="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \\n')-Rt9"
done
out=$(gcloud sql users set-password "$user" --instance "$temp" --project "$project" --password "$password" 2>&1) || fail "resetting the password of $user on the clone failed: $out"
address=$(gcloud sql instances describe "$temp" --project "$project" --format 'value(ipAddresses[0].ipAddress)' 2>&1) || fail "describing the clone failed: $address"
printf '%s' "$address" | grep -Eq '^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$' || fail "the clone has no private IPv4 address: $address"
gcloud sql instances describe "$temp" --project "$project" --format 'value(serverCaCert.cert)' > "$dir/server-ca.pem" 2>/dev/null || fail "reading the clone's server CA failed"
printf "PGHOST='%s'\\nPGUSER='%s'\\nPGDATABASE='%s'\\nPGPASSWORD='%s'\\n" "$address" "$user" "$database" "$password" > "$dir/target.env.tmp" || fail "writing $dir/target.env failed"
mv "$dir/target.env.tmp" "$dir/target.env"

stage=check
while [ ! -f "$dir/check.result" ]; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "timed out waiting for the check query" 2
  sleep "$poll"
done
checked=$(head -n 1 "$dir/check.result")
case "$checked" in
  "ok "*) value=\${checked#ok } ;;
  *) fail "the check query failed: \${checked#error }" ;;
esac
case "$value" in
  '' | *[!0-9]*) fail "the check query returned $value, not a count" ;;
esac
[ "$value" -ge "$minimum" ] || fail "the check query returned $value, expected at least $minimum"
result=passed
code=0
`;
}

export interface CheckScriptOptions {
  /** SQL returning one number. */
  query: string;
  /** Seconds to wait for the target before giving up (the run's work budget). */
  waitSeconds: number;
}

/**
 * The `check` container's script (POSIX sh, the psql image): waits for the target, runs the query
 * (three tries: a fresh clone may refuse its first connection), writes `ok <value>` or
 * `error <message>`. It always exits 0: the `restore` container reports.
 */
export function restoreCheckScript(o: CheckScriptOptions): string {
  if (o.query.trim().length === 0) throw new RangeError("the restore test needs a check query");
  return `# brume restore test: the check query in the clone (src/render/restore-test.ts).
set -u
dir="\${RESTORE_DIR:-${restoreWorkDir}}"
poll="\${RESTORE_POLL_SECONDS:-20}"
deadline=$(($(date +%s) + \${RESTORE_WORK_SECONDS:-${o.waitSeconds}}))
query=${shQuote(o.query)}
while [ ! -f "$dir/target.env" ]; do
  [ -f "$dir/done" ] && exit 0
  [ "$(date +%s)" -lt "$deadline" ] || exit 0
  sleep "$poll"
done
# shellcheck source=/dev/null
. "$dir/target.env"
export PGHOST PGUSER PGDATABASE PGPASSWORD
export PGSSLMODE=verify-ca PGSSLROOTCERT="$dir/server-ca.pem" PGCONNECT_TIMEOUT=10
tries=0
until out=$(psql --no-psqlrc --no-align --tuples-only --set=ON_ERROR_STOP=1 --command="$query" 2>&1); do
  tries=$((tries + 1))
  if [ "$tries" -ge 3 ]; then
    printf 'error %s\\n' "$(printf '%s' "$out" | tr '\\n' ' ')" > "$dir/check.result.tmp"
    mv "$dir/check.result.tmp" "$dir/check.result"
    exit 0
  fi
  sleep "$poll"
done
printf 'ok %s\\n' "$(printf '%s' "$out" | head -n 1 | tr -d ' ')" > "$dir/check.result.tmp"
mv "$dir/check.result.tmp" "$dir/check.result"
`;
}

export interface RestoreCronJobArgs {
  name: string;
  namespace: string;
  /** Kubernetes service account (Workload Identity → the restore test's GSA). */
  serviceAccountName: string;
  schedule: string;
  timeZone: string;
  /** The Job's activeDeadlineSeconds (the run's bound). */
  deadlineSeconds: number;
  restoreScript: string;
  checkScript: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The CronJob: one run at a time (`Forbid`: two clones at once double the cost), no retry of a
 * failed run (a retry is a second clone; the failure alerts instead), non-root, read-only root
 * file systems, gcloud's configuration in a scratch volume.
 */
export function restoreTestCronJobManifest(a: RestoreCronJobArgs) {
  const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } };
  const work = { name: "work", mountPath: restoreWorkDir };
  return {
    apiVersion: "batch/v1" as const,
    kind: "CronJob" as const,
    metadata: { name: a.name, namespace: a.namespace, labels: a.labels, annotations: a.annotations },
    spec: {
      schedule: a.schedule,
      timeZone: a.timeZone,
      concurrencyPolicy: "Forbid" as const,
      startingDeadlineSeconds: 3600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: a.labels },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: a.deadlineSeconds,
          template: {
            metadata: { labels: a.labels },
            spec: {
              serviceAccountName: a.serviceAccountName,
              restartPolicy: "Never" as const,
              securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" as const } },
              containers: [
                {
                  name: "restore",
                  image: gcloudImage,
                  command: ["/bin/sh", "-c", a.restoreScript],
                  env: [
                    // gcloud writes its configuration and logs: a scratch volume, not the image.
                    { name: "CLOUDSDK_CONFIG", value: "/tmp/gcloud" },
                    { name: "CLOUDSDK_CORE_DISABLE_PROMPTS", value: "1" },
                  ],
                  volumeMounts: [work, { name: "tmp", mountPath: "/tmp" }],
                  resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
                  securityContext: restricted,
                },
                {
                  name: "check",
                  image: psqlImage,
                  command: ["/bin/sh", "-c", a.checkScript],
                  volumeMounts: [{ ...work }],
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
                  securityContext: restricted,
                },
              ],
              volumes: [
                { name: "work", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
              ],
            },
          },
        },
      },
    },
  };
}

/**
 * Log filter of the failure alert: an ERROR line of the restore test in its namespace (a failed
 * step, a timeout or a clone left behind). GKE sends container output to Cloud Logging as
 * `k8s_container` entries; a JSON line becomes `jsonPayload` and its `severity` the entry's
 * (https://cloud.google.com/kubernetes-engine/docs/concepts/about-logs).
 */
export function restoreTestFailureFilter(project: string, namespace: string): string {
  return [
    `resource.type = "k8s_container"`,
    `resource.labels.project_id = "${project}"`,
    `resource.labels.namespace_name = "${namespace}"`,
    `jsonPayload.event = "${restoreTestEvent}"`,
    `severity >= ERROR`,
  ].join(" AND ");
}
