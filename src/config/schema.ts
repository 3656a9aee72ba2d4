/**
 * The brume config schema: the single source of truth for brume.yaml / brume.toml.
 * TypeScript types (`z.infer`), validation, defaults, the JSON Schema (`brume schema`) and the
 * reference docs all derive from this file. Cross-field rules live in ./rules.ts.
 */
import { z } from "zod";
import {
  cpuQuantity,
  dnsLabel,
  domainName,
  duration,
  envVarName,
  gcpProjectId,
  gcpRegion,
  gcpZone,
  ipv4Cidr,
  labelMap,
  memoryQuantity,
  percent,
  port,
  strict,
} from "./primitives.js";
import { presetNames, presetSettingsSchema } from "./presets.js";
import { deliverySchema, gitopsSchema } from "./schema-gitops.js";
import { ciSchema } from "./schema-ci.js";
import { preReleaseSchema, releaseMarks } from "./schema-release.js";
import { clusterEdgeFields, exposureEdgeFields, resourcesPoolField, serviceEdgeFields } from "./schema-edge.js";
import { databaseUseFields, machineConnectionFields } from "./schema-connections.js";
import { secretMounts } from "./secret-versions.js";
import { bucketCdnSchema } from "./schema-storage.js";
import { restoreTestSchema } from "./schema-restore.js";

/** A SHA-256 as `sha256sum` prints it. */
const sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, { error: "expected a 64-character lowercase hex SHA-256" });

// ---------------------------------------------------------------------------------------------
// Project
// ---------------------------------------------------------------------------------------------

export const projectSchema = strict({
  name: dnsLabel.meta({ description: "Project name; prefixes every physical resource name.", examples: ["shop"] }),
  labels: labelMap
    .default({})
    .meta({ description: "Labels added to every GCP resource (cost allocation: team, cost-center, …)." }),
  region: gcpRegion.meta({ description: "Primary GCP region.", examples: ["europe-west1"] }),
  drRegion: gcpRegion
    .optional()
    .meta({ description: "Disaster-recovery region: replicas, backups and secret replicas go here.", examples: ["europe-west4"] }),
});

// ---------------------------------------------------------------------------------------------
// Environments
// ---------------------------------------------------------------------------------------------

export const networkConfigSchema = strict({
  nodesCidr: ipv4Cidr.optional().meta({ description: "Primary range of the GKE node subnet." }),
  podsCidr: ipv4Cidr.optional().meta({ description: "Secondary range for GKE pods." }),
  servicesCidr: ipv4Cidr.optional().meta({ description: "Secondary range for GKE services." }),
  privateCidr: ipv4Cidr.optional().meta({ description: "Subnet for VMs, internal load balancers and private endpoints." }),
  proxyCidr: ipv4Cidr.optional().meta({ description: "Proxy-only subnet (REGIONAL_MANAGED_PROXY) for regional load balancers." }),
  servicesAccessCidr: ipv4Cidr
    .optional()
    .meta({ description: "Private Services Access range (VPC peering) used by Cloud SQL and Memorystore." }),
  masterCidr: ipv4Cidr.optional().meta({ description: "The GKE control plane's /28." }),
});

export const authorizedNetworkSchema = strict({
  name: z.string().min(1).max(60).meta({ description: "Label shown in the GKE console." }),
  cidr: ipv4Cidr.refine((cidr) => !/\/0$/.test(cidr), {
    error: "a /0 range opens the control plane to the internet; list the office / VPN / CI ranges instead",
  }),
});

/** An image repository path: registry host and path, no tag, digest or wildcard. */
const imageRepositoryPath = z
  .string()
  .regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/, {
    error: 'expected a repository path such as "us-docker.pkg.dev/acme-shared/apps" (no tag, digest or wildcard)',
  });

export const clusterConfigSchema = strict({
  masterAuthorizedNetworks: z
    .array(authorizedNetworkSchema)
    .default([])
    .meta({ description: "Ranges allowed to reach the control plane (besides the VPC). 0.0.0.0/0 is rejected." }),
  privateEndpoint: z
    .boolean()
    .default(false)
    .meta({ description: "Control plane reachable only from the VPC (private endpoint)." }),
  kubeconfigEndpoint: z
    .enum(["dns", "ip"])
    .default("dns")
    .meta({
      description:
        "Endpoint of the stack's kubeconfig and Kubernetes provider: `dns`, GKE's DNS-based endpoint with IAM authorization (reachable from GitHub-hosted runners, no IP allowlist), or `ip`, the IP endpoint behind masterAuthorizedNetworks. An environment created before pins `ip`: a new provider server can replace every Kubernetes object (docs/pipeline.md).",
    }),
  networkPolicy: z
    .enum(["calico", "dataplane-v2"])
    .default("dataplane-v2")
    .meta({
      description:
        "Network policy enforcement: GKE Dataplane V2 (the default: GKE's own, NetworkPolicy plus FQDN policies) or Calico. Changing it replaces the cluster: an environment created with Calico pins `calico`.",
    }),
  ...clusterEdgeFields,
  readableRegistries: z
    .array(imageRepositoryPath)
    .default([])
    .meta({
      description:
        "Image repositories (`<host>/<project>/<repository>`) the nodes can already read without a grant from this stack: a platform team granted `roles/artifactregistry.reader` to the node service account, or the repository is public. Every other Artifact Registry repository the services' images name gets a reader grant from the stack (the deployer then needs setIamPolicy on it).",
      examples: [["us-docker.pkg.dev/acme-shared/apps"]],
    }),
});

