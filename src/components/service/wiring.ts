/**
 * Services of a brume stack: one namespace per project+environment (`<project>-<env>`, created by a
 * `brume:service:Namespace`) and one `brume:service:Service` per `runner: kubernetes` service,
 * wired to the environment's cluster provider and to the ids of the resources each one `uses`.
 */
import { strategyQuota } from "../strategy/quota.js";
import * as pulumi from "@pulumi/pulumi";
import type { BrumeConfig } from "../../config/schema.js";
import type { Environment } from "../environment/environment.js";
import { resolve } from "node:path";
import * as gcp from "@pulumi/gcp";
import { collectorName, collectorService, traceWriterRole, tracingEnv } from "../observability/trace-collector.js";
import { ServiceImage } from "./image.js";
import { fqdn, zoneDnsNames } from "../network/dns.js";
import { kubernetesObjectsFor } from "../../config/rules-gitops.js";
import { installArgoCd } from "../gitops/install.js";
import { defaultNamespaceLimits, Namespace, type NamespaceArgs } from "./namespace.js";
import { Service, type ServiceArgs, type ServiceTargets } from "./service.js";
import type { ServiceConnections } from "./connections.js";
import { renamedAliases } from "../child-resources/options.js";
import { passwordLogin } from "../../config/rules-connections.js";

export interface ServicesTransform {
  namespace?: NamespaceArgs["transform"];
  service?: ServiceArgs["transform"];
}

export interface ProjectServices {
  /** Absent when no service runs on Kubernetes. */
  namespace: Namespace | undefined;
  services: Record<string, Service>;
}

export interface CreateServicesArgs {
  config: BrumeConfig;
  environment: Environment;
  /** Directory `build.context` paths are relative to (the config file's). @default process.cwd() */
  baseDir?: string;
  transform?: ServicesTransform;
  /**
   * Instantiate only these Kubernetes services; everything derived from the whole config (the
   * namespace's domains, callers, routes, the collector) still sees every service. The offline plan
   * uses it to plan a large environment in groups of services with bounded memory. Never set it for
   * `pulumi up`: the services left out would be deleted. @default every service
   */
  only?: readonly string[];
  /**
   * Values of declared secrets (`brume:secrets`): an IAP service's OAuth client secret
   * (`expose.iapClient.secret`) comes from here, never read back from Secret Manager. @default {}
   */
  secretValues?: Record<string, pulumi.Input<string>>;
}

/** Names of the Kubernetes services that list `name` in dependsOn. */
export function callersOf(config: BrumeConfig, name: string): string[] {
  return Object.entries(config.services)
    .filter(([, s]) => s.runner === "kubernetes" && s.dependsOn.includes(name))
    .map(([n]) => n)
    .sort();
}

