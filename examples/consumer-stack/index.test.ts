/**
 * The stack's own test, written with brume's test kit (@brume/infra/testing) and Node's test runner:
 * the kit's assertions are plain functions that throw readable errors, so any runner works.
 *
 *   npm test        # tsc, then node --test bin/index.test.js
 *
 * In your own project the import specifier is "@brume/infra/testing"; this copy imports the
 * repository's sources (test/consumer swaps the specifier and runs it against the packed package).
 */
import { test } from "node:test";
import {
  assertCreationOrder,
  assertDependsOn,
  assertInputs,
  assertPolicy,
  assertResource,
  findResources,
  planProgram,
} from "../../src/testing/index.js";

/** The stack as `pulumi up --stack prod` runs it: index.ts's default export, imported after the mocks. */
const planStack = (stack: string, config: Record<string, unknown> = {}) =>
  planProgram(async () => (await import("./index.js")).default(), { project: "consumer-stack", stack, config });

test("prod: the sandbox VPC is a child of its Network, through the Project's provider, after the APIs", async () => {
  const plan = await planStack("prod");
  assertResource(plan, "gcp:compute/network:Network::sandbox-vpc", {
    parent: "brume:network:Network::sandbox",
    provider: "pulumi:providers:gcp::acme-gcp",
    protect: false,
  });
  assertInputs(plan, "gcp:compute/network:Network::sandbox-vpc", {
    name: "acme-prod-sandbox-vpc",
    autoCreateSubnetworks: false,
    description: "Sandbox VPC for experiments, managed by brume",
  });
  assertInputs(plan, "gcp:compute/subnetwork:Subnetwork::sandbox-nodes", {
    ipCidrRange: "10.240.0.0/20",
    description: "GKE nodes of the sandbox",
    logConfig: { flowSampling: 0.1 },
  });
  assertDependsOn(plan, "gcp:compute/subnetwork:Subnetwork::sandbox-nodes", "gcp:compute/network:Network::sandbox-vpc", { direct: true });
  // The creation-order check: the VPC waits for the Compute API the environment enables.
  assertCreationOrder(plan);
  // Production: the hardening rules and protected stateful resources.
  assertPolicy(plan, { context: { production: true } });
});

test("sandbox stack of the dev environment: its own region and ranges", async () => {
  const plan = await planStack("sandbox", { environment: "dev" });
  assertInputs(plan, "gcp:compute/network:Network::sandbox-vpc", { name: "acme-dev-sandbox-vpc", project: "acme-dev-4242" });
  const subnets = findResources(plan, (r) => r.type === "gcp:compute/subnetwork:Subnetwork" && r.name.startsWith("sandbox-"));
  if (subnets.length !== 3) throw new Error(`expected 3 sandbox subnets, got ${subnets.map((s) => s.name).join(", ")}`);
  for (const subnet of subnets) assertInputs(plan, subnet.urn, { region: "europe-west3" });
  assertCreationOrder(plan);
});