export const environmentSchema = strict({
  gcpProject: gcpProjectId,
  preset: z
    .enum(presetNames)
    .optional()
    .meta({
      description:
        "Preset of sizes, HA, retention and protection. Defaults to `production` for an environment named prod/production, `staging` for stage/staging, `development` otherwise.",
    }),
  region: gcpRegion.optional().meta({ description: "Overrides project.region for this environment." }),
  domain: domainName.optional().meta({ description: "Base DNS domain of this environment (public zone)." }),
  index: z
    .int()
    .min(0)
    .max(15)
    .optional()
    .meta({
      description:
        "Position in the CIDR plan (0-15). Each index owns a disjoint 10.<16·index>.0.0/12 block, so environments never overlap. Defaults: prod 0, stage 1, then alphabetical.",
    }),
  network: networkConfigSchema.default({}).meta({ description: "CIDR overrides; defaults come from the CIDR plan." }),
  cluster: clusterConfigSchema
    .default({ masterAuthorizedNetworks: [], privateEndpoint: false, kubeconfigEndpoint: "dns", networkPolicy: "dataplane-v2", readableRegistries: [] })
    .meta({ description: "GKE control plane access and network policy." }),
  settings: presetSettingsSchema
    .partial()
    .default({})
    .meta({ description: "Overrides of individual preset values for this environment." }),
  // gcp-review 16: names GCP never frees (KMS key rings, the Workload Identity pool for 30 days, Cloud
  // SQL instances for about a week) carry the generation, so a destroyed environment can be recreated.
  generation: z
    .int()
    .min(1)
    .max(99)
    .optional()
    .meta({
      description:
        "Generation of this environment: set (or increment) it to recreate a destroyed environment. Appended as `-g<n>` to the names GCP never frees (KMS key rings, the CI Workload Identity pool, Cloud SQL instances) and gives the log and export buckets names without the doubled prefix. Absent: today's names, unchanged.",
      examples: [2],
    }),
  // gcp-review 21: secret replication is immutable, so an environment created without CMEK on these
  // secrets keeps them (false) until it migrates; see the README upgrade path.
  delivery: deliverySchema,
  cmekDataSecrets: z
    .boolean()
    .default(true)
    .meta({
      description:
        "With settings.cmek: encrypt the database password and cache AUTH/CA secrets with the environment's keys too. Set false in an environment created before these secrets had CMEK: replication is immutable, so turning it on replaces them (README, upgrade path).",
    }),
});

// ---------------------------------------------------------------------------------------------
// Data services
// ---------------------------------------------------------------------------------------------

export const databaseSchema = strict({
  version: z.enum(["POSTGRES_15"]).default("POSTGRES_15").meta({ description: "Database engine version." }),
  tier: z.string().regex(/^db-[a-z0-9-]+$/).optional().meta({ description: "Machine tier; defaults to the preset's." }),
  diskGb: z.int().min(10).max(65536).optional().meta({ description: "Initial disk size (autoresize on)." }),
  databases: z.array(dnsLabel).min(1).default(["app"]).meta({ description: "Logical databases created in the instance." }),
  users: z.array(dnsLabel).min(1).default(["app"]).meta({ description: "Built-in users; passwords are generated and kept in Secret Manager." }),
  iamAuthentication: z.boolean().default(true).meta({ description: "Enable Cloud SQL IAM database authentication." }),
  owner: dnsLabel.optional().meta({
    description:
      "Service whose login owns schema public of the database the services connect to (the first of databases) and runs the migrations; the other services that use it read and write its tables, now and later. Default: the one service using it with a preRelease job, else the only service using it; required when that is ambiguous (docs/connections.md).",
  }),
  requireClientCertificates: z
    .boolean()
    .default(false)
    .meta({ description: "Require trusted client certificates (TRUSTED_CLIENT_CERTIFICATE_REQUIRED) on top of SSL." }),
  restoreTest: restoreTestSchema.prefault({}).meta({ description: "Scheduled restore test: a point-in-time clone, a check query, the clone deleted (docs/recovery.md)." }),
});

export const cacheSchema = strict({
  memoryGb: z.int().min(1).max(300).optional().meta({ description: "Memory size; defaults to the preset's." }),
  version: z.enum(["REDIS_7_0", "REDIS_7_2"]).default("REDIS_7_2"),
  readReplicas: z
    .int()
    .min(0)
    .max(5)
    .default(0)
    .meta({ description: "Read replicas (STANDARD_HA tier, 5 GB or more)." }),
});