export function createServices(parent: pulumi.Resource & { provider?: pulumi.ProviderResource }, name: string, args: CreateServicesArgs): ProjectServices {
  const { config, environment: env } = args;
  const kube = Object.entries(config.services).filter(([, s]) => s.runner === "kubernetes");
  if (kube.length === 0) return { namespace: undefined, services: {} };
  const resolved = env.environment;
  const providers = parent.provider ? { providers: { gcp: parent.provider } } : {};
  // The delivery (docs/gitops.md): with gitops, Argo CD applies the objects `brume render` writes.
  const kubernetes = kubernetesObjectsFor(config, resolved.name);
  const exposed = (pub: boolean) => kube.flatMap(([, s]) => (s.expose && s.expose.public === pub ? s.expose.domains : []));

  const namespace = new Namespace(
    `${name}-apps`,
    {
      provider: env.cluster.provider,
      crdGate: env.cluster.crdGate,
      project: resolved.gcpProject,
      naming: env.naming,
      name: env.naming.prefix,
      externalDomains: exposed(true),
      internalDomains: exposed(false),
      // DNS authorization CNAMEs and A records of the external domains go to the environment's
      // public zone; A records of the internal domains to its private zone.
      ...(env.network.publicZone && resolved.domain ? { publicZone: { name: env.network.publicZone.name, dnsName: fqdn(resolved.domain) } } : {}),
      ...(env.network.privateZone && zoneDnsNames(resolved.domain).private
        ? { privateZone: { name: env.network.privateZone.name, dnsName: zoneDnsNames(resolved.domain).private! } }
        : {}),
      region: resolved.region,
      internalSubnetwork: env.network.nodesSubnet.id,
      protect: resolved.settings.protect,
      labels: { environment: resolved.name },
      kubernetes,
      // The quota admits what the strategies can run at once, with headroom (../strategy/quota.ts).
      limits: { ...defaultNamespaceLimits, quota: { ...defaultNamespaceLimits.quota, ...strategyQuota(config) } },
      ...(args.transform?.namespace ? { transform: args.transform.namespace } : {}),
    },
    // The Gateway certificates call Certificate Manager and Cloud DNS; addresses and SSL policies Compute.
    { parent, ...providers, dependsOn: [env.cluster, ...env.apis.for("certificatemanager", "dns", "compute")] },
  );

  const services: Record<string, Service> = {};
  // What every Service of the environment shares: the cluster, the project, the naming and the services' namespace.
  const inCluster = {
    provider: env.cluster.provider,
    crdGate: env.cluster.crdGate,
    project: resolved.gcpProject,
    naming: env.naming,
    namespace: namespace.name,
    namespaceResource: namespace,
    workloadPool: env.cluster.workloadPool,
  };
  const tracing = config.observability?.tracing;
  const collector = tracing ? collectorService({ project: resolved.gcpProject, image: tracing.image, samplingPercent: tracing.samplingPercent }) : undefined;
  const only = args.only ? new Set(args.only) : undefined;
  for (const [key, svc] of kube) {
    if (only && !only.has(key)) continue;
    const built = svc.build ? buildImage(parent, name, key, svc.build, args, providers) : undefined;
    services[key] = new Service(
      `${name}-svc-${key}`,
      {
        ...inCluster,
        service: key,
        // A built image runs by digest; its content tag names the version (a plain value).
        config: withTracing(built ? { ...svc, image: built.taggedName } : svc, collector !== undefined),
        ...(built ? { builtImage: built.image.ref } : {}),
        callers: callersOf(config, key),
        dependencies: Object.fromEntries([
          ...svc.dependsOn.filter((d) => config.services[d]?.runner === "kubernetes").map((d) => [d, config.services[d]!.ports] as const),
          ...(collector ? [[collectorName, collector.ports] as const] : []),
        ]),
        // Production: 2 pods at least serve an exposed service's default traffic (k8s-review 25).
        ...(resolved.preset === "production" ? { minServingReplicas: 2 } : {}),
        ...(resolved.cluster.fqdnNetworkPolicy ? { fqdnNetworkPolicy: true } : {}),
        dataRange: resolved.network.servicesAccessCidr,
        proxyRange: resolved.network.proxyCidr,
        targets: targetsOf(config, key, env, args.secretValues ?? {}),
        labels: { environment: resolved.name },
        kubernetes,
        ...(args.transform?.service ? { transform: args.transform.service } : {}),
      },
      {
        parent,
        ...providers,
        dependsOn: env.apis.for("container", "iam", "iamcredentials", "compute", "cloudresourcemanager"),
        // A renamed service keeps its Pulumi state (docs/config.md, renamedFrom).
        ...renamedAliases(svc.renamedFrom === undefined ? undefined : `${name}-svc-${svc.renamedFrom}`),
      },
    );
  }
  if (collector) {
    const traces = new Service(
      `${name}-svc-${collectorName}`,
      {
        ...inCluster,
        service: collectorName,
        config: collector,
        callers: kube.map(([key]) => key).sort(),
        googleApis: true,
        labels: { environment: resolved.name },
        kubernetes,
        ...(args.transform?.service ? { transform: args.transform.service } : {}),
      },
      { parent, ...providers, dependsOn: env.apis.for("container", "iam", "iamcredentials", "compute", "cloudresourcemanager") },
    );
    // Cloud Trace has no resource-level IAM: the span writer role is granted on the project.
    new gcp.projects.IAMMember(
      `${name}-${collectorName}-trace-writer`,
      { project: resolved.gcpProject, role: traceWriterRole, member: pulumi.interpolate`serviceAccount:${traces.gsaEmail}` },
      // Project IAM is a Cloud Resource Manager call; the spans go to Cloud Trace (enabled with tracing).
      { parent: traces, dependsOn: env.apis.for("cloudresourcemanager", "cloudtrace") },
    );
    services[collectorName] = traces;
  }
  // GitOps delivery: Argo CD syncs what `brume render` writes, one Application per service.
  installArgoCd(parent, name, { config, environment: env, namespace: namespace.name, namespaceResource: namespace, serviceKeys: [...kube.map(([k]) => k), ...(collector ? [collectorName] : [])] }, { parent, ...providers, dependsOn: [env.cluster, ...env.apis.for("iam", "secretmanager")] });
  return { namespace, services };
}

/** A traced service sends spans to the namespace's collector (its own env vars win). */
function withTracing(svc: BrumeConfig["services"][string], traced: boolean): BrumeConfig["services"][string] {
  return traced ? { ...svc, env: { ...tracingEnv(), ...svc.env } } : svc;
}

/** Builds and pushes a service's image to the environment's registry (`build:` in brume.yaml). */
function buildImage(
  parent: pulumi.Resource,
  name: string,
  key: string,
  build: NonNullable<BrumeConfig["services"][string]["build"]>,
  args: CreateServicesArgs,
  providers: object,
): { image: ServiceImage; taggedName: string } {
  const env = args.environment;
  const resolved = env.environment;
  // The registry path is deterministic (region, project, Naming), so the tag is known at plan time.
  const registryUrl = `${resolved.region}-docker.pkg.dev/${resolved.gcpProject}/${env.naming.name("images")}`;
  const image = new ServiceImage(
    `${name}-img-${key}`,
    {
      registryUrl,
      service: key,
      context: resolve(args.baseDir ?? process.cwd(), build.context),
      dockerfile: build.dockerfile,
      args: build.args,
    },
    { parent, ...providers, dependsOn: [env.registry] },
  );
  return { image, taggedName: `${registryUrl}/${key}:${image.tag}` };
}

