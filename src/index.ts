/**
 * @brume/infra — Pulumi components for running a product on Google Cloud from one brume.yaml,
 * and the same components with typed args for any TypeScript Pulumi stack.
 */
// Components: one folder per concept
export { Project, clusterImages, imagePatterns, nodeImageRepositories, servingPorts, type ProjectArgs } from "./components/project/project.js";
export { Apis, defaultApis, projectNumberOf, serviceAgentEmail, serviceAgentMember, type ApisArgs, type ServiceAgent } from "./components/apis/apis.js";
export { Environment, type EnvironmentArgs } from "./components/environment/environment.js";
export { Network, networkDefaults, secondaryRangeNames, type NetworkArgs } from "./components/network/network.js";
export { firewallRules, networkTags } from "./components/network/firewall.js";
export { Cluster, nodeServiceAccountRoles, type ClusterArgs, type ImageRepository } from "./components/cluster/cluster.js";
export { admits, artifactRepositoryOf, publicRepositories, repositoryPathOf, repositoryPattern } from "./components/cluster/images.js";
export { defaultNodePools, presetNodePools, spotTaint, type NodePoolSpec } from "./components/cluster/node-pools.js";
export { renderKubeconfig } from "./components/cluster/kubeconfig.js";
export { Database, databaseFlags, type DatabaseArgs } from "./components/database/database.js";
export { Cache, type CacheArgs } from "./components/cache/cache.js";
export { cacheTierProblems, redisLimits } from "./config/cache-tiers.js";
export { Topic, type TopicArgs, type TopicSubscriptionArgs } from "./components/messaging/topic.js";
export { durationToSeconds } from "./components/messaging/duration.js";
export { Bucket, bucketPlacement, type BucketArgs } from "./components/storage/bucket.js";
export { Registry, type RegistryArgs } from "./components/storage/registry.js";
export { Secret, type SecretArgs } from "./components/security/secret.js";
export { KeyRing, type KeyRingArgs } from "./components/security/kms.js";
export { CiIdentity, ciGrants, githubAttributeCondition, type CiIdentityArgs } from "./components/security/ci-identity.js";
export { deployRolesFor, delegatedRoles, grantLimitCondition, privilegedRoles } from "./components/security/deploy-roles.js";
export { Bootstrap, type BootstrapArgs } from "./components/bootstrap/bootstrap.js";
export { Observability, budgetThresholds, type ObservabilityArgs } from "./components/observability/observability.js";
export { alertSpecs, defaultThresholds, errorLogFilter, type AlertSpec, type MonitoredInventory, type Thresholds } from "./components/observability/alerts.js";
export { environmentDashboard, dashboardWidgets, type Dashboard } from "./components/observability/dashboard.js";
export { Access, accessGrants, accessRoles, kubernetesClusterRole, projectRoles, rbacSubject, type AccessArgs, type AccessRoleName } from "./components/security/access.js";
export { DatabaseBackup, exportRequestBody, exportEndpoint, type DatabaseBackupArgs } from "./components/database/backup.js";
export { Service, dataPorts, type ServiceArgs, type ServiceTargets, type WorkloadResources } from "./components/service/service.js";
export { Namespace, defaultNamespaceLimits, type NamespaceArgs } from "./components/service/namespace.js";
export { createServices, callersOf, type ProjectServices, type ServicesTransform } from "./components/service/wiring.js";
export { grantsOf, grantRoles, cloudSqlCondition, type Grant } from "./components/service/grants.js";
export * as serviceManifests from "./components/service/manifests.js";
export {
  workloadsOf,
  routeOf,
  servingVersion,
  canaryScaling,
  deploy as deployRelease,
  setWeight as setCanaryWeight,
  promote as promoteRelease,
  abort as abortRelease,
  rollback as rollbackRelease,
  deployedReleases,
  ReleaseError,
  type Workload,
  type RoutePlan,
} from "./components/strategy/strategy.js";
export { allPolicyRules, operationsRules, type RuleContext } from "./review/policy/rules.js";
export { runGate, policyOnByDefault, type GateResult } from "./review/policy/gate.js";
export { checkRecovery, renderRecovery, renderRunbook, runbookOf, cronIntervalMinutes, defaultRecoveryTargets, type RecoveryReport, type RecoveryFinding, type RecoveryTargets, type RunbookContext } from "./review/recovery/index.js";

// Peak quota demand of a plan (brume quota), for any stack
export { quotaDemand, quotaLine, type QuotaReport, type QuotaLine, type NodeGroupDemand, type SqlInstanceDemand } from "./review/quota/demand.js";
export { machineVcpus, diskQuotaMetric, cpuQuotaMetricByFamily, type MachineVcpus } from "./review/quota/machine-types.js";
export { renderQuota, quotaSummary, quotaFormats, type QuotaFormat } from "./review/quota/render.js";

// Hardening rules over plans
export { checkPlan, policyRules, statefulTypes, type PolicyRule, type Violation } from "./review/policy/rules.js";

// Config: schema, types, loading, validation
export * from "./config/schema.js";
export { presets, presetNames, defaultPresetFor, type PresetName, type PresetSettings } from "./config/presets.js";
export { ConfigError, formatIssues, type ConfigIssue } from "./config/errors.js";
export { deepMerge } from "./config/merge.js";
export {
  findConfigFile,
  loadStack,
  parseConfigText,
  readConfigFile,
  resolveEnvironment,
  validateConfig,
  type LoadedStack,
  type LoadStackOptions,
  type ResolvedEnvironment,
} from "./config/load.js";
export { defaultNetworkPlan, environmentIndexes, plannedNetwork, type NetworkPlan } from "./config/cidr-plan.js";
export { brumeJsonSchema } from "./config/json-schema.js";

// Building blocks
export { Naming, physicalName, nameLimits } from "./config/naming.js";
export { transformed, type Transform } from "./components/child-resources/transform.js";

// Reviewing changes: plan diff and cost estimate
export { diffPlans, diffInputs, emptyPlan, type PlanDiff, type ResourceChange, type InputChange, type Danger, type DangerKind, type ChangeKind } from "./review/diff/diff.js";
export { replacementRules, replacementReasons, rulesFor, type ReplacementRule } from "./review/diff/replacements.js";
export { buildReport, renderReport, mermaidDiagram, diffFormats, GITHUB_COMMENT_LIMIT, type DiffReport, type DiffFormat, type EnvironmentDiff } from "./review/diff/report.js";
export { planAtGitRef, readPlanFile, BaseError } from "./review/diff/base.js";
export { estimateCost, costDelta, formatUsd, type CostEstimate, type CostLine, type CostDelta, type NotPriced } from "./review/cost/estimate.js";
export { prices, regionFactors, defaultAssumptions, PRICES_AS_OF, type CostAssumptions } from "./review/cost/prices.js";
export * from "./render/index.js";
export { MachineGroup, Machines, machineImages, machineProjectRoles, maxSurgeFor, strategyPlan, specForRelease, machineSpecFor, frontendPlan, maxCertificateDomains, type FrontendPlan, type MachineGroupArgs, type MachinesArgs, type MachinesFrontend, type MachineRelease, type MachineStrategy } from "./components/machine/index.js";
export { domainsInZone } from "./components/network/dns.js";
