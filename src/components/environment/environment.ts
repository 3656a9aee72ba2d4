/**
 * `brume:environment:Environment` — the infrastructure of one environment (prod, stage, …):
 * project APIs, network, KMS (CMEK), Artifact Registry, private GKE, the data services the config
 * declares (Cloud SQL, Memorystore, Pub/Sub, GCS, Secret Manager) and, when configured,
 * observability, access control and scheduled database exports.
 *
 * Sizes, HA, retention and protection come from the resolved preset: environments differ by data,
 * never by code path. Every stateful child is protected when the preset protects.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedEnvironment } from "../../config/load.js";
import type { BucketConfig, CacheConfig, DatabaseConfig, SecretConfig, TopicConfig } from "../../config/schema.js";
import { childOptions, dependsOnList } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import { Naming } from "../../config/naming.js";
import { pgauditJobImages } from "../../render/pgaudit.js";
import { Cache, type CacheArgs } from "../cache/cache.js";
import { Cluster, type ClusterArgs, type ImageRepository } from "../cluster/cluster.js";
import { repositoryPattern } from "../cluster/images.js";
import { presetNodePools } from "../cluster/node-pools.js";
import { DatabaseBackup, type DatabaseBackupArgs } from "../database/backup.js";
import { AuditActivation } from "../database/audit.js";
import { RestoreTest, type RestoreTestArgs } from "../database/restore-test.js";
import { restoreTestImages } from "../../render/restore-test.js";
import { restoreTestEnabled, restoreTestSchema } from "../../config/schema-restore.js";
import { Database, pgauditLog, type DatabaseArgs } from "../database/database.js";
import type { MonitoredInventory } from "../observability/alerts.js";
import { notificationRetention, Observability, type ObservabilityArgs } from "../observability/observability.js";
import { Access, type AccessArgs } from "../security/access.js";
import { Topic, type TopicArgs } from "../messaging/topic.js";
import { Network, type NetworkArgs } from "../network/network.js";
import { Apis, type ApisArgs } from "../apis/apis.js";
import { KeyRing, type KeyRingArgs } from "../security/kms.js";
import { rotationPublisher, Secret, type SecretArgs } from "../security/secret.js";
import { Bucket, type BucketArgs } from "../storage/bucket.js";
import { Registry, type RegistryArgs } from "../storage/registry.js";

export interface EnvironmentArgs {
  /** Project name (prefix of physical names). */
  projectName: string;
  /** The environment with its preset applied (see `resolveEnvironment`). */
  environment: ResolvedEnvironment;
  /** Cloud SQL instances by name. @default {} */
  databases?: Record<string, DatabaseConfig>;
  /** Memorystore instances by name. @default {} */
  caches?: Record<string, CacheConfig>;
  /** Pub/Sub topics (with subscriptions) by name. @default {} */
  topics?: Record<string, TopicConfig>;
  /** GCS buckets by name. @default {} */
  buckets?: Record<string, BucketConfig>;
  /** Secret Manager secrets by name. @default {} */
  secrets?: Record<string, SecretConfig>;
  /**
   * Values of `secrets` by name, each written as the secret's version (a secret without one is
   * filled out of band: `gcloud secrets versions add`). @default {}
   */
  secretValues?: Record<string, pulumi.Input<string>>;
  /** Ports load balancers health-check and serve on (exposed services, machine groups). */
  servingPorts?: number[];
  /**
   * Image patterns Binary Authorization admits besides the environment's own registry, e.g.
   * `us-docker.pkg.dev/acme-shared/apps/*`.
   * @default []
   */
  allowedImagePatterns?: string[];
  /** GKE Secret Sync on the cluster (`ClusterArgs.secretSync`): the GitOps delivery's Argo CD needs it. @default false */
  secretSync?: boolean;
  /**
   * Artifact Registry repositories outside the environment the workloads pull from: the node
   * service account gets `roles/artifactregistry.reader` on each (see `imageRepositories`).
   * @default []
   */
  imageRepositories?: ImageRepository[];
  /**
   * APIs other parts of the stack call in this project, enabled with the defaults (for example
   * `cloudtrace.googleapis.com` when the services' trace collector exports spans).
   * @default []
   */
  extraApis?: string[];
  /**
   * Observability (alerts, uptime checks, dashboard, log sinks, budget); none when absent.
   * `endpoints` / `exposedServices` / `machineGroups` name what to watch besides the data services.
   */
  observability?: Omit<ObservabilityArgs, "project" | "region" | "naming" | "inventory" | "protect" | "labels" | "transform"> & {
    endpoints?: MonitoredInventory["endpoints"];
    exposedServices?: string[];
    /** Services released as canaries (`brume release run` announces their steps). */
    releasedServices?: string[];
    machineGroups?: string[];
  };
  /** Role-based access and audit logs; none when absent. */
  access?: Pick<AccessArgs, "groups" | "auditLogServices" | "dataReadAuditLogServices"> & {
    /** Google Groups for RBAC on the cluster (`gke-security-groups@<domain>`). */
    rbacSecurityGroup?: string;
  };
  /** Scheduled database exports to the DR region (needs a DR region); none when absent. */
  recovery?: { schedule: string; timeZone: string; retentionDays: number };
  /** Adjust children we create. */
  transform?: {
    apis?: ApisArgs["transform"];
    network?: NetworkArgs["transform"];
    keyRing?: KeyRingArgs["transform"];
    registry?: RegistryArgs["transform"];
    cluster?: ClusterArgs["transform"];
    database?: DatabaseArgs["transform"];
    cache?: CacheArgs["transform"];
    topic?: TopicArgs["transform"];
    bucket?: BucketArgs["transform"];
    secret?: SecretArgs["transform"];
    secretRotationTopic?: Transform<gcp.pubsub.TopicArgs>;
    secretRotationPublisher?: Transform<gcp.pubsub.TopicIAMMemberArgs>;
    secretRotationSubscription?: Transform<gcp.pubsub.SubscriptionArgs>;
    defaultLogBucket?: Transform<gcp.logging.ProjectBucketConfigArgs>;
    observability?: ObservabilityArgs["transform"];
    access?: AccessArgs["transform"];
    backup?: DatabaseBackupArgs["transform"];
    restoreTest?: RestoreTestArgs["transform"];
  };
}

