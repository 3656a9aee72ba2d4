/**
 * `brume:network:Network` — the environment's VPC: custom mode, regional routing, a subnet for GKE
 * nodes (with pod and service secondary ranges), a private subnet for VMs and private endpoints,
 * and a proxy-only subnet for regional load balancers. Private Google Access and VPC flow logs are
 * on for every subnet that supports them.
 *
 * Nothing gets an external IP: egress goes through Cloud Router + Cloud NAT. Cloud SQL and
 * Memorystore reach the VPC through Private Services Access (`servicesAccess`, to `dependsOn`).
 * Ingress is denied by default (./firewall.ts). With a `domain`, Cloud DNS serves a DNSSEC-signed
 * public zone and a private zone for internal names (./dns.ts); DNS queries of the VPC are logged.
 */
import { createGoogleApisZone, type GoogleApisZone } from "./google-apis-zone.js";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { splitCidr, type NetworkPlan } from "../../config/cidr-plan.js";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { zoneDnsNames } from "./dns.js";
import { firewallRules, networkTags, type FirewallRuleName, type FirewallRuleSpec } from "./firewall.js";

export { networkTags, type FirewallRuleName } from "./firewall.js";

/** Aggregation intervals VPC flow logs accept. */
export type FlowLogAggregation =
  | "INTERVAL_5_SEC"
  | "INTERVAL_30_SEC"
  | "INTERVAL_1_MIN"
  | "INTERVAL_5_MIN"
  | "INTERVAL_10_MIN"
  | "INTERVAL_15_MIN";

export interface NatArgs {
  /**
   * Ports reserved per VM (a GKE node's pods share them); a power of two, 32-32768, as dynamic
   * port allocation requires.
   * @default 64
   */
  minPortsPerVm?: number;
  /**
   * Ports a VM may grow to under dynamic port allocation; a power of two, above minPortsPerVm.
   * @default 4096
   */
  maxPortsPerVm?: number;
}

export interface NetworkArgs {
  /** GCP project id. */
  project: string;
  /** Region of the subnets. */
  region: string;
  /** Naming scope (`<project>-<env>`) for physical names. */
  naming: Naming;
  /** Ranges from the CIDR plan (see `plannedNetwork`). */
  ranges: NetworkPlan;
  /**
   * VPC flow log sampling rate, 0-1.
   * @default 0.5
   */
  flowLogSampling?: number;
  /**
   * VPC flow log aggregation interval: longer intervals mean fewer, cheaper log entries.
   * @default "INTERVAL_5_SEC"
   */
  flowLogAggregation?: FlowLogAggregation;
  /**
   * VPC flow log metadata: VM / GKE names and locations in each entry, or only the 5-tuple and
   * counters (smaller entries).
   * @default "INCLUDE_ALL_METADATA"
   */
  flowLogMetadata?: "INCLUDE_ALL_METADATA" | "EXCLUDE_ALL_METADATA";
  /**
   * Which firewall rules log their connections: the deny rules only (what was refused — the
   * baseline deny-all), or every rule. Logging an allow rule such as allow-internal logs every
   * east-west connection of nodes, pods and VMs: a large, billed volume (gcp-review 34).
   * @default "deny"
   */
  firewallLogging?: "deny" | "all";
  /** Cloud NAT port allocation. */
  nat?: NatArgs;
  /**
   * Ports Google health checks probe on backends tagged `networkTags.lbBackend`; an empty list
   * drops the rule.
   * @default [80, 443, 8080]
   */
  healthCheckPorts?: number[];
  /**
   * Ports the proxy-only subnet reaches backends tagged `networkTags.lbBackend` on; an empty list
   * drops the rule.
   * @default healthCheckPorts
   */
  servingPorts?: number[];
  /**
   * Base domain: creates a public Cloud DNS zone (DNSSEC on) for it and a private zone
   * `internal.<domain>.` bound to the VPC.
   * @example "shop.example.com"
   */
  domain?: string;
  /**
   * DNS name of the private zone; with it the private zone exists even without `domain`.
   * @default "internal.<domain>"
   * @example "shop-prod.internal"
   */
  privateDomain?: string;
  /**
   * Log the VPC's DNS queries (a Cloud DNS policy; CIS GCP 2.12). Costs one log entry per query.
   * @default true
   */
  dnsQueryLogging?: boolean;
  /**
   * Pulumi `protect` on the public zone: recreating it changes its name servers and DNSSEC keys,
   * which breaks the delegation and DS record at the registrar.
   * @default false
   */
  protect?: boolean;
  /** Adjust any child we create. */
  transform?: {
    network?: Transform<gcp.compute.NetworkArgs>;
    nodesSubnet?: Transform<gcp.compute.SubnetworkArgs>;
    privateSubnet?: Transform<gcp.compute.SubnetworkArgs>;
    proxySubnet?: Transform<gcp.compute.SubnetworkArgs>;
    router?: Transform<gcp.compute.RouterArgs>;
    nat?: Transform<gcp.compute.RouterNatArgs>;
    servicesAccessAddress?: Transform<gcp.compute.GlobalAddressArgs>;
    servicesAccess?: Transform<gcp.servicenetworking.ConnectionArgs>;
    firewall?: Partial<Record<FirewallRuleName, Transform<gcp.compute.FirewallArgs>>>;
    publicZone?: Transform<gcp.dns.ManagedZoneArgs>;
    privateZone?: Transform<gcp.dns.ManagedZoneArgs>;
    dnsPolicy?: Transform<gcp.dns.PolicyArgs>;
  };
}

