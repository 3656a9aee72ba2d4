/**
 * `brume:machine:MachineGroup` — VMs that run the machine agent and services (container / process
 * runners, Caddy in front), as a regional managed instance group:
 *
 * - instance templates created with a name prefix: Pulumi's default create-before-delete
 *   (`deleteBeforeReplace: false`) makes the new template exist before the group moves to it and
 *   the old one is deleted — no "resource is in use" failure; shielded VM, no external IP, OS Login,
 *   project SSH keys blocked, serial port off, user-data from `renderUserData` (no secret in it);
 * - a dedicated service account holding only log/metric writer, Artifact Registry reader and
 *   secretAccessor on the bootstrap-token secret (and the secrets its services read);
 * - a regional MIG with autohealing (HTTP `/healthz` served by Caddy, a global health check),
 *   PROACTIVE / REPLACE updates, maxUnavailable 0 and maxSurge ≥ the zone count, waiting for
 *   instances to be UPDATED; an autoscaler when configured; a firewall rule letting Google's
 *   health checks (and, when serving, the load balancer's proxies) reach the group's tag;
 * - when the group `serves` 443, its global backend service (EXTERNAL_MANAGED, HTTPS to Caddy on
 *   the MIGs' named port `p443`, the global health check, UTILIZATION balancing). The frontend —
 *   address, Google-managed certificate, URL map, proxies, forwarding rules, DNS — is shared by
 *   every serving group and created once by `Machines` (./machines.ts, ./frontend.ts).
 *
 * Strategies (./releases.ts): rolling (one template), canary (two `versions` in one MIG), blueGreen
 * (two MIGs, both backends of the backend service: capacityScaler 1 on the live one, 0 on the other).
 */
import * as gcp from "@pulumi/gcp";
import { defaultAllowRule, throttleRule } from "../security/armor.js";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { defaultMachineHealthPort, machineHealthPath, readyPath } from "../../render/caddy.js";
import { renderStartupScriptFor, renderUserData, type MachineSpec } from "../../render/cloud-init.js";
import { iamDatabaseUser, resolvePlaceholders } from "../../render/connections.js";
import type { ImageFamily } from "../../render/layout.js";
import { networkTags } from "../network/firewall.js";
import { googleFrontEndRanges } from "../../config/google-ranges.js";
import { firewallPorts, normalizedDomains, servedPort, servedPortName, servesLoadBalancer } from "./frontend.js";
import { specForRelease, strategyPlan, type MachineStrategy } from "./releases.js";
import { installFailureAlertArgs } from "./alerts.js";

export type MachineImage = ImageFamily;

/** Source images of the supported image families. */
export const machineImages: Record<MachineImage, string> = {
  "debian-12": "debian-cloud/debian-12",
  "cos-stable": "cos-cloud/cos-stable",
};

/** Roles the machines' service account holds on the project: write logs and metrics, nothing else. */
export const machineProjectRoles = ["roles/logging.logWriter", "roles/monitoring.metricWriter"] as const;