/** Ids of what a service uses, from the environment's components. */
function targetsOf(config: BrumeConfig, key: string, env: Environment, secretValues: Record<string, pulumi.Input<string>>): ServiceTargets {
  const svc = config.services[key]!;
  const u = svc.uses;
  const login = passwordLogin(key, svc);
  const secretNames = [...new Set([...u.secrets, ...Object.values(svc.secrets), ...(svc.expose?.iap && svc.expose.iapClient ? [svc.expose.iapClient.secret] : [])])];
  const subscriptions: Record<string, pulumi.Input<string>> = {};
  for (const ref of u.subscriptions) {
    const [topic, sub] = ref.split("/") as [string, string];
    subscriptions[ref] = env.topics[topic]!.subscriptions[sub]!.name;
  }
  const cache = u.cache ? env.caches[u.cache] : undefined;
  return {
    // Secret ids are deterministic (Naming), so manifests name them as plain text.
    secrets: Object.fromEntries(secretNames.map((s) => [s, env.naming.name(s, "secretId")])),
    topics: Object.fromEntries(u.topics.map((t) => [t, env.topics[t]!.topicName])),
    subscriptions,
    buckets: Object.fromEntries(u.buckets.map((b) => [b, env.buckets[b]!.bucketName])),
    databases: u.database ? { [u.database]: env.databases[u.database]!.instanceName } : {},
    caches: u.cache && cache ? { [u.cache]: { authSecretId: cache.authSecret.secretId, caSecretId: cache.caSecret.secretId } } : {},
    ...(u.database && u.databaseAuth === "password" ? { databasePasswordSecrets: { [u.database]: env.naming.name([u.database, login, "password"], "secretId") } } : {}),
    connections: connectionsOf(config, key, env),
    // IAP's OAuth client secret, from the stack's secret config (on a first apply the secret has no version to read back).
    ...(svc.expose?.iap && svc.expose.iapClient && Object.hasOwn(secretValues, svc.expose.iapClient.secret)
      ? { iapClientSecret: secretValues[svc.expose.iapClient.secret]! }
      : {}),
    // The versions this stack pins (brume:secretVersions, docs/secrets.md).
    secretVersions: Object.fromEntries(secretNames.map((s) => [s, { version: config.secrets[s]!.version, mount: config.secrets[s]!.mount }])),
    dependsOn: [
      ...secretNames.map((s) => env.secrets[s]!),
      ...(cache ? [cache] : []),
      // Password mode: the accessor waits for the password's secret.
      ...(u.database && u.databaseAuth === "password" ? [env.databases[u.database]!.passwordSecrets[login]!] : []),
    ],
  };
}

/** The facts of the connection contract (docs/connections.md) from the environment's components. */
export function connectionsOf(config: BrumeConfig, key: string, env: Environment): ServiceConnections {
  const u = config.services[key]!.uses;
  const login = passwordLogin(key, config.services[key]!);
  const project = env.environment.gcpProject;
  const db = u.database ? env.databases[u.database] : undefined;
  const cache = u.cache ? env.caches[u.cache] : undefined;
  return {
    ...(u.database && db
      ? {
          database: {
            name: u.database,
            instanceName: db.instanceName,
            // The instance's output: the IAM user waits for the instance.
            instance: db.instance.name,
            connectionName: db.connectionName,
            database: config.databases[u.database]!.databases[0]!,
            auth: u.databaseAuth,
            poolSize: u.databasePoolSize,
            // Password mode: the built-in user named like the service, or as it was before a rename
            // (passwordLogin; a config rule checks it exists).
            ...(u.databaseAuth === "password" ? { passwordUser: login, passwordSecretId: env.naming.name([u.database, login, "password"], "secretId") } : {}),
          },
        }
      : {}),
    ...(u.cache && cache
      ? {
          cache: {
            name: u.cache,
            host: cache.host,
            port: cache.port.apply(String),
            // Secret ids are deterministic (Naming): the SecretProviderClass names them as plain text.
            authSecretId: env.naming.name([u.cache, "auth"], "secretId"),
            caSecretId: env.naming.name([u.cache, "ca"], "secretId"),
          },
        }
      : {}),
    topics: Object.fromEntries(u.topics.map((t) => [t, pulumi.interpolate`projects/${project}/topics/${env.topics[t]!.topicName}`])),
    subscriptions: Object.fromEntries(
      u.subscriptions.map((ref) => {
        const [topic, sub] = ref.split("/") as [string, string];
        return [ref, pulumi.interpolate`projects/${project}/subscriptions/${env.topics[topic]!.subscriptions[sub]!.name}`];
      }),
    ),
    buckets: Object.fromEntries(u.buckets.map((b) => [b, env.buckets[b]!.bucketName])),
  };
}
