/**
 * diffPlans over synthetic plans (every kind of change and danger), the Markdown report (size
 * limit with a synthetic huge diff, Mermaid), and one real config change planned end to end.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { diffInputs, diffPlans, emptyPlan, roleRank } from "../../src/review/diff/diff.js";
import { buildReport, GITHUB_COMMENT_LIMIT, mermaidDiagram, renderReport } from "../../src/review/diff/report.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { planDir, repoRoot } from "../harness.js";

const urn = (type: string, name: string, parentTypes = "brume:x:Comp") => `urn:pulumi:prod::p::${parentTypes}$${type}::${name}`;
const comp: PlannedResource = { urn: "urn:pulumi:prod::p::brume:x:Comp::c", type: "brume:x:Comp", name: "c", parent: "", inputs: {}, dependencies: [], provider: "", protect: false, custom: false };
function res(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}): PlannedResource {
  return { urn: urn(type, name), type, name, parent: comp.urn, inputs, dependencies: [], provider: "", protect: false, custom: true, ...extra };
}
const plan = (...resources: PlannedResource[]): Plan => ({ project: "p", stack: "prod", resources: [comp, ...resources], outputs: {} });

const SQL = "gcp:sql/databaseInstance:DatabaseInstance";
const IAM = "gcp:projects/iAMMember:IAMMember";
const sqlInputs = (tier: string, extra: Record<string, unknown> = {}) => ({ name: "db", region: "europe-west1", databaseVersion: "POSTGRES_15", settings: { tier, availabilityType: "ZONAL", diskSize: 10 }, ...extra });

describe("diffInputs", () => {
  it("reports nested paths with old → new and absent sides", () => {
    expect(diffInputs({ a: { b: 1, c: [1, 2] }, d: "x", s: "[secret]" }, { a: { b: 2, c: [1, 2, 3] }, e: true, s: "[secret]" })).toEqual([
      { path: "a.b", old: 1, new: 2 },
      { path: "a.c[2]", new: 3 },
      { path: "d", old: "x" },
      { path: "e", new: true },
    ]);
    expect(diffInputs({ l: [{ n: "a" }, { n: "b" }] }, { l: [{ n: "a" }, { n: "c" }] })).toEqual([{ path: "l[1].n", old: "b", new: "c" }]);
  });

  it("shows array changes element by element: a NetworkPolicy rule added keeps the gateway ranges visible (newcomer 14)", () => {
    const gateway = { from: [{ ipBlock: { cidr: "35.191.0.0/16" } }, { ipBlock: { cidr: "130.211.0.0/22" } }], ports: [{ port: 8080, protocol: "TCP" }] };
    const caller = { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "notifier" } } }], ports: [{ port: 8080, protocol: "TCP" }] };
    expect(diffInputs({ spec: { ingress: [gateway] } }, { spec: { ingress: [gateway, caller] } })).toEqual([{ path: "spec.ingress[1]", new: caller }]);
    expect(diffInputs({ spec: { ingress: [gateway, caller] } }, { spec: { ingress: [caller] } })).toEqual([{ path: "spec.ingress[0]", old: gateway }]);
    // Scalars: the range removed and the one added, each at its index; a reorder is the whole array.
    expect(diffInputs({ r: ["10.0.0.0/20", "10.8.0.0/13"] }, { r: ["10.0.0.0/20", "10.9.0.0/16", "10.8.0.0/13"] })).toEqual([{ path: "r[1]", new: "10.9.0.0/16" }]);
    expect(diffInputs({ r: ["a", "b"] }, { r: ["a", "c"] })).toEqual([{ path: "r[1]", old: "b", new: "c" }]);
    expect(diffInputs({ r: ["a", "b"] }, { r: ["b", "a"] })).toEqual([{ path: "r", old: ["a", "b"], new: ["b", "a"] }]);
  });
});

describe("diffPlans", () => {
  it("plans no change for an input path the resource ignores (a Cloud SQL disk grown by autoresize, gcp-review 2)", () => {
    const ignore = { ignoreChanges: ["settings.diskSize"] };
    const grown = (size: number, tier = "db-custom-1-3840") => res(SQL, "db", { ...sqlInputs(tier), settings: { tier, availabilityType: "ZONAL", diskSize: size } }, ignore);
    // A smaller diskSize in the config would replace the instance, but it is ignored: no change at all.
    const same = diffPlans(plan(grown(250)), plan(grown(100)));
    expect(same.changes).toEqual([]);
    expect(same.dangers).toEqual([]);
    // Other paths still diff.
    const tier = diffPlans(plan(grown(250)), plan(grown(100, "db-custom-2-7680")));
    expect(tier.changes.map((c) => [c.kind, c.changes.map((x) => x.path)])).toEqual([["update", ["settings.tier"]]]);
    // Without ignoreChanges a shrink replaces it.
    const shrink = diffPlans(plan(res(SQL, "db", { ...sqlInputs("t"), settings: { tier: "t", diskSize: 250 } })), plan(res(SQL, "db", { ...sqlInputs("t"), settings: { tier: "t", diskSize: 100 } })));
    expect(shrink.changes.map((c) => c.kind)).toEqual(["replace"]);
  });

  it("classifies create / update / replace / delete keyed by URN and counts unchanged", () => {
    const base = plan(res(SQL, "db", sqlInputs("db-custom-1-3840")), res("gcp:pubsub/topic:Topic", "t", { name: "t" }), res("gcp:compute/subnetwork:Subnetwork", "s", { ipCidrRange: "10.0.0.0/20", name: "s" }), res("gcp:compute/network:Network", "n", { name: "n" }));
    const head = plan(res(SQL, "db", sqlInputs("db-custom-2-7680")), res("gcp:compute/subnetwork:Subnetwork", "s", { ipCidrRange: "10.0.0.0/21", name: "s" }), res("gcp:compute/network:Network", "n", { name: "n" }), res("gcp:pubsub/topic:Topic", "t2", { name: "t2" }));
    const d = diffPlans(base, head);
    expect(d.counts).toEqual({ create: 1, update: 1, replace: 1, delete: 1, unchanged: 1 });
    const byName = Object.fromEntries(d.changes.map((c) => [c.name, c]));
    expect(byName.db!.kind).toBe("update");
    expect(byName.db!.changes).toEqual([{ path: "settings.tier", old: "db-custom-1-3840", new: "db-custom-2-7680" }]);
    expect(byName.s!.kind).toBe("replace");
    expect(byName.s!.replaceReasons[0]).toMatch(/ipCidrRange shrinks/);
    expect(byName.t!.kind).toBe("delete");
    expect(byName.t2!.kind).toBe("create");
    expect(d.dangers).toEqual([]);
    expect(d.changedComponents).toEqual([comp.urn]);
  });

  it("puts stateful deletes and replacements, protected changes and IAM widening at the top", () => {
    const base = plan(
      res(SQL, "db", sqlInputs("db-custom-1-3840"), { protect: true }),
      res("gcp:storage/bucket:Bucket", "b", { name: "b", location: "EU" }),
      res("gcp:redis/instance:Instance", "r", { name: "r", tier: "BASIC" }),
      res(IAM, "viewer", { member: "serviceAccount:a@p.iam.gserviceaccount.com", role: "roles/viewer", project: "p" }),
      res(IAM, "narrow", { member: "serviceAccount:a@p.iam.gserviceaccount.com", role: "roles/storage.admin", project: "p" }),
      res("gcp:pubsub/topic:Topic", "a", { name: "a" }),
    );
    const head = plan(
      res(SQL, "db", sqlInputs("db-custom-1-3840", { name: "db2" }), { protect: true }),
      res("gcp:redis/instance:Instance", "r", { name: "r", tier: "STANDARD_HA" }),
      res(IAM, "viewer", { member: "serviceAccount:a@p.iam.gserviceaccount.com", role: "roles/editor", project: "p" }),
      res(IAM, "narrow", { member: "serviceAccount:a@p.iam.gserviceaccount.com", role: "roles/storage.objectViewer", project: "p" }),
      res(IAM, "new", { member: "allUsers", role: "roles/storage.objectViewer", project: "p" }),
      res("gcp:pubsub/topic:Topic", "a", { name: "a", labels: { x: "1" } }),
    );
    const d = diffPlans(base, head);
    expect(d.dangers.map((x) => [x.kind, x.name])).toEqual([
      ["stateful-delete", "b"],
      ["stateful-replace", "r"],
      ["stateful-replace", "db"],
      ["protected", "db"],
      ["iam-widening", "new"],
      ["iam-widening", "viewer"],
    ]);
    expect(d.dangers.find((x) => x.name === "viewer")!.message).toBe("widens to `roles/editor` to serviceAccount:a@p.iam.gserviceaccount.com (basic role, broader than roles/viewer)");
    expect(d.dangers.find((x) => x.name === "new")!.message).toContain("PUBLIC");
    // Dangerous first, then deletes, replacements, updates, creates.
    expect(d.changes.map((c) => c.name)).toEqual(["b", "r", "db", "new", "viewer", "narrow", "a"]);
    expect(roleRank("roles/owner")).toBeGreaterThan(roleRank("roles/cloudsql.admin"));
    expect(roleRank("roles/cloudsql.admin")).toBeGreaterThan(roleRank("roles/cloudsql.client"));
  });

  it("flags protect and provider changes, notes renamed URNs, keeps secrets masked", () => {
    const base = plan(
      res("gcp:kms/cryptoKey:CryptoKey", "k", { name: "k", keyRing: "r" }, { protect: true }),
      res("gcp:secretmanager/secretVersion:SecretVersion", "v", { secret: "s", secretData: "[secret]" }),
      res("gcp:storage/bucket:Bucket", "old-name", { name: "uploads", location: "EU" }),
    );
    const moved = { ...res("gcp:storage/bucket:Bucket", "new-name", { name: "uploads", location: "EU" }) };
    const head = plan(
      res("gcp:kms/cryptoKey:CryptoKey", "k", { name: "k", keyRing: "r" }, { protect: false, provider: "urn:pulumi:prod::p::pulumi:providers:gcp::other" }),
      res("gcp:secretmanager/secretVersion:SecretVersion", "v", { secret: "s", secretData: "[secret]" }),
      moved,
    );
    const d = diffPlans(base, head);
    const key = d.changes.find((c) => c.name === "k")!;
    expect(key.kind).toBe("replace");
    expect(key.changes.map((c) => c.path)).toEqual(["<protect>", "<provider>"]);
    expect(d.changes.find((c) => c.name === "v")).toBeUndefined();
    expect(d.changes.find((c) => c.name === "old-name")!.notes[0]).toMatch(/URN changed to .*new-name/);
    expect(d.dangers.map((x) => x.kind)).toEqual(["stateful-delete", "stateful-replace", "protected"]);
  });

  it("treats an empty base as a new stack (everything created)", () => {
    const head = plan(res("gcp:pubsub/topic:Topic", "a", { name: "a" }));
    expect(diffPlans(emptyPlan("p", "prod"), head).counts).toEqual({ create: 1, update: 0, replace: 0, delete: 0, unchanged: 0 });
  });
});

describe("Markdown report", () => {
  it("renders the summary, dangers, Mermaid and a <details> per resource", () => {
    const base = plan(res(SQL, "db", sqlInputs("db-custom-1-3840"), { protect: true }));
    const head = plan(res(SQL, "db", sqlInputs("db-custom-2-7680"), { protect: true }));
    const md = renderReport(buildReport([{ stack: "prod", base, head }], { base: "origin/main" }), "md");
    expect(md).toMatchSnapshot();
    expect(md).toContain("| **prod** | +0 | ~1 | ±0 | -0 | $110.36 | +$54.25 |");
    expect(md).toContain("```mermaid");
    expect(md).toContain("class c0 changed");
  });

  it("stays under GitHub's comment limit for a huge diff, keeping the dangers", () => {
    const many = (n: number, tier: string) =>
      plan(...Array.from({ length: n }, (_, i) => res("gcp:pubsub/topic:Topic", `topic-${i}-${"x".repeat(40)}`, { name: `t${i}`, labels: { tier, big: "y".repeat(200) } })), res("gcp:storage/bucket:Bucket", "gone", { name: "gone", location: "EU" }));
    const base = many(3000, "a");
    const head = { ...many(3000, "b"), resources: many(3000, "b").resources.filter((r) => r.name !== "gone") };
    const report = buildReport([{ stack: "prod", base, head }], { base: "origin/main" });
    const md = renderReport(report, "md");
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md).toContain("stateful-delete · `Bucket` **gone**");
    expect(md).toContain("more changes, summarized by type");
    expect(renderReport(report, "json").length).toBeGreaterThan(GITHUB_COMMENT_LIMIT);
  });

  it("draws only changed components and their parents when there are many", () => {
    const nodes = Array.from({ length: 100 }, (_, i) => ({ urn: `u${i}`, name: `n${i}`, type: "brume:x:C", parent: i === 0 ? "" : "u0", state: i === 7 ? ("changed" as const) : ("unchanged" as const), dangerous: false }));
    const m = mermaidDiagram(nodes);
    expect(m.match(/\["/g)).toHaveLength(2);
    expect(m).toContain("c0 --> c1");
  });
});

describe("a real config change (example stack, database tier + bucket removed)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "brume-diff-"));
    for (const f of ["brume.yaml", "Pulumi.yaml", "Pulumi.prod.yaml"]) cpSync(join(repoRoot, f), join(dir, f));
  });

  it("plans both sides and reports the tier update on a protected instance, the bucket deletion and the cost delta", async () => {
    const base = await planDir(dir, "prod");
    const doc = parseYaml(readFileSync(join(dir, "brume.yaml"), "utf8"));
    doc.databases.main.tier = "db-custom-4-15360";
    delete doc.buckets;
    writeFileSync(join(dir, "brume.yaml"), stringifyYaml(doc));
    const head = await planDir(dir, "prod");
    const report = buildReport([{ stack: "prod", base, head }], { base: "test" });
    const env = report.environments[0]!;
    const primary = env.diff.changes.find((c) => c.name === "shop-prod-db-main-instance")!;
    expect(primary.kind).toBe("update");
    expect(primary.changes).toContainEqual({ path: "settings.tier", old: "db-custom-2-7680", new: "db-custom-4-15360" });
    expect(env.diff.dangers.map((d) => `${d.kind} ${d.name}`)).toEqual(
      expect.arrayContaining(["stateful-delete shop-prod-bucket-uploads-bucket", "protected shop-prod-db-main-instance"]),
    );
    expect(env.diff.dangers[0]!.kind).toBe("stateful-delete");
    // db-custom-2-7680 → db-custom-4-15360 doubles compute: HA (×2), europe-west1 (×1.1): +$216.97 on the primary.
    const line = env.cost.lines.find((l) => l.name === "shop-prod-db-main-instance")!;
    expect(line.deltaUsd).toBeCloseTo(216.97, 2);
    expect(env.cost.deltaUsd).toBeGreaterThan(200);
  }, 30_000);
});
