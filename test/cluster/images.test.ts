/**
 * "Images are admitted and pullable" (issue 12): Binary Authorization pattern semantics, the plan
 * check over every example plan, and failing fixtures (gcp-review findings 3 and 4).
 */
import { copyFileSync, cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { admits, artifactRepositoryOf, repositoryPathOf } from "../../src/components/cluster/images.js";
import { checkImages, plannedImages } from "../../src/plan/images.js";
import { planStack } from "../../src/plan/stack.js";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, ofType, planProgram, repoRoot } from "../harness.js";

describe("admits (Binary Authorization AdmissionWhitelistPattern.name_pattern)", () => {
  it("follows the API reference's own examples: `*` does not match `/`, a trailing `**` does", () => {
    expect(admits("gcr.io/nginx*", "gcr.io/nginx@latest")).toBe(true);
    expect(admits("gcr.io/nginx*", "gcr.io/nginx/image")).toBe(false);
    expect(admits("gcr.io/nginx**", "gcr.io/nginx/image")).toBe(true);
  });

  it("rejects the old environment pattern for a built image (finding 4) and admits the repository pattern", () => {
    const built = "us-central1-docker.pkg.dev/bro-ai-prod/bro-ai-prod-images/api@sha256:" + "0".repeat(64);
    expect(admits("us-central1-docker.pkg.dev/bro-ai-prod/*", built)).toBe(false);
    expect(admits("us-central1-docker.pkg.dev/bro-ai-prod/bro-ai-prod-images/*", built)).toBe(true);
    expect(admits("us-central1-docker.pkg.dev/bro-ai-prod/**", built)).toBe(true);
    expect(admits("us-docker.pkg.dev/bro-ai-shared/apps/*", "us-docker.pkg.dev/bro-ai-shared/apps/team/api:1")).toBe(false);
    expect(admits("us-docker.pkg.dev/bro-ai-shared/apps/api:1.0", "us-docker.pkg.dev/bro-ai-shared/apps/api:1.0")).toBe(true);
  });

  it("parses repositories from references with tags and digests", () => {
    expect(repositoryPathOf("us-docker.pkg.dev/a-shared/apps/api:1.2@sha256:" + "f".repeat(64))).toBe("us-docker.pkg.dev/a-shared/apps");
    expect(repositoryPathOf("localhost:5000/api:1")).toBe("localhost:5000");
    expect(repositoryPathOf("nginx:1.27")).toBeUndefined();
    expect(artifactRepositoryOf("europe-west1-docker.pkg.dev/p-1/apps/api:1")).toEqual({ project: "p-1", location: "europe-west1", repositoryId: "apps" });
    expect(artifactRepositoryOf("ghcr.io/acme/api:1")).toBeUndefined();
  });
});

const examplePlans: [string, string, string][] = [
  ["bro-ai", "prod", "brume.yaml"],
  ["bro-ai", "stage", "brume.yaml"],
  ["minimal", "prod", "brume.yaml"],
  ["machines", "prod", "brume.yaml"],
];

