/**
 * `brume:messaging:Topic` — a Pub/Sub topic, its subscriptions, and for each subscription a
 * dead-letter topic with a subscription on it (messages published to a topic without
 * subscriptions are lost, so dead letters are always kept, and that subscription never expires).
 *
 * Dead-lettering runs as the project's Pub/Sub service agent
 * (`service-<projectNumber>@gcp-sa-pubsub.iam.gserviceaccount.com`): it must be allowed to publish
 * to the dead-letter topic and to acknowledge (subscribe) on the source subscription, or
 * undeliverable messages are silently never forwarded. Both grants are scoped to those two
 * resources, not the project.
 *
 * Push subscriptions authenticate with an OIDC token of a dedicated service account (one per
 * topic, no roles of its own); the service agent gets `roles/iam.serviceAccountTokenCreator` on
 * that account only (needed in projects created before April 2021, harmless after).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { projectNumberOf, serviceAgentMember } from "../apis/apis.js";
import { IamMemberReadiness } from "../readiness/readiness.js";
import { boundedDurationSeconds } from "./duration.js";

export { durationSecondsOf, durationToSeconds } from "./duration.js";

export interface TopicSubscriptionArgs {
  /** Push endpoint (HTTPS), authenticated with an OIDC token; a pull subscription when absent. */
  push?: string;
  /**
   * Seconds a subscriber has to acknowledge a message (10-600).
   * @default 30
   */
  ackDeadlineSeconds?: number;
  /**
   * Delivery attempts before a message goes to the dead-letter topic (5-100).
   * @default 10
   */
  maxDeliveryAttempts?: number;
  /**
   * Minimum delay between redeliveries (0s-600s).
   * @default "10s"
   */
  minBackoff?: string;
  /**
   * Maximum delay between redeliveries (0s-600s).
   * @default "600s"
   */
  maxBackoff?: string;
  /**
   * Exactly-once delivery (pull subscriptions only).
   * @default false
   */
  exactlyOnce?: boolean;
  /**
   * Deliver messages with the same ordering key in order.
   * @default false
   */
  ordering?: boolean;
}

export interface TopicArgs {
  /** GCP project id. */
  project: string;
  /** Naming scope (`<project>-<env>`) for physical names. */
  naming: Naming;
  /** The topic's key in brume.yaml (`topics.<key>`); physical name `<prefix>-<key>`. */
  topic: string;
  /**
   * Message retention on the topic (10m-31d), as a config duration.
   * @default "7d"
   */
  retention?: string;
  /**
   * Subscriptions by name (plain map: it decides which resources exist).
   * @default {}
   */
  subscriptions?: Record<string, TopicSubscriptionArgs>;
  /**
   * Retention of the dead-letter topics and their subscriptions (10m-31d).
   * @default "7d"
   */
  deadLetterRetention?: string;
  /** Labels on every topic and subscription. @default {} */
  labels?: Record<string, string>;
  /** Adjust any child we create; per-subscription transforms receive the child's logical name. */
  transform?: {
    topic?: Transform<gcp.pubsub.TopicArgs>;
    subscription?: Transform<gcp.pubsub.SubscriptionArgs>;
    deadLetterTopic?: Transform<gcp.pubsub.TopicArgs>;
    deadLetterSubscription?: Transform<gcp.pubsub.SubscriptionArgs>;
    deadLetterPublisher?: Transform<gcp.pubsub.TopicIAMMemberArgs>;
    subscriber?: Transform<gcp.pubsub.SubscriptionIAMMemberArgs>;
    pushServiceAccount?: Transform<gcp.serviceaccount.AccountArgs>;
    pushTokenCreator?: Transform<gcp.serviceaccount.IAMMemberArgs>;
  };
}

/** A subscription's settings with defaults applied and values checked. */
export interface NormalizedSubscription {
  push?: string;
  ackDeadlineSeconds: number;
  maxDeliveryAttempts: number;
  minBackoff: string;
  maxBackoff: string;
  exactlyOnce: boolean;
  ordering: boolean;
}

/** Applies defaults and checks the limits Pub/Sub enforces; throws naming the subscription. */
export function normalizeSubscription(name: string, sub: TopicSubscriptionArgs): NormalizedSubscription {
  const where = `subscription "${name}"`;
  const ackDeadlineSeconds = sub.ackDeadlineSeconds ?? 30;
  if (!Number.isInteger(ackDeadlineSeconds) || ackDeadlineSeconds < 10 || ackDeadlineSeconds > 600) {
    throw new Error(`${where}: ackDeadlineSeconds must be an integer between 10 and 600, got ${ackDeadlineSeconds}`);
  }
  const maxDeliveryAttempts = sub.maxDeliveryAttempts ?? 10;
  if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 5 || maxDeliveryAttempts > 100) {
    throw new Error(`${where}: maxDeliveryAttempts must be an integer between 5 and 100, got ${maxDeliveryAttempts}`);
  }
  const min = boundedDurationSeconds(sub.minBackoff ?? "10s", "0s", "600s", `${where}: minBackoff`);
  const max = boundedDurationSeconds(sub.maxBackoff ?? "600s", "0s", "600s", `${where}: maxBackoff`);
  if (min > max) throw new Error(`${where}: minBackoff (${min}s) exceeds maxBackoff (${max}s)`);
  const exactlyOnce = sub.exactlyOnce ?? false;
  if (sub.push !== undefined) {
    if (!/^https:\/\//.test(sub.push)) throw new Error(`${where}: push endpoint must be an https:// URL, got "${sub.push}"`);
    if (exactlyOnce) throw new Error(`${where}: exactly-once delivery is only supported on pull subscriptions`);
  }
  return {
    ...(sub.push !== undefined ? { push: sub.push } : {}),
    ackDeadlineSeconds,
    maxDeliveryAttempts,
    minBackoff: `${min}s`,
    maxBackoff: `${max}s`,
    exactlyOnce,
    ordering: sub.ordering ?? false,
  };
}

