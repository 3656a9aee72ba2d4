/**
 * `brume:project:Project` — one environment of a brume config, expanded: a GCP provider pinned to
 * the environment's project, region and labels; the Environment (infrastructure and data); the
 * services on its cluster; the machine groups. The CI identity is not here: `brume bootstrap`
 * creates it (the deploy identity must not administer its own trust, issue 17).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { resolveEnvironment, type ResolvedEnvironment } from "../../config/load.js";
import type { BrumeConfig } from "../../config/schema.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import { Naming } from "../../config/naming.js";
import { Environment, type EnvironmentArgs } from "../environment/environment.js";
import { Machines, type MachinesArgs } from "../machine/machines.js";
import { CdnFrontend, type CdnFrontendArgs } from "../cdn/cdn-frontend.js";
import { fqdn } from "../network/dns.js";
import type { ImageRepository } from "../cluster/cluster.js";
import { artifactRepositoryOf, artifactRepositoryPath, publicRepositories, repositoryPathOf, repositoryPattern, within } from "../cluster/images.js";
import { argocdImagePatterns as gitopsImagePatterns } from "../gitops/chart.js";
import { createServices, type ProjectServices } from "../service/wiring.js";
import type { DatabaseGrantsJob } from "../database/audit.js";
import { grantDatabaseUsers } from "./database-grants.js";

export interface ProjectArgs {
  /** A validated config (`validateConfig` / `loadStack`). */
  config: BrumeConfig;
  /** The environment to expand (a key of `config.environments`). */
  environment: string;
  /**
   * Values of declared secrets by name (the program reads them from `brume:secrets`): each becomes
   * the secret's version, and the Slack channel's token comes from its `tokenSecret`'s value.
   * @default {}
   */
  secretValues?: Record<string, pulumi.Input<string>>;
  /** Directory relative paths of the config (e.g. `build.context`) start from. @default process.cwd() */
  baseDir?: string;
  /**
   * Instantiate only these Kubernetes services (see `CreateServicesArgs.only`): for the offline
   * plan of large environments, never for `pulumi up`. @default every service
   */
  onlyServices?: readonly string[];
  transform?: {
    provider?: Transform<gcp.ProviderArgs>;
    environment?: EnvironmentArgs["transform"];
    services?: import("../service/wiring.js").ServicesTransform;
    machines?: MachinesArgs["transform"];
    cdnFrontend?: CdnFrontendArgs["transform"];
  };
}

/**
 * `brume:project:Project` — one environment of a brume config, expanded: a GCP provider pinned to its
 * project, region and labels, the `Environment`, the namespace and services on its cluster, the machine
 * groups (`Machines`) and the CDN frontends of public buckets. The CI identity is created by `brume
 * bootstrap`, not here; see `docs/config.md` ("The model").
 */
export class Project extends pulumi.ComponentResource {
  readonly config: BrumeConfig;
  /** The environment with its preset applied. */
  readonly resolved: ResolvedEnvironment;
  readonly provider: gcp.Provider;
  readonly environment: Environment;
  /** Machine groups (VMs with the agent and container / process services), when the config has any. */
  readonly machines?: Machines;
  /** The namespace and one Service per `runner: kubernetes` service (see components/service). */
  readonly services: ProjectServices["services"];
  readonly namespace: ProjectServices["namespace"];
  /** The grants Job of each database the services use (docs/connections.md, "Database privileges"), by database. */
  readonly databaseGrants: Record<string, DatabaseGrantsJob>;
  /** The load balancer of each public bucket with a CDN domain (`buckets.<b>.cdn`), by bucket (gcp-review 25). */
  readonly cdnFrontends: Record<string, CdnFrontend>;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:project:Project", name, {}, opts);
    this.config = args.config;
    this.resolved = resolveEnvironment(args.config, args.environment);

    this.provider = this.createProvider(name, args);
    // Access is added after the services' Namespace exists, so its RoleBindings wait for it.
    const { access, ...operations } = operationsArgs(args.config, this.resolved, args.secretValues);
    const gitops = args.config.environments[this.resolved.name]?.delivery === "gitops";
    this.environment = new Environment(
      `${name}-${this.resolved.name}`,
      {
        projectName: args.config.project.name,
        environment: this.resolved,
        databases: args.config.databases,
        caches: args.config.caches,
        topics: args.config.topics,
        buckets: args.config.buckets,
        secrets: args.config.secrets,
        ...(args.secretValues ? { secretValues: args.secretValues } : {}),
        servingPorts: servingPorts(args.config),
        // GitOps delivery: Argo CD's images (pinned with its chart) and GKE Secret Sync for its repository credentials.
        allowedImagePatterns: [...imagePatterns(args.config), ...(gitops ? gitopsImagePatterns : [])],
        ...(gitops ? { secretSync: true } : {}),
        imageRepositories: nodeImageRepositories(args.config, this.resolved),
        // The trace collector exports to Cloud Trace (gcp-review 32).
        ...(args.config.observability?.tracing ? { extraApis: ["cloudtrace.googleapis.com"] } : {}),
        ...operations,
        ...(args.transform?.environment ? { transform: args.transform.environment } : {}),
      },
      { parent: this, providers: { gcp: this.provider } },
    );
    ({ namespace: this.namespace, services: this.services } = createServices(this, `${name}-${this.resolved.name}`, {
      config: args.config,
      environment: this.environment,
      ...(args.baseDir ? { baseDir: args.baseDir } : {}),
      ...(args.onlyServices ? { only: args.onlyServices } : {}),
      ...(args.secretValues ? { secretValues: args.secretValues } : {}),
      ...(args.transform?.services ? { transform: args.transform.services } : {}),
    }));