export const subscriptionSchema = strict({
  push: z.url().optional().meta({ description: "Push endpoint (authenticated with an OIDC token); pull when absent." }),
  ackDeadlineSeconds: z.int().min(10).max(600).default(30),
  maxDeliveryAttempts: z.int().min(5).max(100).default(10).meta({ description: "Deliveries before a message is dead-lettered." }),
  minBackoff: duration.default("10s"),
  maxBackoff: duration.default("600s"),
  exactlyOnce: z.boolean().default(false),
  ordering: z.boolean().default(false),
});

export const topicSchema = strict({
  retention: duration.default("7d").meta({ description: "Message retention on the topic." }),
  subscriptions: z
    .record(dnsLabel, subscriptionSchema)
    .default({})
    .meta({ description: "Subscriptions by name; each gets a dead-letter topic and a subscription on it." }),
});

export const bucketSchema = strict({
  location: z
    .enum(["regional", "dual-region", "multi-region"])
    .default("regional")
    .meta({ description: "Regional (logs, scratch) or dual/multi-region (critical data)." }),
  versioning: z.boolean().default(true),
  public: z
    .boolean()
    .default(false)
    .meta({ description: "Serve objects publicly through Cloud CDN. Public access prevention stays enforced on the bucket itself." }),
  cdn: bucketCdnSchema,
  lifecycle: strict({
    coldlineAfterDays: z.int().min(1).optional(),
    deleteAfterDays: z.int().min(1).optional(),
  })
    .default({})
    .meta({ description: "Age-based lifecycle rules." }),
});

export const secretSchema = strict({
  description: z.string().max(200).optional(),
  rotationDays: z.int().min(1).max(365).optional().meta({ description: "Rotation reminder period (notification topic)." }),
  mount: z
    .enum(secretMounts)
    .default("current")
    .meta({
      description:
        "What a service mounts: `current` (the pinned or latest version, file `<VAR>`), or `current-and-previous` for signing keys (also the pinned version − 1 as `<VAR>_PREVIOUS`, so tokens signed before a rotation still verify). Needs a pinned version (docs/secrets.md).",
    }),
  version: z
    .int()
    .min(1)
    .optional()
    .meta({
      description:
        "The version this stack mounts: set only in Pulumi.<env>.yaml `brume:secretVersions.<name>` (versions differ per environment). Absent: `latest`, moved by the add-on's rotation.",
    }),
});

// ---------------------------------------------------------------------------------------------
// Services
// ---------------------------------------------------------------------------------------------

export const runnerNames = ["kubernetes", "container", "process"] as const;

export const servicePortSchema = strict({
  name: dnsLabel.default("http"),
  port,
  protocol: z.enum(["TCP", "UDP"]).default("TCP"),
});

export const probeSchema = strict({
  path: z.string().startsWith("/").optional().meta({ description: "HTTP GET path; a TCP check when absent." }),
  port: z.union([port, dnsLabel]).optional().meta({ description: "Port number or name; defaults to the first port." }),
  initialDelaySeconds: z.int().min(0).max(3600).default(0),
  periodSeconds: z.int().min(1).max(300).default(10),
  timeoutSeconds: z.int().min(1).max(60).default(2),
  failureThreshold: z.int().min(1).max(100).default(3),
});

export const scalingSchema = strict({
  min: z.int().min(0).max(1000).default(1),
  max: z.int().min(1).max(1000).default(3),
  targetCpu: percent.min(1).default(70).meta({ description: "Target average CPU utilization (%)." }),
  targetMemory: percent.min(1).optional().meta({ description: "Target average memory utilization (%)." }),
});

export const exposureSchema = strict({
  public: z.boolean().default(true).meta({ description: "Internet-facing (external gateway) or internal only." }),
  domains: z.array(domainName).min(1).meta({ description: "Hostnames routed to this service." }),
  paths: z.array(z.string().startsWith("/")).min(1).default(["/"]),
  iap: z.boolean().default(false).meta({ description: "Protect with Identity-Aware Proxy (internal apps)." }),
  rateLimitPerMinute: z.int().min(1).optional().meta({ description: "Cloud Armor rate limit per client IP." }),
  ...exposureEdgeFields,
});

const versionLabel = z
  .string()
  .regex(/^[A-Za-z0-9]([-._A-Za-z0-9]{0,61}[A-Za-z0-9])?$/, { error: "expected a version label such as v42 or 1.4.2" });

const releaseVersion = strict({
  version: versionLabel,
  image: z.string().min(1).meta({ description: "Image reference (tag or @sha256 digest)." }),
});

/** Fields shared by the strategies that keep several versions running (rollback changes routing only). */
const retention = {
  keep: z
    .int()
    .min(0)
    .max(10)
    .default(2)
    .meta({ description: "How many previous versions stay deployed (in `retained`) so a rollback only moves traffic." }),
  retained: z
    .array(releaseVersion)
    .default([])
    .meta({ description: "Previous versions still deployed, newest first (at most `keep`). `brume release promote` maintains it." }),
  version: versionLabel
    .optional()
    .meta({
      description:
        "Version that receives the default traffic, when it is not the active slot / stable one: a rollback to a retained version (`brume release rollback --to`).",
    }),
  ...releaseMarks(versionLabel),
};

