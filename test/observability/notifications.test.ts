/**
 * Budgets and rotation reminders reach someone (gcp-review 10, 29, 30): the budget goes through a
 * provider with a quota project and notifies at most 5 channels; the budget and rotation topics
 * have retained subscriptions; one rotation-publisher grant serves every rotating secret.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { alertSpecs } from "../../src/components/observability/alerts.js";
import { ConfigError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";
import type { Plan } from "../../src/plan/run.js";
import { byUrn, one, ofType, planProgram } from "../harness.js";
import { operationsOverrides, planOperations } from "./operations-plan.js";

const T = {
  budget: "gcp:billing/budget:Budget",
  provider: "pulumi:providers:gcp",
  subscription: "gcp:pubsub/subscription:Subscription",
  topicMember: "gcp:pubsub/topicIAMMember:TopicIAMMember",
  secret: "gcp:secretmanager/secret:Secret",
  alert: "gcp:monitoring/alertPolicy:AlertPolicy",
};

describe("the Bro AI prod stack with operations: budget and rotation reminders", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planOperations("prod");
  });

  it("the budget is created through its own provider: quota project = the environment's, userProjectOverride", () => {
    const budget = one(plan, T.budget, "bro-ai-prod-observability-budget");
    const provider = byUrn(plan, budget.provider);
    expect(provider.type).toBe(T.provider);
    expect(provider.name).toBe("bro-ai-prod-observability-budget-provider");
    expect(provider.inputs).toMatchObject({ project: "bro-ai-prod", billingProject: "bro-ai-prod", userProjectOverride: "true" });
    // Every other GCP resource stays on the environment's provider.
    const others = plan.resources.filter((r) => r.type.startsWith("gcp:") && r.type !== T.budget);
    expect(others.filter((r) => r.provider.includes("budget-provider")).map((r) => r.name)).toEqual([]);
  });

  it("the budget topic has a retained pull subscription that never expires", () => {
    const sub = one(plan, T.subscription, "bro-ai-prod-observability-budget-subscription");
    expect(sub.inputs).toMatchObject({
      name: "bro-ai-prod-budget-notifications",
      topic: "projects/bro-ai-prod/topics/bro-ai-prod-budget",
      messageRetentionDuration: "604800s",
      retainAckedMessages: false,
      expirationPolicy: { ttl: "" },
      ackDeadlineSeconds: 60,
    });
    expect(sub.inputs).not.toHaveProperty("pushConfig");
  });

  it("one rotation-publisher grant for the environment; every rotating secret waits for it", () => {
    const grants = ofType(plan, T.topicMember).filter((m) => String(m.inputs.topic).includes("secret-rotation"));
    expect(grants.map((g) => g.name)).toEqual(["bro-ai-prod-secret-rotation-publisher"]);
    const grant = grants[0]!;
    expect(grant.inputs).toMatchObject({
      topic: "projects/bro-ai-prod/topics/bro-ai-prod-secret-rotation",
      role: "roles/pubsub.publisher",
      member: expect.stringMatching(/^serviceAccount:service-\d+@gcp-sa-secretmanager\.iam\.gserviceaccount\.com$/),
    });
    const rotating = ofType(plan, T.secret).filter((s) => s.inputs.rotation !== undefined);
    expect(rotating.map((s) => s.name).sort()).toEqual(["bro-ai-prod-secret-jwt-signing-key-secret", "bro-ai-prod-secret-openai-api-key-secret"]);
    for (const secret of rotating) {
      expect(secret.dependencies, secret.name).toContain(grant.urn);
      expect(secret.inputs.topics).toEqual([{ name: "projects/bro-ai-prod/topics/bro-ai-prod-secret-rotation" }]);
    }
  });

  it("rotation reminders land in a filtered, retained subscription and raise an alert to every channel", () => {
    const sub = one(plan, T.subscription, "bro-ai-prod-secret-rotation-reminders");
    expect(sub.inputs).toMatchObject({
      name: "bro-ai-prod-secret-rotation-reminders",
      topic: "projects/bro-ai-prod/topics/bro-ai-prod-secret-rotation",
      filter: 'attributes.eventType = "SECRET_ROTATE"',
      messageRetentionDuration: "604800s",
      expirationPolicy: { ttl: "" },
    });
    const alert = one(plan, T.alert, "bro-ai-prod-observability-alert-pubsub-secret-rotation-unread");
    const condition = (alert.inputs.conditions as { conditionThreshold: Record<string, unknown> }[])[0]!.conditionThreshold;
    expect(condition).toMatchObject({
      filter:
        'resource.type = "pubsub_subscription" AND resource.labels.subscription_id = "bro-ai-prod-secret-rotation-reminders" AND metric.type = "pubsub.googleapis.com/subscription/num_undelivered_messages"',
      comparison: "COMPARISON_GT",
      thresholdValue: 0,
      duration: "0s",
    });
    expect(alert.inputs.notificationChannels).toHaveLength(2);
  });
});

describe("at most 5 notification channels with a budget (config rule)", () => {
  const base = {
    project: { name: "shop", region: "europe-west1", drRegion: "europe-west4" },
    environments: { prod: { gcpProject: "shop-prod-1234" } },
    secrets: { "slack-token": {} },
  };
  const budget = { billingAccount: "01ABCD-23EF45-67AB89", amounts: { prod: 100 } };
  const emails = (n: number) => Array.from({ length: n }, (_, i) => `oncall${i}@shop.example.com`);
  const issuesOf = (doc: unknown) => {
    try {
      validateConfig(doc);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.issues;
      throw err;
    }
  };

  it("names the path, the value and the fix", () => {
    const issues = issuesOf({
      ...base,
      observability: { notifications: { emails: emails(5), slack: operationsOverrides.observability.notifications.slack }, budget },
    });
    expect(issues).toEqual([
      {
        path: "observability.notifications.emails",
        value: emails(5),
        message:
          "a budget notifies at most 5 channels (Billing Budgets API), but 6 are configured (5 emails + Slack); use a group address for several people, or keep at most 4 emails",
      },
    ]);
  });

  it("accepts a config exactly when emails + Slack ≤ 5, or when there is no budget", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.boolean(), fc.boolean(), (n, slack, withBudget) => {
        const doc = {
          ...base,
          observability: {
            notifications: { emails: emails(n), ...(slack ? { slack: operationsOverrides.observability.notifications.slack } : {}) },
            ...(withBudget ? { budget } : {}),
          },
        };
        const channelIssues = issuesOf(doc).filter((i) => i.path === "observability.notifications.emails");
        expect(channelIssues.length).toBe(withBudget && n + (slack ? 1 : 0) > 5 ? 1 : 0);
      }),
      { numRuns: 60 },
    );
  });

  it("the component refuses more than 5 channels too (no silent truncation)", async () => {
    const run = planProgram(async () => {
      const { Observability } = await import("../../src/components/observability/observability.js");
      const { Naming } = await import("../../src/config/naming.js");
      new Observability("o", {
        project: "p",
        region: "europe-west1",
        naming: Naming.of("p", "prod"),
        inventory: { gcpProject: "p", region: "europe-west1", databases: [], caches: [], subscriptions: [], endpoints: [], exposedServices: [], machineGroups: [] },
        notifications: { emails: emails(6) },
        budget: { billingAccount: "01ABCD-23EF45-67AB89", currency: "USD", amount: 10 },
        protect: false,
      });
    });
    await expect(run).rejects.toThrow("o: a budget notifies at most 5 notification channels, got 6");
  });

  it("the rotation alert is derived from the inventory (pure)", () => {
    const specs = alertSpecs({
      gcpProject: "p",
      region: "r",
      databases: [],
      caches: [],
      subscriptions: [],
      endpoints: [],
      exposedServices: [],
      machineGroups: [],
      notifications: [{ key: "secret-rotation", subscription: "p-prod-secret-rotation-reminders", what: "A secret is due for rotation" }],
    });
    expect(specs.map((s) => s.key)).toEqual(["pubsub-secret-rotation-unread"]);
    expect(specs[0]!.documentation).toContain("gcloud pubsub subscriptions pull p-prod-secret-rotation-reminders --auto-ack");
  });
});
