/** Backups and disaster recovery over plans: the recovery check and the generated runbook. */
import type { LoadedStack } from "../../config/load.js";
import { Naming } from "../../config/naming.js";
import type { Plan } from "../../plan/run.js";
import { defaultRecoveryTargets } from "./check.js";
import { renderRunbook } from "./runbook.js";

export * from "./check.js";
export * from "./runbook.js";

/** The runbook of a planned stack, with targets, regions and consumers from its config. */
export function runbookOf(plan: Plan, loaded: Pick<LoadedStack, "config" | "environment">): string {
  const { config, environment: env } = loaded;
  const consumers: Record<string, string[]> = {};
  for (const [name, svc] of Object.entries(config.services)) {
    for (const key of [svc.uses.database && `database ${svc.uses.database}`, svc.uses.cache && `cache ${svc.uses.cache}`]) {
      if (key) (consumers[key] ??= []).push(name);
    }
  }
  const r = config.recovery;
  return renderRunbook(
    plan,
    {
      environment: env.name,
      gcpProject: env.gcpProject,
      region: env.region,
      ...(env.drRegion ? { drRegion: env.drRegion } : {}),
      namespace: Naming.of(config.project.name, env.name).prefix,
      consumers,
    },
    r ? { rpoMinutes: r.rpoMinutes, rtoHours: r.rtoHours, cacheRpoMinutes: r.cacheRpoMinutes } : defaultRecoveryTargets,
  );
}
