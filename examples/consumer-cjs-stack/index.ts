/**
 * A stack as `pulumi new typescript` creates it: CommonJS (tsconfig `module: commonjs`,
 * `moduleResolution: node`, no `"type": "module"`), the program at the top level of index.ts and the
 * stack outputs as named exports. `@brume/infra` is an ES module; Node ≥ 20.19 loads it with
 * `require` (require(esm), no top-level await in the package), so this file imports it as any other
 * package. test/consumer installs the packed package here, compiles this file and plans it.
 */
import * as pulumi from "@pulumi/pulumi";
import { Project, validateConfig, type BrumeConfigInput } from "@brume/infra";

const brume: BrumeConfigInput = {
  project: { name: "acme", region: "europe-west1", drRegion: "europe-west4" },
  environments: { prod: { gcpProject: "acme-prod-4242" } },
};

const config = validateConfig(brume, "index.ts");
const project = new Project(config.project.name, { config, environment: pulumi.getStack() });

export const gcpProject = project.resolved.gcpProject;
export const networkId = project.environment.network.networkId;
export const clusterName = project.environment.cluster.clusterName;
