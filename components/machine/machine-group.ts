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
 *   instances to be UPDATED; an autoscaler when configured; the health-check firewall rule;
 * - when the group `serves` ports, a regional external passthrough Network Load Balancer in front
 *   (./frontend.ts): a static regional IP (PREMIUM tier), a regional health check, a regional
 *   backend service (EXTERNAL, TCP, CONNECTION balancing) and a forwarding rule on the served ports
 *   (+80 with 443), a firewall rule opening those ports to the internet on the group's tag, and
 *   A records for the services' domains in the environment's public zone when one is given.
 *
 * Strategies (./releases.ts): rolling (one template), canary (two `versions` in one MIG), blueGreen
 * (two MIGs; the backend service lists only the live one).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../../src/component/options.js";
import { transformed, type Transform } from "../../src/component/transform.js";
import type { Naming } from "../../src/naming.js";
import { defaultMachineHealthPort, machineHealthPath } from "../../src/render/caddy.js";
import { renderUserData, type MachineSpec } from "../../src/render/cloud-init.js";
import type { ImageFamily } from "../../src/render/layout.js";
import { networkTags } from "../network/firewall.js";
import { domainsInZone, forwardedPorts, healthCheckSourceRanges, maxForwardedPorts } from "./frontend.js";
import { specForRelease, strategyPlan, type MachineStrategy } from "./releases.js";

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
   * CPU-based autoscaling (or load-balancing utilization when `targetLoadBalancing` is set — that
   * signal comes from an Application Load Balancer you attach yourself; the passthrough NLB of
   * `serves` reports none, so keep CPU with it).
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
   * Ports served to the internet through the group's passthrough Network Load Balancer (443 also
   * forwards 80: ACME HTTP-01 and Caddy's redirect). None: no load balancer. @default []
   */
  serves?: number[];
  /**
   * The environment's public Cloud DNS zone: services' `domains` in it get an A record to the
   * load balancer's address. None: no record (point your DNS at the `address` output).
   */
  publicZone?: { name: pulumi.Input<string>; dnsName: string };
  /** Pulumi `protect` on the static address (DNS points at it). @default false */
  protect?: boolean;
  /** Port of Caddy's `/healthz` (autohealing). @default 9000 */
  healthPort?: number;
  /** Seconds autohealing waits after boot (agent install, image pulls, builds). @default 300 */
  initialDelaySec?: number;
  /** Secret Manager secret ids (resource ids) the machines read: the bootstrap token first. */
  secretIds: pulumi.Input<string>[];
  /** Artifact Registry repository the machines pull from (reader role on it only). */
  artifactRepository?: { project: string; location: string; repositoryId: pulumi.Input<string> };
  labels?: Record<string, string>;
  transform?: {
    serviceAccount?: Transform<gcp.serviceaccount.AccountArgs>;
    template?: Transform<gcp.compute.InstanceTemplateArgs>;
    group?: Transform<gcp.compute.RegionInstanceGroupManagerArgs>;
    autoscaler?: Transform<gcp.compute.RegionAutoscalerArgs>;
    healthCheck?: Transform<gcp.compute.HealthCheckArgs>;
    firewall?: Transform<gcp.compute.FirewallArgs>;
    servedFirewall?: Transform<gcp.compute.FirewallArgs>;
    address?: Transform<gcp.compute.AddressArgs>;
    lbHealthCheck?: Transform<gcp.compute.RegionHealthCheckArgs>;
    backendService?: Transform<gcp.compute.RegionBackendServiceArgs>;
    forwardingRule?: Transform<gcp.compute.ForwardingRuleArgs>;
    dnsRecord?: Transform<gcp.dns.RecordSetArgs>;
  };
}

/** maxSurgeFixed of a regional MIG: at least one per zone (GCP requires 0 or ≥ zones). */
export function maxSurgeFor(zones: readonly string[] | undefined): number {
  return Math.max(3, zones?.length ?? 3);
}

