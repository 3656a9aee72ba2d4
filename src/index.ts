/**
 * @brume/infra — Pulumi components for running a product on Google Cloud from one brume.yaml,
 * and the same components with typed args for any TypeScript Pulumi stack.
 *
 * The root entry is the components, their argument and output types, and the config (schema, types,
 * loading). Everything else has a subpath of its own (CHANGELOG.md lists where each name moved):
 *   @brume/infra/components  the components' building blocks (naming, firewall rules, manifests, release steps)
 *   @brume/infra/render      pure renderers (cloud-init, scripts, systemd units, Caddyfile)
 *   @brume/infra/plan        the offline plan (run any program under the mocks, creation-order check)
 *   @brume/infra/review      diff, cost, policy, recovery, quota over plans
 *   @brume/infra/testing     the test kit for your own stacks (+ /testing/vitest matchers)
 *   @brume/infra/program     the Pulumi program brume.yaml stacks run (Pulumi.yaml `main`)
 * Importing the root loads no CLI, review or plan code.
 */
// Components: one folder per concept
export { Project, type ProjectArgs } from "./components/project/project.js";
export { Apis, type ApisArgs, type ServiceAgent } from "./components/apis/apis.js";
export { Environment, type EnvironmentArgs } from "./components/environment/environment.js";
export { Network, type NetworkArgs } from "./components/network/network.js";
export { Cluster, type ClusterArgs, type ImageRepository } from "./components/cluster/cluster.js";
export { type NodePoolSpec } from "./components/cluster/node-pools.js";
export { Database, type DatabaseArgs } from "./components/database/database.js";
export { DatabaseBackup, type DatabaseBackupArgs } from "./components/database/backup.js";
export { RestoreTest, type RestoreTestArgs } from "./components/database/restore-test.js";
export { Cache, type CacheArgs } from "./components/cache/cache.js";
export { Topic, type TopicArgs, type TopicSubscriptionArgs } from "./components/messaging/topic.js";
export { Bucket, type BucketArgs } from "./components/storage/bucket.js";
export { Registry, type RegistryArgs } from "./components/storage/registry.js";
export { CdnFrontend, type CdnFrontendArgs } from "./components/cdn/cdn-frontend.js";
export { Secret, type SecretArgs } from "./components/security/secret.js";
export { KeyRing, type KeyRingArgs } from "./components/security/kms.js";
export { CiIdentity, type CiIdentityArgs } from "./components/security/ci-identity.js";
export { Access, type AccessArgs, type AccessRoleName } from "./components/security/access.js";
export { Observability, type ObservabilityArgs } from "./components/observability/observability.js";
export { type MonitoredInventory, type Thresholds } from "./components/observability/alerts.js";
export { Service, type ServiceArgs, type ServiceTargets, type WorkloadResources } from "./components/service/service.js";
export { Namespace, type NamespaceArgs } from "./components/service/namespace.js";
export { createServices, type ProjectServices, type ServicesTransform } from "./components/service/wiring.js";
export { Bootstrap, type BootstrapArgs } from "./components/bootstrap/bootstrap.js";
export {
  MachineGroup,
  Machines,
  type MachineGroupArgs,
  type MachinesArgs,
  type MachinesFrontend,
  type MachineRelease,
  type MachineStrategy,
} from "./components/machine/index.js";
// What component args are made of: names (`naming:`) and per-child transforms (`transform:`).
export { Naming } from "./config/naming.js";
export { type Transform } from "./components/child-resources/transform.js";

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