export interface MachineGroupArgs {
  /** GCP project id. */
  project: string;
  region: string;
  naming: Naming;
  /** Group name (key under `machines`). */
  group: string;
  /** @default "e2-standard-2" */
  machineType?: string;
  /** @default "debian-12" */
  image?: MachineImage;
  /** Boot disk size (GB, pd-balanced). @default 20 */
  diskGb?: number;
  /** Instances when `autoscaling` is absent. @default 1 */
  size?: number;
  /**
   * CPU-based autoscaling, or the load balancer's serving capacity when `targetLoadBalancing` is set
   * (the Application Load Balancer of `serves` reports it: UTILIZATION balancing).
   */
  autoscaling?: { min: number; max: number; targetCpu?: number; targetLoadBalancing?: number };
  /** Zones of the regional group; GCP picks three when absent. */
  zones?: string[];
  /** VPC (self link or id): the health-check firewall rule's network. */
  network: pulumi.Input<string>;
  /** Subnetwork of the instances (no external IP). */
  subnetwork: pulumi.Input<string>;
  /** What runs on the machines (agent, services, Caddy); rendered to user-data. */
  spec: MachineSpec;
  /** Deployment strategy. @default { type: "rolling" } */
  strategy?: MachineStrategy;
  /**
   * `[443]`: the group is a backend of the environment's shared Application Load Balancer (created
   * by `Machines`), which reaches Caddy on 443 only; other ports are refused. `[]`: no load
   * balancer. @default []
   */
  serves?: number[];
  /** Port of Caddy's `/healthz` (autohealing). @default 9000 */
  healthPort?: number;
  /** Seconds autohealing waits after boot (agent install, image pulls, builds). @default 300 */
  initialDelaySec?: number;
  /**
   * Values of the user-data's placeholders (`@@brume:<key>@@`, the connection contract: connection
   * names, the cache's host …), from the resources' outputs; `identity.user` (the group identity's
   * IAM database user) is added here. @default {}
   */
  connectionValues?: Record<string, pulumi.Input<string>>;
  /** Secret Manager secret ids (resource ids) the machines read: the bootstrap token first. */
  secretIds: pulumi.Input<string>[];
  /** Artifact Registry repository the machines pull from (reader role on it only). */
  artifactRepository?: { project: string; location: string; repositoryId: pulumi.Input<string> };
  labels?: Record<string, string>;
  /** Notification channels of the install-failure alert (the environment's). @default [] */
  notificationChannels?: pulumi.Input<string>[];
  /**
   * Cloud Armor rate limits of the services the group serves (`expose.rateLimitPerMinute`): one
   * throttle rule per service, matched on its domains and path prefixes, per client IP.
   */
  rateLimits?: MachineRateLimit[];
  transform?: {
    serviceAccount?: Transform<gcp.serviceaccount.AccountArgs>;
    template?: Transform<gcp.compute.InstanceTemplateArgs>;
    group?: Transform<gcp.compute.RegionInstanceGroupManagerArgs>;
    autoscaler?: Transform<gcp.compute.RegionAutoscalerArgs>;
    healthCheck?: Transform<gcp.compute.HealthCheckArgs>;
    firewall?: Transform<gcp.compute.FirewallArgs>;
    backendService?: Transform<gcp.compute.BackendServiceArgs>;
    securityPolicy?: Transform<gcp.compute.SecurityPolicyArgs>;
    installAlert?: Transform<gcp.monitoring.AlertPolicyArgs>;
  };
}

export interface MachineRateLimit {
  service: string;
  domains: string[];
  /** Path prefixes of the service on those domains (`/` for all). */
  paths: string[];
  perMinute: number;
}

/** Single-quoted CEL string literal. */
const celString = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

/**
 * The Cloud Armor expression matching a service's requests: its hosts, and its path prefixes
 * (`/api` matches `/api` and `/api/…`, as Caddy routes them). Pure, for tests.
 */
export function rateLimitExpression(limit: Pick<MachineRateLimit, "domains" | "paths">): string {
  const hosts = [...new Set(limit.domains.map((d) => d.toLowerCase()))].sort().map((d) => `request.headers['host'] == ${celString(d)}`);
  const prefixes = [...new Set(limit.paths.map((p) => p.replace(/\/+$/, "")))].filter((p) => p !== "").sort();
  const host = hosts.length === 1 ? hosts[0]! : `(${hosts.join(" || ")})`;
  if (prefixes.length === 0) return host;
  const paths = prefixes.map((p) => `request.path == ${celString(p)} || request.path.startsWith(${celString(`${p}/`)})`).join(" || ");
  return `${host} && (${paths})`;
}

/** maxSurgeFixed of a regional MIG: at least one per zone (GCP requires 0 or ≥ zones). */
export function maxSurgeFor(zones: readonly string[] | undefined): number {
  return Math.max(3, zones?.length ?? 3);
}

/**
 * `brume:machine:MachineGroup` — VMs running the machine agent and container / process services behind
 * Caddy, as a regional managed instance group with its instance template, dedicated service account,
 * health check, firewall rule, optional autoscaler and, when it serves 443, a backend service. See
 * `docs/machines.md`.
 */
