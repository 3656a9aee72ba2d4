import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { joinedName, nameLimits, nameMinimums, nameProblem, Naming, physicalName, shortHash, workloadIdentityPoolId } from "../src/config/naming.js";

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
        // Too short for the kind's minimum: refused (config validation names the path first).
        if (nameProblem(joinedName(parts), kind) !== undefined) {
          expect(() => physicalName(parts, kind)).toThrow(/needs \d+ to \d+/);
          return;
        }
        const name = physicalName(parts, kind);
        expect(name.length).toBeGreaterThanOrEqual(nameMinimums[kind] ?? 1);
        if (kind === "serviceAccountId") expect(name).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
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

describe("service account ids (gcp-review 38)", () => {
  it("enforces the 6-30 length of ^[a-z][-a-z0-9]{4,28}[a-z0-9]$", () => {
    expect(physicalName(["a", "q", "w"], "default")).toBe("a-q-w");
    expect(() => physicalName(["a", "q", "w"], "serviceAccountId")).toThrow('physical name "a-q-w" has 5 characters; a serviceAccountId needs 6 to 30');
    expect(physicalName(["a", "q", "ww"], "serviceAccountId")).toBe("a-q-ww");
    expect(nameProblem("a-q-ww", "serviceAccountId")).toBeUndefined();
    expect(physicalName(["a", "q", "x".repeat(40)], "serviceAccountId")).toHaveLength(30);
  });
});

describe("generations (gcp-review 16)", () => {
  it("appends -g<n> to the names GCP never frees, and only to those", () => {
    const today = Naming.of("bro-ai", "prod");
    const next = Naming.of("bro-ai", "prod", 2);
    // Without a generation, exactly today's names.
    expect(today.generational("keys-us-central1")).toBe("bro-ai-prod-keys-us-central1");
    expect(today.generational("keys-us-central1")).toBe(today.name("keys-us-central1"));
    expect(next.generational("keys-us-central1")).toBe("bro-ai-prod-keys-us-central1-g2");
    // Everything else keeps its name.
    expect(next.prefix).toBe("bro-ai-prod");
    expect(next.name("vpc")).toBe(today.name("vpc"));
    // A cut name keeps generations apart (the hash covers the generation).
    const long = "x".repeat(70);
    expect(Naming.of("p", "e", 2).generational(long)).not.toBe(Naming.of("p", "e", 3).generational(long));
    expect(Naming.of("p", "e", 2).generational(long).length).toBeLessThanOrEqual(63);
  });

  it("names the Workload Identity pool github, or github-g<n> (4-32 characters of [a-z0-9-])", () => {
    expect(workloadIdentityPoolId()).toBe("github");
    expect(workloadIdentityPoolId(2)).toBe("github-g2");
    for (const g of [1, 99]) expect(workloadIdentityPoolId(g)).toMatch(/^[a-z0-9-]{4,32}$/);
  });
});

describe("generations fit the provider limits (property)", () => {
  it("key ring names stay within KMS's 63 characters of [a-zA-Z0-9_-] and distinct per generation; pool ids within 4-32", () => {
    const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,40}[a-z0-9]$/);
    fc.assert(
      fc.property(label, label, fc.constantFrom("us-central1", "europe-west4", "asia-southeast1"), fc.integer({ min: 1, max: 98 }), (project, env, region, g) => {
        const ring = Naming.of(project, env, g).generational(`keys-${region}`);
        expect(ring).toMatch(/^[a-zA-Z0-9_-]{1,63}$/);
        expect(ring).not.toBe(Naming.of(project, env, g + 1).generational(`keys-${region}`));
        expect(ring).not.toBe(Naming.of(project, env).generational(`keys-${region}`));
        expect(workloadIdentityPoolId(g)).toMatch(/^[a-z0-9-]{4,32}$/);
      }),
      { numRuns: 300 },
    );
  });
});
