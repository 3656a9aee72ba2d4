/**
 * `renamedFrom:` becomes Pulumi aliases (issue 13 item 5; newcomer 13). examples/bro-ai, copied to
 * a temporary directory, its `worker` renamed `ledger-worker`: with `renamedFrom: worker` the plan
 * records each resource's aliases resolved to URNs (as the engine resolves them, parent aliases
 * inherited by `${name}-<part>` children), and they are exactly the old URNs, so the diff moves the
 * resources (no delete, no create) and replaces only what the new name renames physically. Without
 * the field, the probable-rename advice names it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveAliases } from "../../src/plan/aliases.js";
import type { Plan } from "../../src/plan/run.js";
import { aliasMoves } from "../../src/review/diff/aliases.js";
import { diffPlans } from "../../src/review/diff/diff.js";
import { buildReport, renderReport } from "../../src/review/diff/report.js";
import { planDir, repoRoot } from "../harness.js";

const example = join(repoRoot, "examples/bro-ai");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function copy(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "brume-rename-"));
  dirs.push(dir);
  cpSync(example, dir, { recursive: true });
  writeFileSync(join(dir, "brume.yaml"), edit(readFileSync(join(example, "brume.yaml"), "utf8")));
  return dir;
}

const rename = (renamedFrom: boolean) => (t: string) => {
  const out = t
    .replace("  worker:\n    image:", `  ledger-worker:\n${renamedFrom ? "    renamedFrom: worker\n" : ""}    image:`)
    .replace("dependsOn: [worker]", "dependsOn: [ledger-worker]")
    // Without the field, the password login follows the new name: a new database user.
    .replace("users: [api, worker]", renamedFrom ? "users: [api, worker]" : "users: [api, worker, ledger-worker]");
  expect(out).not.toBe(t);
  return out;
};

let base: Plan;
let renamed: Plan;
beforeAll(async () => {
  base = await planDir(copy((t) => t), "prod");
  renamed = await planDir(copy(rename(true)), "prod");
}, 120_000);

const workerUrns = (plan: Plan, service: string) => plan.resources.filter((r) => r.urn.includes(`svc-${service}`)).map((r) => r.urn).sort();

describe("renamedFrom: worker (services)", () => {
  it("every resource of the renamed service answers to exactly its old URN", () => {
    const old = workerUrns(base, "worker");
    expect(old).toHaveLength(14); // the component, its GSA and grants, its Kubernetes objects
    const moved = renamed.resources.filter((r) => r.urn.includes("svc-ledger-worker"));
    expect(moved.map((r) => r.urn).sort()).toEqual(old.map((u) => u.replaceAll("svc-worker", "svc-ledger-worker")).sort());
    // The component and each child answer to the old URN (name and type chain) and to no other URN
    // of the base (an SDK class may add its own type aliases: gcp's Account answers to its legacy
    // `gcp:serviceAccount/account:Account` type as well).
    const baseUrns = new Set(base.resources.map((r) => r.urn));
    for (const r of moved) expect(r.aliases!.filter((a) => baseUrns.has(a)), r.urn).toEqual([r.urn.replaceAll("svc-ledger-worker", "svc-worker")]);
    expect(moved.find((r) => r.type === "brume:service:Service")!.aliases).toEqual([
      "urn:pulumi:prod::bro-ai::brume:project:Project$brume:service:Service::bro-ai-prod-svc-worker",
    ]);
    // Nothing else changes its aliases: the rest of the plan has the same ones as the base.
    const aliasesOf = (plan: Plan) => plan.resources.filter((r) => r.aliases && !r.urn.includes("worker")).map((r) => [r.urn, r.aliases]);
    expect(aliasesOf(renamed)).toEqual(aliasesOf(base));
    expect([...aliasMoves(base, renamed).keys()].sort()).toEqual(old);
  });

  it("the diff moves them: no create, no delete, no danger; physically renamed ones are replaced with the reason", () => {
    const diff = diffPlans(base, renamed);
    expect(diff.counts).toMatchObject({ create: 0, delete: 0 });
    expect(diff.dangers).toEqual([]);
    expect(diff.renames).toEqual([]);
    const moved = diff.changes.filter((c) => c.changes.some((x) => x.path === "<urn>"));
    expect(moved.length).toBe(workerUrns(base, "worker").filter((u) => base.resources.find((r) => r.urn === u)!.custom).length);
    for (const c of moved) expect(c.notes[0]).toBe(`moved from ${c.urn.replaceAll("svc-ledger-worker", "svc-worker")} by an alias (renamedFrom): Pulumi keeps its state`);
    const byType = (type: string) => moved.find((c) => c.type === type)!;
    // Names derived from the service change: the GSA (accountId) and the Kubernetes objects are replaced.
    expect(byType("gcp:serviceaccount/account:Account")).toMatchObject({ kind: "replace", replaceReasons: ["accountId is immutable (forces a new resource)"] });
    expect(byType("kubernetes:apps/v1:Deployment").kind).toBe("replace");
    expect(byType("kubernetes:core/v1:Service").replaceReasons).toEqual(["metadata.name is immutable (forces a new resource)"]);
  });

  it("the password login keeps its name: the database user and its secret are unchanged", () => {
    const diff = diffPlans(base, renamed);
    const touched = diff.changes.filter((c) => c.type === "gcp:sql/user:User" || c.type === "gcp:secretmanager/secret:Secret");
    expect(touched).toEqual([]);
    const grant = renamed.resources.find((r) => r.name === "bro-ai-prod-svc-ledger-worker-db-main-password")!;
    expect(grant.inputs.secretId).toBe(base.resources.find((r) => r.name === "bro-ai-prod-svc-worker-db-main-password")!.inputs.secretId);
  });
});

describe("without renamedFrom", () => {
  it("the probable-rename advice names renamedFrom", async () => {
    const head = await planDir(copy(rename(false)), "prod");
    const diff = diffPlans(base, head);
    expect(diff.counts.delete).toBeGreaterThan(10);
    const fix =
      'if services.ledger-worker is "worker" renamed, add `renamedFrom: worker` to services.ledger-worker: Pulumi then moves these resources instead of deleting and creating them (names derived from the service still change, and those resources are replaced)';
    expect(new Set(diff.renames.map((r) => r.fix))).toEqual(new Set([fix]));
    const text = renderReport(buildReport([{ stack: "prod", base, head }], { base: "HEAD" }), "text");
    expect(text).toContain(`? probable rename: "worker" → "ledger-worker"`);
    expect(text).toContain("add `renamedFrom: worker`");
  }, 60_000);
});

describe("aliases resolved as the engine resolves them", () => {
  const parent = "urn:pulumi:s::p::a:b:C::new";
  const goal = { stack: "s", project: "p", type: "x:y:Z", name: "new-child", parent };
  const parentAlias = "urn:pulumi:s::p::a:b:C::old";

  it("a child named after its parent follows the parent's alias; one named otherwise keeps its name", () => {
    expect(resolveAliases(goal, [], [parentAlias])).toEqual(["urn:pulumi:s::p::a:b:C$x:y:Z::old-child"]);
    expect(resolveAliases({ ...goal, name: "other" }, [], [parentAlias])).toEqual(["urn:pulumi:s::p::a:b:C$x:y:Z::other"]);
  });

  it("own aliases: a URN as is, a spec defaulting to the resource's own parts, noParent at the top", () => {
    expect(resolveAliases(goal, [{ urn: "urn:pulumi:s::p::x:y:Z::legacy" }], [])).toEqual(["urn:pulumi:s::p::x:y:Z::legacy"]);
    expect(resolveAliases(goal, [{ spec: { name: "was", type: "", stack: "", project: "", parentUrn: parent } }], [])).toEqual(["urn:pulumi:s::p::a:b:C$x:y:Z::was"]);
    expect(resolveAliases(goal, [{ spec: { name: "", type: "", stack: "", project: "", noParent: true } }], [])).toEqual(["urn:pulumi:s::p::x:y:Z::new-child"]);
    // Own aliases multiplied by the parent's: (N+1)(M+1)-1 in all.
    expect(resolveAliases(goal, [{ spec: { name: "new-was", type: "", stack: "", project: "", parentUrn: parent } }], [parentAlias])).toEqual([
      "urn:pulumi:s::p::a:b:C$x:y:Z::new-was",
      "urn:pulumi:s::p::a:b:C$x:y:Z::old-child",
      "urn:pulumi:s::p::a:b:C$x:y:Z::old-was",
    ]);
  });
});
