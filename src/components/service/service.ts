/**
 * `brume:service:Service` — one service of brume.yaml as a production-grade GKE workload:
 *
 * - identity: a Kubernetes ServiceAccount bound by Workload Identity to its own Google service
 *   account, which holds only the grants its `uses` imply, each scoped to the resource;
 * - workloads: one per running version (see ../strategy): Deployment, Service, HPA, PDB;
 * - secrets: files from Secret Manager through the GKE Secret Manager add-on (never in manifests);
 * - NetworkPolicy: ingress only from its callers and the gateway, egress to DNS, the metadata
 *   server, its dependencies, the data ranges it uses and Google APIs;
 * - exposure: an HTTPRoute on the namespace's gateway, Cloud Armor rate limiting and IAP through
 *   GCPBackendPolicy, health checks from the readiness probe.
 *
 * Works with any `k8s.Provider` (standalone use from another stack): pass the namespace name and
 * the ids of the resources it uses.
 */
import * as gcp from "@pulumi/gcp";
import { defaultAllowRule, everyRequest, throttleRule } from "../security/armor.js";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, dependsOnList } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { ServiceConfig } from "../../config/schema.js";
import { googleFrontEndRanges } from "../../config/google-ranges.js";
import type { Naming } from "../../config/naming.js";
import { headerRulesAllowed, releaseAnnotations, routeOf, servingVersion, workloadsOf, type Workload } from "../strategy/strategy.js";
import { preReleaseJobManifest } from "./pre-release.js";
import { cloudSqlCondition, grantsOf, type Grant } from "./grants.js";
import {
  backendPolicyManifest,
  deploymentManifest,
  healthCheckPolicyManifest,
  hpaManifest,
  httpRouteManifest,
  keys,
  networkPolicyManifest,
  pdbManifest,
  secretProviderClassManifest,
  serviceAccountManifest,
  serviceManifest,
  type PortSpec,
  type SecretFile,
} from "./manifests.js";
import { asArgs, asCustomArgs, type KubernetesObjects } from "./namespace.js";
export type { KubernetesObjects } from "./namespace.js";
import { fqdnNetworkPolicyManifest, parseEgress } from "./egress-manifests.js";
import { createIapClientSecret, iapClientSecretName } from "./iap-client.js";
import { secretProviderClassNameFor } from "./secret-mounts.js";
import { mountedVersions, type SecretMount } from "../../config/secret-versions.js";
import { setSecretCommand } from "../../config/secret-values.js";
import { contractSecretFiles, podContract, withConnections, type ServiceConnections } from "./connections.js";
import { createIamLogin, type IamLogin } from "../database/users.js";
import { iamDatabaseUser } from "../../render/connections.js";

type CR = k8s.apiextensions.CustomResource;
type CRArgs = k8s.apiextensions.CustomResourceArgs;

/** Ids of the GCP resources a service may use, by their config names. */
export interface ServiceTargets {
  /** Secret name → secret id (the `secretId`, not the full resource name). */
  secrets?: Record<string, string>;
  /** Topic name → topic name or id. */
  topics?: Record<string, pulumi.Input<string>>;
  /** "<topic>/<subscription>" → subscription name or id. */
  subscriptions?: Record<string, pulumi.Input<string>>;
  /** Bucket name → bucket name. */
  buckets?: Record<string, pulumi.Input<string>>;
  /** Database name → Cloud SQL instance name. */
  databases?: Record<string, string>;
  /** Cache name → the secret ids of its AUTH string and CA certificate. */
  caches?: Record<string, { authSecretId: pulumi.Input<string>; caSecretId: pulumi.Input<string> }>;
  /** Resources the grants must wait for (the secrets, topics, … themselves). */
  dependsOn?: pulumi.Resource[];
  /** Password mode: database name → secret id of the service's user's password. */
  databasePasswordSecrets?: Record<string, string>;
  /** The facts of the connection contract (docs/connections.md); no contract variables when absent. */
  connections?: ServiceConnections;
  /**
   * Secret name → its pinned version and mount (`secrets.<name>` as loaded with the stack's
   * `brume:secretVersions`, docs/secrets.md); a secret absent here mounts `latest`.
   */
  secretVersions?: Record<string, { version?: number | undefined; mount: SecretMount }>;
  /**
   * `expose.iap`: the OAuth client secret's value (the stack's `brume:secrets.<iapClient.secret>`),
   * written to the Kubernetes Secret the GCPBackendPolicy names.
   */
  iapClientSecret?: pulumi.Input<string>;
}