export class MachineGroup extends pulumi.ComponentResource {
  readonly serviceAccount: gcp.serviceaccount.Account;
  readonly projectMembers: Record<string, gcp.projects.IAMMember>;
  readonly registryReader?: gcp.artifactregistry.RepositoryIamMember;
  readonly secretAccessors: gcp.secretmanager.SecretIamMember[];
  /** Instance templates by release ("" for the rolling template). */
  readonly templates: Record<string, gcp.compute.InstanceTemplate>;
  /** Global health check of autohealing (MIG autohealing takes a global health check). */
  readonly healthCheck: gcp.compute.HealthCheck;
  /** Google health checks to the health port. */
  readonly firewall: gcp.compute.Firewall;
  /** Managed instance groups by slot ("" for rolling / canary, "blue" / "green"). */
  readonly groups: Record<string, gcp.compute.RegionInstanceGroupManager>;
  readonly autoscalers: Record<string, gcp.compute.RegionAutoscaler>;
  /** The load balancer's static regional IPv4 address (resource), when the group serves ports. */
  readonly staticAddress?: gcp.compute.Address;
  /** Regional health check of the backend service (passthrough NLBs take a regional one). */
  readonly lbHealthCheck?: gcp.compute.RegionHealthCheck;
  readonly backendService?: gcp.compute.RegionBackendService;
  readonly forwardingRule?: gcp.compute.ForwardingRule;
  /** The served ports, open to the internet on the group's tag. */
  readonly servedFirewall?: gcp.compute.Firewall;
  /** A records of the services' domains in the public zone, by domain. */
  readonly dnsRecords: Record<string, gcp.dns.RecordSet>;
  /** The load balancer's external IPv4 address, when the group serves ports. */
  readonly address?: pulumi.Output<string>;
  /** Network tag the group's instances carry. */
  readonly tag: string;
  readonly serviceAccountEmail: pulumi.Output<string>;