export const strategySchema = z
  .discriminatedUnion("type", [
    strict({
      type: z.literal("rolling"),
      maxSurge: z.union([z.int().min(1), z.string().regex(/^([1-9]\d?|100)%$/)]).default("25%"),
      maxUnavailable: z.literal(0).default(0).meta({ description: "Always 0: capacity never drops during a rollout." }),
      minReadySeconds: z.int().min(0).max(3600).default(10),
      progressDeadlineSeconds: z.int().min(60).max(7200).default(600),
    }),
    strict({
      type: z.literal("blueGreen"),
      active: z.enum(["blue", "green"]).meta({ description: "Slot that receives the default traffic." }),
      blue: releaseVersion.optional(),
      green: releaseVersion.optional(),
      previewHeader: z.string().regex(/^[a-z][-a-z0-9]*$/).default("x-brume-preview"),
      ...retention,
    }),
    strict({
      type: z.literal("canary"),
      stable: releaseVersion,
      canary: releaseVersion.optional(),
      weight: percent.default(0).meta({ description: "Share of traffic (0-100) routed to the canary." }),
      ...retention,
    }),
  ])
  .meta({ description: "Deployment strategy: rolling, blueGreen or canary. Each step is one config change." });

export const buildSchema = strict({
  context: z.string().min(1).meta({ description: "Build context, relative to the config file." }),
  dockerfile: z.string().default("Dockerfile"),
  args: z.record(z.string(), z.string()).default({}),
});

export const usesSchema = strict({
  database: dnsLabel.optional().meta({ description: "Database (from `databases`) this service connects to." }),
  cache: dnsLabel.optional().meta({ description: "Cache (from `caches`) this service connects to." }),
  topics: z.array(dnsLabel).default([]).meta({ description: "Topics it publishes to." }),
  subscriptions: z
    .array(z.string().regex(/^[a-z][-a-z0-9]*\/[a-z][-a-z0-9]*$/, { error: 'expected "<topic>/<subscription>"' }))
    .default([])
    .meta({ description: 'Subscriptions it pulls from, as "<topic>/<subscription>".' }),
  buckets: z.array(dnsLabel).default([]),
  secrets: z.array(dnsLabel).default([]).meta({ description: "Secrets (from `secrets`) it reads." }),
  ...databaseUseFields,
});

export const serviceSchema = strict({
  renamedFrom: dnsLabel
    .optional()
    .meta({
      description:
        "The name this service had before (a rename): its resources keep their Pulumi state through aliases instead of being deleted and created. " +
        "Names derived from the service change with it (Kubernetes objects, the in-cluster DNS name, the Google service account and its email, the IAM database login): " +
        "those are replaced, and callers must use the new name. Remove the field once every stack has been deployed with it.",
    }),
  image: z.string().min(1).optional().meta({ description: "Image reference; use `build` to build from source instead." }),
  build: buildSchema.optional(),
  runner: z.enum(runnerNames).default("kubernetes").meta({ description: "Where the service runs." }),
  machines: dnsLabel.optional().meta({ description: "Machine group (from `machines`) for container/process runners." }),
  command: z.array(z.string()).optional(),
  ports: z
    .array(servicePortSchema)
    .min(1)
    .default([{ name: "http", port: 8080, protocol: "TCP" }])
    .meta({
      description:
        "Ports the container listens on. Default: one port, `http` 8080/TCP (the convention Cloud Run also uses, https://cloud.google.com/run/docs/container-contract#port), so a service without `ports` must listen on 8080. " +
        "An exposed service is routed to its first port; probes without a `port` use the first port too.",
    }),
  env: z.record(envVarName, z.string()).default({}).meta({ description: "Plain environment variables." }),
  secrets: z
    .record(envVarName, dnsLabel)
    .default({})
    .meta({ description: "Environment variable → secret name (from `secrets`); delivered from Secret Manager." }),
  resources: strict({ cpu: cpuQuantity.default("250m"), memory: memoryQuantity.default("256Mi"), ...resourcesPoolField }).default({
    cpu: "250m",
    memory: "256Mi",
  }),
  health: strict({
    liveness: probeSchema.optional(),
    readiness: probeSchema.optional(),
    startup: probeSchema.optional(),
  }).default({}),
  scaling: scalingSchema.default({ min: 1, max: 3, targetCpu: 70 }),
  dependsOn: z.array(dnsLabel).default([]).meta({ description: "Services this one calls (network policy, start order)." }),
  expose: exposureSchema.optional(),
  preRelease: preReleaseSchema.optional(),
  ...serviceEdgeFields,
  strategy: strategySchema.default({
    type: "rolling",
    maxSurge: "25%",
    maxUnavailable: 0,
    minReadySeconds: 10,
    progressDeadlineSeconds: 600,
  }),
  uses: usesSchema.default({ topics: [], subscriptions: [], buckets: [], secrets: [], databaseAuth: "iam", databasePoolSize: 5 }),
  source: strict({
    git: z.string().min(1).optional().meta({ description: "Git URL of the source (with `ref`); or use `artifact`." }),
    ref: z.string().min(1).optional().meta({ description: "Pinned commit or tag (with `git`)." }),
    artifact: strict({
      url: z.url().regex(/\.(tar\.gz|tgz)$/, { error: "expected the URL of a .tar.gz / .tgz archive" }),
      sha256: sha256Hex,
    })
      .optional()
      .meta({ description: "Source as a release archive instead of git: URL of a .tar.gz and its SHA-256 (verified before it is unpacked)." }),
    runtime: z.string().regex(/^[a-z]+@[\w.]+$/, { error: 'expected "<runtime>@<version>", e.g. "nodejs@20.11.1"' }).meta({
      description:
        "The runtime vfox installs, as `<plugin>@<version>` (e.g. `nodejs@20.11.1`, `python@3.12.4`): the vfox plugin, added on first use, at a pinned version. The build and the service's `command` run with it on PATH (machines.<group>.vfox pins vfox itself).",
    }),
    build: z.string().optional().meta({
      description:
        "Shell command run in the source directory with the runtime on PATH (bash -euo pipefail), once per source version (commit or archive), before the service starts, e.g. `npm ci && npm run build`. Default: no build step.",
    }),
  })
    .optional()
    .meta({ description: "Process runner: source (git at a pinned ref, or a verified archive) and a vfox-managed runtime." }),
});

