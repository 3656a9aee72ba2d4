/**
 * `brume:machine:Machines` — every machine group of a config in one environment: one MachineGroup
 * per `machines` entry, with the services whose runner is container / process on it, the
 * bootstrap-token secrets the config does not declare itself (created empty: add the value out of
 * band, as for every secret), and — when at least one group serves (`serves: [443]`) — ONE global
 * external Application Load Balancer shared by all the serving groups (./frontend.ts):
 *
 * - a static global IPv4 address (protected like the environment's other stateful resources: DNS
 *   points at it);
 * - a Google-managed certificate for every domain of the serving groups' services, an SSL policy
 *   (MODERN, TLS 1.2 at least), a URL map whose host rules send each group's domains to that
 *   group's backend service, an HTTPS proxy and a forwarding rule on 443 (EXTERNAL_MANAGED);
 * - the HTTP → HTTPS redirect: a second URL map (301, query kept), an HTTP proxy and a forwarding
 *   rule on 80, on the same address;
 * - with `publicZone` (the environment's public Cloud DNS zone), an A record to the address for
 *   every domain inside the zone.
 *
 * Certificates live on the load balancer, so they do not depend on VM lifetime: releases and
 * autohealing replace VMs without asking any CA for anything (see ./frontend.ts for why Caddy's
 * per-VM ACME could not work behind a load balancer).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { BrumeConfig } from "../../config/schema.js";
import type { Naming } from "../../config/naming.js";
import { Secret } from "../security/secret.js";
import { domainsInZone } from "../network/dns.js";
import { certificateSuffix, frontendPlan, type FrontendPlan } from "./frontend.js";
import { groupRateLimits, groupSecretNames, machineSpecFor } from "./from-config.js";
import { MachineGroup, type MachineGroupArgs } from "./machine-group.js";
import type { IamLogin } from "../database/users.js";
import { groupConnectionGrants, groupConnectionValues, type MachineDataServices } from "./connection-grants.js";

export interface MachinesArgs {
  config: BrumeConfig;
  environment: { name: string; gcpProject: string; region: string; labels: Record<string, string>; protect: boolean; replicaRegions: string[] };
  naming: Naming;
  network: pulumi.Input<string>;
  subnetwork: pulumi.Input<string>;
  /** The environment's secrets by name (resource ids). */
  secretIds: Record<string, pulumi.Input<string>>;
  /** The environment's databases, caches, topics and buckets: the connection contract's values and the identities' grants. */
  dataServices?: MachineDataServices;
  artifactRepository?: MachineGroupArgs["artifactRepository"];
  /**
   * The environment's public zone (`Network.publicZone`: its `name` and its DNS name with the final
   * dot). Absent: no DNS record is created; point the domains at the `address` output.
   */
  publicZone?: { name: pulumi.Input<string>; dnsName: string };
  transform?: {
    group?: MachineGroupArgs["transform"];
    frontend?: {
      address?: Transform<gcp.compute.GlobalAddressArgs>;
      certificate?: Transform<gcp.compute.ManagedSslCertificateArgs>;
      sslPolicy?: Transform<gcp.compute.SSLPolicyArgs>;
      urlMap?: Transform<gcp.compute.URLMapArgs>;
      httpsProxy?: Transform<gcp.compute.TargetHttpsProxyArgs>;
      httpsRule?: Transform<gcp.compute.GlobalForwardingRuleArgs>;
      redirectUrlMap?: Transform<gcp.compute.URLMapArgs>;
      httpProxy?: Transform<gcp.compute.TargetHttpProxyArgs>;
      httpRule?: Transform<gcp.compute.GlobalForwardingRuleArgs>;
      dnsRecord?: Transform<gcp.dns.RecordSetArgs>;
    };
  };
}

/** The shared load balancer's resources (present when at least one group serves). */
export interface MachinesFrontend {
  plan: FrontendPlan;
  address: gcp.compute.GlobalAddress;
  certificate: gcp.compute.ManagedSslCertificate;
  sslPolicy: gcp.compute.SSLPolicy;
  urlMap: gcp.compute.URLMap;
  httpsProxy: gcp.compute.TargetHttpsProxy;
  httpsRule: gcp.compute.GlobalForwardingRule;
  redirectUrlMap: gcp.compute.URLMap;
  httpProxy: gcp.compute.TargetHttpProxy;
  httpRule: gcp.compute.GlobalForwardingRule;
}

/**
 * `brume:machine:Machines` — every machine group of a config in one environment: one `MachineGroup` per
 * `machines` entry, the bootstrap-token secrets, and, when a group serves 443, one shared global external
 * Application Load Balancer (address, Google-managed certificate, SSL policy, URL maps, proxies,
 * forwarding rules, A records). See `docs/machines.md`.
 */
