/** `build:` services: built from source with @pulumi/docker, pushed to the registry, run by digest. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { contextHash } from "../../src/components/service/image.js";
import { ConfigError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";
import type { Plan } from "../../src/plan/run.js";
import { one, ofType, planProgram } from "../harness.js";

const dir = mkdtempSync(join(tmpdir(), "brume-build-"));
writeFileSync(join(dir, "Dockerfile"), "FROM gcr.io/distroless/static\nCOPY app /app\nUSER 65532\nENTRYPOINT [\"/app\"]\n");
writeFileSync(join(dir, "app"), "v1");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const doc = {
  project: { name: "shop", region: "europe-west1", drRegion: "europe-west4" },
  environments: { prod: { gcpProject: "shop-prod-7781" } },
  services: { api: { build: { context: "." }, ports: [{ name: "http", port: 8080 }] } },
};

function plan(): Promise<Plan> {
  const config = validateConfig(doc);
  return planProgram(
    async () => {
      const { Project } = await import("../../src/components/project/project.js");
      new Project("shop", { config, environment: "prod", baseDir: dir });
    },
    { project: "shop", stack: "prod" },
  );
}

describe("services built from source", () => {
  it("builds and pushes to the environment's registry with a content tag, authenticated by the deployer's token", async () => {
    const p = await plan();
    const tag = `src-${contextHash(dir, { dockerfile: "Dockerfile" })}`;
    const image = one(p, "docker:index/image:Image", "shop-prod-img-api-image");
    expect(image.inputs).toMatchObject({
      imageName: `europe-west1-docker.pkg.dev/shop-prod-7781/shop-prod-images/api:${tag}`,
      build: { context: dir, dockerfile: join(dir, "Dockerfile"), platform: "linux/amd64" },
    });
    expect(image.inputs.registry).toEqual({ server: "europe-west1-docker.pkg.dev", username: "oauth2accesstoken", password: "[secret]" });
    expect(image.dependencies).toContain(one(p, "gcp:artifactregistry/repository:Repository", "shop-prod-registry-repository").urn);
  });

  it("the Deployment runs the pushed digest and waits for the push", async () => {
    const p = await plan();
    const image = one(p, "docker:index/image:Image", "shop-prod-img-api-image");
    const deployment = ofType(p, "kubernetes:apps/v1:Deployment").find((d) => d.name.includes("api"))!;
    const container = (deployment.inputs.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!;
    expect(container.image).toMatch(/^europe-west1-docker\.pkg\.dev\/shop-prod-7781\/shop-prod-images\/api@sha256:[0-9a-f]{64}$/);
    expect(deployment.dependencies).toContain(image.urn);
  });

  it("a source change makes a new tag; the same source the same tag", () => {
    const before = contextHash(dir);
    expect(contextHash(dir)).toBe(before);
    writeFileSync(join(dir, "app"), "v2");
    expect(contextHash(dir)).not.toBe(before);
  });

  it("build is refused for machine runners and for blue/green or canary releases", () => {
    const withStrategy = structuredClone(doc) as Record<string, any>;
    withStrategy.services.api.strategy = { type: "canary", stable: { version: "v1", image: "x:1" } };
    withStrategy.services.api.expose = { domains: ["api.example.com"] };
    try {
      validateConfig(withStrategy);
      throw new Error("expected a ConfigError");
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.path)).toContain("services.api.build");
    }
  });
});
