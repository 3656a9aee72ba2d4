/**
 * @brume/infra — Pulumi components for running a product on Google Cloud from one brume.yaml,
 * and the same components with typed args for any TypeScript Pulumi stack.
 */
// Components
export { Project, type ProjectArgs } from "../components/project/project.js";
export { Environment, type EnvironmentArgs } from "../components/environment/environment.js";
export { Network, secondaryRangeNames, type NetworkArgs } from "../components/network/network.js";

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