/** Keys of the CMEK key ring, one ring per secret replica region. */
export const cmekKeyName = "secrets";

/**
 * `brume:environment:Environment` — the infrastructure of one environment (prod, stage, …), sized by
 * its resolved preset; see the module comment above for what it creates.
 */
export class Environment extends pulumi.ComponentResource {
  readonly naming: Naming;
  readonly environment: ResolvedEnvironment;
  readonly apis: Apis;
  readonly network: Network;
  /** CMEK key rings by region (when the preset asks for CMEK). */
  readonly keyRings: Record<string, KeyRing>;
  readonly registry: Registry;
  readonly cluster: Cluster;
  readonly databases: Record<string, Database>;
  /** The pgAudit activation Job of each database (gcp-review 26), by database. */
  readonly auditActivations: Record<string, AuditActivation>;
  readonly caches: Record<string, Cache>;
  readonly topics: Record<string, Topic>;
  readonly buckets: Record<string, Bucket>;
  readonly secretRotationTopic?: gcp.pubsub.Topic;
  /** Secret Manager's agent may publish to the rotation topic: one grant, every rotating secret waits for it. */
  readonly secretRotationPublisher?: gcp.pubsub.TopicIAMMember;
  /** Where rotation reminders wait to be read (pull, 7 days); observability alerts when one arrives. */
  readonly secretRotationSubscription?: gcp.pubsub.Subscription;
  readonly secrets: Record<string, Secret>;
  /** The project's `_Default` log bucket, its retention from the preset (`logBucketRetentionDays`). */
  readonly defaultLogBucket: gcp.logging.ProjectBucketConfig;
  readonly observability?: Observability;
  /** Role-based access (`addAccess`, or `access` in the args). */
  access?: Access;
  private readonly envName: string;
  private readonly envArgs: EnvironmentArgs;
  /** Scheduled exports to the DR region, by database. */
  readonly backups: Record<string, DatabaseBackup>;
  /** Scheduled restore tests (`databases.<name>.restoreTest`), by database, where enabled. */
  readonly restoreTests: Record<string, RestoreTest>;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:environment:Environment", name, {}, opts);
    const env = args.environment;
    this.environment = env;
    this.naming = Naming.of(args.projectName, env.name, env.generation);
    // Every child waits for the APIs it calls (and their service agents), not for all of them.
    const afterApis = (...apis: string[]) => ({ parent: this, dependsOn: this.apis.for(...apis) });