export class MachineGroup extends pulumi.ComponentResource {
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly projectMembers: Record<string, gcp.projects.IAMMember>;
  readonly registryReader?: gcp.artifactregistry.RepositoryIamMember;
  readonly secretAccessors: gcp.secretmanager.SecretIamMember[];
  /** Instance templates by release ("" for the rolling template). */
  readonly templates: Record<string, gcp.compute.InstanceTemplate>;
  /** Global health check of autohealing: the install and the agent (`/healthz`). */
  readonly healthCheck: gcp.compute.HealthCheck;
  /**
   * Global health check of the backend service, when serving: `/ready`, which asks each routed
   * service's own health check through Caddy (a VM stays in rotation while one of them answers).
   */
  readonly readyCheck?: gcp.compute.HealthCheck;
  /** Google health checks to the health port, and the load balancer's proxies to 443 when serving. */
  readonly firewall: gcp.compute.Firewall;
  /** Alert on a deterministic install failure (checksum mismatch): ./alerts.ts. */
  readonly installAlert: gcp.monitoring.AlertPolicy;
  /** Managed instance groups by slot ("" for rolling / canary, "blue" / "green"). */
  readonly groups: Record<string, gcp.compute.RegionInstanceGroupManager>;
  readonly autoscalers: Record<string, gcp.compute.RegionAutoscaler>;
  /** Whether the group is a backend of the shared Application Load Balancer (`serves: [443]`). */
  readonly serving: boolean;
  /**
   * The global backend service the shared URL map sends this group's domains to, when serving
   * (`Machines` builds the frontend from it).
   */
  readonly backendService?: gcp.compute.BackendService;
  /** Cloud Armor policy of the backend service, when a served service sets a rate limit. */
  readonly securityPolicy?: gcp.compute.SecurityPolicy;
  /** Domains of the group's services (lowercase, sorted, once each): its URL-map host rule. */
  readonly domains: string[];
  /** Network tag the group's instances carry. */
  readonly tag: string;
  readonly serviceAccountEmail: pulumi.Output<string>;

  constructor(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:machine:MachineGroup", name, {}, opts);
    const plan = strategyPlan(args.strategy ?? { type: "rolling" });
    this.tag = args.naming.name(["vm", args.group]);
    this.serving = servesLoadBalancer(args.group, args.serves);
    this.domains = normalizedDomains((args.spec.services ?? []).flatMap((s) => s.domains ?? []));

    this.serviceAccount = this.createServiceAccount(name, args, opts);
    this.serviceAccountEmail = this.serviceAccount.email;
    this.projectMembers = this.createProjectMembers(name, args, opts);
    if (args.artifactRepository) this.registryReader = this.createRegistryReader(name, args, args.artifactRepository, opts);
    this.secretAccessors = args.secretIds.map((id, i) => this.createSecretAccessor(name, i, id, opts));
    const dependsOn = [...Object.values(this.projectMembers), ...(this.registryReader ? [this.registryReader] : []), ...this.secretAccessors];

    this.templates = Object.fromEntries(
      Object.entries(plan.releases).map(([version, release]) => [version, this.createTemplate(name, args, version, specForRelease(args.spec, release), opts, dependsOn)]),
    );
    this.healthCheck = this.createHealthCheck(name, args, opts);
    this.firewall = this.createFirewall(name, args, opts);
    this.installAlert = new gcp.monitoring.AlertPolicy(
      ...transformed(
        args.transform?.installAlert,
        `${name}-install-alert`,
        installFailureAlertArgs({
          project: args.project,
          prefix: args.naming.prefix,
          group: args.group,
          baseInstanceName: args.naming.name([args.group], "instanceTemplatePrefix"),
          ...(args.notificationChannels ? { notificationChannels: args.notificationChannels } : {}),
          ...(args.labels ? { labels: args.labels } : {}),
        }),
        childOptions(this, opts),
      ),
    );
    this.groups = Object.fromEntries(plan.groups.map((g) => [g.slot, this.createGroup(name, args, g.slot, g.versions, opts)]));
    this.autoscalers = args.autoscaling
      ? Object.fromEntries(Object.entries(this.groups).map(([slot, mig]) => [slot, this.createAutoscaler(name, args, slot, mig, opts)]))
      : {};
    if (this.serving) {
      // Every group of the plan is a backend; blue/green keeps the standby one at capacity 0.
      const backends = plan.groups.map((g) => ({ mig: this.groups[g.slot]!, live: g.serving }));
      this.readyCheck = this.createHealthCheck(name, args, opts, "ready");
      if ((args.rateLimits ?? []).length > 0) this.securityPolicy = this.createSecurityPolicy(name, args, args.rateLimits!, opts);
      this.backendService = this.createBackendService(name, args, backends, opts);
    }

    this.registerOutputs({
      serviceAccountEmail: this.serviceAccountEmail,
      instanceGroups: Object.fromEntries(Object.entries(this.groups).map(([slot, mig]) => [slot || "default", mig.instanceGroup])),
      backendService: this.backendService?.id,
    });
  }

