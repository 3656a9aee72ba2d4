/**
 * Writes the upgrade fixtures: the plan of every example stack with the code of this checkout.
 * Run on purpose only (a release), in its own commit: `npx tsx test/upgrade/save-plans.ts`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { planStack } from "../../src/plan/stack.js";
import { encodePlan, fixturePath, upgradeStacks } from "./stacks.js";

for (const s of upgradeStacks) {
  const { plan } = await planStack({ stack: s.stack, configFile: join(s.dir, s.configFile), projectDir: s.dir });
  const file = fixturePath(s);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, encodePlan(plan));
  console.log(`${file}: ${plan.resources.length} resources`);
}