    const extraServices = operationsApis(args);
    this.apis = new Apis(
      `${name}-apis`,
      { project: env.gcpProject, ...(extraServices.length > 0 ? { extraServices } : {}), ...pick(args.transform?.apis) },
      { parent: this },
    );
    this.network = this.createNetwork(name, args, afterApis("compute", "dns", "servicenetworking"));
    this.keyRings = env.settings.cmek ? this.createKeyRings(name, args, afterApis("cloudkms", "secretmanager")) : {};
    this.registry = this.createRegistry(name, args, afterApis("artifactregistry", "containerscanning"));
    // The node service account's project roles are Cloud Resource Manager calls (gcp-review 32).
    this.cluster = this.createCluster(name, args, afterApis("container", "binaryauthorization", "compute", "iam", "cloudresourcemanager", "artifactregistry"));

    // Cloud SQL and Memorystore reach the VPC through Private Services Access.
    const afterServicesAccess = (...apis: string[]) => ({ parent: this, dependsOn: [...this.apis.for(...apis, "secretmanager"), this.network.servicesAccess] });
    this.databases = mapValues(args.databases, (key, db) => this.createDatabase(name, key, db, args, afterServicesAccess("sqladmin")));
    this.auditActivations = mapValues(this.databases, (key, db) => this.createAuditActivation(name, key, db, args, afterApis("sqladmin", "iam", "cloudresourcemanager")));
    this.caches = mapValues(args.caches, (key, cache) => this.createCache(name, key, cache, args, afterServicesAccess("redis")));
    this.topics = mapValues(args.topics, (key, topic) => this.createTopic(name, key, topic, args, afterApis("pubsub", "iam")));
    // Cloud Storage is its own API (on for console-created projects, not guaranteed for projects
    // created through the API: gcp-review 32); CDN backends of public buckets are Compute calls.
    this.buckets = mapValues(args.buckets, (key, bucket) => this.createBucket(name, key, bucket, args, afterApis("storage", "compute")));
    if (Object.values(args.secrets ?? {}).some((s) => s.rotationDays !== undefined)) {
      this.secretRotationTopic = this.createSecretRotationTopic(name, args);
      this.secretRotationPublisher = rotationPublisher(
        `${name}-secret-rotation-publisher`,
        { project: env.gcpProject, topic: this.secretRotationTopic.id, ...(args.transform?.secretRotationPublisher ? { transform: args.transform.secretRotationPublisher } : {}) },
        childOptions(this, { dependsOn: this.apis.for("secretmanager", "pubsub") }) as pulumi.CustomResourceOptions & { parent: pulumi.Resource },
      );
      this.secretRotationSubscription = this.createSecretRotationSubscription(name, args, this.secretRotationTopic);
    }
    this.secrets = mapValues(args.secrets, (key, secret) => this.createSecret(name, key, secret, args, afterApis("secretmanager", "pubsub")));

    this.defaultLogBucket = this.createDefaultLogBucket(name, args, afterApis("logging"));

    // Operations, from what the environment now contains.
    if (args.observability) this.observability = this.createObservability(name, args, args.observability, afterApis(...operationsApiNames(this.apis)));
    this.backups = args.recovery && env.drRegion ? mapValues(this.databases, (key, db) => this.createBackup(name, key, db, args, afterApis(...operationsApiNames(this.apis)))) : {};
    this.restoreTests = mapValues(restoreTested(args), (key) => this.createRestoreTest(name, key, this.databases[key]!, args, afterApis("sqladmin", "iam", "cloudresourcemanager", "monitoring")));
    this.envName = name;
    this.envArgs = args;
    // Standalone, the RoleBindings name a namespace this component does not manage; a Project
    // adds access itself once it created the services' Namespace (addAccess).
    if (args.access) this.addAccess(args.access);

