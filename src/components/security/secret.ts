/**
 * `brume:security:Secret` — a Secret Manager secret with user-managed replication (primary + DR
 * region), optional CMEK per region, an optional rotation reminder, and optionally its first
 * version from a value we generated (kept secret end to end: never a plaintext input or output).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, dependsOnList, statefulOptions } from "../child-resources/options.js";
import { projectNumberOf, serviceAgentMember } from "../apis/apis.js";
import { IamMemberReadiness } from "../readiness/readiness.js";
import { transformed, type Transform } from "../child-resources/transform.js";

export interface SecretArgs {
  project: string;
  /** Secret id (physical name). */
  secretId: string;
  /** Regions holding a replica: the primary region first, then the DR region. */
  replicaRegions: string[];
  labels?: Record<string, string>;
  /** KMS key per replica region (CMEK); Google-managed encryption when absent. */
  kmsKeyNames?: Record<string, pulumi.Input<string>>;
  /**
   * Rotation reminder: Secret Manager publishes to `topic` every `periodDays`, starting at
   * `nextRotationTime` (RFC 3339, required by the API; a fixed value keeps plans stable). The
   * Secret Manager agent must be allowed to publish to the topic before the secret is created:
   * grant it once per topic with `rotationPublisher` and pass the grant in `dependsOn`.
   */
  rotation?: { periodDays: number; nextRotationTime: string; topic: pulumi.Input<string> };
  /** First version's payload; marked secret whatever the caller passed. */
  value?: pulumi.Input<string>;
  /**
   * Pulumi `protect` plus Secret Manager's own deletion protection.
   * @default false
   */
  protect?: boolean;
  transform?: {
    secret?: Transform<gcp.secretmanager.SecretArgs>;
    version?: Transform<gcp.secretmanager.SecretVersionArgs>;
  };
}

/**
 * Secret Manager's agent may publish rotation reminders to `topic`: without `roles/pubsub.publisher`
 * on the topic, creating a secret with rotation fails. One grant per topic, shared by every secret
 * that rotates through it (each secret `dependsOn` it): two IAM members with the same (topic, role,
 * member) are one binding in GCP, so deleting either — removing one secret from the config — would
 * revoke the grant the others still use (gcp-review 30).
 */
export function rotationPublisher(
  name: string,
  args: { project: string; topic: pulumi.Input<string>; transform?: Transform<gcp.pubsub.TopicIAMMemberArgs> },
  opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
): gcp.pubsub.TopicIAMMember {
  const member = serviceAgentMember(projectNumberOf(args.project, opts.parent, opts.dependsOn), "secretmanager");
  // The Secret Manager agent may have just been generated; IAM may not resolve it yet (components/readiness).
  const agentReady = new IamMemberReadiness(
    `${name}-ready`,
    { project: args.project, resource: { v1Url: pulumi.interpolate`https://pubsub.googleapis.com/v1/${args.topic}` }, role: "roles/pubsub.publisher", member },
    opts,
  );
  return new gcp.pubsub.TopicIAMMember(
    ...transformed(
      args.transform,
      name,
      { project: args.project, topic: args.topic, role: "roles/pubsub.publisher", member },
      { ...opts, dependsOn: [...dependsOnList(opts.dependsOn), agentReady] },
    ),
  );
}

/**
 * Options of a Secret created inside another component: the component's dependencies plus the
 * grants of its CMEK keys. The Secret Manager service agent must hold
 * `roles/cloudkms.cryptoKeyEncrypterDecrypter` on a key before a secret using it is created
 * (https://cloud.google.com/secret-manager/docs/cmek).
 */
export function secretOptions(
  parent: pulumi.Resource,
  opts: pulumi.ComponentResourceOptions | undefined,
  grants: pulumi.Input<pulumi.Resource>[] | undefined,
): pulumi.ComponentResourceOptions {
  const dependsOn = [...dependsOnList(opts?.dependsOn), ...(grants ?? [])];
  return { parent, ...(dependsOn.length > 0 ? { dependsOn } : {}) };
}

/**
 * `brume:security:Secret` — a Secret Manager secret replicated to the primary and DR regions (optional
 * CMEK per region, optional rotation reminder), optionally with a first version from a generated value,
 * secret end to end. See `docs/secrets.md`.
 */
export class Secret extends pulumi.ComponentResource {
  readonly secret: gcp.secretmanager.Secret;
  readonly version?: gcp.secretmanager.SecretVersion;
  /** `projects/<p>/secrets/<id>` */
  readonly secretName: pulumi.Output<string>;
  readonly secretId: pulumi.Output<string>;

  constructor(name: string, args: SecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:security:Secret", name, {}, opts);
    const protect = args.protect ?? false;

    this.secret = new gcp.secretmanager.Secret(
      ...transformed(
        args.transform?.secret,
        `${name}-secret`,
        {
          project: args.project,
          secretId: args.secretId,
          labels: args.labels ?? {},
          deletionProtection: protect,
          replication: {
            userManaged: {
              replicas: args.replicaRegions.map((location) => ({
                location,
                ...(args.kmsKeyNames?.[location] ? { customerManagedEncryption: { kmsKeyName: args.kmsKeyNames[location]! } } : {}),
              })),
            },
          },
          ...(args.rotation
            ? {
                rotation: {
                  rotationPeriod: `${args.rotation.periodDays * 86400}s`,
                  nextRotationTime: args.rotation.nextRotationTime,
                },
                topics: [{ name: args.rotation.topic }],
              }
            : {}),
        } satisfies gcp.secretmanager.SecretArgs,
        statefulOptions(
          this,
          opts,
          protect,
          // nextRotationTime only matters at creation; later the service moves it forward itself.
          args.rotation ? { ignoreChanges: ["rotation.nextRotationTime"] } : {},
        ),
      ),
    );

    if (args.value !== undefined) {
      this.version = new gcp.secretmanager.SecretVersion(
        ...transformed(
          args.transform?.version,
          `${name}-version`,
          { secret: this.secret.id, secretData: pulumi.secret(args.value) },
          childOptions(this, opts),
        ),
      );
    }

    this.secretName = this.secret.name;
    this.secretId = this.secret.secretId;
    this.registerOutputs({ secretName: this.secretName });
  }
}