    if (access) this.environment.addAccess(access, this.namespace);
    this.cdnFrontends = Object.fromEntries(
      Object.entries(args.config.buckets)
        .filter(([key, b]) => b.cdn !== undefined && this.environment.buckets[key]?.backendBucket !== undefined)
        .map(([key, b]) => [key, this.createCdnFrontend(name, key, b.cdn!.domain, args)]),
    );
    if (Object.keys(args.config.machines).length > 0) this.machines = this.createMachines(name, args);
    // After the logins exist: the services' and the machine groups' Cloud SQL users.
    this.databaseGrants = grantDatabaseUsers(args.config, this.environment, this.services, this.machines);

    this.registerOutputs({
      gcpProject: this.resolved.gcpProject,
      region: this.resolved.region,
      networkId: this.environment.network.networkId,
    });
  }

  /** One MachineGroup per `machines` entry, in the environment's private subnet. */
  private createMachines(name: string, args: ProjectArgs): Machines {
    const env = this.resolved;
    const e = this.environment;
    return new Machines(
      `${name}-${env.name}-machines`,
      {
        config: args.config,
        environment: {
          name: env.name,
          gcpProject: env.gcpProject,
          region: env.region,
          labels: env.labels,
          protect: env.settings.protect,
          replicaRegions: e.replicaRegions,
        },
        naming: e.naming,
        network: e.network.networkId,
        subnetwork: e.network.privateSubnet.id,
        secretIds: Object.fromEntries(Object.entries(e.secrets).map(([key, secret]) => [key, secret.secret.id])),
        dataServices: { databases: e.databases, caches: e.caches, topics: e.topics, buckets: e.buckets },
        artifactRepository: { project: env.gcpProject, location: env.region, repositoryId: e.registry.repositoryId },
        // A records for the machine services' domains that fall in the environment's public zone.
        ...(e.network.publicZone && env.domain ? { publicZone: { name: e.network.publicZone.name, dnsName: fqdn(env.domain) } } : {}),
        ...(args.transform?.machines ? { transform: args.transform.machines } : {}),
      },
      { parent: this, providers: { gcp: this.provider }, dependsOn: e.apis.for("compute", "secretmanager", "artifactregistry", "iam", "cloudresourcemanager", "monitoring") },
    );
  }

  /** A public bucket's Cloud CDN on its domain: the load balancer in front of its backend bucket. */
  private createCdnFrontend(name: string, key: string, domain: string, args: ProjectArgs): CdnFrontend {
    const env = this.resolved;
    const e = this.environment;
    return new CdnFrontend(
      `${name}-${env.name}-cdn-${key}`,
      {
        project: env.gcpProject,
        naming: e.naming,
        bucket: key,
        domain,
        backendBucket: e.buckets[key]!.backendBucket!.id,
        ...(e.network.publicZone && env.domain ? { publicZone: { name: e.network.publicZone.name, dnsName: fqdn(env.domain) } } : {}),
        protect: env.settings.protect,
        labels: env.labels,
        ...(args.transform?.cdnFrontend ? { transform: args.transform.cdnFrontend } : {}),
      },
      { parent: this, providers: { gcp: this.provider }, dependsOn: e.apis.for("compute", "certificatemanager", "dns") },
    );
  }

  /** Every GCP resource of the environment goes through this provider: project, region, labels. */
  private createProvider(name: string, args: ProjectArgs): gcp.Provider {
    const env = this.resolved;
    return new gcp.Provider(
      ...transformed(
        args.transform?.provider,
        `${name}-gcp`,
        {
          project: env.gcpProject,
          region: env.region,
          defaultLabels: env.labels,
        },
        { parent: this },
      ),
    );
  }
}

/**
 * The environment's operations args from the `observability`, `access` and `recovery` sections:
 * what to watch (public endpoints, exposed services, machine groups), the budget of this
 * environment, the Slack token (the value of its `tokenSecret`, from `secretValues`).
 */
