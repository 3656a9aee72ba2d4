/**
 * `databases.<name>.restoreTest` (issue 17 item 7, seed 002 "Backup validation: regular restore
 * testing"): a scheduled job in the environment's VPC clones the instance to a point in time (its
 * latest automated backup replayed with the transaction logs), runs a check query in the clone,
 * reports one structured log line and always deletes the clone. Wired into schema.ts with one
 * field; cross-field checks (database and user declared) are in rules-restore.ts.
 */
import { z } from "zod";
import { dnsLabel, strict } from "./primitives.js";

export const restoreTestDefaults = {
  // Tuesdays 05:00: after the 02:00 UTC backup window and clear of the Sunday 03:00 maintenance window.
  schedule: "0 5 * * 2",
  timeZone: "Etc/UTC",
  query: "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
  minimum: 1,
  timeoutMinutes: 120,
  maxBackupAgeHours: 26,
  maxRecoveryLagMinutes: 15,
} as const;

export const restoreTestSchema = strict({
  enabled: z
    .boolean()
    .optional()
    .meta({
      description:
        "Run the restore test in this environment. Default: on in environments with the production preset, off elsewhere. Per environment: `brume:overrides` in Pulumi.<env>.yaml (`databases: { main: { restoreTest: { enabled: true } } }`).",
    }),
  schedule: z
    .string()
    .regex(/^(\S+\s+){4}\S+$/, { error: 'expected a cron schedule such as "0 5 * * 2"' })
    .default(restoreTestDefaults.schedule)
    .meta({ description: "Cron schedule of the Kubernetes CronJob (each run clones the instance for up to timeoutMinutes)." }),
  timeZone: z.string().default(restoreTestDefaults.timeZone).meta({ description: "IANA time zone of the schedule (CronJob timeZone)." }),
  database: dnsLabel.optional().meta({ description: "Logical database the check query runs in; defaults to the instance's first database." }),
  user: dnsLabel
    .optional()
    .meta({
      description:
        "Built-in user the check logs in as; defaults to the first of `users`. Its password is reset on the clone only (to a random one the run forgets), never on the instance.",
    }),
  query: z
    .string()
    .min(1)
    .max(2000)
    .default(restoreTestDefaults.query)
    .meta({ description: "SQL returning one number (e.g. `SELECT count(*) FROM orders`): the restore passes when it is at least `minimum`." }),
  minimum: z.int().min(0).default(restoreTestDefaults.minimum).meta({ description: "Smallest number the check query may return." }),
  timeoutMinutes: z
    .int()
    .min(30)
    .max(720)
    .default(restoreTestDefaults.timeoutMinutes)
    .meta({ description: "Bound of one run (clone, check, deletion): the Job's activeDeadlineSeconds; the clone is deleted before it." }),
  maxBackupAgeHours: z
    .int()
    .min(1)
    .max(744)
    .default(restoreTestDefaults.maxBackupAgeHours)
    .meta({ description: "The latest SUCCESSFUL automated backup may be this old (daily backups: 26 h leaves room for a late window)." }),
  maxRecoveryLagMinutes: z
    .int()
    .min(1)
    .max(10080)
    .default(restoreTestDefaults.maxRecoveryLagMinutes)
    .meta({ description: "The latest point-in-time recovery time may lag the run by this much (the database RPO)." }),
});

export type RestoreTestConfig = z.output<typeof restoreTestSchema>;

/** Whether the restore test runs in an environment: `enabled`, else on with the production preset. */
export function restoreTestEnabled(config: RestoreTestConfig | undefined, preset: string): boolean {
  return config?.enabled ?? preset === "production";
}