describe("checkImages on every example plan", () => {
  for (const [example, stack, file] of examplePlans) {
    it(`${example} ${stack}: every image the cluster runs is admitted and pullable`, async () => {
      // planStack runs the check and would throw; run it again here to see what it looked at.
      const { plan } = await planStack({ stack, configFile: join(examplePath(example), file), projectDir: examplePath(example) });
      expect(checkImages(plan)).toEqual([]);
      const deployments = ofType(plan, "kubernetes:apps/v1:Deployment");
      expect(plannedImages(plan).length).toBeGreaterThanOrEqual(deployments.length);
    });
  }

  it("the root brume.yaml (shared registry in another project) too", async () => {
    const { plan } = await planStack({ stack: "prod", configFile: join(repoRoot, "brume.yaml"), projectDir: repoRoot });
    expect(checkImages(plan)).toEqual([]);
    expect(plannedImages(plan).map((i) => i.image)).toEqual(expect.arrayContaining([expect.stringMatching(/^europe-docker\.pkg\.dev\/shop-shared\//)]));
  });
});

/** A copy of examples/bro-ai whose prod stack config carries `overrides`. */
function broAiWith(overrides: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "brume-images-"));
  copyFileSync(examplePath("bro-ai", "brume.yaml"), join(dir, "brume.yaml"));
  cpSync(examplePath("bro-ai", "services"), join(dir, "services"), { recursive: true }); // admin is built from services/admin
  writeFileSync(join(dir, "Pulumi.yaml"), "name: bro-ai\nruntime: nodejs\n");
  writeFileSync(join(dir, "Pulumi.prod.yaml"), `config:\n  brume:environment: prod\n  brume:overrides: ${JSON.stringify(overrides)}\n  brume:secrets: { slack-token: { secure: "v1:dGVzdA==" }, admin-iap-client: { secure: "v1:dGVzdA==" } } # the example's Slack channel and admin's IAP client need their secrets\n`);
  return dir;
}

describe("finding 3: the shared registry is granted by the stack, or declared granted by a platform team", () => {
  const shared = { project: "bro-ai-shared", location: "us", repository: "apps" };
  let granted: Plan;
  let declared: Plan;
  beforeAll(async () => {
    granted = (await planStack({ stack: "prod", configFile: examplePath("bro-ai", "brume.yaml"), projectDir: examplePath("bro-ai") })).plan;
    const dir = broAiWith({ environments: { prod: { cluster: { readableRegistries: ["us-docker.pkg.dev/bro-ai-shared/apps"] } } } });
    declared = (await planStack({ stack: "prod", configFile: join(dir, "brume.yaml"), projectDir: dir })).plan;
  });
  const sharedReaders = (plan: Plan) =>
    ofType(plan, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").filter((m) => m.inputs.project === shared.project);

  it("by default the node SA gets roles/artifactregistry.reader on the shared repository", () => {
    expect(sharedReaders(granted).map((m) => m.inputs)).toEqual([
      { ...shared, role: "roles/artifactregistry.reader", member: "serviceAccount:bro-ai-prod-gke-nodes@bro-ai-prod.iam.gserviceaccount.com" },
    ]);
  });

  it("with cluster.readableRegistries the stack creates no grant there, and the check then relies on that declaration", () => {
    expect(sharedReaders(declared)).toEqual([]);
    expect(checkImages(declared, { readableRegistries: ["us-docker.pkg.dev/bro-ai-shared/apps"] })).toEqual([]);
    const undeclared = checkImages(declared);
    expect(undeclared.map((v) => [v.rule, v.image]).sort()).toEqual([
      ["not-readable", "us-docker.pkg.dev/bro-ai-shared/apps/api:1.14.2"],
      // api's pre-release migration Job runs the same image.
      ["not-readable", "us-docker.pkg.dev/bro-ai-shared/apps/api:1.14.2"],
      ["not-readable", "us-docker.pkg.dev/bro-ai-shared/apps/web:3.2.0"],
      ["not-readable", "us-docker.pkg.dev/bro-ai-shared/apps/worker:1.14.2"],
    ]);
    expect(undeclared[0]!.message).toContain(
      "grant roles/artifactregistry.reader on repository us-docker.pkg.dev/bro-ai-shared/apps (project bro-ai-shared, location us) to serviceAccount:bro-ai-prod-gke-nodes@bro-ai-prod.iam.gserviceaccount.com",
    );
  });

  it("a plan whose image nobody can pull fails in planStack, naming the image and the fix", async () => {
    const dir = broAiWith({ services: { worker: { image: "ghcr.io/bro-ai/worker:1.14.2" } } });
    await expect(planStack({ stack: "prod", configFile: join(dir, "brume.yaml"), projectDir: dir })).rejects.toThrow(
      // Admitted (the config's images are allow-listed), but nothing can make ghcr.io readable from the plan.
      /\[images:not-readable\].*bro-ai-prod-svc-worker-deployment spec\.template\.spec\.containers\[0\]: image ghcr\.io\/bro-ai\/worker:1\.14\.2 is not in Artifact Registry, so no grant in the plan can make it pullable; if it is public or the nodes can read it, list ghcr\.io\/bro-ai in cluster\.readableRegistries/,
    );
  });
});

/** A user's own stack: one brume Cluster and a Job with an init container and a sidecar. */
async function userStack(o: { patterns: string[]; imageRepositories?: { project: string; location: string; repositoryId: string }[]; images: [string, string, string] }): Promise<Plan> {
  return planProgram(async () => {
    const k8s = await import("@pulumi/kubernetes");
    const { Cluster } = await import("../../src/components/cluster/cluster.js");
    const { Naming } = await import("../../src/config/naming.js");
    const cluster = new Cluster("gke", {
      project: "acme-prod",
      region: "europe-west1",
      naming: Naming.of("acme", "prod"),
      network: "projects/acme-prod/global/networks/vpc",
      subnetwork: "projects/acme-prod/regions/europe-west1/subnetworks/nodes",
      masterCidr: "172.16.0.0/28",
      artifactRepository: { project: "acme-prod", location: "europe-west1", repositoryId: "acme-prod-images" },
      ...(o.imageRepositories ? { imageRepositories: o.imageRepositories } : {}),
      allowedImagePatterns: o.patterns,
    });
    const [init, main, sidecar] = o.images;
    new k8s.batch.v1.Job(
      "migrate",
      {
        metadata: { namespace: "acme" },
        spec: {
          template: {
            spec: {
              restartPolicy: "Never",
              initContainers: [{ name: "wait", image: init }],
              containers: [
                { name: "migrate", image: main },
                { name: "proxy", image: sidecar },
              ],
            },
          },
        },
      },
      { provider: cluster.provider },
    );
  }, { defaultProject: "acme-prod" });
}

describe("checkImages on a user's stack (containers, init containers, sidecars)", () => {
  const own = "europe-west1-docker.pkg.dev/acme-prod/acme-prod-images";
  const images: [string, string, string] = [
    `${own}/wait:1`,
    "europe-docker.pkg.dev/acme-shared/tools/migrate:2",
    "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.0",
  ];

  it("passes with the repository patterns and the shared repository granted", async () => {
    const plan = await userStack({
      patterns: [`${own}/*`, "europe-docker.pkg.dev/acme-shared/tools/*", "gcr.io/cloud-sql-connectors/*"],
      imageRepositories: [{ project: "acme-shared", location: "europe", repositoryId: "tools" }],
      images,
    });
    expect(plannedImages(plan).map((i) => i.container)).toEqual([
      "spec.template.spec.initContainers[0]",
      "spec.template.spec.containers[0]",
      "spec.template.spec.containers[1]",
    ]);
    expect(checkImages(plan)).toEqual([]);
  });

  it("fails for a pattern of another repository and for the missing shared grant of finding 3", async () => {
    // The project-wide pattern of finding 4 (`<project>/*`) is refused when the Cluster is built
    // (clusterProblems); a pattern naming the wrong repository gets this far.
    const plan = await userStack({ patterns: ["europe-west1-docker.pkg.dev/acme-prod/other/*", "gcr.io/cloud-sql-connectors/*"], images });
    expect(checkImages(plan).map((v) => [v.rule, v.container])).toEqual([
      ["not-admitted", "spec.template.spec.initContainers[0]"],
      ["not-admitted", "spec.template.spec.containers[0]"],
      ["not-readable", "spec.template.spec.containers[0]"],
    ]);
  });
});

describe("add-ons the stack installs", () => {
  it("the trace collector's public Google image is admitted and pullable without a grant", async () => {
    const { operationsOverrides, planOperations } = await import("../observability/operations-plan.js");
    const plan = await planOperations("prod", { ...operationsOverrides, observability: { ...operationsOverrides.observability, tracing: {} } });
    const collector = plannedImages(plan).filter((i) => i.image.includes("otelcol-google"));
    expect(collector).toHaveLength(1);
    expect(checkImages(plan)).toEqual([]);
    const readers = ofType(plan, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember").map((m) => m.inputs.project);
    expect(readers).not.toContain("cloud-ops-agents-artifacts");
  });
});
