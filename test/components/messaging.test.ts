import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { durationSecondsOf, durationToSeconds, normalizeSubscription } from "../../src/components/messaging/topic.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import { one, ofType, planProgram } from "../harness.js";

const T = {
  topic: "gcp:pubsub/topic:Topic",
  sub: "gcp:pubsub/subscription:Subscription",
  topicIam: "gcp:pubsub/topicIAMMember:TopicIAMMember",
  subIam: "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
  sa: "gcp:serviceaccount/account:Account",
  saIam: "gcp:serviceaccount/iAMMember:IAMMember",
} as const;

const project = "shop-prod-7781";
const agent = `serviceAccount:service-${mockProjectNumber(project)}@gcp-sa-pubsub.iam.gserviceaccount.com`;

describe("durationToSeconds", () => {
  it("converts config durations to GCP Duration strings", () => {
    expect(durationToSeconds("7d")).toBe("604800s");
    expect(durationToSeconds("10m")).toBe("600s");
    expect(durationToSeconds("24h")).toBe("86400s");
    expect(durationToSeconds("45s")).toBe("45s");
    expect(durationToSeconds("0s")).toBe("0s");
  });

  it("rejects anything else with the expected-format message", () => {
    for (const bad of ["7", "7w", "-1d", "1.5h", "", "d"]) {
      expect(() => durationToSeconds(bad)).toThrow(`invalid duration "${bad}": expected a duration such as "30s", "10m", "24h" or "7d"`);
    }
  });

  it("is linear in the count for every unit", () => {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 };
    fc.assert(
      fc.property(fc.nat(100000), fc.constantFrom("s", "m", "h", "d"), (n, u) => {
        expect(durationSecondsOf(`${n}${u}`)).toBe(n * unit[u as keyof typeof unit]);
      }),
    );
  });
});

describe("normalizeSubscription", () => {
  it("applies the schema's defaults", () => {
    expect(normalizeSubscription("s", {})).toEqual({
      ackDeadlineSeconds: 30,
      maxDeliveryAttempts: 10,
      minBackoff: "10s",
      maxBackoff: "600s",
      exactlyOnce: false,
      ordering: false,
    });
  });

  it("rejects what Pub/Sub would reject, naming the subscription", () => {
    expect(() => normalizeSubscription("a", { push: "https://x.test/p", exactlyOnce: true })).toThrow(
      'subscription "a": exactly-once delivery is only supported on pull subscriptions',
    );
    expect(() => normalizeSubscription("b", { minBackoff: "5m", maxBackoff: "1m" })).toThrow(
      'subscription "b": minBackoff (300s) exceeds maxBackoff (60s)',
    );
    expect(() => normalizeSubscription("c", { maxBackoff: "11m" })).toThrow('subscription "c": maxBackoff must be between 0s and 600s, got "11m"');
    expect(() => normalizeSubscription("d", { maxDeliveryAttempts: 4 })).toThrow("between 5 and 100");
    expect(() => normalizeSubscription("e", { ackDeadlineSeconds: 601 })).toThrow("between 10 and 600");
    expect(() => normalizeSubscription("f", { push: "http://x.test" })).toThrow("must be an https:// URL");
  });
});

async function planOrders() {
  return planProgram(
    async () => {
      const { Topic } = await import("../../src/components/messaging/topic.js");
      const { Naming } = await import("../../src/config/naming.js");
      new Topic("orders", {
        project,
        naming: Naming.of("shop", "prod"),
        topic: "orders",
        retention: "3d",
        labels: { team: "checkout" },
        subscriptions: {
          billing: { ackDeadlineSeconds: 60, maxDeliveryAttempts: 7, minBackoff: "5s", maxBackoff: "5m", exactlyOnce: true, ordering: true },
          webhook: { push: "https://hooks.shop.test/orders" },
        },
      });
    },
    { defaultProject: project },
  );
}

