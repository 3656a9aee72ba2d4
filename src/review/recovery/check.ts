/**
 * Recovery targets checked on a plan, pure: for every stateful resource (Cloud SQL primaries,
 * Memorystore, buckets), how the planned inputs meet the RPO / RTO — point-in-time recovery and
 * log retention, a replica in another region, scheduled exports, bucket versioning / soft delete /
 * dual-region, Redis persistence — and what is missing. Estimates are conservative and documented
 * next to each constant.
 */
import type { Plan, PlannedResource } from "../../plan/run.js";

export interface RecoveryTargets {
  rpoMinutes: number;
  rtoHours: number;
  /** Caches hold reconstructible data: their own RPO. */
  cacheRpoMinutes: number;
}

export const defaultRecoveryTargets: RecoveryTargets = { rpoMinutes: 15, rtoHours: 4, cacheRpoMinutes: 60 };

/** Worst-case data loss with PITR: Cloud SQL archives WAL continuously; we assume 5 minutes. */
export const pitrRpoMinutes = 5;
/** Promoting a cross-region replica and re-pointing services. */
export const replicaPromotionRtoHours = 0.5;
/** A PITR clone of an instance (hundreds of GB) plus re-pointing. */
export const pitrCloneRtoHours = 2;
/** Importing an export into a new instance. */
export const exportRestoreRtoHours = 4;

export type RecoveryKind = "database" | "cache" | "bucket";

export interface RecoveryFinding {
  urn: string;
  kind: RecoveryKind;
  /** Physical name. */
  name: string;
  /** How the plan meets the targets, one line each. */
  measures: string[];
  /** Estimated worst-case data loss (minutes) for a bad change or a zone loss. */
  rpoMinutes: number | null;
  rtoHours: number | null;
  /** Region loss: covered (copy in another region), accepted (by design, e.g. a regional log bucket or a cache), or not covered. */
  regionLoss: "covered" | "accepted" | "not covered";
  /** Unmet targets; empty when met. */
  problems: string[];
  /** Related resources (replicas, export jobs, export buckets), physical names. */
  related: { replica?: string; replicaRegion?: string; exportJobs?: string[]; exportBucket?: string };
}

export interface RecoveryReport {
  targets: RecoveryTargets;
  findings: RecoveryFinding[];
  met: boolean;
}

type Inputs = Record<string, unknown>;
const obj = (v: unknown): Inputs => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Inputs) : {});
const nameOf = (r: PlannedResource) => (typeof r.inputs.name === "string" ? r.inputs.name : r.name);

/** Minutes between runs of a 5-field cron schedule (conservative: the longest gap). */
export function cronIntervalMinutes(schedule: string): number {
  const [minute = "*", hour = "*"] = schedule.trim().split(/\s+/);
  const step = (field: string) => /^\*\/(\d+)$/.exec(field)?.[1];
  if (hour === "*") {
    if (step(minute)) return Number(step(minute));
    if (minute === "*") return 1;
    return 60 / minute.split(",").length;
  }
  if (step(hour)) return Number(step(hour)) * 60;
  if (/^[\d,]+$/.test(hour)) {
    const hours = hour.split(",").map(Number).sort((a, b) => a - b);
    const gaps = hours.map((h, i) => (i === 0 ? hours[hours.length - 1]! - 24 : hours[i - 1]!) - h).map((g) => -g);
    return Math.max(...gaps) * 60;
  }
  return 24 * 60;
}

/** The bucket a Cloud SQL export request body (base64 JSON) writes to. */
export function exportBucketOf(body: string): string | undefined {
  try {
    const uri = String(obj(obj(JSON.parse(Buffer.from(body, "base64").toString("utf8"))).exportContext).uri ?? "");
    return /^gs:\/\/([^/]+)\//.exec(uri)?.[1];
  } catch {
    return undefined;
  }
}

/** RDB snapshot periods in minutes. */
export const rdbPeriodMinutes: Record<string, number> = { ONE_HOUR: 60, SIX_HOURS: 360, TWELVE_HOURS: 720, TWENTY_FOUR_HOURS: 1440 };