  private createServiceAccount(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.serviceaccount.Account(
      ...transformed(
        args.transform?.serviceAccount,
        `${name}-sa`,
        {
          project: args.project,
          accountId: args.naming.name([args.group, "vm"], "serviceAccountId"),
          displayName: `Machines of group ${args.group} (agent, runners)`,
        },
        childOptions(this, opts),
      ),
    );
  }

  private createProjectMembers(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    return Object.fromEntries(
      machineProjectRoles.map((role) => [
        role,
        new gcp.projects.IAMMember(
          `${name}-${role.split(".").pop()!.toLowerCase()}`,
          { project: args.project, role, member: this.serviceAccount.member },
          childOptions(this, opts),
        ),
      ]),
    );
  }

  private createRegistryReader(name: string, _args: MachineGroupArgs, repo: NonNullable<MachineGroupArgs["artifactRepository"]>, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.artifactregistry.RepositoryIamMember(
      `${name}-registry-reader`,
      { project: repo.project, location: repo.location, repository: repo.repositoryId, role: "roles/artifactregistry.reader", member: this.serviceAccount.member },
      childOptions(this, opts),
    );
  }

  private createSecretAccessor(name: string, index: number, secretId: pulumi.Input<string>, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.secretmanager.SecretIamMember(
      `${name}-secret-accessor-${index}`,
      { secretId, role: "roles/secretmanager.secretAccessor", member: this.serviceAccount.member },
      childOptions(this, opts),
    );
  }

  /** The user-data with the connection contract's placeholders resolved from outputs (plain when it has none). */
  /** The boot document's metadata key and text, its placeholders resolved from outputs (the connection contract). */
  private bootDocument(args: MachineGroupArgs, spec: MachineSpec): Record<string, pulumi.Input<string>> {
    const debian = (args.image ?? "debian-12") === "debian-12";
    const key = debian ? "startup-script" : "user-data";
    const text = debian ? renderStartupScriptFor(spec) : renderUserData(spec);
    if (!text.includes("@@brume:")) return { [key]: text };
    const values = { ...args.connectionValues, "identity.user": this.serviceAccount.email.apply(iamDatabaseUser) };
    // Fail here, not inside the apply (an error there would leave the deployment hanging on an output).
    const missing = [...text.matchAll(/@@brume:([A-Za-z0-9_.:/-]+)@@/g)].map((m) => m[1]!).filter((k) => !Object.hasOwn(values, k));
    if (missing.length) throw new Error(`machine group ${args.group}: no value for ${[...new Set(missing)].join(", ")} in connectionValues`);
    return { [key]: pulumi.all(values).apply((v) => resolvePlaceholders(text, v)) };
  }

  private createTemplate(
    name: string,
    args: MachineGroupArgs,
    version: string,
    spec: MachineSpec,
    opts: pulumi.ComponentResourceOptions | undefined,
    dependsOn: pulumi.Resource[],
  ) {
    return new gcp.compute.InstanceTemplate(
      ...transformed(
        args.transform?.template,
        version ? `${name}-template-${version}` : `${name}-template`,
        {
          project: args.project,
          region: args.region,
          // A prefix, not a name: the replacement template is created before the old one is
          // deleted (Pulumi's default), while the group still uses the old one.
          namePrefix: args.naming.name(version ? [args.group, version] : [args.group], "instanceTemplatePrefix"),
          description: `Machines of group ${args.group}${version ? `, release ${version}` : ""} (agent ${spec.agent.name} ${spec.agent.version})`,
          machineType: args.machineType ?? "e2-standard-2",
          disks: [
            {
              boot: true,
              autoDelete: true,
              sourceImage: machineImages[args.image ?? "debian-12"],
              diskSizeGb: args.diskGb ?? 20,
              diskType: "pd-balanced",
            },
          ],
          // No accessConfigs: no external IP; egress through Cloud NAT.
          networkInterfaces: [{ subnetwork: args.subnetwork }],
          serviceAccount: { email: this.serviceAccount.email, scopes: ["cloud-platform"] },
          shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
          metadata: {
            "enable-oslogin": "TRUE",
            "block-project-ssh-keys": "TRUE",
            "serial-port-enable": "FALSE",
            // GCE's Debian 12 image runs `startup-script` (google-guest-agent, every boot) and has no
            // cloud-init (render/boot.ts cites the image build); COS runs cloud-init's user-data.
            ...this.bootDocument(args, spec),
            // COS ships its own logging agent, off unless this key is set: the journal and the
            // containers' output to Cloud Logging (https://cloud.google.com/container-optimized-os/docs/how-to/logging).
            // Debian ships journals through the Ops Agent the startup script installs (render/ops-agent.ts).
            ...((args.image ?? "debian-12") === "cos-stable" ? { "google-logging-enabled": "true" } : {}),
          },
          tags: [this.tag, networkTags.iapSsh, ...(this.serving ? [networkTags.lbBackend] : [])],
          labels: { ...args.labels, "brume-group": args.group, ...(version ? { "brume-release": labelValue(version) } : {}) },
          scheduling: { automaticRestart: true, onHostMaintenance: "MIGRATE" },
        },
        childOptions(this, opts, { dependsOn }),
      ),
    );
  }