/** Pub/Sub accepts message retention from 10 minutes to 31 days. */
function retentionSeconds(duration: string, what: string): string {
  return `${boundedDurationSeconds(duration, "10m", "31d", what)}s`;
}

/**
 * `brume:messaging:Topic` — a Pub/Sub topic and its subscriptions, each with a dead-letter topic and a
 * subscription on it; the Pub/Sub service agent may publish and subscribe on those resources only, and
 * push subscriptions authenticate as a dedicated service account. See the module comment above.
 */
export class Topic extends pulumi.ComponentResource {
  readonly topic: gcp.pubsub.Topic;
  /** Subscriptions by name (the keys of `args.subscriptions`). */
  readonly subscriptions: Record<string, gcp.pubsub.Subscription>;
  /** Dead-letter topic per subscription name. */
  readonly deadLetterTopics: Record<string, gcp.pubsub.Topic>;
  /** The subscription keeping each dead-letter topic's messages, per subscription name. */
  readonly deadLetterSubscriptions: Record<string, gcp.pubsub.Subscription>;
  /** The push identity, when any subscription pushes. */
  readonly pushServiceAccount?: gcp.serviceaccount.Account;
  /** `projects/<p>/topics/<name>` */
  readonly topicId: pulumi.Output<string>;
  readonly topicName: pulumi.Output<string>;
  /** The Pub/Sub service agent member (`serviceAccount:service-<n>@gcp-sa-pubsub…`), when it got grants. */
  readonly serviceAgent?: pulumi.Output<string>;

  constructor(name: string, args: TopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:messaging:Topic", name, {}, opts);
    const retention = retentionSeconds(args.retention ?? "7d", `topic "${args.topic}": retention`);
    const dlqRetention = retentionSeconds(args.deadLetterRetention ?? "7d", `topic "${args.topic}": deadLetterRetention`);
    const subs = Object.entries(args.subscriptions ?? {}).map(([sub, spec]) => [sub, normalizeSubscription(sub, spec)] as const);

    this.topic = this.createTopic(name, args, retention, opts);
    if (subs.length > 0) {
      this.serviceAgent = serviceAgentMember(projectNumberOf(args.project, this, opts?.dependsOn), "pubsub");
    }
    if (subs.some(([, s]) => s.push !== undefined)) this.pushServiceAccount = this.createPushIdentity(name, args, opts);

    this.subscriptions = {};
    this.deadLetterTopics = {};
    this.deadLetterSubscriptions = {};
    for (const [sub, spec] of subs) {
      const dlq = this.createDeadLetterTopic(name, sub, args, dlqRetention, opts);
      this.deadLetterTopics[sub] = dlq;
      this.deadLetterSubscriptions[sub] = this.createDeadLetterSubscription(name, sub, dlq, args, dlqRetention, opts);
      this.subscriptions[sub] = this.createSubscription(name, sub, spec, dlq, args, retention, opts);
      this.grantDeadLettering(name, sub, args, opts);
    }

    this.topicId = this.topic.id;
    this.topicName = this.topic.name;
    this.registerOutputs({
      topicId: this.topicId,
      subscriptions: Object.fromEntries(Object.entries(this.subscriptions).map(([k, s]) => [k, s.id])),
      deadLetterTopics: Object.fromEntries(Object.entries(this.deadLetterTopics).map(([k, t]) => [k, t.id])),
      pushServiceAccount: this.pushServiceAccount?.email,
    });
  }