/** Names of the GKE secondary ranges on the nodes subnet. */
export const secondaryRangeNames = { pods: "pods", services: "services" } as const;

/** Defaults of the optional args. */
export const networkDefaults = {
  flowLogSampling: 0.5,
  flowLogAggregation: "INTERVAL_5_SEC",
  flowLogMetadata: "INCLUDE_ALL_METADATA",
  minPortsPerVm: 64,
  maxPortsPerVm: 4096,
  healthCheckPorts: [80, 443, 8080],
} as const;

/** The service that peers Private Services Access (Cloud SQL, Memorystore, …). */
export const servicesAccessService = "servicenetworking.googleapis.com";

interface Normalized {
  sampling: number;
  aggregation: FlowLogAggregation;
  minPortsPerVm: number;
  maxPortsPerVm: number;
  firewall: FirewallRuleSpec[];
  dns: { public?: string; private?: string };
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/**
 * `brume:network:Network` — the environment's custom-mode VPC: nodes, private and proxy-only subnets,
 * Cloud Router and Cloud NAT, Private Services Access, firewall rules and, with a `domain`, public and
 * private Cloud DNS zones. See the module comment above and `docs/config.md` ("CIDR plan").
 */
export class Network extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly nodesSubnet: gcp.compute.Subnetwork;
  readonly privateSubnet: gcp.compute.Subnetwork;
  readonly proxySubnet: gcp.compute.Subnetwork;
  /** Cloud Router carrying the NAT. */
  readonly router: gcp.compute.Router;
  /** Cloud NAT: the only egress of nodes and VMs (none has an external IP). */
  readonly nat: gcp.compute.RouterNat;
  /** The Private Services Access range (`servicesAccessCidr`) reserved for VPC peering. */
  readonly servicesAccessAddress: gcp.compute.GlobalAddress;
  /** The Private Services Access peering: Cloud SQL / Memorystore `dependsOn` it. */
  readonly servicesAccess: gcp.servicenetworking.Connection;
  /** Ingress rules by key (allowHealthChecks / allowProxy absent when their port list is empty). */
  readonly firewalls: Readonly<Partial<Record<FirewallRuleName, gcp.compute.Firewall>>>;
  /** Public zone of `domain` (DNSSEC on). */
  readonly publicZone?: gcp.dns.ManagedZone;
  /** Private zone for internal names, visible in this VPC only. */
  readonly privateZone?: gcp.dns.ManagedZone;
  /** DNS policy logging the VPC's queries. */
  readonly dnsPolicy?: gcp.dns.Policy;
  /** Private zone `googleapis.com.`: Google APIs through private.googleapis.com (./google-apis-zone.ts). */
  readonly googleApisZone: GoogleApisZone;
  /** Network tags the firewall rules target. */
  readonly tags = networkTags;
  /** The ranges this network was built from (plain values). */
  readonly ranges: NetworkPlan;
  readonly networkId: pulumi.Output<string>;
  readonly networkSelfLink: pulumi.Output<string>;
  /** Name servers to delegate `domain` to (empty without a domain). */
  readonly nameServers: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:network:Network", name, {}, opts);
    const n = normalize(args);
    this.ranges = args.ranges;