  private createHealthCheck(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions, kind: "health" | "ready" = "health") {
    return new gcp.compute.HealthCheck(
      ...transformed(
        args.transform?.healthCheck,
        `${name}-${kind}`,
        {
          project: args.project,
          name: args.naming.name([args.group, kind]),
          checkIntervalSec: 10,
          timeoutSec: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
          httpHealthCheck: { port: args.healthPort ?? defaultMachineHealthPort, requestPath: kind === "health" ? machineHealthPath : readyPath },
          logConfig: { enable: true },
        },
        childOptions(this, opts),
      ),
    );
  }

  /**
   * Google's health checks (autohealing, the backend service) to the health port and, when the
   * group serves, the load balancer's proxies to 443 — from Google's ranges only: the Application
   * Load Balancer is a proxy, so no rule opens anything to 0.0.0.0/0.
   */
  private createFirewall(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    const ports = firewallPorts(args.healthPort ?? defaultMachineHealthPort, this.serving);
    return new gcp.compute.Firewall(
      ...transformed(
        args.transform?.firewall,
        `${name}-health-firewall`,
        {
          project: args.project,
          name: args.naming.name([args.group, "allow-health-checks"]),
          description: this.serving
            ? `Google health checks and the load balancer's proxies to machines of group ${args.group} (health port, ${servedPort})`
            : `Google health checks to the health port of machines of group ${args.group}`,
          network: args.network,
          direction: "INGRESS",
          priority: 1000,
          sourceRanges: [...googleFrontEndRanges],
          targetTags: [this.tag],
          allows: [{ protocol: "tcp", ports: ports.map(String) }],
          logConfig: { metadata: "INCLUDE_ALL_METADATA" },
        },
        childOptions(this, opts),
      ),
    );
  }

