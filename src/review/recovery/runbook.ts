/**
 * The disaster-recovery runbook, generated from a plan (pure): what to restore, in which order,
 * with the exact commands — Cloud SQL point-in-time clone, replica promotion, restore from an
 * export, Redis failover, bucket object recovery — and how to re-point the services.
 */
import type { Plan } from "../../plan/run.js";
import { checkRecovery, type RecoveryFinding, type RecoveryReport, type RecoveryTargets } from "./check.js";

export interface RunbookContext {
  environment: string;
  gcpProject: string;
  region: string;
  drRegion?: string;
  /** Kubernetes namespace of the services. */
  namespace: string;
  /** Services using each database / cache config key (re-pointing). */
  consumers?: Record<string, string[]>;
}

const code = (lines: string[]) => ["```sh", ...lines, "```"].join("\n");

function databaseSection(f: RecoveryFinding, ctx: RunbookContext, step: number): string {
  const p = ctx.gcpProject;
  const out = [`### ${step}. Cloud SQL \`${f.name}\``, "", `Protection: ${f.measures.join("; ")}.`, ""];
  out.push(
    "**A bad change or deleted data (region healthy): point-in-time clone.** Pick the time just before the incident (UTC), clone, check, then re-point:",
    "",
    code([
      `gcloud sql instances clone ${f.name} ${f.name}-pitr --point-in-time '<YYYY-MM-DDTHH:MM:SSZ>' --project ${p}`,
      `gcloud sql instances describe ${f.name}-pitr --project ${p} --format 'value(state,connectionName)'`,
    ]),
    "",
  );
  if (f.related.replica) {
    out.push(
      `**Region ${ctx.region} lost: promote the replica in ${f.related.replicaRegion}.** Promotion is irreversible; the replica becomes a standalone primary:`,
      "",
      code([
        `gcloud sql instances describe ${f.related.replica} --project ${p} --format 'value(replicaConfiguration,state)'`,
        `gcloud sql instances promote-replica ${f.related.replica} --project ${p}`,
        `gcloud sql instances patch ${f.related.replica} --project ${p} --enable-point-in-time-recovery --backup-start-time 02:00`,
      ]),
      "",
    );
  }
  if (f.related.exportJobs && f.related.exportBucket) {
    out.push(
      `**No replica usable: restore the latest export** from \`gs://${f.related.exportBucket}\` into a new instance (one file per database; older exports are noncurrent versions):`,
      "",
      code([
        `gcloud storage ls --all-versions gs://${f.related.exportBucket}/${f.name}/`,
        `gcloud sql instances create ${f.name}-restore --project ${p} --region ${ctx.drRegion ?? ctx.region} --database-version POSTGRES_15 --tier <tier> --network <vpc> --no-assign-ip`,
        `gcloud sql import sql ${f.name}-restore gs://${f.related.exportBucket}/${f.name}/<database>.sql.gz --database <database> --project ${p}`,
      ]),
      "",
    );
  }
  return out.join("\n");
}

function cacheSection(f: RecoveryFinding, ctx: RunbookContext, step: number): string {
  return [
    `### ${step}. Memorystore \`${f.name}\``,
    "",
    `Protection: ${f.measures.join("; ")}. Cached data is reconstructible: restore only if a cold cache would overload the database.`,
    "",
    code([
      `gcloud redis instances failover ${f.name} --region ${ctx.region} --project ${ctx.gcpProject} --data-protection-mode limited-data-loss`,
      `gcloud redis instances describe ${f.name} --region ${ctx.region} --project ${ctx.gcpProject} --format 'value(state,host,port)'`,
    ]),
    "",
  ].join("\n");
}

function bucketSection(buckets: RecoveryFinding[], step: number): string {
  const out = [`### ${step}. Buckets`, "", "| bucket | protection | region loss |", "|---|---|---|"];
  for (const b of buckets) out.push(`| \`${b.name}\` | ${b.measures.join("; ")} | ${b.regionLoss} |`);
  out.push(
    "",
    "Recover an overwritten object from a noncurrent version, or a deleted one from soft delete:",
    "",
    code([
      "gcloud storage ls --all-versions gs://<bucket>/<path>",
      "gcloud storage cp gs://<bucket>/<path>#<generation> gs://<bucket>/<path>",
      "gcloud storage ls --soft-deleted gs://<bucket>/<path>",
      "gcloud storage restore gs://<bucket>/<path>#<generation>",
    ]),
    "",
  );
  return out.join("\n");
}

