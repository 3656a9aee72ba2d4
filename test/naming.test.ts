import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nameLimits, Naming, physicalName, shortHash } from "../src/naming.js";

describe("physicalName", () => {
  it.each([
    [["shop", "prod", "vpc"], "default", "shop-prod-vpc"],
    [["Shop", "PROD", "api_server"], "default", "shop-prod-api-server"],
    [["1shop", "prod"], "default", "shop-prod"],
    [["shop", "", "db"], "default", "shop-db"],
    [["shop", "prod", "a--b-"], "default", "shop-prod-a-b"],
    [["shop", "prod", "nodes"], "serviceAccountId", "shop-prod-nodes"],
  ] as const)("%j (%s) → %s", (parts, kind, expected) => {
    expect(physicalName(parts, kind)).toBe(expected);
  });

  it("cuts a name over the limit and appends a hash of the full name", () => {
    const full = "a-very-long-project-name-production-gke-nodes";
    expect(physicalName(["a-very-long-project-name", "production", "gke-nodes"], "serviceAccountId")).toBe(
      `a-very-long-project-nam-${shortHash(full)}`,
    );
  });

  it("is valid, bounded and deterministic for any input; long names never collide", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 80 }), { maxLength: 5 }), fc.constantFrom(...(Object.keys(nameLimits) as (keyof typeof nameLimits)[])), (parts, kind) => {
        const name = physicalName(parts, kind);
        expect(name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
        expect(name.length).toBeLessThanOrEqual(nameLimits[kind]);
        expect(physicalName(parts, kind)).toBe(name);
      }),
      { numRuns: 500 },
    );
    const a = physicalName(["x".repeat(70), "alpha"]);
    const b = physicalName(["x".repeat(70), "beta"]);
    expect(a).not.toBe(b);
  });
});

describe("Naming", () => {
  it("prefixes with <project>-<environment>", () => {
    const naming = Naming.of("shop", "stage");
    expect(naming.prefix).toBe("shop-stage");
    expect(naming.name("vpc")).toBe("shop-stage-vpc");
    expect(naming.name(["db", "main"])).toBe("shop-stage-db-main");
  });
});
