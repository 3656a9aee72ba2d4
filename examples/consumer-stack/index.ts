/**
 * A TypeScript Pulumi stack that uses brume's components directly, with typed args and no brume.yaml:
 *
 * - a `Project` (a pinned gcp provider, and the Environment with its Network and the rest) from a
 *   brume config written as code and checked by `validateConfig`; the environment is the stack
 *   config `environment`, else the stack name;
 * - a standalone `Network` for a sandbox VPC in the same GCP project, through the Project's provider,
 *   with its own ranges, flow-log sampling and `transform`s.
 *
 * In your own project the import specifier is "@brume/infra" (README.md). This copy imports the
 * repository's sources so that the repository typechecks it without a build; test/consumer replaces
 * that one specifier, compiles the file against the packed package and plans it.
 *
 * Pulumi calls the default export and uses what it returns as the stack outputs. The module has no
 * other (runtime) export: Pulumi refuses an ES module with both a default and named exports.
 */
import * as pulumi from "@pulumi/pulumi";
import type { BrumeConfigInput } from "../../src/index.js";

/** What brume.yaml would say, as a typed object. */
const brume: BrumeConfigInput = {
  project: { name: "acme", region: "europe-west1", drRegion: "europe-west4", labels: { team: "data" } },
  environments: {
    prod: { gcpProject: "acme-prod-4242" },
    // prod and stage have default CIDR slots (0, 1); any other environment names its own.
    dev: { gcpProject: "acme-dev-4242", region: "europe-west3", index: 2 },
  },
};

export default async function main() {
  // Imported here, not at the top of the file: brume's offline plan (`runProgram`) installs its
  // mocks and then calls this function, so the components must load after that.
  const { Naming, Network, Project, defaultNetworkPlan, validateConfig } = await import("../../src/index.js");

  const environment = new pulumi.Config().get("environment") ?? pulumi.getStack();
  const config = validateConfig(brume, "index.ts");
  const project = new Project(config.project.name, { config, environment });
  const env = project.resolved;

  const sandbox = new Network(
    "sandbox",
    {
      project: env.gcpProject,
      region: env.region,
      naming: Naming.of(config.project.name, `${env.name}-sandbox`),
      // The CIDR plan's last slot, 10.240.0.0/12, which no environment above uses: the sandbox
      // never overlaps an environment's ranges, so the VPCs can be peered.
      ranges: defaultNetworkPlan(15),
      flowLogSampling: 0.1,
      transform: {
        network: { description: "Sandbox VPC for experiments, managed by brume" },
        nodesSubnet: (args) => ({ ...args, description: "GKE nodes of the sandbox" }),
      },
    },
    // Same project, region and labels as the environment: every child inherits this provider.
    // The VPC calls the APIs the environment enables: wait for them (the creation-order check
    // fails the plan otherwise, as the first `pulumi up` on a fresh project would).
    { providers: [project.provider], dependsOn: project.environment.apis.for("compute", "dns", "servicenetworking") },
  );

  return {
    environment: env.name,
    gcpProject: env.gcpProject,
    region: env.region,
    ranges: env.network,
    networkId: project.environment.network.networkId,
    sandboxNetworkId: sandbox.networkId,
    sandboxSubnets: {
      nodes: sandbox.nodesSubnet.selfLink,
      private: sandbox.privateSubnet.selfLink,
      proxy: sandbox.proxySubnet.selfLink,
    },
  };
}