export interface ServiceArgs {
  /** Kubernetes provider of the cluster. */
  provider: k8s.Provider;
  /**
   * The gate that waits for the cluster's CRDs to be Established (`Cluster.crdGate`): the custom
   * resources (SecretProviderClass, GCPBackendPolicy, HealthCheckPolicy, HTTPRoute) depend on it (k8s-review 28).
   */
  crdGate?: pulumi.Resource;
  /** GCP project of the GSA (and of the cluster when `workloadPool` is not given). */
  project: string;
  /**
   * The cluster's Workload Identity pool (`Cluster.workloadPool`, an output): the KSA→GSA grant is
   * built from it so it waits for the cluster that creates the pool — a grant naming a pool that
   * does not exist yet fails with "Identity Pool does not exist" (gcp-review finding 1). Without
   * it the member is `<project>.svc.id.goog` as a plain string, for clusters outside the stack.
   */
  workloadPool?: pulumi.Input<string>;
  /** Physical names of GCP resources (the GSA id, the Cloud Armor policy). */
  naming: Naming;
  /** Namespace the service runs in. */
  namespace: string;
  /** The resource creating the namespace, when this stack manages it: Kubernetes objects wait for it. */
  namespaceResource?: pulumi.Resource;
  /** Service name (the `app.kubernetes.io/name` label). */
  service: string;
  /** The service as validated by the brume schema. */
  config: ServiceConfig;
  /** Services that call this one (those listing it in `dependsOn`). @default [] */
  callers?: string[];
  /** Services this one calls, with their ports (egress). @default {} */
  dependencies?: Record<string, PortSpec[]>;
  /** Private range of Cloud SQL / Memorystore (Private Services Access), for egress. */
  dataRange?: string;
  /** Proxy-only subnet of internal gateways (ingress source when exposed internally). */
  proxyRange?: string;
  /** Ids of the resources `uses` names. */
  targets?: ServiceTargets;
  /** Labels of every Kubernetes object (and GCP labels where they exist). @default {} */
  labels?: Record<string, string>;
  /**
   * Digest reference of the image built for this service (`build:`, see `ServiceImage`): the
   * Deployment runs it, so a rollout waits for the push and pins the exact bytes.
   */
  builtImage?: pulumi.Input<string>;
  /** Egress to Google APIs (private.googleapis.com, 199.36.153.8/30) on 443. @default true when `uses` implies a grant */
  googleApis?: boolean;
  /**
   * Who applies the Kubernetes objects (the delivery, docs/gitops.md): `apply` creates them;
   * `handover` creates them with `retainOnDelete`, so the next step, `none`, drops them from the
   * state without deleting them (Argo CD has adopted them); `none` creates only the cloud side
   * (identity, grants, Cloud Armor policy): `brume render` writes the objects to Git. @default "apply"
   */
  kubernetes?: KubernetesObjects;
  /**
   * The least replicas of the version serving an exposed service's default traffic (the
   * production preset: 2, so a node upgrade or a zone drain is not an outage, k8s-review 25).
   * @default 1
   */
  minServingReplicas?: number;
  /**
   * The cluster enforces FQDN network policies: the service's `egress` hosts get a
   * FQDNNetworkPolicy; without them its NetworkPolicy opens their ports outside the VPC.
   * @default false
   */
  fqdnNetworkPolicy?: boolean;
  transform?: {
    account?: Transform<gcp.serviceaccount.AccountArgs>;
    workloadIdentity?: Transform<gcp.serviceaccount.IAMMemberArgs>;
    serviceAccount?: Transform<k8s.core.v1.ServiceAccountArgs>;
    deployment?: Transform<k8s.apps.v1.DeploymentArgs>;
    service?: Transform<k8s.core.v1.ServiceArgs>;
    hpa?: Transform<k8s.autoscaling.v2.HorizontalPodAutoscalerArgs>;
    pdb?: Transform<k8s.policy.v1.PodDisruptionBudgetArgs>;
    networkPolicy?: Transform<k8s.networking.v1.NetworkPolicyArgs>;
    secretProviderClass?: Transform<CRArgs>;
    route?: Transform<CRArgs>;
    backendPolicy?: Transform<CRArgs>;
    healthCheckPolicy?: Transform<CRArgs>;
    fqdnNetworkPolicy?: Transform<CRArgs>;
    securityPolicy?: Transform<gcp.compute.SecurityPolicyArgs>;
  };
}

