/**
 * The diff of two offline plans: what `pulumi up` would create, update, replace and delete, keyed
 * by URN, with the changed input paths (old → new; secrets stay "[secret]" on both sides, so a
 * secret's new value is never visible) and the dangerous changes a reviewer must see first.
 * Pure: plans in, data out. Rendering lives in ./render.ts.
 */
import type { Plan, PlannedResource } from "../../plan/run.js";
import { pathMatches, replacementReasons } from "./replacements.js";

export type ChangeKind = "create" | "update" | "replace" | "delete";

/** One changed input. `old` / `new` are absent when the input is absent on that side. */
export interface InputChange {
  path: string;
  old?: unknown;
  new?: unknown;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  kind: ChangeKind;
  /** URN of the nearest component ancestor ("" at the top). */
  component: string;
  /** Protected on either side. */
  protect: boolean;
  /** Changed inputs (updates and replacements). */
  changes: InputChange[];
  /** Why an update is a replacement (the rules of ./replacements.ts, provider or URN changes). */
  replaceReasons: string[];
  /** Extra context, e.g. "URN changed: without an alias this is delete + create". */
  notes: string[];
}

export type DangerKind = "stateful-delete" | "stateful-replace" | "protected" | "iam-widening" | "exposure";

export interface Danger {
  kind: DangerKind;
  urn: string;
  type: string;
  name: string;
  message: string;
}

export interface DiffCounts {
  create: number;
  update: number;
  replace: number;
  delete: number;
  unchanged: number;
}

export interface PlanDiff {
  project: string;
  stack: string;
  /** Changes of cloud (custom) resources, dangerous first, then by kind and URN. */
  changes: ResourceChange[];
  dangers: Danger[];
  counts: DiffCounts;
  /** URNs of components (custom: false) on either side whose subtree changed. */
  changedComponents: string[];
}

/**
 * Resource types that hold data: deleting or replacing one loses it.
 * Databases and replicas, caches, buckets, KMS keys (and rings), disks, secrets, image repositories.
 */
export const statefulTypes: ReadonlySet<string> = new Set([
  "gcp:sql/databaseInstance:DatabaseInstance",
  "gcp:sql/database:Database",
  "gcp:redis/instance:Instance",
  "gcp:memorystore/instance:Instance",
  "gcp:storage/bucket:Bucket",
  "gcp:kms/cryptoKey:CryptoKey",
  "gcp:kms/keyRing:KeyRing",
  "gcp:compute/disk:Disk",
  "gcp:compute/regionDisk:RegionDisk",
  "gcp:filestore/instance:Instance",
  "gcp:secretmanager/secret:Secret",
  "gcp:artifactregistry/repository:Repository",
  "gcp:bigquery/dataset:Dataset",
  "kubernetes:core/v1:PersistentVolumeClaim",
  "kubernetes:core/v1:PersistentVolume",
]);

const isIamType = (type: string) => /iam(member|binding|policy)/i.test(type.split(":").pop() ?? "");

/** Basic roles grant every permission of a project: never a least-privilege grant. */
export const basicRoles: ReadonlySet<string> = new Set(["roles/owner", "roles/editor", "roles/viewer"]);
const publicMembers = new Set(["allUsers", "allAuthenticatedUsers"]);

/**
 * A rough breadth rank of a role, for "role X → role Y widens": basic roles above everything,
 * then `*.admin`, then writers, then readers. Custom roles rank as writers (unknown).
 */
export function roleRank(role: string): number {
  if (role === "roles/owner") return 6;
  if (role === "roles/editor") return 5;
  if (/\.(admin|owner)$|Admin$/.test(role)) return 4;
  if (role === "roles/viewer") return 3;
  if (/\.(viewer|reader|subscriber|publisher|secretAccessor|logWriter|metricWriter|cryptoKeyEncrypterDecrypter|invoker)$|Viewer$|Reader$/.test(role)) return 1;
  return 2;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]));
  }
  return false;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Changed paths between two input trees: objects recurse by key, arrays of objects of equal
 * length recurse by index, anything else is reported whole at its path.
 */
export function diffInputs(a: unknown, b: unknown, path = "", out: InputChange[] = []): InputChange[] {
  if (same(a, b)) return out;
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) diffInputs(a[key], b[key], join(path, key), out);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.some((x) => isPlainObject(x) || Array.isArray(x))) {
    a.forEach((x, i) => diffInputs(x, b[i], `${path}[${i}]`, out));
    return out;
  }
  const change: InputChange = { path: path || "(inputs)" };
  if (a !== undefined) change.old = a;
  if (b !== undefined) change.new = b;
  out.push(change);
  return out;
}

/** Nearest component (custom: false) ancestor of every resource of a plan. */
function componentOf(plan: Plan): (r: PlannedResource) => string {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  return (r) => {
    let parent = byUrn.get(r.parent);
    while (parent && parent.custom) parent = byUrn.get(parent.parent);
    return parent?.urn ?? "";
  };
}

