/**
 * @brume/infra — Pulumi components for running a product on Google Cloud from one brume.yaml,
 * and the same components with typed args for any TypeScript Pulumi stack.
 */
// Components: one folder per concept
export { Project, imagePatterns, servingPorts, type ProjectArgs } from "../components/project/project.js";
export { Apis, defaultApis, projectNumberOf, serviceAgentEmail, serviceAgentMember, type ApisArgs, type ServiceAgent } from "../components/project/apis.js";
export { Environment, type EnvironmentArgs } from "../components/environment/environment.js";
export { Network, networkDefaults, secondaryRangeNames, type NetworkArgs } from "../components/network/network.js";
export { firewallRules, networkTags } from "../components/network/firewall.js";
export { Cluster, nodeServiceAccountRoles, type ClusterArgs } from "../components/cluster/cluster.js";
export { defaultNodePools, presetNodePools, spotTaint, type NodePoolSpec } from "../components/cluster/node-pools.js";
export { renderKubeconfig } from "../components/cluster/kubeconfig.js";
export { Database, databaseFlags, type DatabaseArgs } from "../components/database/database.js";
export { Cache, type CacheArgs } from "../components/cache/cache.js";
export { cacheTierProblems, redisLimits } from "../components/cache/tier.js";
export { Topic, type TopicArgs, type TopicSubscriptionArgs } from "../components/messaging/topic.js";
export { durationToSeconds } from "../components/messaging/duration.js";
export { Bucket, bucketPlacement, type BucketArgs } from "../components/storage/bucket.js";
export { Registry, type RegistryArgs } from "../components/storage/registry.js";
export { Secret, type SecretArgs } from "../components/security/secret.js";
export { KeyRing, type KeyRingArgs } from "../components/security/kms.js";

// Hardening rules over plans
export { checkPlan, policyRules, statefulTypes, type PolicyRule, type Violation } from "./policy/rules.js";

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
export { Naming, physicalName, nameLimits } from "./naming.js";
export { transformed, type Transform } from "./component/transform.js";