export function operationsArgs(
  config: BrumeConfig,
  env: ResolvedEnvironment,
  secretValues: Record<string, pulumi.Input<string>> = {},
): Pick<EnvironmentArgs, "observability" | "access" | "recovery"> {
  const out: Pick<EnvironmentArgs, "observability" | "access" | "recovery"> = {};
  const o = config.observability;
  if (o) {
    const naming = Naming.of(config.project.name, env.name);
    const exposed = Object.entries(config.services).filter(([, svc]) => svc.expose);
    const amount = o.budget && Object.hasOwn(o.budget.amounts, env.name) ? o.budget.amounts[env.name] : undefined;
    const slack = o.notifications.slack;
    // The token comes from stack config, never read back from Secret Manager (gcp-review 9).
    if (slack && !Object.hasOwn(secretValues, slack.tokenSecret)) {
      throw new Error(`the Slack channel needs the value of secret "${slack.tokenSecret}": pulumi config set --secret --path 'brume:secrets.${slack.tokenSecret}' <token>`);
    }
    out.observability = {
      notifications: {
        emails: o.notifications.emails,
        ...(slack ? { slack: { channel: slack.channel, token: secretValues[slack.tokenSecret]! } } : {}),
      },
      thresholds: o.thresholds,
      logs: o.logs,
      ...(o.budget && amount !== undefined ? { budget: { billingAccount: o.budget.billingAccount, currency: o.budget.currency, amount } } : {}),
      endpoints: exposed
        .filter(([, svc]) => svc.expose!.public && !svc.expose!.iap)
        .flatMap(([, svc]) => svc.expose!.domains.map((host) => ({ host, path: svc.health.readiness?.path ?? svc.expose!.paths[0]! }))),
      exposedServices: exposed.map(([name]) => name),
      releasedServices: Object.entries(config.services).filter(([, svc]) => svc.strategy.type === "canary").map(([name]) => name),
      machineGroups: Object.keys(config.machines).map((group) => naming.name(group, "instanceTemplatePrefix")),
    };
  }
  if (config.access) {
    out.access = {
      groups: config.access.groups,
      auditLogServices: config.access.auditLogs,
      dataReadAuditLogServices: config.access.dataReadAuditLogs,
      ...(config.access.rbacSecurityGroup ? { rbacSecurityGroup: config.access.rbacSecurityGroup } : {}),
    };
  }
  if (config.recovery) out.recovery = config.recovery.exports;
  return out;
}

/** Ports load balancers reach: those of exposed services and those machine groups serve. */
export function servingPorts(config: BrumeConfig): number[] {
  const ports = new Set<number>();
  for (const svc of Object.values(config.services)) if (svc.expose) for (const p of svc.ports) ports.add(p.port);
  for (const group of Object.values(config.machines)) for (const p of group.serves) ports.add(p);
  return [...ports].sort((a, b) => a - b);
}

/** Every image the config names for the cluster (Kubernetes services, their retained versions, the trace collector). */
export function clusterImages(config: BrumeConfig): string[] {
  const images: string[] = [];
  for (const svc of Object.values(config.services)) {
    if (svc.runner !== "kubernetes") continue;
    if (svc.image) images.push(svc.image);
    const s = svc.strategy;
    if (s.type === "blueGreen") for (const slot of [s.blue, s.green]) if (slot) images.push(slot.image);
    if (s.type === "canary") for (const slot of [s.stable, s.canary]) if (slot) images.push(slot.image);
    // Retained versions are rollback targets: their pods must stay admissible (k8s-review 15).
    if (s.type !== "rolling") for (const r of s.retained) images.push(r.image);
  }
  if (config.observability?.tracing) images.push(config.observability.tracing.image);
  return images;
}

/**
 * Binary Authorization admission patterns for the images services name: each image's repository
 * path with a trailing `/*` (`us-docker.pkg.dev/acme/apps/api:1.2` → `us-docker.pkg.dev/acme/apps/*`).
 */
export function imagePatterns(config: BrumeConfig): string[] {
  const patterns = clusterImages(config)
    .map(repositoryPathOf)
    .filter((path) => path !== undefined)
    .map(repositoryPattern);
  return [...new Set(patterns)].sort();
}

/**
 * The Artifact Registry repositories outside the environment's own registry that the cluster's
 * images come from and that nobody else makes readable: the node service account gets
 * `roles/artifactregistry.reader` on each (gcp-review finding 3: kubelet pulls as the node SA, and
 * a shared registry in another project otherwise answers 403 → ImagePullBackOff). Left out:
 * repositories under `cluster.readableRegistries` (a platform team grants) and public ones.
 */
export function nodeImageRepositories(config: BrumeConfig, env: Pick<ResolvedEnvironment, "cluster" | "gcpProject" | "region" | "name">): ImageRepository[] {
  const own = `${env.region}-docker.pkg.dev/${env.gcpProject}/${Naming.of(config.project.name, env.name).name("images")}`;
  const readable = [own, ...env.cluster.readableRegistries, ...publicRepositories];
  const byPath = new Map<string, ImageRepository>();
  for (const image of clusterImages(config)) {
    const repository = artifactRepositoryOf(image);
    if (!repository) continue;
    const path = artifactRepositoryPath(repository);
    if (readable.some((r) => within(path, r))) continue;
    byPath.set(path, repository);
  }
  return [...byPath.keys()].sort().map((path) => byPath.get(path)!);
}
