/**
 * A danger signal that can gate CI (issue 13 item 5; newcomer 9, 10, 13, 18): real plans of the root
 * example, changed as the newcomer changed them, diffed; and `brume diff` through the CLI for its
 * exit codes (4: a protected resource would be deleted; 1: the head fails the policy).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { diffPlans, emptyPlan } from "../../src/review/diff/diff.js";
import { buildReport, renderReport } from "../../src/review/diff/report.js";
import { brume as cli, planDir, repoRoot } from "../harness.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A project directory with the root example, its brume.yaml edited. */
function project(edit: (text: string) => string = (t) => t): string {
  const dir = mkdtempSync(join(tmpdir(), "brume-danger-"));
  dirs.push(dir);
  for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml"]) cpSync(join(repoRoot, f), join(dir, f));
  writeFileSync(join(dir, "brume.yaml"), edit(readFileSync(join(repoRoot, "brume.yaml"), "utf8")));
  return dir;
}

const renameWorker = (t: string) => t.replace("  worker:\n", "  ledger-worker:\n").replace("dependsOn: [worker]", "dependsOn: [ledger-worker]");
const addNotifier = (t: string) =>
  t.replace("databases:\n", "  notifier:\n    image: europe-docker.pkg.dev/shop-shared/apps/notifier:1.0.0\n    uses:\n      topics: [orders]\n      secrets: [stripe-key]\ndatabases:\n");

let base: Plan;
beforeAll(async () => {
  base = await planDir(project(), "prod");
}, 60_000);

describe("no false dangers on routine changes (newcomer 10)", () => {
  it("sem-09: a new environment's deny-all firewall is not an exposure, and its grants to identities and resources it creates are not widenings", () => {
    const fresh = diffPlans(emptyPlan("brume", "prod"), base);
    expect(fresh.counts.create).toBeGreaterThan(100);
    expect(fresh.dangers.filter((d) => d.kind === "exposure" || d.kind === "iam-widening")).toEqual([]);
  });

  it("adding a plain service (its own SA, topic and secret grants, workload identity) has no danger", async () => {
    const diff = diffPlans(base, await planDir(project(addNotifier), "prod"));
    expect(diff.counts).toMatchObject({ delete: 0, replace: 0 });
    expect(diff.changes.filter((c) => c.kind === "create").map((c) => c.name)).toEqual(
      expect.arrayContaining(["shop-prod-svc-notifier-gsa", "shop-prod-svc-notifier-workload-identity", "shop-prod-svc-notifier-topic-orders", "shop-prod-svc-notifier-secret-stripe-key"]),
    );
    expect(diff.dangers).toEqual([]);
  }, 60_000);

  const grant = (name: string, type: string, inputs: Record<string, unknown>): PlannedResource =>
    ({ urn: `urn:pulumi:prod::p::${type}::${name}`, type, name, custom: true, parent: "", protect: false, provider: "", dependencies: [], inputs }) as unknown as PlannedResource;
  const sa = grant("new-sa", "gcp:serviceaccount/account:Account", { accountId: "new-sa", project: "p-1" });
  const member = "serviceAccount:new-sa@p-1.iam.gserviceaccount.com";

  it("a new identity with owner, token-creator or impersonation rights on what exists is still a widening", () => {
    const head = (r: PlannedResource): Plan => ({ project: "p", stack: "prod", outputs: {}, resources: [sa, r] });
    const kinds = (r: PlannedResource) => diffPlans(emptyPlan("p", "prod"), head(r)).dangers.map((d) => `${d.kind}: ${d.message}`);
    expect(kinds(grant("owner", "gcp:projects/iAMMember:IAMMember", { project: "p-1", role: "roles/owner", member }))).toEqual([`iam-widening: grants \`roles/owner\` to ${member} (basic role)`]);
    expect(kinds(grant("tc", "gcp:serviceaccount/iAMMember:IAMMember", { serviceAccountId: "projects/p-1/serviceAccounts/deploy@p-1.iam.gserviceaccount.com", role: "roles/iam.serviceAccountTokenCreator", member }))).toHaveLength(1);
    expect(kinds(grant("wi", "gcp:serviceaccount/iAMMember:IAMMember", { serviceAccountId: "projects/p-1/serviceAccounts/old@p-1.iam.gserviceaccount.com", role: "roles/iam.workloadIdentityUser", member }))).toHaveLength(1);
    // A project-wide writer role to the new identity is not resource-scoped: still shown.
    expect(kinds(grant("pw", "gcp:projects/iAMMember:IAMMember", { project: "p-1", role: "roles/storage.objectAdmin", member }))).toHaveLength(1);
    // A public member never qualifies.
    expect(kinds(grant("pub", "gcp:pubsub/topicIAMMember:TopicIAMMember", { topic: "t", role: "roles/pubsub.subscriber", member: "allUsers" }))).toHaveLength(1);
    // Least privilege on one resource, to the new identity: not a widening.
    expect(kinds(grant("ok", "gcp:pubsub/topicIAMMember:TopicIAMMember", { topic: "existing", project: "p-1", role: "roles/pubsub.publisher", member }))).toEqual([]);
  });
});

