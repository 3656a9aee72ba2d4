/**
 * `brume:project:Project` — one environment of a brume config, expanded: a GCP provider pinned to
 * the environment's project, region and labels, and the Environment with everything in it.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { resolveEnvironment, type ResolvedEnvironment } from "../../src/config/load.js";
import type { BrumeConfig } from "../../src/config/schema.js";
import { transformed, type Transform } from "../../src/component/transform.js";
import { Environment, type EnvironmentArgs } from "../environment/environment.js";

export interface ProjectArgs {
  /** A validated config (`validateConfig` / `loadStack`). */
  config: BrumeConfig;
  /** The environment to expand (a key of `config.environments`). */
  environment: string;
  transform?: {
    provider?: Transform<gcp.ProviderArgs>;
    environment?: EnvironmentArgs["transform"];
  };
}

export class Project extends pulumi.ComponentResource {
  readonly config: BrumeConfig;
  /** The environment with its preset applied. */
  readonly resolved: ResolvedEnvironment;
  readonly provider: gcp.Provider;
  readonly environment: Environment;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:project:Project", name, {}, opts);
    this.config = args.config;
    this.resolved = resolveEnvironment(args.config, args.environment);

    this.provider = this.createProvider(name, args);
    this.environment = new Environment(
      `${name}-${this.resolved.name}`,
      {
        projectName: args.config.project.name,
        environment: this.resolved,
        ...(args.transform?.environment ? { transform: args.transform.environment } : {}),
      },
      { parent: this, providers: { gcp: this.provider } },
    );

    this.registerOutputs({
      gcpProject: this.resolved.gcpProject,
      region: this.resolved.region,
      networkId: this.environment.network.networkId,
    });
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