    this.network = this.createNetwork(name, args, opts);
    this.nodesSubnet = this.createSubnet(name, "nodes", args, n, opts, args.transform?.nodesSubnet, {
      ipCidrRange: args.ranges.nodesCidr,
      secondaryIpRanges: [
        { rangeName: secondaryRangeNames.pods, ipCidrRange: args.ranges.podsCidr },
        { rangeName: secondaryRangeNames.services, ipCidrRange: args.ranges.servicesCidr },
      ],
    });
    this.privateSubnet = this.createSubnet(name, "private", args, n, opts, args.transform?.privateSubnet, {
      ipCidrRange: args.ranges.privateCidr,
    });
    this.proxySubnet = this.createProxySubnet(name, args, opts);

    this.router = this.createRouter(name, args, opts);
    this.nat = this.createNat(name, args, n, opts);

    this.servicesAccessAddress = this.createServicesAccessAddress(name, args, opts);
    this.servicesAccess = this.createServicesAccess(name, args, opts);

    const firewalls: Partial<Record<FirewallRuleName, gcp.compute.Firewall>> = {};
    for (const rule of n.firewall) firewalls[rule.key] = this.createFirewall(name, args, rule, opts);
    this.firewalls = firewalls;

    if (n.dns.public) this.publicZone = this.createPublicZone(name, args, n.dns.public, opts);
    if (n.dns.private) this.privateZone = this.createPrivateZone(name, args, n.dns.private, opts);
    if (args.dnsQueryLogging ?? true) this.dnsPolicy = this.createDnsPolicy(name, args, opts);
    this.googleApisZone = createGoogleApisZone(this, name, { project: args.project, naming: args.naming, networkId: this.network.id }, opts);