/** The Kubernetes objects of one running version. */
export interface WorkloadResources {
  workload: Workload;
  deployment: k8s.apps.v1.Deployment;
  /** Per-version Service (route backend); the rolling workload uses the main Service. */
  service?: k8s.core.v1.Service;
  hpa: k8s.autoscaling.v2.HorizontalPodAutoscaler;
  pdb: k8s.policy.v1.PodDisruptionBudget;
  backendPolicy?: CR;
  healthCheckPolicy?: CR;
  /** The version's pre-release Job (`preRelease`): its Deployment and the route wait for it. */
  preRelease?: k8s.batch.v1.Job;
}

/** Cloud SQL (5432, and 3307 for the connector) and Redis with TLS (6378). */
export const dataPorts = { database: [5432, 3307], cache: [6378] } as const;

/**
 * `brume:service:Service` — one service of brume.yaml as a production-grade GKE workload; see the
 * module comment above for its identity, workloads, secrets and network policy.
 */
export class Service extends pulumi.ComponentResource {
  readonly account: gcp.serviceaccount.Account;
  readonly workloadIdentity: gcp.serviceaccount.IAMMember;
  /** One IAM member per grant, by grant key (`secret-stripe-key`, `topic-events`, …). */
  readonly grants: Record<string, pulumi.CustomResource>;
  /** IAM database login (uses.databaseAuth iam): the CLOUD_IAM_SERVICE_ACCOUNT user of the GSA. */
  readonly databaseLogin?: IamLogin;
  /** The Kubernetes objects below are absent where `kubernetes: "none"` (GitOps delivery: Argo CD applies them). */
  readonly serviceAccount?: k8s.core.v1.ServiceAccount;
  readonly secretProviderClass?: CR;
  readonly networkPolicy?: k8s.networking.v1.NetworkPolicy;
  /** The declared third-party egress by host name (clusters with FQDN network policies). */
  readonly fqdnNetworkPolicy?: CR;
  /** The in-cluster Service callers use (selects the serving version). */
  readonly service?: k8s.core.v1.Service;
  /** Workloads by version (none where `kubernetes: "none"`). */
  readonly workloads: Record<string, WorkloadResources>;
  readonly securityPolicy?: gcp.compute.SecurityPolicy;
  readonly route?: CR;
  /** Kubernetes Secret of the IAP OAuth client (`expose.iap`). */
  readonly iapClientSecret?: k8s.core.v1.Secret;
  readonly gsaEmail: pulumi.Output<string>;
  /** The digest reference of the image built for this service (`build:`): a stack output `brume render` reads. */
  readonly builtImage?: pulumi.Output<string>;
  /** Version receiving the default traffic. */
  readonly servingVersion: string;
  private readonly args: ServiceArgs;
  private readonly opts: pulumi.ComponentResourceOptions | undefined;

  constructor(name: string, args: ServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:service:Service", name, {}, opts);
    this.args = args;
    this.opts = opts;
    const n = normalize(args);
    this.servingVersion = servingVersion(args.config);

    this.account = this.createAccount(name, args, n);
    this.workloadIdentity = this.createWorkloadIdentity(name, args, n);
    this.grants = this.createGrants(name, args);
    this.databaseLogin = this.createDatabaseLogin(name, args);
    const objects = (args.kubernetes ?? "apply") !== "none";
    this.serviceAccount = objects ? this.createServiceAccount(name, args, n) : undefined;
    this.secretProviderClass = objects ? this.createSecretProviderClass(name, args, n) : undefined;
    this.networkPolicy = objects ? this.createNetworkPolicy(name, args, n) : undefined;
    this.fqdnNetworkPolicy = objects ? this.createFqdnNetworkPolicy(name, args, n) : undefined;
    this.service = objects ? this.createMainService(name, args, n) : undefined;
    this.securityPolicy = this.createSecurityPolicy(name, args);
    // Pulumi's in every delivery: its value is stack secret config, never in Git (brume render skips it).
    this.iapClientSecret = this.createIapClientSecret(name, args, n);
    this.workloads = objects ? Object.fromEntries(n.workloads.map((w) => [w.version, this.createWorkload(name, w, args, n)])) : {};
    this.route = objects ? this.createRoute(name, args, n) : undefined;
    this.gsaEmail = this.account.email;
    if (args.builtImage !== undefined) this.builtImage = pulumi.output(args.builtImage);

    this.registerOutputs({ gsaEmail: this.gsaEmail, servingVersion: this.servingVersion });
  }