describe("brume:messaging:Topic", () => {
  it("creates the topic with retention in seconds", async () => {
    const plan = await planOrders();
    const topic = one(plan, T.topic, "orders-topic");
    expect(topic.inputs).toEqual({
      project,
      name: "shop-prod-orders",
      messageRetentionDuration: "259200s",
      labels: { team: "checkout" },
    });
    expect(ofType(plan, T.topic)).toHaveLength(3); // the topic + one DLQ per subscription
    expect(ofType(plan, T.sub)).toHaveLength(4); // two subscriptions + one on each DLQ
    expect(ofType(plan, T.topicIam)).toHaveLength(2);
    expect(ofType(plan, T.subIam)).toHaveLength(2);
    expect(ofType(plan, T.sa)).toHaveLength(1);
    expect(ofType(plan, T.saIam)).toHaveLength(1);
    expect(one(plan, "brume:messaging:Topic", "orders").custom).toBe(false);
  });

  it("configures a pull subscription with retry, dead letters, exactly-once and ordering; it never expires", async () => {
    const plan = await planOrders();
    const topic = one(plan, T.topic, "orders-topic");
    const dlq = one(plan, T.topic, "orders-billing-dlq");
    const billing = one(plan, T.sub, "orders-billing");
    expect(billing.inputs).toEqual({
      project,
      name: "shop-prod-orders-billing",
      topic: `projects/${project}/topics/shop-prod-orders`,
      ackDeadlineSeconds: 60,
      messageRetentionDuration: "259200s",
      retryPolicy: { minimumBackoff: "5s", maximumBackoff: "300s" },
      deadLetterPolicy: { deadLetterTopic: `projects/${project}/topics/shop-prod-orders-billing-dlq`, maxDeliveryAttempts: 7 },
      enableExactlyOnceDelivery: true,
      enableMessageOrdering: true,
      expirationPolicy: { ttl: "" },
      labels: { team: "checkout" },
    });
    expect(billing.inputs).not.toHaveProperty("pushConfig");
    expect(billing.dependencies).toEqual([dlq.urn, topic.urn].sort());
  });

  it("keeps dead letters: a DLQ topic and a never-expiring subscription on it, 7 days", async () => {
    const plan = await planOrders();
    const dlq = one(plan, T.topic, "orders-billing-dlq");
    expect(dlq.inputs).toMatchObject({ name: "shop-prod-orders-billing-dlq", messageRetentionDuration: "604800s" });
    const keep = one(plan, T.sub, "orders-billing-dlq");
    expect(keep.inputs).toEqual({
      project,
      name: "shop-prod-orders-billing-dlq",
      topic: `projects/${project}/topics/shop-prod-orders-billing-dlq`,
      ackDeadlineSeconds: 60,
      messageRetentionDuration: "604800s",
      retainAckedMessages: true,
      expirationPolicy: { ttl: "" },
      labels: { team: "checkout" },
    });
    expect(keep.dependencies).toEqual([dlq.urn]);
  });

  it("grants the Pub/Sub service agent publish on each DLQ and subscribe on each source subscription", async () => {
    const plan = await planOrders();
    for (const sub of ["billing", "webhook"]) {
      const publisher = one(plan, T.topicIam, `orders-${sub}-dlq-publisher`);
      expect(publisher.inputs).toEqual({
        project,
        topic: `shop-prod-orders-${sub}-dlq`,
        role: "roles/pubsub.publisher",
        member: agent,
      });
      // …once IAM accepts the just-generated agent (components/readiness, test/readiness).
      const agentReady = one(plan, "pulumi-nodejs:dynamic/readiness:IamMemberReadiness", `orders-${sub}-dlq-publisher-ready`);
      expect(publisher.dependencies).toEqual([one(plan, T.topic, `orders-${sub}-dlq`).urn, agentReady.urn].sort());
      const subscriber = one(plan, T.subIam, `orders-${sub}-dlq-subscriber`);
      expect(subscriber.inputs).toEqual({
        project,
        subscription: `shop-prod-orders-${sub}`,
        role: "roles/pubsub.subscriber",
        member: agent,
      });
      expect(subscriber.dependencies).toEqual([one(plan, T.sub, `orders-${sub}`).urn, agentReady.urn].sort());
    }
    // No project-level grants.
    expect(plan.resources.filter((r) => r.type.startsWith("gcp:projects/"))).toEqual([]);
  });

  it("pushes with an OIDC token of a dedicated account the service agent may mint tokens for", async () => {
    const plan = await planOrders();
    const sa = one(plan, T.sa, "orders-push");
    expect(sa.inputs).toMatchObject({ project, accountId: "shop-prod-orders-push" });
    const email = `shop-prod-orders-push@${project}.iam.gserviceaccount.com`;
    const webhook = one(plan, T.sub, "orders-webhook");
    expect(webhook.inputs).toMatchObject({
      pushConfig: { pushEndpoint: "https://hooks.shop.test/orders", oidcToken: { serviceAccountEmail: email, audience: "https://hooks.shop.test/orders" } },
      ackDeadlineSeconds: 30,
      retryPolicy: { minimumBackoff: "10s", maximumBackoff: "600s" },
      deadLetterPolicy: { maxDeliveryAttempts: 10 },
      enableExactlyOnceDelivery: false,
      expirationPolicy: { ttl: "" },
    });
    expect(webhook.dependencies).toContain(sa.urn);
    const tokenCreator = one(plan, T.saIam, "orders-push-token-creator");
    expect(tokenCreator.inputs).toEqual({
      serviceAccountId: `projects/${project}/serviceAccounts/${email}`,
      role: "roles/iam.serviceAccountTokenCreator",
      member: agent,
    });
    expect(tokenCreator.dependencies).toEqual([sa.urn]);
  });

  it("creates no service account, grants or invoke when nothing pushes or subscribes", async () => {
    const plan = await planProgram(
      async () => {
        const { Topic } = await import("../../src/components/messaging/topic.js");
        const { Naming } = await import("../../src/config/naming.js");
        new Topic("events", { project, naming: Naming.of("shop", "prod"), topic: "events" });
      },
      { defaultProject: project },
    );
    expect(plan.resources.filter((r) => r.custom).map((r) => r.type)).toEqual([T.topic]);
    expect(one(plan, T.topic, "events-topic").inputs).toMatchObject({ messageRetentionDuration: "604800s", labels: {} });
  });

  it("hands its dependsOn to every child and applies transforms", async () => {
    const plan = await planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        const { Topic } = await import("../../src/components/messaging/topic.js");
        const { Naming } = await import("../../src/config/naming.js");
        const api = new gcp.projects.Service("pubsub-api", { project, service: "pubsub.googleapis.com" });
        new Topic(
          "jobs",
          {
            project,
            naming: Naming.of("shop", "prod"),
            topic: "jobs",
            subscriptions: { worker: {} },
            transform: { subscription: { ackDeadlineSeconds: 120 }, topic: (a) => ({ ...a, labels: { tier: "gold" } }) },
          },
          { dependsOn: [api] },
        );
      },
      { defaultProject: project },
    );
    const api = one(plan, "gcp:projects/service:Service", "pubsub-api");
    for (const r of plan.resources.filter((r) => r.custom && r.name !== "pubsub-api")) {
      expect(r.dependencies, r.urn).toContain(api.urn);
    }
    expect(one(plan, T.sub, "jobs-worker").inputs).toMatchObject({ ackDeadlineSeconds: 120 });
    expect(one(plan, T.topic, "jobs-topic").inputs).toMatchObject({ labels: { tier: "gold" } });
  });

  it("rejects a retention Pub/Sub does not accept", async () => {
    await expect(
      planProgram(async () => {
        const { Topic } = await import("../../src/components/messaging/topic.js");
        const { Naming } = await import("../../src/config/naming.js");
        new Topic("t", { project, naming: Naming.of("shop", "prod"), topic: "t", retention: "32d" });
      }),
    ).rejects.toThrow('topic "t": retention must be between 10m and 31d, got "32d"');
  });
});
