/**
 * `brume:cache:Cache` — a Memorystore for Redis instance reachable only through Private Services
 * Access, with Redis AUTH and TLS (server authentication) on, RDB snapshots, a weekly maintenance
 * window and deletion protection when the environment protects its data. STANDARD_HA (a replica in
 * another zone, automatic failover) when highly available, BASIC otherwise. The AUTH string and the
 * server CA certificates go to Secret Manager, secret end to end.
 *
 * Create it with `dependsOn` the network's Private Services Access connection: every child
 * inherits that dependency (see src/component/options.ts).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { Secret, secretOptions, type SecretArgs } from "../security/secret.js";
import { cacheTierProblems } from "../../config/cache-tiers.js";

export { cacheTierProblems, redisLimits } from "../../config/cache-tiers.js";

export interface CacheArgs {
  /** GCP project id. */
  project: string;
  region: string;
  /** Naming scope (`<project>-<env>`) for physical names. */
  naming: Naming;
  /** Name of this cache in brume.yaml (its key under `caches`); physical names are `<prefix>-<name>…`. */
  name: string;
  /** Id of the VPC peered with Service Networking (Private Services Access). */
  networkId: pulumi.Input<string>;
  /** Pulumi `protect` plus the provider's deletion protection on the instance. */
  protect: boolean;
  /** STANDARD_HA (replica in another zone, automatic failover) rather than BASIC. */
  highAvailability: boolean;
  /** Memory size in GB (1-300; at least 5 with read replicas). */
  memoryGb: number;
  /**
   * Redis version.
   * @default "REDIS_7_2"
   */
  version?: "REDIS_7_0" | "REDIS_7_2";
  /**
   * Read replicas (1-5) serving a read endpoint; STANDARD_HA with at least 5 GB only.
   * @default 0
   */
  readReplicas?: number;
  /** Zone of the primary node; chosen by GCP when absent. */
  locationId?: string;
  /** Zone of the standby (STANDARD_HA only); chosen by GCP when absent. */
  alternativeLocationId?: string;
  /** Name of a Private Services Access range to take the instance addresses from; any range of the connection when absent. */
  reservedIpRange?: string;
  /**
   * Redis configuration parameters (e.g. `{ "maxmemory-policy": "allkeys-lru" }`).
   * @default {}
   */
  redisConfigs?: Record<string, string>;
  /** Regions holding Secret Manager replicas of the AUTH string and CA: the primary region first, then the DR region. */
  secretReplicaRegions: string[];
  /**
   * KMS key per secret replica region (CMEK on the AUTH and CA secrets); Google-managed when
   * absent. Secret replication is immutable: adding keys to existing secrets replaces them.
   */
  secretKmsKeyNames?: Record<string, pulumi.Input<string>>;
  /** What the secrets wait for besides the component's dependencies: the grants of those keys to the Secret Manager agent. */
  secretKmsGrants?: pulumi.Input<pulumi.Resource>[];
  /**
   * Labels on the instance and the secrets.
   * @default {}
   */
  labels?: Record<string, string>;
  /** Adjust any child we create. */
  transform?: {
    instance?: Transform<gcp.redis.InstanceArgs>;
    authSecret?: SecretArgs["transform"];
    caSecret?: SecretArgs["transform"];
  };
}

/** All server CA certificates, PEM, concatenated: during a CA rotation clients must trust both. */
export function caBundle(certs: readonly { cert: string }[]): string {
  return certs.map((c) => c.cert.trim()).join("\n") + "\n";
}

/**
 * `brume:cache:Cache` — a Memorystore for Redis instance (`gcp.redis.Instance`) reachable only through
 * Private Services Access, with AUTH and TLS on, STANDARD_HA when highly available and BASIC otherwise;
 * its AUTH string and server CA certificates go to Secret Manager. See the module comment above, and
 * `docs/connections.md` for what services get.
 */