function repointSection(ctx: RunbookContext, report: RecoveryReport, step: number): string {
  const dbs = report.findings.filter((f) => f.kind === "database");
  const out = [
    `### ${step}. Re-point the services`,
    "",
    "Services read the connection name from the stack. Record the new instance in the stack config so the next `pulumi up` keeps it,",
    "then restart the services that use it:",
    "",
  ];
  const lines: string[] = [];
  for (const db of dbs) {
    lines.push(`# ${db.name} → <new instance> (the clone, the promoted replica or the restore)`);
    lines.push(`gcloud sql instances describe <new instance> --project ${ctx.gcpProject} --format 'value(connectionName)'`);
  }
  lines.push(
    `pulumi stack select ${ctx.environment}`,
    "pulumi state unprotect '<urn of the lost instance>' && pulumi state delete '<urn of the lost instance>'",
    "pulumi import gcp:sql/databaseInstance:DatabaseInstance <logical name> projects/<project>/instances/<new instance>",
    `kubectl -n ${ctx.namespace} rollout restart deployment -l app.kubernetes.io/managed-by=brume`,
    `kubectl -n ${ctx.namespace} rollout status deployment --timeout 10m`,
  );
  out.push(code(lines), "");
  if (ctx.consumers && Object.keys(ctx.consumers).length > 0) {
    out.push("Consumers:", "");
    for (const [key, services] of Object.entries(ctx.consumers).sort()) out.push(`- \`${key}\`: ${services.join(", ")}`);
    out.push("");
  }
  return out.join("\n");
}

/** The Markdown runbook of an environment's plan. */
export function renderRunbook(plan: Plan, ctx: RunbookContext, targets?: RecoveryTargets): string {
  const report = checkRecovery(plan, targets, ctx.drRegion);
  const t = report.targets;
  const dbs = report.findings.filter((f) => f.kind === "database");
  const caches = report.findings.filter((f) => f.kind === "cache");
  const buckets = report.findings.filter((f) => f.kind === "bucket");
  const sections: string[] = [
    `# Disaster recovery runbook — ${ctx.environment} (${ctx.gcpProject})`,
    "",
    `Generated by \`brume runbook\` from the plan of stack \`${plan.stack}\`. Targets: **RPO ${t.rpoMinutes} min, RTO ${t.rtoHours} h** (caches: RPO ${t.cacheRpoMinutes} min). Primary region \`${ctx.region}\`${ctx.drRegion ? `, DR region \`${ctx.drRegion}\`` : ", no DR region"}.`,
    "",
    "## Status",
    "",
    "| resource | kind | RPO (min) | RTO (h) | region loss | targets |",
    "|---|---|---|---|---|---|",
    ...report.findings.map((f) => `| \`${f.name}\` | ${f.kind} | ${f.rpoMinutes ?? "—"} | ${f.rtoHours ?? "—"} | ${f.regionLoss} | ${f.problems.length === 0 ? "met" : `**not met**: ${f.problems.join("; ")}`} |`),
    "",
    "## Order of restoration",
    "",
    "1. Declare the incident; freeze deployments (no `pulumi up` except the steps below).",
    "2. Databases: they hold the only non-reconstructible state.",
    "3. Caches: optional, once the databases serve.",
    "4. Buckets: objects to recover individually.",
    "5. Re-point the services and verify (uptime checks green, 5xx ratio back under the alert threshold).",
    "",
    "## Steps",
    "",
  ];
  let step = 1;
  for (const f of dbs) sections.push(databaseSection(f, ctx, step++));
  for (const f of caches) sections.push(cacheSection(f, ctx, step++));
  if (buckets.length > 0) sections.push(bucketSection(buckets, step++));
  sections.push(repointSection(ctx, report, step));
  return `${sections.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}