// ---------------------------------------------------------------------------------------------
// Machines
// ---------------------------------------------------------------------------------------------

export const agentSchema = strict({
  name: dnsLabel.default("dployrd"),
  version: z.string().regex(/^v?\d+\.\d+\.\d+([-+][\w.]+)?$/, { error: "expected a semantic version such as 1.4.2" }).default("0.1.0"),
  url: z
    .url()
    .optional()
    .meta({ description: "Release tarball URL; `{version}` is substituted. Defaults to the dployrd release URL." }),
  sha256: sha256Hex.optional(),
  controlPlaneUrl: z.url().optional().meta({ description: "Control plane the agent connects to (mTLS websocket)." }),
  tokenSecret: dnsLabel.default("agent-bootstrap-token").meta({ description: "Secret Manager secret holding the bootstrap token." }),
  checksumUrl: z
    .url()
    .optional()
    .meta({ description: "Published SHA-256 of the tarball, used when `sha256` is not pinned. Defaults to `<url>.sha256`." }),
  unitOptions: z
    .record(z.string().regex(/^[A-Z][A-Za-z]+$/), z.string().regex(/^[^\n]*$/))
    .default({})
    .meta({ description: "Extra [Service] options of the agent's systemd unit (override ours key by key)." }),
});

const machineReleaseSchema = strict({
  version: z.string().regex(/^[A-Za-z0-9][-._A-Za-z0-9]{0,62}$/, { error: "expected a version label such as v42 or 1.4.2" }),
  agent: strict({
    version: z.string().regex(/^v?\d+\.\d+\.\d+([-+][\w.]+)?$/, { error: "expected a semantic version such as 1.4.2" }),
    sha256: sha256Hex.optional(),
  }).optional(),
  services: z
    .record(
      dnsLabel,
      strict({
        image: z.string().min(1).optional(),
        ref: z.string().min(1).optional(),
        artifact: strict({ url: z.url().regex(/\.(tar\.gz|tgz)$/, { error: "expected the URL of a .tar.gz / .tgz archive" }), sha256: sha256Hex }).optional(),
      }),
    )
    .optional()
    .meta({ description: "Image (container), git ref or archive (process, as its source has) of this release, by service name." }),
});

export const machineStrategySchema = z
  .discriminatedUnion("type", [
    strict({ type: z.literal("rolling") }),
    strict({
      type: z.literal("canary"),
      stable: machineReleaseSchema,
      canary: machineReleaseSchema.optional(),
      percent: percent.default(10).meta({ description: "Share of instances (0-100) on the canary release." }),
    }),
    strict({
      type: z.literal("blueGreen"),
      active: z.enum(["blue", "green"]).meta({ description: "Group the backend service sends traffic to (capacityScaler 1; the other group 0)." }),
      blue: machineReleaseSchema.optional(),
      green: machineReleaseSchema.optional(),
      rolledBackFrom: versionLabel.optional().meta({ description: "Set by a rollback: the release it left. A second rollback without `--to` changes nothing." }),
      staged: versionLabel.optional().meta({
        description:
          "Set by `brume release start`: the standby group's release, which has not served yet. A rollback never moves traffic to it (that is a move forward): `promote` does, and clears it.",
      }),
    }),
  ])
  .meta({ description: "Machine rollout: rolling (one template), canary (two versions in one group) or blueGreen (two groups)." });

