/**
 * `brume:environment:Environment` — the infrastructure of one environment (prod, stage, …): its
 * network today; the cluster, data services, registry, secrets and DNS compose here as they land.
 * Sizes, HA, retention and protection come from the resolved preset (data, not code paths).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ResolvedEnvironment } from "../../src/config/load.js";
import { Naming } from "../../src/naming.js";
import { Network, type NetworkArgs } from "../network/network.js";

export interface EnvironmentArgs {
  /** Project name (prefix of physical names). */
  projectName: string;
  /** The environment with its preset applied (see `resolveEnvironment`). */
  environment: ResolvedEnvironment;
  /** Adjust children we create. */
  transform?: {
    network?: NetworkArgs["transform"];
  };
}

export class Environment extends pulumi.ComponentResource {
  readonly naming: Naming;
  readonly network: Network;
  readonly environment: ResolvedEnvironment;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:environment:Environment", name, {}, opts);
    const env = args.environment;
    this.environment = env;
    this.naming = Naming.of(args.projectName, env.name);

    this.network = new Network(
      `${name}-network`,
      {
        project: env.gcpProject,
        region: env.region,
        naming: this.naming,
        ranges: env.network,
        flowLogSampling: env.settings.flowLogSampling,
        ...(args.transform?.network ? { transform: args.transform.network } : {}),
      },
      { parent: this },
    );

    this.registerOutputs({ networkId: this.network.networkId });
  }
}