  private createGroup(
    name: string,
    args: MachineGroupArgs,
    slot: string,
    versions: { release: string; percent?: number }[],
    opts?: pulumi.ComponentResourceOptions,
  ) {
    return new gcp.compute.RegionInstanceGroupManager(
      ...transformed(
        args.transform?.group,
        slot ? `${name}-${slot}` : `${name}-group`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name(slot ? [args.group, slot] : [args.group]),
          baseInstanceName: args.naming.name(slot ? [args.group, slot] : [args.group], "instanceTemplatePrefix"),
          ...(args.zones ? { distributionPolicyZones: args.zones } : {}),
          versions: versions.map((v) => ({
            name: v.release || "current",
            instanceTemplate: this.templates[v.release]!.selfLinkUnique,
            ...(v.percent !== undefined ? { targetSize: { percent: v.percent } } : {}),
          })),
          // The autoscaler owns the size when there is one.
          ...(args.autoscaling ? {} : { targetSize: args.size ?? 1 }),
          namedPorts: this.serving ? [{ name: servedPortName, port: servedPort }] : [],
          autoHealingPolicies: { healthCheck: this.healthCheck.id, initialDelaySec: args.initialDelaySec ?? 300 },
          updatePolicy: {
            type: "PROACTIVE",
            minimalAction: "REPLACE",
            replacementMethod: "SUBSTITUTE",
            maxSurgeFixed: maxSurgeFor(args.zones),
            maxUnavailableFixed: 0,
            minReadySec: 60,
            instanceRedistributionType: "PROACTIVE",
          },
          waitForInstances: true,
          waitForInstancesStatus: "UPDATED",
        },
        childOptions(this, opts, { dependsOn: [this.firewall] }),
      ),
    );
  }

  private createAutoscaler(name: string, args: MachineGroupArgs, slot: string, mig: gcp.compute.RegionInstanceGroupManager, opts?: pulumi.ComponentResourceOptions) {
    const a = args.autoscaling!;
    return new gcp.compute.RegionAutoscaler(
      ...transformed(
        args.transform?.autoscaler,
        slot ? `${name}-${slot}-autoscaler` : `${name}-autoscaler`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name(slot ? [args.group, slot] : [args.group]),
          target: mig.id,
          autoscalingPolicy: {
            minReplicas: a.min,
            maxReplicas: a.max,
            cooldownPeriod: 120,
            ...(a.targetLoadBalancing !== undefined
              ? { loadBalancingUtilization: { target: a.targetLoadBalancing / 100 } }
              : { cpuUtilization: { target: (a.targetCpu ?? 60) / 100 } }),
          },
        },
        childOptions(this, opts),
      ),
    );
  }

  /**
   * The group's global backend service (global external Application Load Balancer): HTTPS to Caddy
   * on the named port `p443` — the load balancer accepts Caddy's internal-CA certificate (it
   * validates backend certificates only with backend authenticated TLS configured,
   * https://cloud.google.com/load-balancing/docs/backend-authenticated-tls-backend-mtls) — probed
   * by the group's global health check on Caddy's plain-HTTP `/healthz`. Every MIG of the strategy
   * is a backend; `capacityScaler` 0 drains blue/green's standby group (GCP refuses 0 on a lone
   * backend — the standby exists only next to the live one).
   */
  /** Per-client-IP rate limits of the served services (Cloud Armor throttle rules, 429 above the limit). */
  private createSecurityPolicy(name: string, args: MachineGroupArgs, limits: MachineRateLimit[], opts?: pulumi.ComponentResourceOptions) {
    const sorted = [...limits].sort((a, b) => a.service.localeCompare(b.service));
    return new gcp.compute.SecurityPolicy(
      ...transformed(
        args.transform?.securityPolicy,
        `${name}-armor`,
        {
          project: args.project,
          name: args.naming.name([args.group, "armor"]),
          description: `Rate limits of the services of machine group ${args.group}, per client IP`,
          type: "CLOUD_ARMOR",
          rules: [
            ...sorted.map((limit, i) =>
              throttleRule(1000 + i, `${limit.service}: ${limit.perMinute} requests per minute per client IP`, { expr: { expression: rateLimitExpression(limit) } }, limit.perMinute),
            ),
            defaultAllowRule,
          ],
          advancedOptionsConfig: { logLevel: "NORMAL" },
        },
        childOptions(this, opts),
      ),
    );
  }

  private createBackendService(
    name: string,
    args: MachineGroupArgs,
    backends: { mig: gcp.compute.RegionInstanceGroupManager; live: boolean }[],
    opts?: pulumi.ComponentResourceOptions,
  ) {
    return new gcp.compute.BackendService(
      ...transformed(
        args.transform?.backendService,
        `${name}-backend`,
        {
          project: args.project,
          name: args.naming.name([args.group, "backend"]),
          description: `Machines of group ${args.group} (global external Application Load Balancer)`,
          loadBalancingScheme: "EXTERNAL_MANAGED",
          protocol: "HTTPS",
          portName: servedPortName,
          healthChecks: (this.readyCheck ?? this.healthCheck).id,
          timeoutSec: 30,
          connectionDrainingTimeoutSec: 60,
          backends: backends.map(({ mig, live }) => ({
            group: mig.instanceGroup,
            balancingMode: "UTILIZATION",
            maxUtilization: 0.8,
            capacityScaler: live ? 1 : 0,
          })),
          logConfig: { enable: true, sampleRate: 1 },
          ...(this.securityPolicy ? { securityPolicy: this.securityPolicy.selfLink } : {}),
        },
        childOptions(this, opts),
      ),
    );
  }
}

/** A GCP label value: lowercase letters, digits, '-' and '_', at most 63 characters. */
function labelValue(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}