  /** Options of a custom resource: also waits for the CRD gate. */
  private crOptions(extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    return this.k8sOptions({ ...extra, dependsOn: [...dependsOnList(extra.dependsOn), ...(this.args.crdGate ? [this.args.crdGate] : [])] });
  }

  private k8sOptions(extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    const ns = this.args.namespaceResource ? [this.args.namespaceResource] : [];
    // Handing the objects over to Argo CD: the step that drops them from the program only forgets them.
    const handover = this.args.kubernetes === "handover" ? { retainOnDelete: true } : {};
    return childOptions(this, this.opts, { provider: this.args.provider, ...extra, ...handover, dependsOn: [...ns, ...dependsOnList(extra.dependsOn)] });
  }

  private createAccount(name: string, args: ServiceArgs, n: Normalized): gcp.serviceaccount.Account {
    return new gcp.serviceaccount.Account(
      ...transformed(
        args.transform?.account,
        `${name}-gsa`,
        { project: args.project, accountId: n.accountId, displayName: `brume service ${args.service} (${args.namespace})`, description: `Workload Identity of ${args.namespace}/${n.ksa}` },
        childOptions(this, this.opts),
      ),
    );
  }

  private createWorkloadIdentity(name: string, args: ServiceArgs, n: Normalized): gcp.serviceaccount.IAMMember {
    return new gcp.serviceaccount.IAMMember(
      ...transformed(
        args.transform?.workloadIdentity,
        `${name}-workload-identity`,
        {
          serviceAccountId: this.account.name,
          role: "roles/iam.workloadIdentityUser",
          member:
            args.workloadPool !== undefined
              ? pulumi.interpolate`serviceAccount:${args.workloadPool}[${args.namespace}/${n.ksa}]`
              : `serviceAccount:${args.project}.svc.id.goog[${args.namespace}/${n.ksa}]`,
        },
        childOptions(this, this.opts),
      ),
    );
  }

  private createGrants(name: string, args: ServiceArgs): Record<string, pulumi.CustomResource> {
    const t = args.targets ?? {};
    const member = this.account.member;
    const o = childOptions(this, this.opts, t.dependsOn ? { dependsOn: t.dependsOn } : {});
    const need = <T>(map: Record<string, T> | undefined, key: string, g: Grant): T => {
      const v = map && Object.hasOwn(map, key) ? map[key] : undefined;
      if (v === undefined) throw new Error(`service "${args.service}": no ${g.kind} "${key}" in targets; pass its id in args.targets`);
      return v;
    };
    const out: Record<string, pulumi.CustomResource> = {};
    for (const g of grantsOf(args.config)) {
      const logical = `${name}-${g.key}`;
      switch (g.kind) {
        case "secret":
          out[g.key] = new gcp.secretmanager.SecretIamMember(logical, { project: args.project, secretId: need(t.secrets, g.target, g), role: g.role, member }, o);
          break;
        case "cacheSecret": {
          const [cache, which] = g.target.split("/") as [string, "auth" | "ca"];
          const ids = need(t.caches, cache, g);
          out[g.key] = new gcp.secretmanager.SecretIamMember(
            logical,
            { project: args.project, secretId: which === "auth" ? ids.authSecretId : ids.caSecretId, role: g.role, member },
            o,
          );
          break;
        }
        case "topic":
          out[g.key] = new gcp.pubsub.TopicIAMMember(logical, { project: args.project, topic: need(t.topics, g.target, g), role: g.role, member }, o);
          break;
        case "subscription":
          out[g.key] = new gcp.pubsub.SubscriptionIAMMember(
            logical,
            { project: args.project, subscription: need(t.subscriptions, g.target, g), role: g.role, member },
            o,
          );
          break;
        case "bucket":
          out[g.key] = new gcp.storage.BucketIAMMember(logical, { bucket: need(t.buckets, g.target, g), role: g.role, member }, o);
          break;
        case "databaseLogin":
          // With the CLOUD_IAM_SERVICE_ACCOUNT user: createDatabaseLogin.
          break;
        case "databasePassword":
          out[g.key] = new gcp.secretmanager.SecretIamMember(
            logical,
            { project: args.project, secretId: need(t.databasePasswordSecrets, g.target, g), role: g.role, member },
            o,
          );
          break;
        case "database":
          out[g.key] = new gcp.projects.IAMMember(
            logical,
            { project: args.project, role: g.role, member, condition: cloudSqlCondition(args.project, need(t.databases, g.target, g)) },
            o,
          );
          break;
      }
    }
    return out;
  }