  private createTopic(
    name: string,
    args: TopicArgs,
    retention: string,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.pubsub.Topic {
    return new gcp.pubsub.Topic(
      ...transformed(
        args.transform?.topic,
        `${name}-topic`,
        {
          project: args.project,
          name: args.naming.name(args.topic, "topic"),
          messageRetentionDuration: retention,
          labels: args.labels ?? {},
        } satisfies gcp.pubsub.TopicArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createDeadLetterTopic(
    name: string,
    sub: string,
    args: TopicArgs,
    retention: string,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.pubsub.Topic {
    return new gcp.pubsub.Topic(
      ...transformed(
        args.transform?.deadLetterTopic,
        `${name}-${sub}-dlq`,
        {
          project: args.project,
          name: args.naming.name([args.topic, sub, "dlq"], "topic"),
          messageRetentionDuration: retention,
          labels: args.labels ?? {},
        } satisfies gcp.pubsub.TopicArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** Keeps dead letters: long retention, retained after ack, never expires. */
  private createDeadLetterSubscription(
    name: string,
    sub: string,
    dlq: gcp.pubsub.Topic,
    args: TopicArgs,
    retention: string,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.pubsub.Subscription {
    return new gcp.pubsub.Subscription(
      ...transformed(
        args.transform?.deadLetterSubscription,
        `${name}-${sub}-dlq`,
        {
          project: args.project,
          name: args.naming.name([args.topic, sub, "dlq"], "topic"),
          topic: dlq.id,
          ackDeadlineSeconds: 60,
          messageRetentionDuration: retention,
          retainAckedMessages: true,
          expirationPolicy: { ttl: "" },
          labels: args.labels ?? {},
        } satisfies gcp.pubsub.SubscriptionArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createSubscription(
    name: string,
    sub: string,
    spec: NormalizedSubscription,
    dlq: gcp.pubsub.Topic,
    args: TopicArgs,
    retention: string,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.pubsub.Subscription {
    return new gcp.pubsub.Subscription(
      ...transformed(
        args.transform?.subscription,
        `${name}-${sub}`,
        {
          project: args.project,
          name: args.naming.name([args.topic, sub], "topic"),
          topic: this.topic.id,
          ackDeadlineSeconds: spec.ackDeadlineSeconds,
          messageRetentionDuration: retention,
          retryPolicy: { minimumBackoff: spec.minBackoff, maximumBackoff: spec.maxBackoff },
          deadLetterPolicy: { deadLetterTopic: dlq.id, maxDeliveryAttempts: spec.maxDeliveryAttempts },
          enableExactlyOnceDelivery: spec.exactlyOnce,
          enableMessageOrdering: spec.ordering,
          expirationPolicy: { ttl: "" },
          labels: args.labels ?? {},
          ...(spec.push !== undefined
            ? {
                pushConfig: {
                  pushEndpoint: spec.push,
                  oidcToken: { serviceAccountEmail: this.pushServiceAccount!.email, audience: spec.push },
                },
              }
            : {}),
        } satisfies gcp.pubsub.SubscriptionArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** The service agent publishes dead letters and acknowledges the originals. */
  private grantDeadLettering(name: string, sub: string, args: TopicArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    // The Pub/Sub agent may have just been generated; IAM may not resolve it yet (components/readiness).
    const agentReady = new IamMemberReadiness(
      `${name}-${sub}-dlq-publisher-ready`,
      { project: args.project, resource: { v1Url: pulumi.interpolate`https://pubsub.googleapis.com/v1/${this.deadLetterTopics[sub]!.id}` }, role: "roles/pubsub.publisher", member: this.serviceAgent! },
      childOptions(this, opts),
    );
    new gcp.pubsub.TopicIAMMember(
      ...transformed(
        args.transform?.deadLetterPublisher,
        `${name}-${sub}-dlq-publisher`,
        {
          project: args.project,
          topic: this.deadLetterTopics[sub]!.name,
          role: "roles/pubsub.publisher",
          member: this.serviceAgent!,
        } satisfies gcp.pubsub.TopicIAMMemberArgs,
        childOptions(this, opts, { dependsOn: [agentReady] }),
      ),
    );
    new gcp.pubsub.SubscriptionIAMMember(
      ...transformed(
        args.transform?.subscriber,
        `${name}-${sub}-dlq-subscriber`,
        {
          project: args.project,
          subscription: this.subscriptions[sub]!.name,
          role: "roles/pubsub.subscriber",
          member: this.serviceAgent!,
        } satisfies gcp.pubsub.SubscriptionIAMMemberArgs,
        childOptions(this, opts, { dependsOn: [agentReady] }),
      ),
    );
  }

  /** A dedicated identity for OIDC push tokens, and the service agent allowed to mint them. */
  private createPushIdentity(
    name: string,
    args: TopicArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.serviceaccount.Account {
    const account = new gcp.serviceaccount.Account(
      ...transformed(
        args.transform?.pushServiceAccount,
        `${name}-push`,
        {
          project: args.project,
          accountId: args.naming.name([args.topic, "push"], "serviceAccountId"),
          displayName: `Pub/Sub push identity of ${args.naming.name(args.topic, "topic")}`,
          description: "OIDC token identity for push subscriptions; managed by brume",
        } satisfies gcp.serviceaccount.AccountArgs,
        childOptions(this, opts),
      ),
    );
    new gcp.serviceaccount.IAMMember(
      ...transformed(
        args.transform?.pushTokenCreator,
        `${name}-push-token-creator`,
        {
          serviceAccountId: account.id,
          role: "roles/iam.serviceAccountTokenCreator",
          member: this.serviceAgent!,
        } satisfies gcp.serviceaccount.IAMMemberArgs,
        childOptions(this, opts),
      ),
    );
    return account;
  }
}
