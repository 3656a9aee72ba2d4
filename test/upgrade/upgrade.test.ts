/**
 * Upgrades keep data: the plans of every example stack as they were at the last release (fixtures
 * from commit 0e20f63, see ./stacks.ts) are diffed against the plans of the same configs with the
 * current code, the way `brume diff` sees a change. No stateful resource may be deleted or replaced
 * and no stateful URN may change (a moved name or parent needs an alias); every other replacement
 * must be listed below with its reason, so none happens by accident.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { diffPlans, statefulTypes } from "../../src/diff/diff.js";
import type { Plan } from "../../src/plan/run.js";
import { planStack } from "../../src/plan/stack.js";
import { readFixture, upgradeStacks } from "./stacks.js";

/** What holds data or an identity others point at: losing it loses data or breaks DNS. */
const keptTypes = new Set([
  ...statefulTypes,
  "gcp:compute/globalAddress:GlobalAddress",
  "gcp:compute/address:Address",
  "gcp:artifactregistry/repository:Repository",
]);

/**
 * Replacements made on purpose, by `<fixture>: <logical name>`, with the reason. A replacement not
 * listed here fails the test.
 */
const expectedReplacements: Record<string, string> = {};

describe("upgrades from the last release keep data", () => {
  for (const s of upgradeStacks) {
    it(`${s.name} ${s.stack}: no stateful resource deleted or replaced; every replacement is listed`, async () => {
      const base = readFixture(s);
      expect(base, `fixture of ${s.name}.${s.stack}`).toBeDefined();
      const { plan: head } = await planStack({ stack: s.stack, configFile: join(s.dir, s.configFile), projectDir: s.dir });
      const { lost, unlisted } = upgradeFindings(`${s.name}.${s.stack}`, base!, head);
      expect(lost).toEqual([]);
      expect(unlisted).toEqual([]);
    });
  }

  it("the check is live: a renamed database instance and an unlisted replacement are reported", () => {
    const s = upgradeStacks.find((x) => x.name === "bro-ai" && x.stack === "prod")!;
    const base = readFixture(s)!;
    const head = structuredClone(base);
    const sql = head.resources.find((r) => r.type === "gcp:sql/databaseInstance:DatabaseInstance")!;
    sql.inputs = { ...sql.inputs, name: `${String(sql.inputs.name)}-2` };
    const net = head.resources.find((r) => r.type === "gcp:compute/network:Network")!;
    net.inputs = { ...net.inputs, name: `${String(net.inputs.name)}-2` };
    const { lost, unlisted } = upgradeFindings("bro-ai.prod", base, head);
    expect(lost).toEqual([expect.stringMatching(new RegExp(`^replace .*::${sql.name}: `))]);
    expect(unlisted).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${net.name}: `))]));
  });
});

/** Stateful resources lost, and replacements not listed in `expectedReplacements`. */
function upgradeFindings(fixture: string, base: Plan, head: Plan): { lost: string[]; unlisted: string[] } {
  const diff = diffPlans(base, head);
  const lost = diff.changes
    .filter((c) => keptTypes.has(c.type) && (c.kind === "delete" || c.kind === "replace"))
    .map((c) => `${c.kind} ${c.urn}: ${[...c.replaceReasons, ...c.notes].join("; ")}`);
  const unlisted = diff.changes
    .filter((c) => c.kind === "replace" && !keptTypes.has(c.type) && !expectedReplacements[`${fixture}: ${c.name}`])
    .map((c) => `${c.name}: ${c.replaceReasons.join("; ")}`);
  return { lost, unlisted };
}