  /** The IAM database user of the GSA and its `cloudsql.instanceUser` grant (kept with the other grants). */
  private createDatabaseLogin(name: string, args: ServiceArgs): IamLogin | undefined {
    const g = grantsOf(args.config).find((x) => x.kind === "databaseLogin");
    const db = args.targets?.connections?.database;
    if (!g) return undefined;
    if (!db) throw new Error(`service "${args.service}": no connection facts for database "${g.target}"; pass args.targets.connections.database`);
    const login = createIamLogin(
      `${name}-db-${g.target}`,
      { project: args.project, instanceName: db.instanceName, ...(db.instance ? { instance: db.instance } : {}), email: this.account.email, member: this.account.member },
      childOptions(this, this.opts, args.targets?.dependsOn ? { dependsOn: args.targets.dependsOn } : {}),
    );
    this.grants[g.key] = login.login;
    return login;
  }

  private createServiceAccount(name: string, args: ServiceArgs, n: Normalized): k8s.core.v1.ServiceAccount {
    const manifest = serviceAccountManifest({ name: n.ksa, namespace: args.namespace, gsaEmail: n.gsaEmail, labels: n.labels });
    // The annotation names the GSA by its deterministic email; the binding must exist first.
    return new k8s.core.v1.ServiceAccount(
      ...transformed(args.transform?.serviceAccount, `${name}-ksa`, asArgs(manifest), this.k8sOptions({ dependsOn: [this.account, this.workloadIdentity] })),
    );
  }

  private createSecretProviderClass(name: string, args: ServiceArgs, n: Normalized): CR | undefined {
    if (n.secretFiles.length === 0) return undefined;
    const manifest = secretProviderClassManifest({ name: n.secretProviderClass, namespace: args.namespace, files: n.secretFiles, labels: n.labels });
    // The add-on reads every mounted secret with the pod's identity: the secrets', the cache's and the password's accessors.
    const grants = Object.entries(this.grants).filter(([k]) => k.startsWith("secret-") || k.startsWith("cache-") || /^db-.*-password$/.test(k)).map(([, g]) => g);
    return new k8s.apiextensions.CustomResource(
      ...transformed(args.transform?.secretProviderClass, `${name}-secrets`, asCustomArgs(manifest), this.crOptions({ dependsOn: grants })),
    );
  }

  private createNetworkPolicy(name: string, args: ServiceArgs, n: Normalized): k8s.networking.v1.NetworkPolicy {
    const c = args.config;
    const manifest = networkPolicyManifest({
      name: n.app,
      namespace: args.namespace,
      app: n.app,
      ports: c.ports,
      callers: args.callers ?? [],
      dependencies: Object.entries(args.dependencies ?? {}).map(([app, ports]) => ({ app, ports })),
      gatewaySources: c.expose ? (c.expose.public ? [...googleFrontEndRanges] : [...googleFrontEndRanges, ...(args.proxyRange ? [args.proxyRange] : [])]) : [],
      dataEgress: [
        ...(c.uses.database && args.dataRange ? [{ cidr: args.dataRange, ports: [...dataPorts.database] }] : []),
        ...(c.uses.cache && args.dataRange ? [{ cidr: args.dataRange, ports: [...dataPorts.cache] }] : []),
      ],
      googleApis: args.googleApis ?? grantsOf(c).length > 0,
      thirdPartyPorts: args.fqdnNetworkPolicy ? [] : parseEgress(c.egress).map((e) => e.port),
      labels: n.labels,
    });
    return new k8s.networking.v1.NetworkPolicy(...transformed(args.transform?.networkPolicy, `${name}-network-policy`, asArgs(manifest), this.k8sOptions()));
  }