export class Machines extends pulumi.ComponentResource {
  /** Token secrets created here (those the config does not declare under `secrets`). */
  readonly tokenSecrets: Record<string, Secret>;
  readonly groups: Record<string, MachineGroup>;
  /** Each group identity's IAM database logins (iam mode), by group then database. */
  readonly databaseLogins: Record<string, Record<string, IamLogin>>;
  /** The shared Application Load Balancer, when a group serves. */
  readonly frontend?: MachinesFrontend;
  /** A records of the serving groups' domains in the public zone, by domain. */
  readonly dnsRecords: Record<string, gcp.dns.RecordSet>;
  /** The load balancer's external IPv4 address (every served domain points here), when a group serves. */
  readonly address?: pulumi.Output<string>;

  constructor(name: string, args: MachinesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:machine:Machines", name, {}, opts);
    const { config, environment: env } = args;
    const undeclared = [...new Set(Object.values(config.machines).map((g) => g.agent.tokenSecret))].filter((s) => !Object.hasOwn(args.secretIds, s)).sort();
    this.tokenSecrets = Object.fromEntries(
      undeclared.map((key) => [
        key,
        new Secret(
          `${name}-secret-${key}`,
          { project: env.gcpProject, secretId: args.naming.name(key, "secretId"), replicaRegions: env.replicaRegions, labels: env.labels, protect: env.protect },
          { parent: this, ...(opts?.dependsOn ? { dependsOn: opts.dependsOn } : {}) },
        ),
      ]),
    );
    const secretId = (key: string) => args.secretIds[key] ?? this.tokenSecrets[key]!.secret.id;
    this.groups = Object.fromEntries(
      Object.entries(config.machines).map(([group, g]) => [
        group,
        new MachineGroup(
          `${name}-${group}`,
          {
            project: env.gcpProject,
            region: env.region,
            naming: args.naming,
            group,
            machineType: g.machineType,
            image: g.image,
            diskGb: g.diskGb,
            size: g.size,
            ...(g.autoscaling ? { autoscaling: g.autoscaling } : {}),
            ...(g.zones ? { zones: g.zones } : {}),
            network: args.network,
            subnetwork: args.subnetwork,
            // Without the data services' outputs (standalone use), no connection contract is rendered.
            spec: machineSpecFor(config, group, env, args.naming, { connections: args.dataServices !== undefined }),
            strategy: g.strategy,
            serves: g.serves,
            healthPort: g.healthPort,
            // The contract's secrets (cache AUTH/CA, password-mode passwords) come last: existing accessors keep their index.
            secretIds: [...groupSecretNames(config, group).map(secretId), ...groupConnectionGrants(config, group, args.dataServices).secretIds],
            ...(args.dataServices ? { connectionValues: groupConnectionValues(config, group, env.gcpProject, args.dataServices) } : {}),
            rateLimits: groupRateLimits(config, group),
            ...(args.artifactRepository ? { artifactRepository: args.artifactRepository } : {}),
            labels: env.labels,
            ...(args.transform?.group ? { transform: args.transform.group } : {}),
          },
          { parent: this, ...(opts?.dependsOn ? { dependsOn: opts.dependsOn } : {}) },
        ),
      ]),
    );

    this.databaseLogins = Object.fromEntries(
      Object.entries(this.groups).map(([group, g]) => [group, groupConnectionGrants(config, group, args.dataServices).create(`${name}-${group}`, g, env.gcpProject)]),
    );

    const serving = Object.fromEntries(Object.entries(this.groups).filter(([, g]) => g.serving).map(([group, g]) => [group, g.domains]));
    const plan = frontendPlan(serving);
    this.dnsRecords = {};
    if (plan) {
      this.frontend = this.createFrontend(name, args, plan, opts);
      this.address = this.frontend.address.address;
      if (args.publicZone) this.dnsRecords = this.createDnsRecords(name, args, plan, args.publicZone, opts);
    }
    this.registerOutputs({ address: this.address });
  }

