/**
 * A version's image is immutable against the base (k8s-review 11) and retained versions stay
 * admissible (k8s-review 15).
 */
import { describe, expect, it } from "vitest";
import { imagePatterns } from "../../src/components/project/project.js";
import { versionImageMutations } from "../../src/review/release/image-immutability.js";
import { validBase } from "../config/fixtures.js";
import { validateConfig } from "../../src/config/load.js";
import { planService, release } from "./plan-steps.js";

describe("version → image is immutable", () => {
  it("the same version with another image is a finding with the fix; a new version is not", async () => {
    const base = await planService({ type: "blueGreen", active: "blue", blue: release("v1") });
    const mutated = await planService({ type: "blueGreen", active: "blue", blue: { version: "v1", image: "europe-docker.pkg.dev/shop-prod/apps/api:v9" } });
    expect(versionImageMutations(base, mutated).map((m) => m.message)).toEqual([
      "version v1 (shop-api-v1-deployment) changes image europe-docker.pkg.dev/shop-prod/apps/api:v1 → europe-docker.pkg.dev/shop-prod/apps/api:v9: an image is immutable per version; release it as a new version (brume release start <service> --image europe-docker.pkg.dev/shop-prod/apps/api:v9 --version <new>)",
    ]);
    const next = await planService({ type: "blueGreen", active: "blue", blue: release("v1"), green: release("v2") });
    expect(versionImageMutations(base, next)).toEqual([]);
  });
});

describe("retained images stay admitted", () => {
  it("a retained version's repository is in the Binary Authorization patterns", () => {
    const c = validBase();
    Object.assign(c.services.api.strategy, { retained: [{ version: "v0", image: "europe-docker.pkg.dev/shop-legacy/apps/api:0.9" }] });
    expect(imagePatterns(validateConfig(c))).toContain("europe-docker.pkg.dev/shop-legacy/apps/*");
  });
});
