/** Offline planning: run any Pulumi program under deterministic mocks and get its resource graph. */
export { planContract, plannedResourceContract } from "./contract.js";
export {
  checkCreationOrder,
  checkCreationOrderWith,
  creationOrderRequirements,
  CreationOrderError,
  formatViolations,
  PlanIndex,
  WaitGraph,
  type CheckCreationOrderOptions,
  type CreationOrderRequirement,
  type CreationOrderRule,
  type CreationOrderViolation,
  type KubernetesObject,
} from "./creation-order.js";
export { creationOrderRules } from "./creation-order-rules.js";
export { countByType, planFormats, renderPlan, type PlanFormat } from "./format.js";
export { mockAddressIn, mockPrivateIp, mockProjectNumber, mockPublicIp, PlanMocks, UnknowableInvokeError, UnmockedInvokeError } from "./mocks.js";
export { normalizeWireValue, PlanError, runProgram, SECRET_MASK, UNKNOWN_MASK, type Plan, type PlannedResource, type RunProgramOptions } from "./run.js";
export { checkImages, plannedImages, renderImageViolations, type ImageCheckOptions, type ImageViolation } from "./images.js";
export { secretsWithoutValue, type SecretValueOptions, type SecretWithoutValue } from "./secret-values.js";
export { offlineSecretPlaceholder, planStack, readStackConfig, stackWarnings, type PlanStackOptions, type StackConfig, type StackPlan } from "./stack.js";