  private createFrontend(name: string, args: MachinesArgs, plan: FrontendPlan, opts?: pulumi.ComponentResourceOptions): MachinesFrontend {
    const t = args.transform?.frontend;
    const { naming, environment: env } = args;
    const project = env.gcpProject;
    const child = (extra: pulumi.CustomResourceOptions = {}) => childOptions(this, opts, extra);
    const backend = (group: string) => this.groups[group]!.backendService!.id;

    // The address DNS points at: protected with the environment's data (a new address means
    // new A records and a wait for caches to expire).
    const address = new gcp.compute.GlobalAddress(
      ...transformed(
        t?.address,
        `${name}-address`,
        {
          project,
          name: naming.name(["machines", "lb"]),
          description: "Application Load Balancer of the machine groups (DNS points here)",
          addressType: "EXTERNAL",
          ipVersion: "IPV4",
          labels: env.labels,
        },
        statefulOptions(this, opts, env.protect),
      ),
    );

    // A new domain list is a new certificate under a new name: created before the proxy moves to
    // it, the old one deleted after (a certificate a proxy uses cannot be deleted first).
    const certificate = new gcp.compute.ManagedSslCertificate(
      ...transformed(
        t?.certificate,
        `${name}-certificate`,
        {
          project,
          name: naming.name(["machines", "cert", certificateSuffix(plan.domains)]),
          description: `Google-managed certificate of ${plan.domains.length} machine service domain(s)`,
          managed: { domains: plan.domains },
        },
        child({ deleteBeforeReplace: false }),
      ),
    );

    // Checkov CKV_GCP_* weak cipher suites: MODERN profile, TLS 1.2 at least.
    const sslPolicy = new gcp.compute.SSLPolicy(
      ...transformed(
        t?.sslPolicy,
        `${name}-ssl-policy`,
        {
          project,
          name: naming.name(["machines", "tls"]),
          description: "TLS of the machine groups' load balancer: MODERN profile, TLS 1.2 or later",
          profile: "MODERN",
          minTlsVersion: "TLS_1_2",
        },
        child(),
      ),
    );

    const urlMap = new gcp.compute.URLMap(
      ...transformed(
        t?.urlMap,
        `${name}-url-map`,
        {
          project,
          name: naming.name(["machines", "url-map"]),
          description: `Host rules of the machine groups; other hosts go to group ${plan.defaultGroup} (Caddy answers 404)`,
          defaultService: backend(plan.defaultGroup),
          hostRules: plan.hostRules.map((r) => ({ hosts: r.hosts, pathMatcher: r.group })),
          pathMatchers: plan.hostRules.map((r) => ({ name: r.group, defaultService: backend(r.group) })),
        },
        child(),
      ),
    );

    const httpsProxy = new gcp.compute.TargetHttpsProxy(
      ...transformed(
        t?.httpsProxy,
        `${name}-https-proxy`,
        {
          project,
          name: naming.name(["machines", "https-proxy"]),
          description: "HTTPS of the machine groups: Google-managed certificate, MODERN TLS",
          urlMap: urlMap.id,
          sslCertificates: [certificate.id],
          sslPolicy: sslPolicy.id,
        },
        child(),
      ),
    );

    const rule = (key: "httpsRule" | "httpRule", port: number, target: pulumi.Input<string>, part: string) =>
      new gcp.compute.GlobalForwardingRule(
        ...transformed(
          t?.[key],
          `${name}-${part}-rule`,
          {
            project,
            name: naming.name(["machines", part]),
            description: `Port ${port} of the machine groups' load balancer`,
            loadBalancingScheme: "EXTERNAL_MANAGED",
            ipProtocol: "TCP",
            ipAddress: address.address,
            portRange: String(port),
            target,
            labels: env.labels,
          },
          child(),
        ),
      );
    const httpsRule = rule("httpsRule", 443, httpsProxy.id, "https");

    // Plain HTTP only redirects: 301 to the same URL over HTTPS, query kept.
    const redirectUrlMap = new gcp.compute.URLMap(
      ...transformed(
        t?.redirectUrlMap,
        `${name}-redirect-url-map`,
        {
          project,
          name: naming.name(["machines", "http-redirect"]),
          description: "HTTP → HTTPS (301) for the machine groups' domains",
          defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT", stripQuery: false },
        },
        child(),
      ),
    );
    const httpProxy = new gcp.compute.TargetHttpProxy(
      ...transformed(
        t?.httpProxy,
        `${name}-http-proxy`,
        { project, name: naming.name(["machines", "http-proxy"]), description: "HTTP → HTTPS redirect of the machine groups", urlMap: redirectUrlMap.id },
        child(),
      ),
    );
    const httpRule = rule("httpRule", 80, httpProxy.id, "http");

    return { plan, address, certificate, sslPolicy, urlMap, httpsProxy, httpsRule, redirectUrlMap, httpProxy, httpRule };
  }

  /**
   * One A record per served domain in the public zone, to the shared address.
   */
  private createDnsRecords(
    name: string,
    args: MachinesArgs,
    plan: FrontendPlan,
    zone: NonNullable<MachinesArgs["publicZone"]>,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    return Object.fromEntries(
      domainsInZone(plan.domains, zone.dnsName).map((domain) => [
        domain,
        new gcp.dns.RecordSet(
          ...transformed(
            args.transform?.frontend?.dnsRecord,
            `${name}-dns-${domain}`,
            { project: args.environment.gcpProject, managedZone: zone.name, name: `${domain}.`, type: "A", ttl: 300, rrdatas: [this.address!] },
            childOptions(this, opts),
          ),
        ),
      ]),
    );
  }
}
