/**
 * `@brume/infra/components`: the components with their building blocks — the pure helpers they are
 * made of (naming, firewall rules, node pools, images, manifests, alerts, release strategy steps) and
 * the config facts they read. The root entry exports the components and their args; this subpath keeps
 * every name the root exported before 0.2.0 that belongs to a component (see CHANGELOG.md).
 */
export { Project, clusterImages, imagePatterns, nodeImageRepositories, servingPorts, type ProjectArgs } from "./project/project.js";
export { Apis, defaultApis, projectNumberOf, serviceAgentEmail, serviceAgentMember, type ApisArgs, type ServiceAgent } from "./apis/apis.js";
export { Environment, type EnvironmentArgs } from "./environment/environment.js";
export { Network, networkDefaults, secondaryRangeNames, type NetworkArgs } from "./network/network.js";
export { firewallRules, networkTags } from "./network/firewall.js";
export { domainsInZone } from "./network/dns.js";
export { Cluster, nodeServiceAccountRoles, type ClusterArgs, type ImageRepository } from "./cluster/cluster.js";
export { admits, artifactRepositoryOf, publicRepositories, repositoryPathOf, repositoryPattern } from "./cluster/images.js";
export { defaultNodePools, presetNodePools, spotTaint, type NodePoolSpec } from "./cluster/node-pools.js";
export { renderKubeconfig } from "./cluster/kubeconfig.js";
export { Database, databaseFlags, type DatabaseArgs } from "./database/database.js";
export { DatabaseBackup, exportRequestBody, exportEndpoint, type DatabaseBackupArgs } from "./database/backup.js";
export { RestoreTest, restoreTestRoles, type RestoreTestArgs } from "./database/restore-test.js";
export { Cache, type CacheArgs } from "./cache/cache.js";
export { Topic, type TopicArgs, type TopicSubscriptionArgs } from "./messaging/topic.js";
export { durationToSeconds } from "./messaging/duration.js";
export { Bucket, bucketPlacement, type BucketArgs } from "./storage/bucket.js";
export { Registry, type RegistryArgs } from "./storage/registry.js";
export { CdnFrontend, cdnFrontendNames, cdnLoadBalancingSchemes, type CdnFrontendArgs } from "./cdn/cdn-frontend.js";
export { Secret, type SecretArgs } from "./security/secret.js";
export { KeyRing, type KeyRingArgs } from "./security/kms.js";
export { CiIdentity, ciGrants, githubAttributeCondition, type CiIdentityArgs } from "./security/ci-identity.js";
export { deployRolesFor, delegatedRoles, grantLimitCondition, privilegedRoles } from "./security/deploy-roles.js";
export { Bootstrap, type BootstrapArgs } from "./bootstrap/bootstrap.js";
export { Access, accessGrants, accessRoles, kubernetesClusterRole, projectRoles, rbacSubject, type AccessArgs, type AccessRoleName } from "./security/access.js";
export { Observability, budgetThresholds, type ObservabilityArgs } from "./observability/observability.js";
export { alertSpecs, defaultThresholds, errorLogFilter, type AlertSpec, type MonitoredInventory, type Thresholds } from "./observability/alerts.js";
export { environmentDashboard, dashboardWidgets, type Dashboard } from "./observability/dashboard.js";
export { Service, dataPorts, type ServiceArgs, type ServiceTargets, type WorkloadResources } from "./service/service.js";
export { Namespace, defaultNamespaceLimits, type NamespaceArgs } from "./service/namespace.js";
export { createServices, callersOf, type ProjectServices, type ServicesTransform } from "./service/wiring.js";
export { grantsOf, grantRoles, cloudSqlCondition, type Grant } from "./service/grants.js";
export * as serviceManifests from "./service/manifests.js";
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
} from "./strategy/strategy.js";
export { MachineGroup, Machines, machineImages, machineProjectRoles, maxSurgeFor, strategyPlan, specForRelease, machineSpecFor, frontendPlan, maxCertificateDomains, type FrontendPlan, type MachineGroupArgs, type MachinesArgs, type MachinesFrontend, type MachineRelease, type MachineStrategy } from "./machine/index.js";
export { transformed, type Transform } from "./child-resources/transform.js";
// Config facts the components are built from.
export { Naming, physicalName, nameLimits } from "../config/naming.js";
export { cacheTierProblems, redisLimits } from "../config/cache-tiers.js";
