/**
 * Moving an environment between deliveries keeps its workloads running (issue 18, item 5), shown by
 * plan diffs of examples/bro-ai stage:
 *   pulumi  → handover (delivery: gitops, gitops.handover: [stage]): the same objects, same inputs,
 *             now with retainOnDelete, and Argo CD installed (it adopts them: same objects, SSA);
 *   handover → gitops: the objects leave the program; their state says retainOnDelete, so
 *             `pulumi up` forgets them instead of deleting them (Pulumi "retainOnDelete",
 *             https://www.pulumi.com/docs/iac/concepts/options/retainondelete/).
 *   The way back, gitops → pulumi: the Applications go (no resources finalizer: their objects stay,
 *             https://argo-cd.readthedocs.io/en/stable/user-guide/app_deletion/) and Pulumi
 *             registers the same objects again; its provider's server-side apply upserts existing
 *             objects (https://www.pulumi.com/registry/packages/kubernetes/how-to-guides/managing-resources-with-server-side-apply/).
 * The Namespace stays Pulumi's throughout: same URN, same inputs, in every plan.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { gitopsObjectsOf } from "../../src/plan/gitops-render.js";
import type { PlannedResource } from "../../src/plan/run.js";
import { planStack } from "../../src/plan/stack.js";

const config = "examples/bro-ai/brume.yaml";
const plans: Record<"pulumi" | "handover" | "gitops", PlannedResource[]> = { pulumi: [], handover: [], gitops: [] };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "brume-handover-"));
  copyFileSync("examples/bro-ai-gitops/Pulumi.yaml", join(dir, "Pulumi.yaml"));
  const stack = parse(readFileSync("examples/bro-ai-gitops/Pulumi.stage.yaml", "utf8"));
  stack.config["brume:overrides"].gitops.handover = ["stage"];
  writeFileSync(join(dir, "Pulumi.stage.yaml"), stringify(stack));
  plans.pulumi = (await planStack({ stack: "stage", configFile: config })).plan.resources;
  plans.handover = (await planStack({ stack: "stage", configFile: config, projectDir: dir })).plan.resources;
  plans.gitops = (await planStack({ stack: "stage", configFile: config, projectDir: "examples/bro-ai-gitops" })).plan.resources;
}, 180_000);

const handedOver = (resources: PlannedResource[]) => new Map(gitopsObjectsOf(resources, "bro-ai-stage-svc-").map((o) => [o.resource, resources.find((r) => r.name === o.resource)!]));

describe("moving stage from the Pulumi delivery to GitOps and back", () => {
  it("handover: the same 53 objects with the same inputs, now retained on delete; Argo CD is installed beside them", () => {
    const before = handedOver(plans.pulumi);
    const during = handedOver(plans.handover);
    expect(before.size).toBe(53);
    expect([...during.keys()]).toEqual([...before.keys()]);
    for (const [name, r] of during) {
      expect(r.urn, name).toBe(before.get(name)!.urn);
      expect(r.inputs, name).toEqual(before.get(name)!.inputs);
      expect(r.retainOnDelete, name).toBe(true);
      expect(before.get(name)!.retainOnDelete, name).toBeUndefined();
    }
    expect(plans.handover.filter((r) => r.type === "kubernetes:argoproj.io/v1alpha1:Application")).toHaveLength(6);
  });

  it("gitops: the objects leave the program (forgotten, since their state retains them); nothing else of the services goes", () => {
    expect(handedOver(plans.gitops).size).toBe(0);
    const urns = new Set(plans.gitops.map((r) => r.urn));
    const gone = plans.handover.filter((r) => !urns.has(r.urn));
    expect(gone.every((r) => r.retainOnDelete === true)).toBe(true);
    expect(gone).toHaveLength(53);
    // The cloud side of every service stays: identity, grants, Cloud Armor.
    for (const name of ["bro-ai-stage-svc-api-gsa", "bro-ai-stage-svc-api-workload-identity", "bro-ai-stage-svc-web-armor"]) expect(urns.has(plans.pulumi.find((r) => r.name === name)!.urn), name).toBe(true);
  });

  it("the Namespace stays Pulumi's in every delivery (same URN and inputs, never retained or replaced)", () => {
    const ns = (rs: PlannedResource[]) => rs.find((r) => r.name === "bro-ai-stage-apps-namespace")!;
    for (const p of [plans.handover, plans.gitops]) {
      expect(ns(p).urn).toBe(ns(plans.pulumi).urn);
      expect(ns(p).inputs).toEqual(ns(plans.pulumi).inputs);
    }
  });

  it("the way back: Pulumi's plan registers the same objects as Argo CD ran (so the upsert changes nothing) and no Argo CD", () => {
    const back = handedOver(plans.pulumi);
    const during = handedOver(plans.handover);
    for (const [name, r] of back) expect(r.inputs).toEqual(during.get(name)!.inputs);
    expect(plans.pulumi.filter((r) => r.type.startsWith("kubernetes:argoproj.io/") || r.type === "kubernetes:helm.sh/v3:Release")).toEqual([]);
  });
});
