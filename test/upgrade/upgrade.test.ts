/**
 * Upgrades keep data: the plans of every example stack as they were at the last release (fixtures
 * from commit 0e20f63, see ./stacks.ts) are diffed against the plans of the same configs with the
 * current code, the way `brume diff` sees a change. Each stack is planned as an environment created
 * with that release which followed the README's upgrade path ("Upgrading an existing environment":
 * the pins of `upgradePins`, since new environments get defaults an existing one cannot take in
 * place). No stateful resource may be deleted or replaced and no stateful URN may change (a moved
 * name or parent needs an alias); every other replacement must be listed below with its reason, so
 * none happens by accident.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { deepMerge } from "../../src/config/merge.js";
import { describe, expect, it } from "vitest";
import { diffPlans, statefulTypes } from "../../src/review/diff/diff.js";
import type { Plan } from "../../src/plan/run.js";
import { planStack } from "../../src/plan/stack.js";
import { repoRoot } from "../harness.js";
import { readFixture, upgradeStacks, type UpgradeStack } from "./stacks.js";

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
const poolNumberFromConfig =
  "the WIF pool project's number now comes from ci.github.poolProjectNumber (gcp-review 6); the example's number is made up, " +
  "while 0.1.0 planned the mock's: a real environment configures its real number, so its members do not change";
const expectedReplacements: Record<string, string> = {
  "bro-ai.prod: bro-ai-prod-ci-deploy-wif": poolNumberFromConfig,
  "bro-ai.prod: bro-ai-prod-ci-preview-wif": poolNumberFromConfig,
  "bro-ai.stage: bro-ai-stage-ci-deploy-wif": poolNumberFromConfig,
  "bro-ai.stage: bro-ai-stage-ci-preview-wif": poolNumberFromConfig,
  // Issue 14 (connection contract): the renderer now gets DB_*/REDIS_* variables, its files and the
  // group's Cloud SQL Auth Proxy unit in the user-data; a template is immutable, the group rolls to the new one.
  "machines.prod: tiles-prod-machines-edge-template": "the edge group's user-data gains the connection contract (issue 14): a new template, rolled out by the group",
};

/**
 * What an environment created with 0.1.0 pins when it upgrades (README, "Upgrading an existing
 * environment"): the defaults that changed for new environments and cannot change in place.
 */
function upgradePins(environment: string): Record<string, unknown> {
  return {
    environments: {
      [environment]: {
        // Dataplane V2 is the default for new clusters; the dataplane of a cluster is immutable.
        cluster: { networkPolicy: "calico" },
        // CMEK on the database and cache secrets: secret replication is immutable.
        cmekDataSecrets: false,
      },
    },
  };
}

/** A copy of the example's config and stack files with the upgrade pins merged into the stack's overrides. */
function pinnedCopy(s: UpgradeStack): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `brume-upgrade-${s.name}-`));
  for (const entry of [s.configFile, "Pulumi.yaml", `Pulumi.${s.stack}.yaml`, "services"]) {
    if (existsSync(join(s.dir, entry))) cpSync(join(s.dir, entry), join(dir, entry), { recursive: true });
  }
  const stackFile = join(dir, `Pulumi.${s.stack}.yaml`);
  const doc = (parseYaml(readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config = doc.config ?? {};
  const environment = String(config["brume:environment"] ?? s.stack);
  config["brume:overrides"] = deepMerge(config["brume:overrides"] ?? {}, upgradePins(environment));
  writeFileSync(stackFile, stringifyYaml({ ...doc, config }));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

describe("upgrades from the last release keep data", () => {
  for (const s of upgradeStacks) {
    it(`${s.name} ${s.stack}: no stateful resource deleted or replaced; every replacement is listed`, async () => {
      const base = readFixture(s);
      expect(base, `fixture of ${s.name}.${s.stack}`).toBeDefined();
      const copy = pinnedCopy(s);
      const { plan: head } = await planStack({ stack: s.stack, configFile: join(copy.dir, s.configFile), projectDir: copy.dir }).finally(copy.cleanup);
      const { lost, unlisted } = upgradeFindings(`${s.name}.${s.stack}`, base!, head);
      expect(lost).toEqual([]);
      expect(unlisted).toEqual([]);
    });
  }

  it("the README's upgrade section shows exactly these pins", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Upgrading an environment created with 0.1.0"));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(parseYaml(block ?? "")).toEqual(upgradePins("prod"));
  });

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