export const machineGroupSchema = strict({
  machineType: z.string().regex(/^[a-z0-9]+-[a-z0-9-]+$/, { error: "expected a machine type such as e2-standard-2" }).default("e2-standard-2"),
  size: z.int().min(0).max(500).default(1).meta({ description: "Fixed size when autoscaling is absent." }),
  autoscaling: strict({
    min: z.int().min(0).max(500),
    max: z.int().min(1).max(500),
    targetCpu: percent.min(1).default(60),
  }).optional(),
  zones: z.array(gcpZone).min(1).optional().meta({ description: "Zones of the regional group; defaults to three zones of the region." }),
  image: z
    .enum(["debian-12", "cos-stable"])
    .default("debian-12")
    .meta({ description: "Boot image family. cos-stable (Container-Optimized OS) runs container services only: no process runner, docker engine." }),
  diskGb: z.int().min(10).max(65536).default(20),
  agent: agentSchema.default({ name: "dployrd", version: "0.1.0", tokenSecret: "agent-bootstrap-token", unitOptions: {} }),
  runners: z.array(z.enum(["container", "process"])).min(1).default(["container"]),
  serves: z
    .array(port)
    .default([])
    .meta({
      description:
        "[443]: the group is a backend of the environment's shared global external Application Load Balancer (one static IP, Google-managed certificate for its services' domains, HTTP redirected to HTTPS), which reaches Caddy on 443 only, from Google's ranges; [] (default): no load balancer. No other port can be served.",
      examples: [[443]],
    }),
  strategy: machineStrategySchema.default({ type: "rolling" }),
  healthPort: port.default(9000).meta({ description: "Port of Caddy's /healthz endpoint, probed by autohealing." }),
  engine: z.enum(["docker", "podman"]).default("docker").meta({ description: "Container engine of the container runner." }),
  ...machineConnectionFields,
  vfox: strict({
    version: z.string().regex(/^\d+\.\d+\.\d+$/).meta({ description: 'vfox release to install, as written in its release tag without the "v" (e.g. "0.6.10"); quote it so YAML keeps it a string.' }),
    url: z.url().meta({
      description:
        "vfox release URL, `{version}` substituted: the release tarball (`…/v{version}/vfox_{version}_linux_x86_64.tar.gz`, the binary inside is installed) or a single binary.",
    }),
    sha256: sha256Hex.meta({
      description: "SHA-256 of what `url` downloads (64 lowercase hex digits), from the release's checksums.txt line for that file; quote it, as an all-digit hash would be read as a number.",
    }),
  })
    .optional()
    .meta({ description: "vfox (runtime installer) for process services: pinned version, release URL and its SHA-256 (from the release's checksums.txt)." }),
});

// ---------------------------------------------------------------------------------------------
// Operations: observability, access control, recovery (issue 8)
// ---------------------------------------------------------------------------------------------

const groupEmail = z
  .string()
  .regex(/^(group|user|serviceAccount|domain):[^\s@]*@?[a-z0-9.-]+\.[a-z]{2,}$/, {
    error: 'expected a principal such as "group:devs@example.com" (group:, user:, serviceAccount: or domain:)',
  });

export const alertThresholdsSchema = strict({
  sqlCpuPercent: percent.min(1).default(80).meta({ description: "Cloud SQL CPU utilization (%) over 10 min." }),
  sqlDiskPercent: percent.min(1).default(85).meta({ description: "Cloud SQL disk utilization (%)." }),
  sqlReplicationLagSeconds: z.int().min(1).default(60).meta({ description: "Replica lag (s) of the DR replica." }),
  redisMemoryPercent: percent.min(1).default(85).meta({ description: "Memorystore memory usage ratio (%)." }),
  containerRestarts: z.int().min(1).default(5).meta({ description: "Container restarts per 15 min, per container." }),
  pubsubOldestUnackedSeconds: z.int().min(60).default(900).meta({ description: "Age (s) of the oldest unacked message." }),
  lb5xxPercent: percent.min(1).default(2).meta({ description: "Share (%) of 5xx responses at the load balancer over 5 min." }),
});