/** A GCS location covering more than one region (multi-region, dual-region, custom placement). */
function multiRegionBucket(inputs: Inputs): boolean {
  const location = String(inputs.location ?? "");
  return !/\d$/.test(location) || obj(inputs.customPlacementConfig).dataLocations !== undefined;
}

function checkDatabase(r: PlannedResource, plan: Plan, t: RecoveryTargets, drRegion: string | undefined): RecoveryFinding {
  const name = nameOf(r);
  const settings = obj(r.inputs.settings);
  const backup = obj(settings.backupConfiguration);
  const measures: string[] = [];
  const problems: string[] = [];
  let rpo: number | null = null;
  if (backup.enabled === true) measures.push(`automated backups (${String(obj(backup.backupRetentionSettings).retainedBackups ?? "default")} kept)`);
  else problems.push("automated backups are off: enable settings.backupConfiguration");
  if (backup.pointInTimeRecoveryEnabled === true) {
    const days = Number(backup.transactionLogRetentionDays ?? 7);
    measures.push(`point-in-time recovery, ${days} day(s) of transaction logs`);
    rpo = pitrRpoMinutes;
    if (days < 1) problems.push("transaction log retention must be at least 1 day");
  } else {
    rpo = backup.enabled === true ? 24 * 60 : null;
    problems.push("point-in-time recovery is off: the recovery point is the last daily backup");
  }
  if (rpo !== null && rpo > t.rpoMinutes) problems.push(`RPO ${rpo} min exceeds the target ${t.rpoMinutes} min`);

  const replica = plan.resources.find(
    (x) => x.type === r.type && x.inputs.masterInstanceName === name && x.inputs.region !== undefined && x.inputs.region !== r.inputs.region,
  );
  const jobs = plan.resources.filter(
    (x) => x.type === "gcp:cloudscheduler/job:Job" && String(obj(x.inputs.httpTarget).uri ?? "").endsWith(`/instances/${name}/export`),
  );
  const exportBuckets = new Set(jobs.map((j) => exportBucketOf(String(obj(j.inputs.httpTarget).body ?? ""))).filter((b) => b !== undefined));
  const exportBucket = plan.resources.find((x) => x.type === "gcp:storage/bucket:Bucket" && exportBuckets.has(nameOf(x)));
  let rto: number | null = backup.pointInTimeRecoveryEnabled === true ? pitrCloneRtoHours : exportRestoreRtoHours;
  let regionLoss: RecoveryFinding["regionLoss"] = "not covered";
  if (replica) {
    measures.push(`cross-region replica ${nameOf(replica)} in ${String(replica.inputs.region)} (promotion)`);
    regionLoss = "covered";
    rto = Math.min(rto, replicaPromotionRtoHours);
  }
  if (jobs.length > 0) {
    const every = Math.max(...jobs.map((j) => cronIntervalMinutes(String(j.inputs.schedule ?? "0 0 * * *"))));
    measures.push(`scheduled exports every ${every} min to ${exportBucket ? `gs://${nameOf(exportBucket)}` : "a bucket"}${exportBucket?.inputs.location ? ` (${String(exportBucket.inputs.location)})` : ""}`);
    if (!replica) {
      regionLoss = "covered";
      if (every > t.rpoMinutes) problems.push(`after a region loss the recovery point is the last export (every ${every} min), beyond the RPO ${t.rpoMinutes} min: add a DR replica`);
    }
  }
  if (regionLoss === "not covered" && drRegion) problems.push(`no copy in the DR region ${drRegion}: enable drReplica or recovery exports`);
  if (rto !== null && rto > t.rtoHours) problems.push(`RTO ${rto} h exceeds the target ${t.rtoHours} h`);
  return {
    urn: r.urn,
    kind: "database",
    name,
    measures,
    rpoMinutes: rpo,
    rtoHours: rto,
    regionLoss,
    problems,
    related: {
      ...(replica ? { replica: nameOf(replica), replicaRegion: String(replica.inputs.region) } : {}),
      ...(jobs.length > 0 ? { exportJobs: jobs.map(nameOf) } : {}),
      ...(exportBucket ? { exportBucket: nameOf(exportBucket) } : {}),
    },
  };
}

function checkCache(r: PlannedResource, t: RecoveryTargets): RecoveryFinding {
  const persistence = obj(r.inputs.persistenceConfig);
  const measures: string[] = [];
  const problems: string[] = [];
  let rpo: number | null = null;
  if (persistence.persistenceMode === "RDB") {
    rpo = rdbPeriodMinutes[String(persistence.rdbSnapshotPeriod)] ?? 1440;
    measures.push(`RDB snapshots every ${rpo} min`);
    if (rpo > t.cacheRpoMinutes) problems.push(`snapshots every ${rpo} min exceed the cache RPO ${t.cacheRpoMinutes} min`);
  } else problems.push("no persistence: a restart loses every key (persistenceConfig.persistenceMode RDB)");
  if (r.inputs.tier === "STANDARD_HA") measures.push("STANDARD_HA: automatic failover to a replica in another zone");
  return { urn: r.urn, kind: "cache", name: nameOf(r), measures, rpoMinutes: rpo, rtoHours: r.inputs.tier === "STANDARD_HA" ? 0.1 : 1, regionLoss: "accepted", problems, related: {} };
}

function checkBucket(r: PlannedResource): RecoveryFinding {
  const measures: string[] = [];
  const problems: string[] = [];
  const versioning = obj(r.inputs.versioning).enabled === true;
  const softDelete = Number(obj(r.inputs.softDeletePolicy).retentionDurationSeconds ?? 0);
  const retention = obj(r.inputs.retentionPolicy).retentionPeriod;
  if (versioning) measures.push("object versioning");
  if (softDelete > 0) measures.push(`soft delete ${Math.round(softDelete / 86_400)} day(s)`);
  if (retention !== undefined) measures.push(`retention policy ${Math.round(Number(retention) / 86_400)} day(s)`);
  if (!versioning && softDelete <= 0 && retention === undefined) problems.push("no versioning, soft delete or retention policy: a delete or overwrite is unrecoverable");
  const multi = multiRegionBucket(r.inputs);
  measures.push(multi ? `${String(r.inputs.location)}: replicated across regions` : `regional (${String(r.inputs.location)})`);
  return { urn: r.urn, kind: "bucket", name: nameOf(r), measures, rpoMinutes: problems.length ? null : 0, rtoHours: 0.25, regionLoss: multi ? "covered" : "accepted", problems, related: {} };
}

/** Checks every stateful resource of a plan against the targets. */
export function checkRecovery(plan: Plan, targets: RecoveryTargets = defaultRecoveryTargets, drRegion?: string): RecoveryReport {
  const findings: RecoveryFinding[] = [];
  for (const r of plan.resources) {
    if (r.type === "gcp:sql/databaseInstance:DatabaseInstance" && !r.inputs.masterInstanceName) findings.push(checkDatabase(r, plan, targets, drRegion));
    else if (r.type === "gcp:redis/instance:Instance") findings.push(checkCache(r, targets));
    else if (r.type === "gcp:storage/bucket:Bucket") findings.push(checkBucket(r));
  }
  return { targets, findings, met: findings.every((f) => f.problems.length === 0) };
}

/** The report as text lines for `brume plan`. */
export function renderRecovery(report: RecoveryReport): string {
  const t = report.targets;
  const lines = [`Recovery targets: RPO ${t.rpoMinutes} min, RTO ${t.rtoHours} h (caches: RPO ${t.cacheRpoMinutes} min)`];
  for (const f of report.findings) {
    lines.push(`  ${f.problems.length === 0 ? "ok  " : "FAIL"} ${f.kind} ${f.name}: ${f.measures.join("; ")}; region loss ${f.regionLoss}`);
    for (const p of f.problems) lines.push(`         - ${p} (${f.urn})`);
  }
  return `${lines.join("\n")}\n`;
}