    this.networkId = this.network.id;
    this.networkSelfLink = this.network.selfLink;
    this.nameServers = this.publicZone ? this.publicZone.nameServers : pulumi.output([]);
    this.registerOutputs({
      networkId: this.networkId,
      networkSelfLink: this.networkSelfLink,
      nodesSubnet: this.nodesSubnet.selfLink,
      privateSubnet: this.privateSubnet.selfLink,
      proxySubnet: this.proxySubnet.selfLink,
      servicesAccess: this.servicesAccess.id,
      nameServers: this.nameServers,
    });
  }

  private createNetwork(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.compute.Network(
      ...transformed(
        args.transform?.network,
        `${name}-vpc`,
        {
          project: args.project,
          name: args.naming.name("vpc"),
          description: `VPC of ${args.naming.prefix}, managed by brume`,
          autoCreateSubnetworks: false,
          routingMode: "REGIONAL",
          // The default internet route stays: Cloud NAT egresses through it.
          deleteDefaultRoutesOnCreate: false,
        } satisfies gcp.compute.NetworkArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createSubnet(
    name: string,
    part: string,
    args: NetworkArgs,
    n: Normalized,
    opts: pulumi.ComponentResourceOptions | undefined,
    transform: Transform<gcp.compute.SubnetworkArgs> | undefined,
    ranges: Pick<gcp.compute.SubnetworkArgs, "ipCidrRange" | "secondaryIpRanges">,
  ): gcp.compute.Subnetwork {
    return new gcp.compute.Subnetwork(
      ...transformed(
        transform,
        `${name}-${part}`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name(part),
          network: this.network.id,
          ...ranges,
          privateIpGoogleAccess: true,
          logConfig: {
            aggregationInterval: n.aggregation,
            flowSampling: n.sampling,
            metadata: args.flowLogMetadata ?? networkDefaults.flowLogMetadata,
          },
        } satisfies gcp.compute.SubnetworkArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** Proxy-only subnets support neither flow logs nor Private Google Access. */
  private createProxySubnet(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.compute.Subnetwork(
      ...transformed(
        args.transform?.proxySubnet,
        `${name}-proxy`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name("proxy"),
          network: this.network.id,
          ipCidrRange: args.ranges.proxyCidr,
          purpose: "REGIONAL_MANAGED_PROXY",
          role: "ACTIVE",
        } satisfies gcp.compute.SubnetworkArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createRouter(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.compute.Router(
      ...transformed(
        args.transform?.router,
        `${name}-router`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name("router"),
          network: this.network.id,
          description: `Cloud Router of ${args.naming.prefix} (Cloud NAT), managed by brume`,
        } satisfies gcp.compute.RouterArgs,
        childOptions(this, opts),
      ),
    );
  }

  /**
   * NAT for the nodes subnet (primary and pod ranges) and the private subnet only; the proxy-only
   * subnet has no VMs. Dynamic port allocation lets busy nodes grow past their minimum; it
   * requires endpoint-independent mapping off.
   */
  private createNat(name: string, args: NetworkArgs, n: Normalized, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.compute.RouterNat(
      ...transformed(
        args.transform?.nat,
        `${name}-nat`,
        {
          project: args.project,
          region: args.region,
          name: args.naming.name("nat"),
          router: this.router.name,
          natIpAllocateOption: "AUTO_ONLY",
          sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
          subnetworks: [
            { name: this.nodesSubnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] },
            { name: this.privateSubnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] },
          ],
          enableEndpointIndependentMapping: false,
          enableDynamicPortAllocation: true,
          minPortsPerVm: n.minPortsPerVm,
          maxPortsPerVm: n.maxPortsPerVm,
          logConfig: { enable: true, filter: "ERRORS_ONLY" },
        } satisfies gcp.compute.RouterNatArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createServicesAccessAddress(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    const { address, prefixLength } = splitCidr(args.ranges.servicesAccessCidr);
    return new gcp.compute.GlobalAddress(
      ...transformed(
        args.transform?.servicesAccessAddress,
        `${name}-psa`,
        {
          project: args.project,
          name: args.naming.name("psa"),
          description: `Private Services Access range of ${args.naming.prefix} (Cloud SQL, Memorystore)`,
          purpose: "VPC_PEERING",
          addressType: "INTERNAL",
          address,
          prefixLength,
          network: this.network.id,
        } satisfies gcp.compute.GlobalAddressArgs,
        childOptions(this, opts),
      ),
    );
  }

  /**
   * ABANDON: destroying the stack leaves the peering to be removed with the VPC, so a destroy can
   * never fail halfway on (or strand) databases still attached to it.
   */
  private createServicesAccess(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.servicenetworking.Connection(
      ...transformed(
        args.transform?.servicesAccess,
        `${name}-psa-connection`,
        {
          network: this.network.id,
          service: servicesAccessService,
          reservedPeeringRanges: [this.servicesAccessAddress.name],
          deletionPolicy: "ABANDON",
        } satisfies gcp.servicenetworking.ConnectionArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createFirewall(
    name: string,
    args: NetworkArgs,
    rule: FirewallRuleSpec,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.compute.Firewall {
    const protocols = rule.protocols.map((p) => ({ protocol: p.protocol, ...(p.ports ? { ports: p.ports } : {}) }));
    return new gcp.compute.Firewall(
      ...transformed(
        args.transform?.firewall?.[rule.key],
        `${name}-${rule.part}`,
        {
          project: args.project,
          name: args.naming.name(rule.part),
          network: this.network.id,
          description: rule.description,
          direction: "INGRESS",
          priority: rule.priority,
          ...(rule.action === "allow" ? { allows: protocols } : { denies: protocols }),
          sourceRanges: rule.sourceRanges,
          ...(rule.targetTags ? { targetTags: rule.targetTags } : {}),
          // No logConfig: the rule does not log (changing it is an in-place update).
          ...(rule.action === "deny" || args.firewallLogging === "all" ? { logConfig: { metadata: "INCLUDE_ALL_METADATA" } } : {}),
        } satisfies gcp.compute.FirewallArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createPublicZone(name: string, args: NetworkArgs, dnsName: string, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.dns.ManagedZone(
      ...transformed(
        args.transform?.publicZone,
        `${name}-public-zone`,
        {
          project: args.project,
          name: args.naming.name("public-zone"),
          dnsName,
          description: `Public zone of ${args.naming.prefix}, managed by brume`,
          visibility: "public",
          // Key specs stay Google's defaults (RSASHA256, never RSASHA1: Checkov CKV_GCP_17).
          dnssecConfig: { state: "on", nonExistence: "nsec3" },
        } satisfies gcp.dns.ManagedZoneArgs,
        statefulOptions(this, opts, args.protect ?? false),
      ),
    );
  }

  private createPrivateZone(name: string, args: NetworkArgs, dnsName: string, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.dns.ManagedZone(
      ...transformed(
        args.transform?.privateZone,
        `${name}-private-zone`,
        {
          project: args.project,
          name: args.naming.name("private-zone"),
          dnsName,
          description: `Internal names of ${args.naming.prefix}, visible in its VPC only; managed by brume`,
          visibility: "private",
          privateVisibilityConfig: { networks: [{ networkUrl: this.network.id }] },
        } satisfies gcp.dns.ManagedZoneArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createDnsPolicy(name: string, args: NetworkArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.dns.Policy(
      ...transformed(
        args.transform?.dnsPolicy,
        `${name}-dns-policy`,
        {
          project: args.project,
          name: args.naming.name("dns-policy"),
          description: `DNS query logging of ${args.naming.prefix}, managed by brume`,
          enableLogging: true,
          enableInboundForwarding: false,
          networks: [{ networkUrl: this.network.id }],
        } satisfies gcp.dns.PolicyArgs,
        childOptions(this, opts),
      ),
    );
  }
}

/** Defaults applied and plain values checked before anything is created. */
function normalize(args: NetworkArgs): Normalized {
  const sampling = args.flowLogSampling ?? networkDefaults.flowLogSampling;
  if (!(sampling >= 0 && sampling <= 1)) throw new RangeError(`flowLogSampling must be within 0-1, got ${sampling}`);
  const minPortsPerVm = args.nat?.minPortsPerVm ?? networkDefaults.minPortsPerVm;
  const maxPortsPerVm = args.nat?.maxPortsPerVm ?? networkDefaults.maxPortsPerVm;
  if (!isPowerOfTwo(minPortsPerVm) || minPortsPerVm < 32 || minPortsPerVm > 32768) {
    throw new RangeError(`nat.minPortsPerVm must be a power of two within 32-32768, got ${minPortsPerVm}`);
  }
  if (!isPowerOfTwo(maxPortsPerVm) || maxPortsPerVm <= minPortsPerVm || maxPortsPerVm > 65536) {
    throw new RangeError(`nat.maxPortsPerVm must be a power of two above minPortsPerVm (${minPortsPerVm}) and at most 65536, got ${maxPortsPerVm}`);
  }
  const healthCheckPorts = args.healthCheckPorts ?? [...networkDefaults.healthCheckPorts];
  return {
    sampling,
    aggregation: args.flowLogAggregation ?? networkDefaults.flowLogAggregation,
    minPortsPerVm,
    maxPortsPerVm,
    firewall: firewallRules({ ranges: args.ranges, healthCheckPorts, servingPorts: args.servingPorts ?? healthCheckPorts }),
    dns: zoneDnsNames(args.domain, args.privateDomain),
  };
}
