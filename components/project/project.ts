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
        databases: args.config.databases,
        caches: args.config.caches,
        topics: args.config.topics,
        buckets: args.config.buckets,
        secrets: args.config.secrets,
        servingPorts: servingPorts(args.config),
        allowedImagePatterns: imagePatterns(args.config),
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

/** Ports load balancers reach: those of exposed services and those machine groups serve. */
export function servingPorts(config: BrumeConfig): number[] {
  const ports = new Set<number>();
  for (const svc of Object.values(config.services)) if (svc.expose) for (const p of svc.ports) ports.add(p.port);
  for (const group of Object.values(config.machines)) for (const p of group.serves) ports.add(p);
  return [...ports].sort((a, b) => a - b);
}

/**
 * Binary Authorization admission patterns for the images services name: each image's repository
 * path with a trailing `/*` (`us-docker.pkg.dev/acme/apps/api:1.2` → `us-docker.pkg.dev/acme/apps/*`).
 */
export function imagePatterns(config: BrumeConfig): string[] {
  const images: string[] = [];
  for (const svc of Object.values(config.services)) {
    if (svc.image) images.push(svc.image);
    const s = svc.strategy;
    if (s.type === "blueGreen") for (const slot of [s.blue, s.green]) if (slot) images.push(slot.image);
    if (s.type === "canary") for (const slot of [s.stable, s.canary]) if (slot) images.push(slot.image);
  }
  const patterns = images
    .map((image) => image.split("@")[0]!.replace(/:[^/:]+$/, ""))
    .filter((repo) => repo.includes("/"))
    .map((repo) => `${repo.slice(0, repo.lastIndexOf("/"))}/*`);
  return [...new Set(patterns)].sort();
}
