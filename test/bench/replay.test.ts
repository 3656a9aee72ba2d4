/**
 * The benchmark's baseline is honest: the replay (bench/replay.ts) registers the very resources of
 * the bro-ai prod plan — the same URNs (components too, as plain ComponentResources, so parents and
 * type chains match), inputs, explicit providers, dependencies, protect, ignoreChanges,
 * retainOnDelete — so the whole-process ratio compares `brume plan` with a program of the same
 * graph and state, not with a lighter one. No timing here (bench/, `npm run bench`).
 */
import { describe, expect, it } from "vitest";
import { replay, replayMismatches } from "../../bench/replay.js";
import { examplePath, planDir } from "../harness.js";

describe("the benchmark's SDK replay", () => {
  it("registers the plan's resources with the same URNs, inputs, parents, providers, dependencies and options", async () => {
    const plan = await planDir(examplePath("bro-ai"), "prod");
    const customs = plan.resources.filter((r) => r.custom);
    const replayed = await replay(plan, "sdk-classes");
    expect(replayed.resources.map((r) => r.urn)).toEqual(plan.resources.map((r) => r.urn));
    expect(replayed.resources.filter((r) => !r.custom).length).toBe(plan.resources.length - customs.length);
    expect(replayMismatches(plan, replayed)).toEqual([]);
    // The graph is really there: explicit providers and dependencies, not a flat list.
    expect(replayed.resources.filter((r) => r.provider !== "").length).toBe(customs.filter((r) => r.provider !== "").length);
    expect(replayed.resources.reduce((n, r) => n + r.dependencies.length, 0)).toBe(plan.resources.reduce((n, r) => n + r.dependencies.length, 0));
    expect(customs.filter((r) => r.provider !== "").length).toBeGreaterThan(300);
  });

  it("sees a difference: a resource replayed with other inputs or without its dependencies is reported", async () => {
    const plan = await planDir(examplePath("bro-ai"), "prod");
    const replayed = await replay(plan, "raw");
    expect(replayMismatches(plan, replayed)).toEqual([]);
    const [first, second] = replayed.resources.filter((r) => r.dependencies.length > 0);
    const altered = {
      ...replayed,
      resources: replayed.resources.map((r) =>
        r === first ? { ...r, inputs: { ...r.inputs, extra: 1 } } : r === second ? { ...r, dependencies: [] } : r,
      ),
    };
    expect(replayMismatches(plan, altered).sort()).toEqual([`${first!.urn}: replayed differently`, `${second!.urn}: replayed differently`].sort());
    // A resource left out, or one the plan does not have, is named too.
    const [dropped, ...rest] = replayed.resources;
    expect(replayMismatches(plan, { ...replayed, resources: [...rest, { ...dropped!, urn: `${dropped!.urn}-extra` }] }).sort()).toEqual([`${dropped!.urn}-extra: replayed but not in the plan`, `${dropped!.urn}: not replayed`].sort());
  });
});
