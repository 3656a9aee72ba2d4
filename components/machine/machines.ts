/**
 * `brume:machine:Machines` — every machine group of a config in one environment: one MachineGroup
 * per `machines` entry, with the services whose runner is container / process on it, and the
 * bootstrap-token secrets the config does not declare itself (created empty: add the value out of
 * band, as for every secret). Groups that serve ports get a passthrough load balancer each; with
 * `publicZone` (the environment's public Cloud DNS zone) their services' domains in that zone get
 * A records to it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BrumeConfig } from "../../src/config/schema.js";
import type { Naming } from "../../src/naming.js";
import { Secret } from "../security/secret.js";
import { groupSecretNames, machineSpecFor } from "./from-config.js";
import { MachineGroup, type MachineGroupArgs } from "./machine-group.js";

export interface MachinesArgs {
  config: BrumeConfig;
  environment: { name: string; gcpProject: string; region: string; labels: Record<string, string>; protect: boolean; replicaRegions: string[] };
  naming: Naming;
  network: pulumi.Input<string>;
  subnetwork: pulumi.Input<string>;
  /** The environment's secrets by name (resource ids). */
  secretIds: Record<string, pulumi.Input<string>>;
  artifactRepository?: MachineGroupArgs["artifactRepository"];
  /**
   * The environment's public zone (`Network.publicZone`: its `name` and its DNS name with the final
   * dot). Absent: no DNS record is created; point the domains at each group's `address` output.
   */
  publicZone?: MachineGroupArgs["publicZone"];
  transform?: { group?: MachineGroupArgs["transform"] };
}

export class Machines extends pulumi.ComponentResource {
  /** Token secrets created here (those the config does not declare under `secrets`). */
  readonly tokenSecrets: Record<string, Secret>;
  readonly groups: Record<string, MachineGroup>;

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
            spec: machineSpecFor(config, group, env, args.naming),
            strategy: g.strategy,
            serves: g.serves,
            healthPort: g.healthPort,
            secretIds: groupSecretNames(config, group).map(secretId),
            ...(args.artifactRepository ? { artifactRepository: args.artifactRepository } : {}),
            ...(args.publicZone ? { publicZone: args.publicZone } : {}),
            protect: env.protect,
            labels: env.labels,
            ...(args.transform?.group ? { transform: args.transform.group } : {}),
          },
          { parent: this, ...(opts?.dependsOn ? { dependsOn: opts.dependsOn } : {}) },
        ),
      ]),
    );
    this.registerOutputs({});
  }
}
