/**
 * The pre-release hook (issue 15 item 5): a version's migration Job, validated with the upstream
 * schema, runs before the version's Deployment starts and before the route can send it traffic;
 * it never matches the Deployment's, the Service's or the PDB's selector.
 */
import { Job } from "kubernetes-models/batch/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../src/components/strategy/strategy.js";
import type { Plan } from "../../src/plan/run.js";
import { issuesOf, validBase } from "../config/fixtures.js";
import { one } from "../harness.js";
import { planService, release, serviceConfig } from "./plan-steps.js";

const hook = { preRelease: { command: ["/app/migrate", "up"], timeoutSeconds: 300 } };

describe("pre-release job", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planService(deploy(serviceConfig({ type: "canary", stable: release("v1") }).strategy, release("v2")), hook);
  });

  it("one Job per version, in its image, with the hook's command, awaited until Complete; valid batch/v1", () => {
    const job = one(plan, "kubernetes:batch/v1:Job", "shop-api-v2-pre-release");
    const m = job.inputs as any;
    new Job(m).validate();
    expect(m.metadata).toMatchObject({ name: "api-v2-pre-release", namespace: "shop-prod", annotations: { "pulumi.com/waitFor": "condition=Complete" } });
    expect(m.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 300, template: { spec: { restartPolicy: "Never", serviceAccountName: "api" } } });
    const c = m.spec.template.spec.containers[0];
    expect(c).toMatchObject({ image: "europe-docker.pkg.dev/shop-prod/apps/api:v2", command: ["/app/migrate", "up"] });
    expect(c.readinessProbe).toBeUndefined();
    expect(c.ports).toBeUndefined();
    // Not selected by the version's Deployment / Service / PDB ({name, version: v2}).
    expect(m.spec.template.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "api", "app.kubernetes.io/version": "v2-pre-release", "app.kubernetes.io/component": "pre-release" });
    expect(plan.resources.filter((r) => r.type === "kubernetes:batch/v1:Job").map((r) => r.name).sort()).toEqual(["shop-api-v1-pre-release", "shop-api-v2-pre-release"]);
  });

  it("the version's Deployment waits for its Job, and the route for the Deployment", () => {
    const job = one(plan, "kubernetes:batch/v1:Job", "shop-api-v2-pre-release");
    const deployment = one(plan, "kubernetes:apps/v1:Deployment", "shop-api-v2-deployment");
    expect(deployment.dependencies).toContain(job.urn);
    expect(one(plan, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", "shop-api-route").dependencies).toContain(deployment.urn);
  });

  it("is refused on a rolling service, with the fix", () => {
    const c = validBase();
    (c.services as any).worker = { image: "europe-docker.pkg.dev/shop/apps/worker:1", ports: [{ name: "http", port: 8080 }], preRelease: { command: ["/migrate"] } };
    expect(issuesOf(c).map((i) => [i.path, i.message])).toContainEqual([
      "services.worker.preRelease",
      "a pre-release job runs before a version takes traffic, which needs a blueGreen or canary strategy; remove preRelease or change strategy.type",
    ]);
  });
});