describe("renames (newcomer 13)", () => {
  it("a renamed service is reported as a probable rename with the config to add", async () => {
    const diff = diffPlans(base, await planDir(project(renameWorker), "prod"));
    expect(diff.counts).toMatchObject({ create: 12, delete: 12 });
    // 11 of the 12 (the worker's IAM database login and its instanceUser grant included): the
    // Deployment's image (…/apps/worker:2.3.1) keeps the old name, so its inputs differ by more than
    // the name; the other eleven carry the fix.
    const unmatched = diff.changes.filter((c) => c.kind === "create" && !diff.renames.some((r) => r.newUrn === c.urn));
    expect(unmatched.map((c) => c.type)).toEqual(["kubernetes:apps/v1:Deployment"]);
    expect(diff.renames).toHaveLength(11);
    expect(new Set(diff.renames.map((r) => r.fix))).toEqual(
      new Set([
        'if services.ledger-worker is "worker" renamed, add `renamedFrom: worker` to services.ledger-worker: Pulumi then moves these resources instead of deleting and creating them (names derived from the service still change, and those resources are replaced)',
      ]),
    );
    expect(diff.renames.find((r) => r.type === "gcp:serviceaccount/account:Account")).toMatchObject({ from: "worker", to: "ledger-worker", newUrn: expect.stringContaining("::shop-prod-svc-ledger-worker-gsa") });
    const text = renderReport(buildReport([{ stack: "prod", base, head: await planDir(project(renameWorker), "prod") }], { base: "HEAD" }), "text");
    expect(text).toContain('  ? probable rename: "worker" → "ledger-worker" (11 resources deleted and created): if services.ledger-worker is "worker" renamed, add `renamedFrom: worker`');
  }, 60_000);
});

describe("reviewable Markdown (newcomer 14)", () => {
  it("a one-line image bump draws the changed component's path to the root, not every component", async () => {
    const dir = project((t) => t.replace("apps/worker:2.3.1", "apps/worker:2.3.2"));
    const head = await planDir(dir, "prod");
    const report = buildReport([{ stack: "prod", base, head }], { base: "HEAD" });
    const env = report.environments[0]!;
    expect(env.components.length).toBeGreaterThan(10);
    const md = renderReport(report, "md");
    const mermaid = md.slice(md.indexOf("```mermaid"), md.indexOf("```", md.indexOf("```mermaid") + 3));
    const nodes = [...mermaid.matchAll(/^ {2}c\d+\["([^<]*)</gm)].map((m) => m[1]);
    expect(nodes).toEqual(["~ shop-prod-svc-worker", "~ shop"]);
    expect(md).toContain(`_${env.components.length} components: only changed ones and their parents are drawn._`);
  }, 60_000);
});

describe("brume diff gates CI (newcomer 9, 18)", () => {
  it("deleting the cache (protected in prod) exits 4 and says how to retire that one resource", async () => {
    const dir = project();
    const baseFile = join(dir, "base.json");
    expect((await cli("plan", "--stack", "prod", "--config", join(dir, "brume.yaml"), "--format", "json", "--out", baseFile)).code).toBe(0);
    writeFileSync(
      join(dir, "brume.yaml"),
      readFileSync(join(dir, "brume.yaml"), "utf8").replace("caches:\n  sessions: {}\n", "").replace("      cache: sessions\n", ""),
    );
    const r = await cli("diff", "--stack", "prod", "--base", baseFile, "--config", join(dir, "brume.yaml"));
    expect(r.code).toBe(4);
    const urn = "urn:pulumi:prod::brume::brume:project:Project$brume:environment:Environment$brume:cache:Cache$gcp:redis/instance:Instance::shop-prod-cache-sessions-instance";
    expect(r.stderr).toContain(`brume diff: `);
    expect(r.stderr).toContain(`  - ${urn}\n    to retire this one resource: \`pulumi state unprotect '${urn}' --stack prod\`, then apply the change (the others stay protected)\n`);
    expect(r.stdout).toContain("! stateful-delete gcp:redis/instance:Instance shop-prod-cache-sessions-instance: DELETED (data loss); to retire this one resource: `pulumi state unprotect");
  }, 60_000);

  it("runs the policy on the head: unprotecting prod fails as brume plan fails (exit 1, noted in the report)", async () => {
    const dir = project();
    const baseFile = join(dir, "base.json");
    expect((await cli("plan", "--stack", "prod", "--config", join(dir, "brume.yaml"), "--format", "json", "--out", baseFile)).code).toBe(0);
    writeFileSync(join(dir, "brume.yaml"), readFileSync(join(dir, "brume.yaml"), "utf8").replace("    gcpProject: shop-prod-7781\n", "    gcpProject: shop-prod-7781\n    settings: { protect: false }\n"));
    const r = await cli("diff", "--stack", "prod", "--base", baseFile, "--config", join(dir, "brume.yaml"), "--format", "md");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[stateful-protected-in-prod]");
    expect(r.stdout).toMatch(/> Policy on the head of prod: FAILS \(\d+ violation\(s\)/);
    expect((await cli("diff", "--stack", "prod", "--base", baseFile, "--config", join(dir, "brume.yaml"), "--no-policy")).code).toBe(0);
  }, 60_000);
});