/** A physical identity for "the same resource under another URN" (rename / re-parent). */
function physicalKey(r: PlannedResource): string | undefined {
  const i = r.inputs;
  const id = i.name ?? i.repositoryId ?? i.secretId ?? i.accountId ?? i.bucket ?? (isPlainObject(i.metadata) ? i.metadata.name : undefined);
  return typeof id === "string" ? `${r.type}|${String(i.project ?? "")}|${String(i.location ?? i.region ?? "")}|${id}` : undefined;
}

const kindOrder: Record<ChangeKind, number> = { delete: 0, replace: 1, update: 2, create: 3 };

function iamGrant(r: PlannedResource): { role: string; members: string[] } {
  const role = typeof r.inputs.role === "string" ? r.inputs.role : "";
  const members = Array.isArray(r.inputs.members) ? r.inputs.members.map(String) : typeof r.inputs.member === "string" ? [r.inputs.member] : [];
  return { role, members };
}

function iamDanger(before: PlannedResource | undefined, after: PlannedResource): Danger | undefined {
  if (!isIamType(after.type)) return undefined;
  const now = iamGrant(after);
  const was = before ? iamGrant(before) : { role: "", members: [] };
  const added = now.members.filter((m) => !was.members.includes(m));
  const broader = before !== undefined && now.role !== was.role && roleRank(now.role) >= roleRank(was.role);
  const isNew = before === undefined;
  if (!isNew && added.length === 0 && !broader && now.role === was.role) return undefined;
  if (!isNew && added.length === 0 && !broader) return undefined; // a narrower role for the same members
  const who = (added.length > 0 ? added : now.members).join(", ") || "(members unknown)";
  const flags: string[] = [];
  if (basicRoles.has(now.role)) flags.push("basic role");
  if (now.members.some((m) => publicMembers.has(m))) flags.push("PUBLIC");
  if (broader) flags.push(`broader than ${was.role}`);
  const what = isNew ? "grants" : added.length > 0 ? "adds" : "widens to";
  return {
    kind: "iam-widening",
    urn: after.urn,
    type: after.type,
    name: after.name,
    message: `${what} \`${now.role || "(role unknown)"}\` to ${who}${flags.length ? ` (${flags.join(", ")})` : ""}`,
  };
}

/** Firewall / authorized ranges that open to the internet. */
function exposureDanger(before: PlannedResource | undefined, after: PlannedResource): Danger | undefined {
  if (after.type !== "gcp:compute/firewall:Firewall") return undefined;
  const open = (r: PlannedResource | undefined) =>
    r !== undefined && Array.isArray(r.inputs.sourceRanges) && r.inputs.sourceRanges.includes("0.0.0.0/0") && r.inputs.direction !== "EGRESS";
  if (!open(after) || open(before)) return undefined;
  return { kind: "exposure", urn: after.urn, type: after.type, name: after.name, message: "opens ingress from 0.0.0.0/0 (the internet)" };
}