  private createIapClientSecret(name: string, args: ServiceArgs, n: Normalized): k8s.core.v1.Secret | undefined {
    const client = args.config.expose?.iap ? args.config.expose.iapClient : undefined;
    if (!client) return undefined;
    const value = args.targets?.iapClientSecret;
    if (value === undefined) throw new Error(`service "${args.service}": expose.iap needs the OAuth client secret's value: ${setSecretCommand(client.secret)}`);
    return createIapClientSecret(name, { namespace: args.namespace, service: args.service, value, labels: n.labels }, this.k8sOptions());
  }

  private createFqdnNetworkPolicy(name: string, args: ServiceArgs, n: Normalized): CR | undefined {
    if (!args.fqdnNetworkPolicy || args.config.egress.length === 0) return undefined;
    const manifest = fqdnNetworkPolicyManifest({ name: `${n.app}-egress`, namespace: args.namespace, app: n.app, egress: parseEgress(args.config.egress), labels: n.labels });
    return new k8s.apiextensions.CustomResource(
      ...transformed(args.transform?.fqdnNetworkPolicy, `${name}-fqdn-network-policy`, asCustomArgs(manifest), this.crOptions()),
    );
  }

  /** Callers' Service: the rolling workload, or the serving version of a versioned strategy. */
  private createMainService(name: string, args: ServiceArgs, n: Normalized): k8s.core.v1.Service {
    const manifest = serviceManifest({
      name: n.app,
      namespace: args.namespace,
      app: n.app,
      version: n.versioned ? this.servingVersion : undefined,
      ports: args.config.ports,
      labels: n.labels,
    });
    return new k8s.core.v1.Service(...transformed(args.transform?.service, `${name}-service`, asArgs(manifest), this.k8sOptions()));
  }

  private createSecurityPolicy(name: string, args: ServiceArgs): gcp.compute.SecurityPolicy | undefined {
    const e = args.config.expose;
    if (!e || !e.public || e.rateLimitPerMinute === undefined) return undefined;
    return new gcp.compute.SecurityPolicy(
      ...transformed(
        args.transform?.securityPolicy,
        `${name}-armor`,
        {
          project: args.project,
          name: args.naming.name([args.service, "armor"]),
          description: `Rate limit of ${args.service}: ${e.rateLimitPerMinute} requests per minute per client IP`,
          type: "CLOUD_ARMOR",
          rules: [throttleRule(1000, "per-IP rate limit", everyRequest, e.rateLimitPerMinute), defaultAllowRule],
          advancedOptionsConfig: { logLevel: "NORMAL" },
        },
        childOptions(this, this.opts),
      ),
    );
  }

