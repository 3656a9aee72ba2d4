/**
 * `brume:network:Network` — the environment's VPC: custom mode, regional routing, a subnet for GKE
 * nodes (with pod and service secondary ranges), a private subnet for VMs and private endpoints,
 * and a proxy-only subnet for regional load balancers. Private Google Access and VPC flow logs are
 * on for every subnet that supports them.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { NetworkPlan } from "../../src/config/cidr-plan.js";
import { transformed, type Transform } from "../../src/component/transform.js";
import type { Naming } from "../../src/naming.js";

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
  /** Adjust any child we create. */
  transform?: {
    network?: Transform<gcp.compute.NetworkArgs>;
    nodesSubnet?: Transform<gcp.compute.SubnetworkArgs>;
    privateSubnet?: Transform<gcp.compute.SubnetworkArgs>;
    proxySubnet?: Transform<gcp.compute.SubnetworkArgs>;
  };
}

/** Names of the GKE secondary ranges on the nodes subnet. */
export const secondaryRangeNames = { pods: "pods", services: "services" } as const;

export class Network extends pulumi.ComponentResource {
  readonly network: gcp.compute.Network;
  readonly nodesSubnet: gcp.compute.Subnetwork;
  readonly privateSubnet: gcp.compute.Subnetwork;
  readonly proxySubnet: gcp.compute.Subnetwork;
  /** The ranges this network was built from (plain values). */
  readonly ranges: NetworkPlan;
  readonly networkId: pulumi.Output<string>;
  readonly networkSelfLink: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:network:Network", name, {}, opts);
    const sampling = args.flowLogSampling ?? 0.5;
    this.ranges = args.ranges;

    this.network = this.createNetwork(name, args);
    this.nodesSubnet = this.createSubnet(name, "nodes", args, sampling, args.transform?.nodesSubnet, {
      ipCidrRange: args.ranges.nodesCidr,
      secondaryIpRanges: [
        { rangeName: secondaryRangeNames.pods, ipCidrRange: args.ranges.podsCidr },
        { rangeName: secondaryRangeNames.services, ipCidrRange: args.ranges.servicesCidr },
      ],
    });
    this.privateSubnet = this.createSubnet(name, "private", args, sampling, args.transform?.privateSubnet, {
      ipCidrRange: args.ranges.privateCidr,
    });
    this.proxySubnet = this.createProxySubnet(name, args);

    this.networkId = this.network.id;
    this.networkSelfLink = this.network.selfLink;
    this.registerOutputs({
      networkId: this.networkId,
      networkSelfLink: this.networkSelfLink,
      nodesSubnet: this.nodesSubnet.selfLink,
      privateSubnet: this.privateSubnet.selfLink,
      proxySubnet: this.proxySubnet.selfLink,
    });
  }

  private createNetwork(name: string, args: NetworkArgs): gcp.compute.Network {
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
          deleteDefaultRoutesOnCreate: false,
        },
        { parent: this },
      ),
    );
  }

  private createSubnet(
    name: string,
    part: string,
    args: NetworkArgs,
    sampling: number,
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
            aggregationInterval: "INTERVAL_5_SEC",
            flowSampling: sampling,
            metadata: "INCLUDE_ALL_METADATA",
          },
        },
        { parent: this },
      ),
    );
  }

  /** Proxy-only subnets support neither flow logs nor Private Google Access. */
  private createProxySubnet(name: string, args: NetworkArgs): gcp.compute.Subnetwork {
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
        },
        { parent: this },
      ),
    );
  }
}