    this.registerOutputs({
      networkId: this.network.networkId,
      clusterName: this.cluster.clusterName,
      registryUrl: this.registry.url,
    });
  }

  /** Regions holding secret replicas and backups: primary first, then DR. */
  get replicaRegions(): string[] {
    const env = this.environment;
    return env.drRegion ? [env.region, env.drRegion] : [env.region];
  }

  private createNetwork(name: string, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Network {
    const env = args.environment;
    return new Network(
      `${name}-network`,
      {
        project: env.gcpProject,
        region: env.region,
        naming: this.naming,
        ranges: env.network,
        flowLogSampling: env.settings.flowLogSampling,
        flowLogAggregation: env.settings.flowLogInterval,
        flowLogMetadata: env.settings.flowLogMetadata,
        dnsQueryLogging: env.settings.dnsQueryLogging,
        protect: env.settings.protect,
        ...(env.domain ? { domain: env.domain } : {}),
        ...(args.servingPorts && args.servingPorts.length > 0 ? { healthCheckPorts: args.servingPorts } : {}),
        ...pick(args.transform?.network),
      },
      opts,
    );
  }

  private createKeyRings(name: string, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Record<string, KeyRing> {
    const env = args.environment;
    return Object.fromEntries(
      this.replicaRegions.map((region) => [
        region,
        new KeyRing(
          `${name}-kms-${region}`,
          {
            project: env.gcpProject,
            naming: this.naming,
            location: region,
            keyRing: `keys-${region}`,
            keys: { [cmekKeyName]: { serviceAgents: ["secretmanager"] } },
            labels: env.labels,
            protect: env.settings.protect,
            ...pick(args.transform?.keyRing),
          },
          opts,
        ),
      ]),
    );
  }

  private createRegistry(name: string, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Registry {
    const env = args.environment;
    return new Registry(
      `${name}-registry`,
      {
        project: env.gcpProject,
        naming: this.naming,
        location: env.region,
        labels: env.labels,
        protect: env.settings.protect,
        vulnerabilityScanning: env.settings.containerScanning,
        ...pick(args.transform?.registry),
      },
      opts,
    );
  }

  private createCluster(name: string, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Cluster {
    const env = args.environment;
    return new Cluster(
      `${name}-cluster`,
      {
        project: env.gcpProject,
        region: env.region,
        naming: this.naming,
        network: this.network.networkId,
        subnetwork: this.network.nodesSubnet.id,
        masterCidr: env.network.masterCidr,
        masterAuthorizedNetworks: env.cluster.masterAuthorizedNetworks,
        privateEndpoint: env.cluster.privateEndpoint,
        kubeconfigEndpoint: env.cluster.kubeconfigEndpoint,
        networkPolicy: env.cluster.networkPolicy,
        ...(env.cluster.fqdnNetworkPolicy ? { fqdnNetworkPolicy: true } : {}),
        intranodeVisibility: env.settings.intranodeVisibility,
        protect: env.settings.protect,
        labels: env.labels,
        nodePools: presetNodePools(env.settings),
        artifactRepository: { project: env.gcpProject, location: env.region, repositoryId: this.registry.repositoryId },
        ...(args.imageRepositories && args.imageRepositories.length > 0 ? { imageRepositories: args.imageRepositories } : {}),
        // The environment's own repository, images one level below it (built images are
        // `<repository>/<service>`): `*` does not match `/` (see `admits`), so `<project>/*`
        // would admit nothing in Artifact Registry, whose paths always have a repository segment.
        // The pgAudit activation Job's images, exactly (digest-pinned): only when it runs.
        allowedImagePatterns: [
          ...new Set([
            repositoryPattern(this.registry.path),
            ...(args.allowedImagePatterns ?? []),
            ...(Object.keys(args.databases ?? {}).length > 0 ? pgauditJobImages : []),
            ...(Object.keys(restoreTested(args)).length > 0 ? restoreTestImages : []),
          ]),
        ],
        ...(args.access?.rbacSecurityGroup ? { rbacSecurityGroup: args.access.rbacSecurityGroup } : {}),
        ...(args.secretSync ? { secretSync: true } : {}),
        ...pick(args.transform?.cluster),
      },
      { ...opts, dependsOn: [...dependsOnList(opts.dependsOn), this.network] },
    );
  }

  private createDatabase(name: string, key: string, db: DatabaseConfig, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Database {
    const env = args.environment;
    const s = env.settings;
    return new Database(
      `${name}-db-${key}`,
      {
        project: env.gcpProject,
        region: env.region,
        naming: this.naming,
        name: key,
        networkId: this.network.networkId,
        protect: s.protect,
        highAvailability: s.highAvailability,
        tier: db.tier ?? s.databaseTier,
        diskGb: db.diskGb ?? s.databaseDiskGb,
        retainedBackups: s.backupRetentionCount,
        transactionLogRetentionDays: Math.min(7, s.logRetentionDays),
        databases: db.databases,
        users: db.users,
        iamAuthentication: db.iamAuthentication,
        requireClientCertificates: db.requireClientCertificates,
        ...(s.drReplica && env.drRegion ? { drReplicaRegion: env.drRegion } : {}),
        secretReplicaRegions: this.replicaRegions,
        ...this.dataSecretsCmek(),
        labels: env.labels,
        ...pick(args.transform?.database),
      },
      opts,
    );
  }

  /**
   * pgAudit activation in every database of the instance, as its first built-in user (a
   * `cloudsqlsuperuser` member), from a Job on the environment's cluster (src/render/pgaudit.ts).
   */
  private createAuditActivation(name: string, key: string, db: Database, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): AuditActivation {
    const env = args.environment;
    const config = args.databases![key]!;
    const user = config.users[0]!;
    return new AuditActivation(
      `${name}-db-${key}-audit`,
      {
        project: env.gcpProject,
        naming: this.naming,
        name: key,
        instanceName: db.instanceName,
        connectionName: db.connectionName,
        databases: config.databases,
        pgauditLog: pgauditLog,
        user,
        password: db.passwords[user]!.result,
        provider: this.cluster.provider,
        workloadPool: this.cluster.workloadPool,
        labels: { environment: env.name },
      },
      // The user and the databases exist before the Job logs in to them.
      { ...opts, dependsOn: [...dependsOnList(opts.dependsOn), db.users[user]!, ...Object.values(db.databases)] },
    );
  }

  private createCache(name: string, key: string, cache: CacheConfig, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Cache {
    const env = args.environment;
    return new Cache(
      `${name}-cache-${key}`,
      {
        project: env.gcpProject,
        region: env.region,
        naming: this.naming,
        name: key,
        networkId: this.network.networkId,
        protect: env.settings.protect,
        highAvailability: env.settings.highAvailability,
        memoryGb: cache.memoryGb ?? env.settings.cacheMemoryGb,
        readReplicas: cache.readReplicas,
        version: cache.version,
        secretReplicaRegions: this.replicaRegions,
        ...this.dataSecretsCmek(),
        labels: env.labels,
        ...pick(args.transform?.cache),
      },
      opts,
    );
  }

  private createTopic(name: string, key: string, topic: TopicConfig, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Topic {
    const env = args.environment;
    return new Topic(
      `${name}-topic-${key}`,
      {
        project: env.gcpProject,
        naming: this.naming,
        topic: key,
        retention: topic.retention,
        subscriptions: topic.subscriptions,
        labels: env.labels,
        ...pick(args.transform?.topic),
      },
      opts,
    );
  }

  private createBucket(name: string, key: string, bucket: BucketConfig, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Bucket {
    const env = args.environment;
    return new Bucket(
      `${name}-bucket-${key}`,
      {
        project: env.gcpProject,
        naming: this.naming,
        bucket: key,
        region: env.region,
        ...(env.drRegion ? { drRegion: env.drRegion } : {}),
        location: bucket.location,
        versioning: bucket.versioning,
        lifecycle: bucket.lifecycle,
        labels: env.labels,
        protect: env.settings.protect,
        ...(bucket.public ? { cdn: {} } : {}),
        ...pick(args.transform?.bucket),
      },
      opts,
    );
  }

  /** What observability watches, by physical name (plain values). */
  monitoredInventory(args: EnvironmentArgs): MonitoredInventory {
    const env = args.environment;
    const o = args.observability;
    return {
      gcpProject: env.gcpProject,
      region: env.region,
      databases: Object.entries(this.databases).map(([key, db]) => ({
        key,
        instance: db.instanceName,
        ...(db.replica ? { replica: this.naming.name([key, "replica"], "sqlInstance") } : {}),
        highAvailability: env.settings.highAvailability,
      })),
      caches: Object.entries(this.caches).map(([key, cache]) => ({ key, instance: cache.instanceName })),
      subscriptions: Object.entries(args.topics ?? {}).flatMap(([topic, t]) =>
        Object.keys(t.subscriptions).map((sub) => ({
          key: `${topic}/${sub}`,
          subscription: this.naming.name([topic, sub], "topic"),
          deadLetter: this.naming.name([topic, sub, "dlq"], "topic"),
        })),
      ),
      cluster: this.naming.name("gke", "cluster"),
      notifications: this.secretRotationSubscription
        ? [{ key: "secret-rotation", subscription: secretRotationSubscriptionName(this.naming), what: "A secret is due for rotation (Secret Manager rotation reminder)" }]
        : [],
      endpoints: o?.endpoints ?? [],
      exposedServices: o?.exposedServices ?? [],
      releasedServices: o?.releasedServices ?? [],
      machineGroups: o?.machineGroups ?? [],
    };
  }

  private createObservability(name: string, args: EnvironmentArgs, o: NonNullable<EnvironmentArgs["observability"]>, opts: pulumi.ComponentResourceOptions): Observability {
    const env = args.environment;
    const { endpoints: _e, exposedServices: _s, releasedServices: _r, machineGroups: _m, ...rest } = o;
    return new Observability(
      `${name}-observability`,
      {
        ...rest,
        project: env.gcpProject,
        region: env.region,
        naming: this.naming,
        inventory: this.monitoredInventory(args),
        logs: { ...rest.logs, archiveRetentionDays: rest.logs?.archiveRetentionDays ?? env.settings.logArchiveRetentionDays },
        protect: env.settings.protect,
        labels: env.labels,
        ...pick(args.transform?.observability),
      },
      opts,
    );
  }

  private createBackup(name: string, key: string, db: Database, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): DatabaseBackup {
    const env = args.environment;
    const r = args.recovery!;
    return new DatabaseBackup(
      `${name}-backup-${key}`,
      {
        project: env.gcpProject,
        region: env.region,
        drRegion: env.drRegion!,
        naming: this.naming,
        name: key,
        instanceName: db.instanceName,
        instanceServiceAccount: db.instance.serviceAccountEmailAddress,
        databases: args.databases?.[key]?.databases ?? ["app"],
        schedule: r.schedule,
        timeZone: r.timeZone,
        retentionDays: r.retentionDays,
        notificationChannels: this.observability?.channelIds ?? [],
        protect: env.settings.protect,
        labels: env.labels,
        ...pick(args.transform?.backup),
      },
      opts,
    );
  }

  /** The restore test of a database (components/database/restore-test.ts), alerting the environment's channels. */
  private createRestoreTest(name: string, key: string, db: Database, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): RestoreTest {
    const env = args.environment;
    const config = args.databases![key]!;
    // Typed args built by hand may omit it: the schema's defaults.
    const test = config.restoreTest ?? restoreTestSchema.parse({});
    const user = test.user ?? config.users[0]!;
    return new RestoreTest(
      `${name}-db-${key}-restore-test`,
      {
        project: env.gcpProject,
        naming: this.naming,
        name: key,
        instanceName: db.instanceName,
        config: test,
        database: test.database ?? config.databases[0]!,
        user,
        requireClientCertificates: config.requireClientCertificates,
        provider: this.cluster.provider,
        workloadPool: this.cluster.workloadPool,
        notificationChannels: this.observability?.channelIds ?? [],
        labels: { environment: env.name },
        ...pick(args.transform?.restoreTest),
      },
      // The instance, its databases and the user exist before the first run clones them.
      { ...opts, dependsOn: [...dependsOnList(opts.dependsOn), db.instance, db.users[user]!] },
    );
  }

  /**
   * Role-based access for the services' namespace. The RoleBindings are namespaced: when the
   * stack manages the Namespace, pass it, so they wait for it — created before it they fail with
   * `namespaces "<ns>" not found` on a fresh cluster (gcp-review 11; creation-order rule
   * kubernetes-namespace). Call it once.
   */
  addAccess(a: NonNullable<EnvironmentArgs["access"]>, namespace?: pulumi.Resource): Access {
    if (this.access) throw new Error("Environment.addAccess: access was already added");
    const opts = { parent: this, dependsOn: this.apis.for("cloudresourcemanager", "iam", "container") };
    this.access = this.createAccess(this.envName, this.envArgs, a, opts, namespace ? [namespace] : []);
    return this.access;
  }

  private createAccess(
    name: string,
    args: EnvironmentArgs,
    a: NonNullable<EnvironmentArgs["access"]>,
    opts: pulumi.ComponentResourceOptions,
    namespaceResources: pulumi.Resource[],
  ): Access {
    const env = args.environment;
    return new Access(
      `${name}-access`,
      {
        project: env.gcpProject,
        production: env.preset === "production",
        ...(a.groups ? { groups: a.groups } : {}),
        ...(a.auditLogServices ? { auditLogServices: a.auditLogServices } : {}),
        ...(a.dataReadAuditLogServices ? { dataReadAuditLogServices: a.dataReadAuditLogServices } : {}),
        // Services run in the `<project>-<environment>` namespace.
        namespaces: [this.naming.prefix],
        kubernetesProvider: this.cluster.provider,
        namespaceResources,
        ...pick(args.transform?.access),
      },
      opts,
    );
  }

  private createSecretRotationTopic(name: string, args: EnvironmentArgs): gcp.pubsub.Topic {
    const env = args.environment;
    return new gcp.pubsub.Topic(
      ...transformed(
        args.transform?.secretRotationTopic,
        `${name}-secret-rotation`,
        {
          project: env.gcpProject,
          name: this.naming.name("secret-rotation", "topic"),
          labels: env.labels,
          messageRetentionDuration: "604800s",
        },
        childOptions(this, { dependsOn: this.apis.for("pubsub") }),
      ),
    );
  }

  /**
   * A pull subscription for the rotation reminders: Pub/Sub drops messages published to a topic
   * without subscriptions, so without it `rotationDays` notifies no one (gcp-review 29). Secret
   * Manager publishes every change of the secrets to their topics (SECRET_CREATE, SECRET_VERSION_ADD,
   * …); the filter keeps only the reminders, `attributes.eventType = "SECRET_ROTATE"`
   * (https://cloud.google.com/secret-manager/docs/event-notifications). Retained 7 days, never
   * expires (`expirationPolicy.ttl` empty; an idle subscription is otherwise deleted after 31 days);
   * the Observability alert `pubsub-secret-rotation-reminders` fires while a reminder is unread.
   */
  private createSecretRotationSubscription(name: string, args: EnvironmentArgs, topic: gcp.pubsub.Topic): gcp.pubsub.Subscription {
    const env = args.environment;
    return new gcp.pubsub.Subscription(
      ...transformed(
        args.transform?.secretRotationSubscription,
        `${name}-secret-rotation-reminders`,
        {
          project: env.gcpProject,
          name: secretRotationSubscriptionName(this.naming),
          topic: topic.id,
          filter: 'attributes.eventType = "SECRET_ROTATE"',
          ackDeadlineSeconds: 60,
          messageRetentionDuration: notificationRetention,
          retainAckedMessages: false,
          expirationPolicy: { ttl: "" },
          labels: env.labels,
        },
        childOptions(this, { dependsOn: this.apis.for("pubsub") }),
      ),
    );
  }

  /**
   * Retention of the `_Default` log bucket every project has (gcp-review 33). The bucket exists
   * before us and cannot be deleted: "Creating a resource of this type will acquire and update the
   * resource that already exists … deleting this resource will remove the bucket config from your
   * state but will leave the logging bucket unchanged" (@pulumi/gcp 9.37
   * logging/projectBucketConfig.d.ts:9). So adopting it is safe on an existing project, and
   * `pulumi destroy` leaves it with the retention last set. Up to 30 days of retention are included
   * in the ingestion price; each GiB kept longer costs per month (https://cloud.google.com/stackdriver/pricing).
   */
  private createDefaultLogBucket(name: string, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): gcp.logging.ProjectBucketConfig {
    const env = args.environment;
    return new gcp.logging.ProjectBucketConfig(
      ...transformed(
        args.transform?.defaultLogBucket,
        `${name}-logs-default-bucket`,
        {
          project: env.gcpProject,
          location: "global",
          bucketId: "_Default",
          retentionDays: env.settings.logBucketRetentionDays,
        },
        childOptions(this, opts),
      ),
    );
  }

  /** The CMEK key of each secret replica region, when the environment has CMEK. */
  private secretKeys(): Record<string, pulumi.Output<string>> | undefined {
    const cmek = Object.entries(this.keyRings);
    return cmek.length > 0 ? Object.fromEntries(cmek.map(([region, ring]) => [region, ring.keyIds[cmekKeyName]!])) : undefined;
  }

  /**
   * The grants of the CMEK keys to the Secret Manager agent, and the waits until Secret Manager can
   * use each key (components/readiness): a secret using a key waits for both.
   */
  private secretKeyGrants(): pulumi.Resource[] {
    return Object.values(this.keyRings).flatMap((ring) => [...Object.values(ring.members), ...Object.values(ring.secretManagerReady)]);
  }

  /**
   * CMEK for the database passwords and the cache AUTH/CA secrets (gcp-review 21), as for the
   * declared secrets, unless the environment keeps them Google-managed (`cmekDataSecrets: false`:
   * replication is immutable, so an environment created before keeps its secrets until it migrates).
   */
  private dataSecretsCmek(): { secretKmsKeyNames?: Record<string, pulumi.Output<string>>; secretKmsGrants?: pulumi.Resource[] } {
    const keys = this.secretKeys();
    if (keys === undefined || this.environment.cmekDataSecrets === false) return {};
    return { secretKmsKeyNames: keys, secretKmsGrants: this.secretKeyGrants() };
  }

  private createSecret(name: string, key: string, secret: SecretConfig, args: EnvironmentArgs, opts: pulumi.ComponentResourceOptions): Secret {
    const env = args.environment;
    const keys = this.secretKeys();
    return new Secret(
      `${name}-secret-${key}`,
      {
        project: env.gcpProject,
        secretId: this.naming.name(key, "secretId"),
        replicaRegions: this.replicaRegions,
        labels: env.labels,
        protect: env.settings.protect,
        ...(args.secretValues && Object.hasOwn(args.secretValues, key) ? { value: args.secretValues[key]! } : {}),
        ...(keys ? { kmsKeyNames: keys } : {}),
        ...(secret.rotationDays !== undefined && this.secretRotationTopic
          ? { rotation: { periodDays: secret.rotationDays, nextRotationTime: firstRotationTime(new Date()), topic: this.secretRotationTopic.id } }
          : {}),
        ...pick(args.transform?.secret),
      },
      // With CMEK, the Secret Manager agent must hold the key before a secret uses it; with rotation,
      // it must be allowed to publish to the rotation topic (the one grant of the environment).
      {
        ...opts,
        dependsOn: [
          ...dependsOnList(opts.dependsOn),
          ...this.secretKeyGrants(),
          ...(secret.rotationDays !== undefined && this.secretRotationPublisher ? [this.secretRotationPublisher] : []),
        ],
      },
    );
  }
}

/** The rotation reminders' subscription id (plain: the alert filter names it). */
export function secretRotationSubscriptionName(naming: Naming): string {
  return naming.name("secret-rotation-reminders", "topic");
}

/** Operations components call the monitoring / logging family and what the operations sections enabled. */
function operationsApiNames(apis: Apis): string[] {
  // Log archives and export buckets are Cloud Storage, their writers IAM (gcp-review 32).
  const base = ["monitoring", "logging", "pubsub", "sqladmin", "cloudresourcemanager", "storage", "iam"];
  const extra = Object.keys(apis.services).map((s) => s.replace(/\.googleapis\.com$/, "")).filter((s) => ["bigquery", "billingbudgets", "cloudscheduler"].includes(s));
  return [...base, ...extra];
}

/**
 * When a new secret's first rotation reminder fires: the first day of the next month (UTC). The
 * API wants a future time at creation; the Secret ignores later changes of it, so the value only
 * matters once and plans stay stable within a month.
 */
export function firstRotationTime(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString().replace(".000Z", "Z");
}

/** APIs the operations features need beyond the defaults. */
export function operationsApis(args: Pick<EnvironmentArgs, "observability" | "recovery" | "environment" | "extraApis">): string[] {
  const out: string[] = [];
  if (args.observability) {
    if (args.observability.logs?.bigquery ?? true) out.push("bigquery.googleapis.com");
    if (args.observability.budget) out.push("billingbudgets.googleapis.com");
  }
  if (args.recovery && args.environment.drRegion) out.push("cloudscheduler.googleapis.com");
  out.push(...(args.extraApis ?? []));
  return out;
}

/** `{ transform }` when a transform was given, else nothing (exactOptionalPropertyTypes-friendly). */
function pick<T>(transform: T | undefined): { transform?: T } {
  return transform === undefined ? {} : { transform };
}

/** The databases whose restore test runs in this environment (on with the production preset unless set). */
function restoreTested(args: EnvironmentArgs): Record<string, DatabaseConfig> {
  return Object.fromEntries(Object.entries(args.databases ?? {}).filter(([, db]) => restoreTestEnabled(db.restoreTest, args.environment.preset)));
}

function mapValues<In, Out>(record: Record<string, In> | undefined, fn: (key: string, value: In) => Out): Record<string, Out> {
  return Object.fromEntries(Object.entries(record ?? {}).map(([key, value]) => [key, fn(key, value)]));
}