  private createWorkload(name: string, w: Workload, args: ServiceArgs, n: Normalized): WorkloadResources {
    const c = args.config;
    const s = c.strategy;
    const base = n.versioned ? `${name}-${w.version}` : name;
    const rolling = s.type === "rolling" ? s : { maxSurge: "25%", minReadySeconds: 10, progressDeadlineSeconds: 600 };
    const deploymentManifestValue = deploymentManifest(
      {
        name: w.name,
        namespace: args.namespace,
        app: n.app,
        version: w.version,
        image: w.image,
        serviceAccountName: n.ksa,
        ports: c.ports,
        command: c.command,
        env: c.env,
        secretFiles: n.secretFiles,
        secretProviderClass: n.secretFiles.length > 0 ? n.secretProviderClass : undefined,
        resources: c.resources,
        health: c.health,
        rolling: { maxSurge: rolling.maxSurge, minReadySeconds: rolling.minReadySeconds, progressDeadlineSeconds: rolling.progressDeadlineSeconds },
        labels: n.labels,
        shutdown: c.shutdown,
        pool: c.resources.pool,
      },
      { versionInSelector: n.versioned },
    );
    // Versioned workloads: re-awaited every release step, for the replicas their share needs (../strategy).
    if (n.versioned) Object.assign((deploymentManifestValue.metadata as { annotations: Record<string, string> }).annotations, releaseAnnotations(args.service, c, w));
    const deploymentArgs = asArgs<k8s.apps.v1.DeploymentArgs>(deploymentManifestValue);
    // The connection contract (variables, files, the Cloud SQL Auth Proxy sidecar): the pre-release Job gets it too.
    if (args.targets?.connections) withConnections(deploymentArgs, podContract(args.project, args.targets.connections, this.account.email.apply(iamDatabaseUser)));
    const accessDeps = [...(this.serviceAccount ? [this.serviceAccount] : []), ...(this.secretProviderClass ? [this.secretProviderClass] : []), ...Object.values(this.grants)];
    const preRelease =
      c.preRelease && n.versioned
        ? new k8s.batch.v1.Job(
            `${base}-pre-release`,
            asArgs<k8s.batch.v1.JobArgs>(
              preReleaseJobManifest({
                app: n.app,
                version: w.version,
                namespace: args.namespace,
                labels: n.labels,
                podTemplate: (deploymentManifestValue.spec as { template: Record<string, any> }).template,
                hook: c.preRelease,
              }),
            ),
            this.k8sOptions({ dependsOn: accessDeps }),
          )
        : undefined;
    if (args.builtImage !== undefined) withImage(deploymentArgs, args.builtImage);
    // The HPA first: a Deployment that waits for its share's replicas needs the raised minimum
    // (an HPA whose target does not exist yet waits for it: ScalingActive False, no error).
    const hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      ...transformed(
        args.transform?.hpa,
        `${base}-hpa`,
        asArgs(
          hpaManifest({
            name: w.name,
            namespace: args.namespace,
            min: servingMin(w, this.servingVersion, args),
            max: Math.max(w.scaling.max, servingMin(w, this.servingVersion, args)),
            targetCpu: c.scaling.targetCpu,
            targetMemory: c.scaling.targetMemory,
            labels: n.labels,
          }),
        ),
        this.k8sOptions(),
      ),
    );
    const deployment = new k8s.apps.v1.Deployment(
      ...transformed(
        args.transform?.deployment,
        `${base}-deployment`,
        deploymentArgs,
        this.k8sOptions({ dependsOn: [...accessDeps, ...(this.databaseLogin ? [this.databaseLogin.user] : []), ...(n.versioned ? [hpa] : []), ...(preRelease ? [preRelease] : [])] }),
      ),
    );
    const service = n.versioned
      ? new k8s.core.v1.Service(
          ...transformed(
            args.transform?.service,
            `${base}-service`,
            asArgs(serviceManifest({ name: w.name, namespace: args.namespace, app: n.app, version: w.version, ports: c.ports, labels: n.labels })),
            this.k8sOptions(),
          ),
        )
      : undefined;
    const pdb = new k8s.policy.v1.PodDisruptionBudget(
      ...transformed(
        args.transform?.pdb,
        `${base}-pdb`,
        asArgs(pdbManifest({ name: w.name, namespace: args.namespace, app: n.app, version: n.versioned ? w.version : undefined, labels: n.labels })),
        this.k8sOptions(),
      ),
    );
    const backendService = w.name;
    // Every exposed backend drains and has its timeout (k8s-review 12): the policy is always there.
    const backendPolicy = c.expose
      ? new k8s.apiextensions.CustomResource(
          ...transformed(
            args.transform?.backendPolicy,
            `${base}-backend-policy`,
            asCustomArgs(
              backendPolicyManifest({
                name: w.name,
                namespace: args.namespace,
                service: backendService,
                securityPolicy: this.securityPolicy ? args.naming.name([args.service, "armor"]) : undefined,
                iap: c.expose.iap && c.expose.iapClient ? { clientId: c.expose.iapClient.clientId, secretName: iapClientSecretName(args.service) } : undefined,
                timeoutSec: c.expose.timeoutSeconds,
                drainingTimeoutSec: c.shutdown.drainingSeconds,
                labels: n.labels,
              }),
            ),
            this.crOptions({
              dependsOn: [
                ...(service ? [service] : this.service ? [this.service] : []),
                ...(this.securityPolicy ? [this.securityPolicy] : []),
                ...(this.iapClientSecret ? [this.iapClientSecret] : []),
              ],
            }),
          ),
        )
      : undefined;
    const readiness = c.health.readiness;
    const healthPort = c.ports.find((p) => p.name === readiness?.port || p.port === readiness?.port) ?? c.ports[0];
    const healthCheckPolicy =
      c.expose && readiness?.path && healthPort
        ? new k8s.apiextensions.CustomResource(
            ...transformed(
              args.transform?.healthCheckPolicy,
              `${base}-health-check`,
              asCustomArgs(
                healthCheckPolicyManifest({ name: w.name, namespace: args.namespace, service: backendService, path: readiness.path, port: healthPort.port, labels: n.labels }),
              ),
              this.crOptions({ dependsOn: [...(service ? [service] : this.service ? [this.service] : [])] }),
            ),
          )
        : undefined;
    return {
      workload: w,
      deployment,
      ...(service ? { service } : {}),
      hpa,
      pdb,
      ...(backendPolicy ? { backendPolicy } : {}),
      ...(healthCheckPolicy ? { healthCheckPolicy } : {}),
      ...(preRelease ? { preRelease } : {}),
    };
  }

  private createRoute(name: string, args: ServiceArgs, n: Normalized): CR | undefined {
    const e = args.config.expose;
    if (!e) return undefined;
    const plan = routeOf(args.service, args.config, { headerRules: headerRulesAllowed(args.config) });
    const manifest = httpRouteManifest({
      name: n.app,
      namespace: args.namespace,
      gateway: e.public ? "external" : "internal",
      hostnames: e.domains,
      paths: e.paths,
      port: args.config.ports[0]!.port,
      route: plan,
      labels: n.labels,
    });
    // Traffic moves only once every backend it names is Available: the route waits for them.
    const backends = new Set([...plan.backends, ...(plan.preview?.backends ?? [])].map((b) => b.service));
    // And for the policies of those backends: a route programmed before its GCPBackendPolicy /
    // HealthCheckPolicy attach serves without IAP / Cloud Armor and with the default health check
    // (k8s-review 10; the creation-order rule httproute-policies).
    const after = Object.values(this.workloads)
      .filter((w) => backends.has(w.workload.name))
      .flatMap((w) => [w.deployment, ...(w.service ? [w.service] : this.service ? [this.service] : []), ...(w.backendPolicy ? [w.backendPolicy] : []), ...(w.healthCheckPolicy ? [w.healthCheckPolicy] : [])]);
    return new k8s.apiextensions.CustomResource(
      ...transformed(args.transform?.route, `${name}-route`, asCustomArgs(manifest), this.crOptions({ dependsOn: after })),
    );
  }
}

