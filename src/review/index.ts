/**
 * `@brume/infra/review`: the review tools over plans — diff (what changes, what is dangerous), cost
 * (estimate and delta), policy (hardening rules and the gate), recovery (RPO/RTO findings, runbook)
 * and quota (peak demand). The CLI's commands are made of these; any stack can run them on a plan.
 */
// Plan diff and its report
export { diffPlans, diffInputs, emptyPlan, type PlanDiff, type ResourceChange, type InputChange, type Danger, type DangerKind, type ChangeKind } from "./diff/diff.js";
export { replacementRules, replacementReasons, rulesFor, type ReplacementRule } from "./diff/replacements.js";
export { buildReport, renderReport, mermaidDiagram, diffFormats, GITHUB_COMMENT_LIMIT, type DiffReport, type DiffFormat, type EnvironmentDiff } from "./diff/report.js";
export { planAtGitRef, readPlanFile, BaseError } from "./diff/base.js";
// Cost estimate
export { estimateCost, costDelta, formatUsd, type CostEstimate, type CostLine, type CostDelta, type NotPriced } from "./cost/estimate.js";
export { prices, regionFactors, defaultAssumptions, PRICES_AS_OF, type CostAssumptions } from "./cost/prices.js";
// Hardening rules over plans, and the gate `brume plan` runs
export { allPolicyRules, checkPlan, operationsRules, policyRules, statefulTypes, type PolicyRule, type RuleContext, type Violation } from "./policy/rules.js";
export { runGate, policyOnByDefault, type GateResult } from "./policy/gate.js";
// Recovery objectives and the runbook
export { checkRecovery, renderRecovery, renderRunbook, runbookOf, cronIntervalMinutes, defaultRecoveryTargets, type RecoveryReport, type RecoveryFinding, type RecoveryTargets, type RunbookContext } from "./recovery/index.js";
// Peak quota demand of a plan (brume quota)
export { quotaDemand, quotaLine, type QuotaReport, type QuotaLine, type NodeGroupDemand, type SqlInstanceDemand } from "./quota/demand.js";
export { machineVcpus, diskQuotaMetric, cpuQuotaMetricByFamily, type MachineVcpus } from "./quota/machine-types.js";
export { renderQuota, quotaSummary, quotaFormats, type QuotaFormat } from "./quota/render.js";
