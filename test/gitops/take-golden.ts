/**
 * Takes the golden of the Pulumi delivery: every Kubernetes object (type `kubernetes:*`, its inputs = the object) of
 * examples/bro-ai's stage and prod plans, written to test/gitops/fixtures/pulumi-delivery-<stack>.json.gz.
 * Taken once before the GitOps delivery existed (issue 18); re-take only on purpose:
 *   npx tsx test/gitops/take-golden.ts
 */
import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { planStack } from "../../src/plan/stack.js";
import { kubernetesObjectsOfPlan } from "./golden.js";

for (const stack of ["stage", "prod"]) {
  const { plan } = await planStack({ stack, configFile: "examples/bro-ai/brume.yaml" });
  const objects = kubernetesObjectsOfPlan(plan.resources);
  const file = new URL(`./fixtures/pulumi-delivery-${stack}.json.gz`, import.meta.url);
  writeFileSync(file, gzipSync(`${JSON.stringify(objects, null, 1)}\n`, { level: 9 }));
  console.log(`${stack}: ${objects.length} Kubernetes objects`);
}