interface Normalized {
  app: string;
  ksa: string;
  accountId: string;
  gsaEmail: string;
  labels: Record<string, string>;
  versioned: boolean;
  workloads: Workload[];
  secretFiles: SecretFile[];
  secretProviderClass: string;
}

function normalize(args: ServiceArgs): Normalized {
  const c = args.config;
  const accountId = args.naming.name(args.service, "serviceAccountId");
  const secretIds = args.targets?.secrets ?? {};
  const secretFiles = Object.entries(c.secrets)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([env, secret]) => {
      const id = Object.hasOwn(secretIds, secret) ? secretIds[secret] : undefined;
      if (id === undefined) throw new Error(`service "${args.service}": no secret "${secret}" in targets.secrets; pass its secret id`);
      const pin = args.targets?.secretVersions?.[secret];
      const v = pin ? mountedVersions(pin) : { current: "latest" as const };
      return {
        env,
        secretResource: `projects/${args.project}/secrets/${id}`,
        ...(v.current !== "latest" ? { version: v.current } : {}),
        ...(v.previous !== undefined ? { previousVersion: v.previous } : {}),
      };
    });
  // The contract's files (cache AUTH and CA, the password in password mode) mount with the secrets.
  if (args.targets?.connections) secretFiles.push(...contractSecretFiles(args.project, podContract(args.project, args.targets.connections, "")));
  return {
    app: args.service,
    ksa: args.service,
    accountId,
    gsaEmail: `${accountId}@${args.project}.iam.gserviceaccount.com`,
    labels: { [keys.partOf]: args.namespace, [keys.managedBy]: "brume", ...args.labels },
    versioned: c.strategy.type !== "rolling",
    workloads: workloadsOf(args.service, c),
    secretFiles,
    // A new class per set of pins, so a new version moves pods by the rollout only (./secret-mounts.ts).
    secretProviderClass: secretProviderClassNameFor(`${args.service}-secrets`, secretFiles),
  };
}

/** HPA minimum of a workload: the serving version of an exposed service gets at least `minServingReplicas`. */
function servingMin(w: Workload, serving: string, args: ServiceArgs): number {
  const floor = args.config.expose && w.version === serving ? (args.minServingReplicas ?? 1) : 0;
  return Math.max(w.scaling.min, floor);
}

/** Runs `image` in the (single) container of a Deployment built from our manifest. */
function withImage(args: k8s.apps.v1.DeploymentArgs, image: pulumi.Input<string>): void {
  const spec = args.spec as { template: { spec: { containers: { image?: pulumi.Input<string> }[] } } };
  spec.template.spec.containers[0]!.image = image;
}