export const observabilitySchema = strict({
  notifications: strict({
    emails: z.array(z.email()).default([]).meta({ description: "Email notification channels." }),
    slack: strict({
      channel: z.string().regex(/^#[a-z0-9][-_a-z0-9]{0,79}$/, { error: 'expected a Slack channel such as "#alerts"' }),
      tokenSecret: dnsLabel.meta({
        description:
          "Secret (from `secrets`) holding the Slack app OAuth token. Its value comes from the stack's secret config (`pulumi config set --secret --path 'brume:secrets.<name>' <token>`), written as the secret's version and passed to the channel; never read back from Secret Manager.",
      }),
    })
      .optional()
      .meta({ description: "Slack channel; its token comes from Pulumi secret config (brume:secrets)." }),
  }).default({ emails: [] }),
  thresholds: alertThresholdsSchema.prefault({}),
  logs: strict({
    bigquery: z.boolean().default(true).meta({ description: "Sink all logs to a BigQuery dataset (analytics)." }),
    bigqueryRetentionDays: z.int().min(1).max(3650).default(90),
    archiveRetentionDays: z
      .int()
      .min(1)
      .max(3650)
      .optional()
      .meta({
        description:
          "Days the regional GCS log archive keeps entries; defaults to the preset's logArchiveRetentionDays. Where the preset protects (production) it is also a retention policy (no earlier deletion).",
      }),
    sinkExclusions: z
      .array(z.enum(["vpcFlows", "firewall", "dnsQueries"]))
      .default(["vpcFlows", "firewall", "dnsQueries"])
      .meta({ description: "High-volume network logs the BigQuery and GCS sinks do not copy (they stay in the _Default bucket)." }),
  }).default({ bigquery: true, bigqueryRetentionDays: 90, sinkExclusions: ["vpcFlows", "firewall", "dnsQueries"] }),
  tracing: strict({
    samplingPercent: z.number().min(0).max(100).default(10).meta({ description: "Share of traces kept (probabilistic sampling)." }),
    image: z
      .string()
      .min(1)
      .default("us-docker.pkg.dev/cloud-ops-agents-artifacts/google-cloud-opentelemetry-collector/otelcol-google:0.121.0")
      .meta({ description: "Collector image (Google-built OpenTelemetry Collector)." }),
  })
    .optional()
    .meta({
      description:
        "An OpenTelemetry collector in the services' namespace exporting traces to Cloud Trace; every service gets OTEL_EXPORTER_OTLP_ENDPOINT.",
    }),
  budget: strict({
    billingAccount: z
      .string()
      .regex(/^[A-F0-9]{6}-[A-F0-9]{6}-[A-F0-9]{6}$/, { error: 'expected a billing account id such as "01ABCD-23EF45-67AB89"' }),
    currency: z.string().regex(/^[A-Z]{3}$/).default("USD"),
    amounts: z
      .record(dnsLabel, z.int().min(1))
      .meta({ description: "Monthly budget per environment name (whole currency units); environments not listed get none." }),
  })
    .optional()
    .meta({ description: "Billing budgets with 50/90/100 % thresholds to the channels and a Pub/Sub topic." }),
});

export const accessRoleNames = ["owner", "admin", "developer", "viewer"] as const;

export const accessSchema = strict({
  groups: strict(Object.fromEntries(accessRoleNames.map((r) => [r, z.array(groupEmail).default([])])) as Record<
    (typeof accessRoleNames)[number],
    z.ZodDefault<z.ZodArray<typeof groupEmail>>
  >)
    .default({ owner: [], admin: [], developer: [], viewer: [] })
    .meta({ description: "Principals per role; developers get read-only access in production environments." }),
  rbacSecurityGroup: z
    .string()
    .regex(/^gke-security-groups@[a-z0-9.-]+\.[a-z]{2,}$/, { error: 'expected "gke-security-groups@<your domain>", the name GKE requires' })
    .optional()
    .meta({
      description:
        "Google Groups for RBAC: the `gke-security-groups@<domain>` group that contains the groups RBAC bindings name. Required when `groups` lists a group: GKE matches Kubernetes `Group` subjects only with it.",
      examples: ["gke-security-groups@example.com"],
    }),
  auditLogs: z
    .array(z.enum(["cloudsql.googleapis.com", "secretmanager.googleapis.com", "cloudkms.googleapis.com", "storage.googleapis.com"]))
    .default(["cloudsql.googleapis.com", "secretmanager.googleapis.com", "cloudkms.googleapis.com"])
    .meta({ description: "Services with Data Access audit logs (ADMIN_READ, DATA_WRITE; DATA_READ per dataReadAuditLogs)." }),
  dataReadAuditLogs: z
    .array(z.enum(["cloudsql.googleapis.com", "secretmanager.googleapis.com", "cloudkms.googleapis.com", "storage.googleapis.com"]))
    .default(["secretmanager.googleapis.com"])
    .meta({
      description:
        "Services of auditLogs whose DATA_READ entries are logged too: by default who read a secret's value. KMS DATA_READ logs every decrypt (each CMEK secret access), Cloud SQL and GCS every data read: add them where an audit requires it.",
    }),
});

export const recoverySchema = strict({
  rpoMinutes: z.int().min(1).max(10080).default(15).meta({ description: "Recovery point objective (minutes) for databases and buckets." }),
  rtoHours: z.number().min(0.25).max(168).default(4).meta({ description: "Recovery time objective (hours)." }),
  cacheRpoMinutes: z
    .int()
    .min(60)
    .default(60)
    .meta({ description: "RPO for caches (reconstructible data; Memorystore snapshots run at most hourly)." }),
  exports: strict({
    schedule: z.string().regex(/^(\S+\s+){4}\S+$/, { error: 'expected a cron schedule such as "0 */6 * * *"' }).default("0 */6 * * *"),
    timeZone: z.string().default("Etc/UTC"),
    retentionDays: z.int().min(1).max(3650).default(30).meta({ description: "Days an export version is kept." }),
  })
    .default({ schedule: "0 */6 * * *", timeZone: "Etc/UTC", retentionDays: 30 })
    .meta({ description: "Scheduled Cloud SQL exports to a versioned bucket in the DR region (when project.drRegion is set)." }),
  enforce: z
    .array(dnsLabel)
    .optional()
    .meta({ description: "Environments where `brume plan` fails on unmet targets; defaults to those with the production preset." }),
});

// ---------------------------------------------------------------------------------------------
// The whole file
// ---------------------------------------------------------------------------------------------

export { ciSchema };

// ---------------------------------------------------------------------------------------------
// Cost estimate (issue 7): usage the plan cannot know
// ---------------------------------------------------------------------------------------------

const gib = (description: string, fallback: number) => z.number().min(0).default(fallback).meta({ description });

/**
 * What `brume cost` / `brume diff` assume for usage-dependent prices. One value per stack: set it
 * per environment through `brume:overrides` in Pulumi.<env>.yaml; `--assume key=n` wins over both.
 */
export const costAssumptionsSchema = strict({
  bucketGiB: gib("Data stored per bucket, GiB.", 50),
  registryGiB: gib("Images stored per Artifact Registry repository, GiB.", 20),
  natGiB: gib("Data processed by each Cloud NAT gateway per month, GiB.", 100),
  lbGiB: gib("Data processed by each load balancer (Gateway, machine frontend) per month, GiB.", 100),
  pubsubGiB: gib("Throughput per Pub/Sub topic per month, GiB.", 10),
  logsGiB: gib("Log entries the environment's project ingests per month, GiB (application, audit, GKE system logs; network logs apart).", 100),
  scannedImages: gib("New image digests pushed per Artifact Registry repository per month (each scanned once where scanning is on).", 60),
  networkLogsGiB: gib("VPC flow logs and firewall logs the project ingests per month at the preset's sampling, GiB.", 20),
});

export const costSchema = strict({
  assumptions: costAssumptionsSchema.prefault({}).meta({ description: "Usage the cost estimate assumes (the plan cannot know it)." }),
});

export const brumeConfigSchema = strict({
  $schema: z.string().optional().meta({ description: "Path or URL of the JSON Schema (editor support)." }),
  project: projectSchema,
  environments: z
    .record(dnsLabel, environmentSchema)
    .refine((envs) => Object.keys(envs).length > 0, { error: "declare at least one environment (e.g. prod)" })
    .meta({ description: "Environments by name (prod, stage, …)." }),
  services: z.record(dnsLabel, serviceSchema).default({}),
  machines: z.record(dnsLabel, machineGroupSchema).default({}),
  databases: z.record(dnsLabel, databaseSchema).default({}),
  caches: z.record(dnsLabel, cacheSchema).default({}),
  topics: z.record(dnsLabel, topicSchema).default({}),
  buckets: z.record(dnsLabel, bucketSchema).default({}),
  secrets: z.record(dnsLabel, secretSchema).default({}),
  ci: ciSchema.optional(),
  observability: observabilitySchema.optional().meta({ description: "Alerts, uptime checks, dashboards, log sinks and budgets." }),
  access: accessSchema.optional().meta({ description: "Role-based access (IAM + Kubernetes RBAC) and Data Access audit logs." }),
  recovery: recoverySchema.optional().meta({ description: "Backup and disaster-recovery targets (RPO / RTO) and scheduled exports." }),
  cost: costSchema.prefault({}).meta({ description: "Assumptions of the cost estimate (`brume cost`, the cost delta of `brume diff`)." }),
  gitops: gitopsSchema.optional().meta({ description: "GitOps delivery with Argo CD for environments with `delivery: gitops` (docs/gitops.md)." }),
});

/** The config as written by the user (defaults optional). */
export type BrumeConfigInput = z.input<typeof brumeConfigSchema>;
/** The config after validation and defaults. */
export type BrumeConfig = z.output<typeof brumeConfigSchema>;
export type ProjectConfig = BrumeConfig["project"];
export type EnvironmentConfig = BrumeConfig["environments"][string];
export type NetworkConfig = z.output<typeof networkConfigSchema>;
export type ServiceConfig = BrumeConfig["services"][string];
export type MachineGroupConfig = BrumeConfig["machines"][string];
export type DatabaseConfig = BrumeConfig["databases"][string];
export type CacheConfig = BrumeConfig["caches"][string];
export type TopicConfig = BrumeConfig["topics"][string];
export type BucketConfig = BrumeConfig["buckets"][string];
export type SecretConfig = BrumeConfig["secrets"][string];
export type StrategyConfig = ServiceConfig["strategy"];
export type ObservabilityConfig = z.output<typeof observabilitySchema>;
export type AlertThresholds = z.output<typeof alertThresholdsSchema>;
export type AccessConfig = z.output<typeof accessSchema>;
export type AccessRole = (typeof accessRoleNames)[number];
export type RecoveryConfig = z.output<typeof recoverySchema>;
