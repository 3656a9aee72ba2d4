/**
 * How often a cron schedule fires in an average month, for the cost of scheduled work that bills
 * while it runs (the restore test's clone). Five fields (minute hour day-of-month month
 * day-of-week) with `*`, lists, ranges and steps, as Kubernetes CronJobs take them
 * (https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax); when both
 * day fields are restricted, cron runs on either (the union, approximated by the sum).
 */
const DAYS_PER_MONTH = 30.44;

function count(field: string, min: number, max: number): number {
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    const bounds = range === "*" ? [min, max] : range!.split("-").map(Number);
    const lo = bounds[0]!;
    const hi = bounds[1] ?? (stepText === undefined ? lo : max);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || !Number.isInteger(step) || step < 1) throw new RangeError(`unreadable cron field "${field}"`);
    for (let v = lo; v <= hi; v += step) values.add(v === 7 && max === 7 ? 0 : v);
  }
  return values.size;
}

/** Average runs per month of a five-field cron schedule. */
export function cronRunsPerMonth(schedule: string): number {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== 5) throw new RangeError(`a cron schedule has five fields, got "${schedule}"`);
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const perDay = count(minute, 0, 59) * count(hour, 0, 23);
  const days =
    dom === "*" && dow === "*"
      ? DAYS_PER_MONTH
      : dom === "*"
        ? (count(dow, 0, 7) * DAYS_PER_MONTH) / 7
        : dow === "*"
          ? count(dom, 1, 31)
          : count(dom, 1, 31) + (count(dow, 0, 7) * DAYS_PER_MONTH) / 7;
  return (perDay * days * count(month, 1, 12)) / 12;
}
