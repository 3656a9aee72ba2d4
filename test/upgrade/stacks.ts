/**
 * The example stacks whose plans at the last release are kept as upgrade fixtures
 * (test/upgrade/plans/<name>.<stack>.json.gz). `npx tsx test/upgrade/save-plans.ts` writes them; run it
 * only on purpose, in its own commit, when a release is cut (the fixtures of 0.1.0 come from commit
 * 0e20f63, the last commit before the first-apply wave of issues).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Plan } from "../../src/plan/run.js";
import { repoRoot } from "../harness.js";

export interface UpgradeStack {
  /** Fixture name: `<name>.<stack>`. */
  name: string;
  dir: string;
  stack: string;
  configFile: string;
}

export const upgradeStacks: UpgradeStack[] = [
  { name: "root", dir: repoRoot, stack: "prod", configFile: "brume.yaml" },
  { name: "root", dir: repoRoot, stack: "stage", configFile: "brume.yaml" },
  { name: "bro-ai", dir: join(repoRoot, "examples/bro-ai"), stack: "prod", configFile: "brume.yaml" },
  { name: "bro-ai", dir: join(repoRoot, "examples/bro-ai"), stack: "stage", configFile: "brume.yaml" },
  { name: "machines", dir: join(repoRoot, "examples/machines"), stack: "prod", configFile: "brume.yaml" },
  { name: "minimal", dir: join(repoRoot, "examples/minimal"), stack: "prod", configFile: "brume.yaml" },
];

export const fixturePath = (s: UpgradeStack) => join(repoRoot, "test/upgrade/plans", `${s.name}.${s.stack}.json.gz`);

export function encodePlan(plan: Plan): Buffer {
  return gzipSync(`${JSON.stringify(plan, null, 1)}\n`, { level: 9 });
}

export function readFixture(s: UpgradeStack): Plan | undefined {
  const file = fixturePath(s);
  if (!existsSync(file)) return undefined;
  return JSON.parse(gunzipSync(readFileSync(file)).toString("utf8")) as Plan;
}



