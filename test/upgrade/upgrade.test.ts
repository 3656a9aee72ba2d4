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
const expectedReplacements: Record<string, string> = {
  // Issue 16: the machines boot from a new document (Debian: startup-script run by google-guest-agent;
  // COS: user-data with the health responder). Templates are immutable and created with a name
  // prefix before the old one goes (create-before-delete); the MIG rolls VMs over (REPLACE,
  // maxUnavailable 0), so no capacity or data is lost.
  "machines.prod: tiles-prod-machines-edge-template": "the machine document changed (issue 16: startup-script on Debian, health responder; issue 14: the renderer gains the connection contract)",
  "machines.prod: tiles-prod-machines-web-template": "the machine document changed (issue 16: health responder on COS)",
  // Issue 14 item 7: a service mounting pinned secret versions names a SecretProviderClass after its
  // pins (a new class per pin set, created before the old is deleted), so a new version moves pods
  // by the rollout, not by the add-on's rotation (docs/secrets.md). It holds no data.
  "bro-ai.prod: bro-ai-prod-svc-api-secrets": "api mounts pinned secret versions (brume:secretVersions): its SecretProviderClass is named after the pins",
  "bro-ai.stage: bro-ai-stage-svc-api-secrets": "api mounts pinned secret versions (brume:secretVersions): its SecretProviderClass is named after the pins",
};

/** Identity and trust: deleting one breaks whoever authenticates through it (CI, workloads). */
const identityTypes = new Set([
  "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
  "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
  "gcp:serviceaccount/account:Account",
]);

/**
 * Identities the environment stacks no longer hold, by `<fixture>: <logical name>` pattern, with the
 * reason. An identity deleted and not listed here fails the test. These are not deleted by a real
 * upgrade: docs/pipeline.md ("Upgrading: the CI identity moves to brume bootstrap") has the owner
 * `pulumi state delete` them from the environment stack (the cloud resources stay) and import them
 * into the bootstrap stack before the first deploy with the new version.
 */
const ciMovesToBootstrap =
  "issue 17: the deploy identity must not administer its own trust; the pool, provider and CI accounts move to brume bootstrap " +
  "(state delete from the environment stack, import into the bootstrap stack: docs/pipeline.md)";
const expectedDeletions: [RegExp, string][] = [[/^bro-ai\.(prod|stage): bro-ai-(prod|stage)-ci-/, ciMovesToBootstrap]];

/**
 * What an environment created with 0.1.0 pins when it upgrades (README, "Upgrading an existing
 * environment"): the defaults that changed for new environments and cannot change in place.
 */
function upgradePins(environment: string): Record<string, unknown> {
  return {
    environments: {
      [environment]: {
        // Dataplane V2 is the default for new clusters; the dataplane of a cluster is immutable.
        // The kubeconfig keeps the IP endpoint: a new server would replace the Kubernetes provider.
        // FQDN network policies need Dataplane V2, so a calico cluster keeps them off.
        cluster: { networkPolicy: "calico", kubeconfigEndpoint: "ip", fqdnNetworkPolicy: false },
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
      const { lost, unlisted, identitiesDeleted } = upgradeFindings(`${s.name}.${s.stack}`, base!, head);
      expect(lost).toEqual([]);
      expect(unlisted).toEqual([]);
      expect(identitiesDeleted).toEqual([]);
    });
  }

  it("docs/upgrades.md shows exactly these pins", () => {
    const readme = readFileSync(join(repoRoot, "docs", "upgrades.md"), "utf8");
    const section = readme.slice(readme.indexOf("# Upgrading an environment created with 0.1.0"));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(parseYaml(block ?? "")).toEqual(upgradePins("prod"));
  });

  it("the identity check is live: a service account the stack drops, outside the listed move, is reported", () => {
    const s = upgradeStacks.find((x) => x.name === "bro-ai" && x.stack === "prod")!;
    const base = readFixture(s)!;
    const head = structuredClone(base);
    const nodes = head.resources.findIndex((r) => r.type === "gcp:serviceaccount/account:Account" && r.name.endsWith("-cluster-nodes-sa"));
    const [dropped] = head.resources.splice(nodes, 1);
    const ci = head.resources.findIndex((r) => r.name === "bro-ai-prod-ci-deploy");
    head.resources.splice(ci, 1);
    expect(upgradeFindings("bro-ai.prod", base, head).identitiesDeleted).toEqual([`delete ${dropped!.name}`]);
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
function upgradeFindings(fixture: string, base: Plan, head: Plan): { lost: string[]; unlisted: string[]; identitiesDeleted: string[] } {
  const diff = diffPlans(base, head);
  const lost = diff.changes
    .filter((c) => keptTypes.has(c.type) && (c.kind === "delete" || c.kind === "replace"))
    .map((c) => `${c.kind} ${c.urn}: ${[...c.replaceReasons, ...c.notes].join("; ")}`);
  const unlisted = diff.changes
    .filter((c) => c.kind === "replace" && !keptTypes.has(c.type) && !expectedReplacements[`${fixture}: ${c.name}`])
    .map((c) => `${c.name}: ${c.replaceReasons.join("; ")}`);
  const identitiesDeleted = diff.changes
    .filter((c) => identityTypes.has(c.type) && (c.kind === "delete" || c.kind === "replace"))
    .filter((c) => !expectedDeletions.some(([pattern]) => pattern.test(`${fixture}: ${c.name}`)))
    .map((c) => `${c.kind} ${c.name}`);
  return { lost, unlisted, identitiesDeleted };
}