/** Diffs two plans of the same stack. `base` may be an empty plan (a new stack). */
export function diffPlans(base: Plan, head: Plan): PlanDiff {
  const before = new Map(base.resources.filter((r) => r.custom).map((r) => [r.urn, r]));
  const after = new Map(head.resources.filter((r) => r.custom).map((r) => [r.urn, r]));
  const baseComponent = componentOf(base);
  const headComponent = componentOf(head);
  const changes: ResourceChange[] = [];
  const dangers: Danger[] = [];
  let unchanged = 0;

  const created = [...after.values()].filter((r) => !before.has(r.urn));
  const deleted = [...before.values()].filter((r) => !after.has(r.urn));
  const deletedByKey = new Map<string, PlannedResource>();
  for (const r of deleted) {
    const key = physicalKey(r);
    if (key) deletedByKey.set(key, r);
  }
  const movedTo = new Map<string, string>(); // old URN → new URN
  for (const r of created) {
    const key = physicalKey(r);
    const old = key ? deletedByKey.get(key) : undefined;
    if (old) movedTo.set(old.urn, r.urn);
  }
  const movedFrom = new Map([...movedTo].map(([a, b]) => [b, a]));

  for (const r of after.values()) {
    const old = before.get(r.urn);
    if (!old) {
      const notes = movedFrom.has(r.urn) ? [`same physical resource as ${movedFrom.get(r.urn)}: add an alias to keep it instead of replacing it`] : [];
      changes.push({ urn: r.urn, type: r.type, name: r.name, kind: "create", component: headComponent(r), protect: r.protect, changes: [], replaceReasons: [], notes });
      const d = iamDanger(undefined, r) ?? exposureDanger(undefined, r);
      if (d) dangers.push(d);
      continue;
    }
    // Paths the resource ignores (`ignoreChanges`) keep their state value: Pulumi plans no change for them.
    const inputChanges = diffInputs(old.inputs, r.inputs).filter((c) => !(r.ignoreChanges ?? []).some((p) => pathMatches(p, c.path)));
    if (old.protect !== r.protect) inputChanges.push({ path: "<protect>", old: old.protect, new: r.protect });
    const providerChanged = old.provider !== r.provider;
    if (providerChanged) inputChanges.push({ path: "<provider>", old: old.provider, new: r.provider });
    if (inputChanges.length === 0) {
      unchanged++;
      continue;
    }
    const reasons = replacementReasons(r.type, inputChanges.map((c) => c.path).filter((p) => !p.startsWith("<")), old.inputs, r.inputs);
    if (providerChanged) reasons.push("the resource moves to another provider (Pulumi replaces it)");
    const kind: ChangeKind = reasons.length > 0 ? "replace" : "update";
    const protect = old.protect || r.protect;
    changes.push({ urn: r.urn, type: r.type, name: r.name, kind, component: headComponent(r), protect, changes: inputChanges, replaceReasons: reasons, notes: [] });
    if (kind === "replace" && statefulTypes.has(r.type)) {
      dangers.push({ kind: "stateful-replace", urn: r.urn, type: r.type, name: r.name, message: `likely REPLACED (data loss): ${reasons.join("; ")}` });
    }
    if (protect) {
      const paths = inputChanges.map((c) => c.path);
      const shown = paths.slice(0, 5).join(", ") + (paths.length > 5 ? ` and ${paths.length - 5} more` : "");
      dangers.push({ kind: "protected", urn: r.urn, type: r.type, name: r.name, message: `protected resource ${kind === "replace" ? "would be replaced" : "changes"}: ${shown}` });
    }
    const d = iamDanger(old, r) ?? exposureDanger(old, r);
    if (d) dangers.push(d);
  }
  for (const r of before.values()) {
    if (after.has(r.urn)) continue;
    const moved = movedTo.get(r.urn);
    const notes = moved ? [`URN changed to ${moved} (renamed or re-parented): without an alias Pulumi deletes and recreates it`] : [];
    changes.push({ urn: r.urn, type: r.type, name: r.name, kind: "delete", component: baseComponent(r), protect: r.protect, changes: [], replaceReasons: [], notes });
    if (statefulTypes.has(r.type)) {
      dangers.push({ kind: "stateful-delete", urn: r.urn, type: r.type, name: r.name, message: `DELETED (data loss)${moved ? " and recreated under a new URN" : ""}` });
    } else if (r.protect) {
      dangers.push({ kind: "protected", urn: r.urn, type: r.type, name: r.name, message: "protected resource is deleted (Pulumi refuses until unprotected)" });
    }
  }

  const dangerOrder: Record<DangerKind, number> = { "stateful-delete": 0, "stateful-replace": 1, protected: 2, exposure: 3, "iam-widening": 4 };
  dangers.sort((a, b) => dangerOrder[a.kind] - dangerOrder[b.kind] || (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  // Dangerous changes first, in the order of their first danger; then deletes, replacements, updates, creates.
  const rank = new Map<string, number>();
  dangers.forEach((d, i) => rank.has(d.urn) || rank.set(d.urn, i));
  changes.sort(
    (a, b) =>
      (rank.get(a.urn) ?? Infinity) - (rank.get(b.urn) ?? Infinity) ||
      kindOrder[a.kind] - kindOrder[b.kind] ||
      (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0),
  );

  const counts: DiffCounts = { create: 0, update: 0, replace: 0, delete: 0, unchanged };
  for (const c of changes) counts[c.kind]++;
  return {
    project: head.project || base.project,
    stack: head.stack || base.stack,
    changes,
    dangers,
    counts,
    changedComponents: changedComponents(base, head, changes),
  };
}

/** Components whose subtree has a change, plus components created or deleted themselves. */
function changedComponents(base: Plan, head: Plan, changes: ResourceChange[]): string[] {
  const parents = new Map<string, string>();
  for (const r of [...base.resources, ...head.resources]) parents.set(r.urn, r.parent);
  const componentUrns = new Set([...base.resources, ...head.resources].filter((r) => !r.custom).map((r) => r.urn));
  const out = new Set<string>();
  for (const c of changes) {
    let p = c.component;
    while (p && !out.has(p)) {
      out.add(p);
      p = parents.get(p) ?? "";
    }
  }
  const baseUrns = new Set(base.resources.map((r) => r.urn));
  const headUrns = new Set(head.resources.map((r) => r.urn));
  for (const urn of componentUrns) if (baseUrns.has(urn) !== headUrns.has(urn)) out.add(urn);
  return [...out].filter((u) => componentUrns.has(u)).sort();
}

/** An empty plan: the base of a stack that does not exist yet. */
export function emptyPlan(project: string, stack: string): Plan {
  return { project, stack, resources: [], outputs: {} };
}