  constructor(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:machine:MachineGroup", name, {}, opts);
    const plan = strategyPlan(args.strategy ?? { type: "rolling" });
    this.tag = args.naming.name(["vm", args.group]);

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
    this.groups = Object.fromEntries(plan.groups.map((g) => [g.slot, this.createGroup(name, args, g.slot, g.versions, opts)]));
    this.autoscalers = args.autoscaling
      ? Object.fromEntries(Object.entries(this.groups).map(([slot, mig]) => [slot, this.createAutoscaler(name, args, slot, mig, opts)]))
      : {};
    this.dnsRecords = {};
    const ports = forwardedPorts(args.serves ?? []);
    if (ports.length > maxForwardedPorts) {
      throw new RangeError(`MachineGroup "${args.group}": a forwarding rule forwards at most ${maxForwardedPorts} ports; serves forwards ${ports.join(", ")}`);
    }
    if (ports.length > 0) {
      this.servedFirewall = this.createServedFirewall(name, args, ports, opts);
      this.staticAddress = this.createAddress(name, args, opts);
      this.address = this.staticAddress.address;
      this.lbHealthCheck = this.createLbHealthCheck(name, args, opts);
      // Only the live groups: an idle blue/green group stays out of the list (no capacity scaler).
      const live = plan.groups.filter((g) => g.serving).map((g) => this.groups[g.slot]!);
      this.backendService = this.createBackendService(name, args, live, opts);
      this.forwardingRule = this.createForwardingRule(name, args, ports, opts);
      if (args.publicZone) this.dnsRecords = this.createDnsRecords(name, args, args.publicZone, opts);
    }

    this.registerOutputs({
      serviceAccountEmail: this.serviceAccountEmail,
      instanceGroups: Object.fromEntries(Object.entries(this.groups).map(([slot, mig]) => [slot || "default", mig.instanceGroup])),
      backendService: this.backendService?.id,
      address: this.address,
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

  private createTemplate(
    name: string,
    args: MachineGroupArgs,
    version: string,
    spec: MachineSpec,
    opts: pulumi.ComponentResourceOptions | undefined,
    dependsOn: pulumi.Resource[],
  ) {
    const serves = args.serves ?? [];
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
            "user-data": renderUserData(spec),
          },
          tags: [this.tag, networkTags.iapSsh, ...(serves.length > 0 ? [networkTags.lbBackend] : [])],
          labels: { ...args.labels, "brume-group": args.group, ...(version ? { "brume-release": labelValue(version) } : {}) },
          scheduling: { automaticRestart: true, onHostMaintenance: "MIGRATE" },
        },
        childOptions(this, opts, { dependsOn }),
      ),
    );
  }

  private createHealthCheck(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.HealthCheck(
      ...transformed(
        args.transform?.healthCheck,
        `${name}-health`,
        {
          project: args.project,
          name: args.naming.name([args.group, "health"]),
          checkIntervalSec: 10,
          timeoutSec: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
          httpHealthCheck: { port: args.healthPort ?? defaultMachineHealthPort, requestPath: machineHealthPath },
          logConfig: { enable: true },
        },
        childOptions(this, opts),
      ),
    );
  }

  /** Google's health checks (autohealing, and the load balancer's when serving) to the health port only. */
  private createFirewall(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    const serving = (args.serves ?? []).length > 0;
    return new gcp.compute.Firewall(
      ...transformed(
        args.transform?.firewall,
        `${name}-health-firewall`,
        {
          project: args.project,
          name: args.naming.name([args.group, "allow-health-checks"]),
          description: `Google health checks to the health port of machines of group ${args.group}`,
          network: args.network,
          direction: "INGRESS",
          priority: 1000,
          sourceRanges: healthCheckSourceRanges(serving),
          targetTags: [this.tag],
          allows: [{ protocol: "tcp", ports: [String(args.healthPort ?? defaultMachineHealthPort)] }],
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
    const serves = args.serves ?? [];
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
          namedPorts: serves.map((port) => ({ name: `p${port}`, port })),
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
   * The served ports from anywhere. A passthrough load balancer is not a proxy: packets reach the
   * machines with the CLIENT's source address, so no Google range can stand for "the load
   * balancer" — the rule must open the forwarded ports to 0.0.0.0/0 (on this group's tag only; the
   * health port stays open to Google's health-check ranges alone, in the other rule).
   */
  private createServedFirewall(name: string, args: MachineGroupArgs, ports: number[], opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.Firewall(
      ...transformed(
        args.transform?.servedFirewall,
        `${name}-served-firewall`,
        {
          project: args.project,
          name: args.naming.name([args.group, "allow-served"]),
          description: `Clients through the passthrough load balancer (source address kept) to machines of group ${args.group}`,
          network: args.network,
          direction: "INGRESS",
          priority: 1000,
          sourceRanges: ["0.0.0.0/0"],
          targetTags: [this.tag],
          allows: [{ protocol: "tcp", ports: ports.map(String) }],
          logConfig: { metadata: "INCLUDE_ALL_METADATA" },
        },
        childOptions(this, opts),
      ),
    );
  }

  /** The load balancer's static regional IPv4 address (Premium tier, as the forwarding rule). */
  private createAddress(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.Address(
      ...transformed(
        args.transform?.address,
        `${name}-address`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name([args.group, "lb"]),
          description: `Load balancer of machine group ${args.group} (DNS points here)`,
          addressType: "EXTERNAL",
          networkTier: "PREMIUM",
          labels: { ...args.labels, "brume-group": args.group },
        },
        childOptions(this, opts, { protect: args.protect ?? false }),
      ),
    );
  }

  /** Backend service-based passthrough NLBs take a regional health check (autohealing keeps the global one). */
  private createLbHealthCheck(name: string, args: MachineGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.RegionHealthCheck(
      ...transformed(
        args.transform?.lbHealthCheck,
        `${name}-lb-health`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name([args.group, "lb-health"]),
          checkIntervalSec: 10,
          timeoutSec: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
          httpHealthCheck: { port: args.healthPort ?? defaultMachineHealthPort, requestPath: machineHealthPath },
          logConfig: { enable: true },
        },
        childOptions(this, opts),
      ),
    );
  }

  private createBackendService(name: string, args: MachineGroupArgs, live: gcp.compute.RegionInstanceGroupManager[], opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.RegionBackendService(
      ...transformed(
        args.transform?.backendService,
        `${name}-backend`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name([args.group, "backend"]),
          description: `Machines of group ${args.group} (external passthrough Network Load Balancer)`,
          loadBalancingScheme: "EXTERNAL",
          protocol: "TCP",
          healthChecks: this.lbHealthCheck!.id,
          connectionDrainingTimeoutSec: 60,
          backends: live.map((mig) => ({ group: mig.instanceGroup, balancingMode: "CONNECTION" })),
          logConfig: { enable: true, sampleRate: 1 },
        },
        childOptions(this, opts),
      ),
    );
  }

  private createForwardingRule(name: string, args: MachineGroupArgs, ports: number[], opts?: pulumi.ComponentResourceOptions) {
    return new gcp.compute.ForwardingRule(
      ...transformed(
        args.transform?.forwardingRule,
        `${name}-forwarding-rule`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name([args.group, "lb"]),
          description: `Ports ${ports.join(", ")} of machine group ${args.group}`,
          loadBalancingScheme: "EXTERNAL",
          ipProtocol: "TCP",
          ports: ports.map(String),
          ipAddress: this.staticAddress!.address,
          networkTier: "PREMIUM",
          backendService: this.backendService!.id,
          labels: { ...args.labels, "brume-group": args.group },
        },
        childOptions(this, opts),
      ),
    );
  }

  /** One A record per service domain in the public zone, to the load balancer's address. */
  private createDnsRecords(name: string, args: MachineGroupArgs, zone: NonNullable<MachineGroupArgs["publicZone"]>, opts?: pulumi.ComponentResourceOptions) {
    const domains = domainsInZone((args.spec.services ?? []).flatMap((s) => s.domains ?? []), zone.dnsName);
    return Object.fromEntries(
      domains.map((domain) => [
        domain,
        new gcp.dns.RecordSet(
          ...transformed(
            args.transform?.dnsRecord,
            `${name}-dns-${domain}`,
            { project: args.project, managedZone: zone.name, name: `${domain}.`, type: "A", ttl: 300, rrdatas: [this.staticAddress!.address] },
            childOptions(this, opts),
          ),
        ),
      ]),
    );
  }
}

/** A GCP label value: lowercase letters, digits, '-' and '_', at most 63 characters. */
function labelValue(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}
