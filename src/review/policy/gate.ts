/**
 * The checks `brume plan --policy` runs after planning (on by default for production stacks):
 * every policy rule over the plan (rule name + URN per violation) and the recovery targets per
 * stateful resource. Pure over a plan and the loaded config.
 */
import type { LoadedStack } from "../../config/load.js";
import { checkRecovery, defaultRecoveryTargets, renderRecovery, type RecoveryReport } from "../recovery/check.js";
import type { Plan } from "../../plan/run.js";
import { allPolicyRules, checkPlan, type Violation } from "./rules.js";

export interface GateResult {
  violations: Violation[];
  recovery: RecoveryReport;
  /** Whether unmet recovery targets fail this environment. */
  recoveryEnforced: boolean;
  failed: boolean;
  /** Human-readable report (stderr of `brume plan`). */
  text: string;
}

/** Production stacks get the policy check unless told otherwise. */
export function policyOnByDefault(loaded: Pick<LoadedStack, "environment">): boolean {
  return loaded.environment.preset === "production";
}

export function runGate(plan: Plan, loaded: Pick<LoadedStack, "config" | "environment">): GateResult {
  const env = loaded.environment;
  const production = env.preset === "production";
  const violations = checkPlan(plan, allPolicyRules, { production });
  const r = loaded.config.recovery;
  const targets = r ? { rpoMinutes: r.rpoMinutes, rtoHours: r.rtoHours, cacheRpoMinutes: r.cacheRpoMinutes } : defaultRecoveryTargets;
  const recovery = checkRecovery(plan, targets, env.drRegion);
  const recoveryEnforced = r?.enforce ? r.enforce.includes(env.name) : production;
  const failed = violations.length > 0 || (recoveryEnforced && !recovery.met);
  const lines: string[] = [];
  if (violations.length === 0) lines.push(`Policy: ${allPolicyRules.length} rules, no violation.`);
  else {
    lines.push(`Policy: ${violations.length} violation(s):`);
    for (const v of violations) lines.push(`  - [${v.rule}] ${v.urn}: ${v.message}`);
  }
  lines.push(renderRecovery(recovery).trimEnd());
  if (!recovery.met) lines.push(recoveryEnforced ? `Recovery targets not met in ${env.name}: failing.` : `Recovery targets not met (not enforced in ${env.name}).`);
  return { violations, recovery, recoveryEnforced, failed, text: `${lines.join("\n")}\n` };
}