export class Cache extends pulumi.ComponentResource {
  readonly instance: gcp.redis.Instance;
  readonly authSecret: Secret;
  readonly caSecret: Secret;
  /** Physical instance name (plain: known before deployment). */
  readonly instanceName: string;
  readonly host: pulumi.Output<string>;
  /** 6378 with TLS. */
  readonly port: pulumi.Output<number>;
  /** Read endpoint when read replicas are on. */
  readonly readEndpoint: pulumi.Output<string>;
  /** Secret Manager secret name (`projects/<n>/secrets/<id>`) of the AUTH string. */
  readonly authSecretName: pulumi.Output<string>;
  /** Secret Manager secret name of the server CA bundle (PEM). */
  readonly caSecretName: pulumi.Output<string>;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:cache:Cache", name, {}, opts);
    const problems = cacheTierProblems(args);
    if (problems.length > 0) {
      throw new Error(`Cache ${args.name}: ${problems.map((p) => `${p.path}: ${p.message}`).join("; ")}`);
    }
    this.instanceName = args.naming.name(args.name, "redis");

    this.instance = this.createInstance(name, args, opts);
    this.authSecret = this.createSecret(name, "auth", args, this.instance.authString, args.transform?.authSecret, opts);
    this.caSecret = this.createSecret(name, "ca", args, this.instance.serverCaCerts.apply(caBundle), args.transform?.caSecret, opts);

    this.host = this.instance.host;
    this.port = this.instance.port;
    this.readEndpoint = this.instance.readEndpoint;
    this.authSecretName = this.authSecret.secretName;
    this.caSecretName = this.caSecret.secretName;
    this.registerOutputs({
      instanceName: this.instanceName,
      host: this.host,
      port: this.port,
      authSecretName: this.authSecretName,
      caSecretName: this.caSecretName,
    });
  }

  private createInstance(name: string, args: CacheArgs, opts: pulumi.ComponentResourceOptions | undefined): gcp.redis.Instance {
    const replicas = args.readReplicas ?? 0;
    return new gcp.redis.Instance(
      ...transformed(
        args.transform?.instance,
        `${name}-instance`,
        {
          project: args.project,
          region: args.region,
          name: this.instanceName,
          displayName: `${args.naming.prefix} ${args.name} (brume)`,
          tier: args.highAvailability ? "STANDARD_HA" : "BASIC",
          memorySizeGb: args.memoryGb,
          redisVersion: args.version ?? "REDIS_7_2",
          authorizedNetwork: args.networkId,
          connectMode: "PRIVATE_SERVICE_ACCESS",
          authEnabled: true,
          transitEncryptionMode: "SERVER_AUTHENTICATION",
          persistenceConfig: {
            persistenceMode: "RDB",
            rdbSnapshotPeriod: args.highAvailability ? "ONE_HOUR" : "TWELVE_HOURS",
          },
          maintenancePolicy: {
            weeklyMaintenanceWindows: [{ day: "SUNDAY", startTime: { hours: 3, minutes: 0, seconds: 0, nanos: 0 } }],
          },
          ...(replicas > 0 ? { readReplicasMode: "READ_REPLICAS_ENABLED", replicaCount: replicas } : {}),
          ...(args.locationId ? { locationId: args.locationId } : {}),
          ...(args.alternativeLocationId && args.highAvailability ? { alternativeLocationId: args.alternativeLocationId } : {}),
          ...(args.reservedIpRange ? { reservedIpRange: args.reservedIpRange } : {}),
          ...(args.redisConfigs ? { redisConfigs: args.redisConfigs } : {}),
          labels: args.labels ?? {},
          deletionProtection: args.protect,
        } satisfies gcp.redis.InstanceArgs,
        statefulOptions(this, opts, args.protect),
      ),
    );
  }

  private createSecret(
    name: string,
    part: "auth" | "ca",
    args: CacheArgs,
    value: pulumi.Input<string>,
    transform: SecretArgs["transform"],
    opts: pulumi.ComponentResourceOptions | undefined,
  ): Secret {
    return new Secret(
      `${name}-${part}`,
      {
        project: args.project,
        secretId: args.naming.name([args.name, part], "secretId"),
        replicaRegions: args.secretReplicaRegions,
        labels: args.labels ?? {},
        value: pulumi.secret(value),
        protect: args.protect,
        ...(args.secretKmsKeyNames ? { kmsKeyNames: args.secretKmsKeyNames } : {}),
        ...(transform ? { transform } : {}),
      },
      secretOptions(this, opts, args.secretKmsGrants),
    );
  }
}
