/** Plans the Bro AI example with the operations sections turned on (shared by the operations tests). */
import { join } from "node:path";
import { planStack } from "../../src/plan/stack.js";
import { runProgram, type Plan } from "../../src/plan/run.js";
import { loadStack } from "../../src/config/load.js";
import { examplePath } from "../harness.js";

export const operationsOverrides = {
  secrets: { "slack-token": { description: "Slack app token for alerts" } },
  observability: {
    notifications: { emails: ["oncall@bro.ai"], slack: { channel: "#alerts", tokenSecret: "slack-token" } },
    thresholds: { sqlCpuPercent: 75 },
    budget: { billingAccount: "01ABCD-23EF45-67AB89", currency: "USD", amounts: { prod: 5000, stage: 800 } },
  },
  access: {
    rbacSecurityGroup: "gke-security-groups@bro.ai",
    groups: {
      owner: ["group:platform-owners@bro.ai"],
      admin: ["group:platform@bro.ai"],
      developer: ["group:devs@bro.ai"],
      viewer: ["group:support@bro.ai"],
    },
  },
  recovery: { rpoMinutes: 15, rtoHours: 4 },
};

/** Plans `examples/bro-ai` for `stack` with `operationsOverrides` (as `brume:overrides` would). */
export async function planOperations(stack: "prod" | "stage", overrides: unknown = operationsOverrides): Promise<Plan> {
  const dir = examplePath("bro-ai");
  const configFile = join(dir, "brume.yaml");
  const loaded = loadStack({ configFile, environment: stack, overrides });
  const program = async () => (await import("../../src/program/index.js")).default();
  return runProgram(program, {
    project: "bro-ai",
    stack,
    // The Slack token, as `pulumi config set --secret --path 'brume:secrets.slack-token'` gives it.
    config: { "brume:configFile": configFile, "brume:environment": stack, "brume:overrides": overrides, "brume:secrets": { "slack-token": "xoxb-offline", "admin-iap-client": "iap-offline" } },
    secretKeys: ["brume:secrets"],
    defaultProject: loaded.environment.gcpProject,
    defaultRegion: loaded.environment.region,
  });
}

export { planStack };
