/**
 * The diff of two offline plans: what `pulumi up` would create, update, replace and delete, keyed
 * by URN, with the changed input paths (old → new; secrets stay "[secret]" on both sides, so a
 * secret's new value is never visible) and the dangerous changes a reviewer must see first.
 * Pure: plans in, data out. Rendering lives in ./render.ts.
 */
import type { Plan, PlannedResource } from "../../plan/run.js";
import { aliasMoves } from "./aliases.js";
import { probableRenames, renameFix } from "./renames.js";
import { pathMatches, replacementReasons } from "./replacements.js";
import { restoreTestGrantWithinChange } from "./restore-grants.js";

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
  /** Protected resources this change deletes: `pulumi up` refuses them (`brume diff` exits 4). */
  protectedDeletes: string[];
  /** Deleted + created pairs whose inputs differ only by a name, with the config that keeps them. */
  renames: ProbableRename[];
}

export interface ProbableRename {
  from: string;
  to: string;
  type: string;
  oldUrn: string;
  newUrn: string;
  /** What to do about it (keep the name, or `pulumi state rename`). */
  fix: string;
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

/** A cloud IAM grant (not the plan's readiness waits, dynamic resources named after the grant they wait for). */
const isIamType = (type: string) => !type.startsWith("pulumi-nodejs:") && /iam(member|binding|policy)/i.test(type.split(":").pop() ?? "");

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
 * length recurse by index, other arrays element by element (removed / added elements at their
 * index), anything else is reported whole at its path.
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
  if (Array.isArray(a) && Array.isArray(b)) {
    // Element by element, as `pulumi preview --diff` shows arrays: the elements only the old array
    // has (removed), those only the new one has (added); one change where both sit at one index.
    const unmatched = [...b.keys()];
    const removed: number[] = [];
    a.forEach((x, i) => {
      const at = unmatched.findIndex((j) => same(x, b[j]));
      if (at >= 0) unmatched.splice(at, 1);
      else removed.push(i);
    });
    const added = new Set(unmatched);
    for (const i of removed) {
      const change: InputChange = { path: `${path}[${i}]`, old: a[i] };
      if (added.delete(i)) change.new = b[i];
      out.push(change);
    }
    for (const j of added) out.push({ path: `${path}[${j}]`, new: b[j] });
    // Only an order change: the whole array, since the positions are what changed.
    if (removed.length === 0 && unmatched.length === 0) out.push({ path: path || "(inputs)", old: a, new: b });
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

/**
 * Roles that let a member act as another identity or administer access: never "least privilege",
 * even to a new identity (impersonation: https://cloud.google.com/iam/docs/service-account-impersonation).
 */
export function isPowerfulRole(role: string): boolean {
  return (
    basicRoles.has(role) ||
    /^roles\/iam\.(serviceAccountTokenCreator|serviceAccountUser|workloadIdentityUser|serviceAccountKeyAdmin|serviceAccountAdmin|securityAdmin|roleAdmin)$/.test(role) ||
    /^roles\/resourcemanager\./.test(role) ||
    roleRank(role) >= 4
  );
}

/** Impersonation roles: harmless only on an identity created by the same change. */
const impersonationRoles = new Set(["roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountUser", "roles/iam.workloadIdentityUser"]);

/**
 * Project-level roles of services without resource-level IAM, granted to a workload's own identity:
 * Cloud SQL connections (cloudsql.client has no instance-level binding), logs, metrics, traces, and
 * the GKE node role (https://cloud.google.com/sql/docs/postgres/iam-roles,
 * https://cloud.google.com/kubernetes-engine/docs/how-to/service-accounts#default-gke-service-agent).
 */
const projectLevelLeastPrivilege = new Set([
  "roles/cloudsql.client",
  "roles/cloudsql.instanceUser",
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/cloudtrace.agent",
  "roles/container.defaultNodeServiceAccount",
]);

/** What a change creates that a grant can be scoped to or given to. */
export interface CreatedScope {
  /** `serviceAccount:<email>` of created service accounts and `[ns/name]` of created Kubernetes service accounts. */
  members: Set<string>;
  /** Ids and names of created resources (topics, secrets, repositories, keys, service accounts …). */
  ids: Set<string>;
}

export function createdScope(created: readonly PlannedResource[]): CreatedScope {
  const members = new Set<string>();
  const ids = new Set<string>();
  for (const r of created) {
    const i = r.inputs;
    if (r.type === "gcp:serviceaccount/account:Account" && typeof i.accountId === "string" && typeof i.project === "string") {
      const email = `${i.accountId}@${i.project}.iam.gserviceaccount.com`;
      members.add(`serviceAccount:${email}`);
      ids.add(`projects/${i.project}/serviceAccounts/${email}`);
      ids.add(email);
    }
    if (r.type === "kubernetes:core/v1:ServiceAccount" && isPlainObject(i.metadata)) members.add(`[${String(i.metadata.namespace ?? "default")}/${String(i.metadata.name)}]`);
    if (r.type === "gcp:kms/cryptoKey:CryptoKey" && typeof i.keyRing === "string") ids.add(`${i.keyRing}/cryptoKeys/${String(i.name)}`);
    else for (const key of ["name", "secretId", "repositoryId", "bucket"]) if (typeof i[key] === "string") ids.add(i[key] as string);
  }
  return { members, ids };
}

const grantTargets = ["serviceAccountId", "topic", "subscription", "secretId", "repository", "cryptoKeyId", "bucket", "instance", "dataset"];

/**
 * A new grant that widens nothing that exists: a least-privilege role, to identities the same change
 * creates, scoped to a resource (or a project-level role of a service without resource-level IAM);
 * or any least-privilege role on a resource the same change creates. Impersonation roles only on a
 * service account the same change creates. Public members and basic roles never qualify.
 */
function grantWithinChange(after: PlannedResource, grant: { role: string; members: string[] }, scope: CreatedScope): boolean {
  if (grant.members.length === 0 || grant.members.some((m) => publicMembers.has(m))) return false;
  const target = grantTargets.map((k) => after.inputs[k]).find((v): v is string => typeof v === "string");
  const targetIsNew = target !== undefined && (scope.ids.has(target) || [...scope.ids].some((id) => id.includes("/") ? false : target.endsWith(`/${id}`)));
  if (impersonationRoles.has(grant.role)) return after.type.startsWith("gcp:serviceaccount/") && targetIsNew;
  if (isPowerfulRole(grant.role)) return false;
  const newMembers = grant.members.every((m) => scope.members.has(m) || [...scope.members].some((k) => k.startsWith("[") && m.endsWith(k)));
  const projectLevel = /^gcp:(projects|folders|organizations)\//.test(after.type);
  if (projectLevel) return newMembers && (projectLevelLeastPrivilege.has(grant.role) || restoreTestGrantWithinChange(after, grant.role, scope));
  return newMembers || targetIsNew;
}

function iamDanger(before: PlannedResource | undefined, after: PlannedResource, scope?: CreatedScope): Danger | undefined {
  if (!isIamType(after.type)) return undefined;
  const now = iamGrant(after);
  if (before === undefined && scope && grantWithinChange(after, now, scope)) return undefined;
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
  // A rule with `denies` and no `allows` closes what it matches (the baseline deny-all ingress):
  // a firewall rule has either allow or deny entries, never both
  // (https://cloud.google.com/firewall/docs/firewalls#firewall_rule_components).
  const allows = (r: PlannedResource) => Array.isArray(r.inputs.allows) && r.inputs.allows.length > 0;
  const open = (r: PlannedResource | undefined) =>
    r !== undefined && allows(r) && Array.isArray(r.inputs.sourceRanges) && r.inputs.sourceRanges.includes("0.0.0.0/0") && r.inputs.direction !== "EGRESS";
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
  const protectedDeletes: string[] = [];
  let unchanged = 0;

  // Resources an alias moves (renamedFrom:): compared with their old state, never deleted.
  const aliased = aliasMoves(base, head);
  const aliasedFrom = new Map([...aliased].map(([a, b]) => [b, a]));
  const created = [...after.values()].filter((r) => !before.has(r.urn) && !aliasedFrom.has(r.urn));
  const deleted = [...before.values()].filter((r) => !after.has(r.urn) && !aliased.has(r.urn));
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
  // A moved resource whose physical name changes is replaced: a new identity, like a created one.
  const renamedPhysically = [...aliasedFrom].map(([urn, was]) => [after.get(urn), before.get(was)] as const).filter(([r, was]) => r && was && physicalKey(r) !== physicalKey(was)).map(([r]) => r!);
  const scope = createdScope([...created, ...renamedPhysically]);
  const renames = probableRenames(
    deleted.filter((r) => !movedTo.has(r.urn)),
    created.filter((r) => !movedFrom.has(r.urn)),
  );

  for (const r of after.values()) {
    const old = before.get(r.urn) ?? before.get(aliasedFrom.get(r.urn) ?? "");
    if (!old) {
      const notes = movedFrom.has(r.urn) ? [`same physical resource as ${movedFrom.get(r.urn)}: add an alias to keep it instead of replacing it`] : [];
      const rename = renames.byNew.get(r.urn);
      if (rename) notes.push(`probable rename of ${rename.old.urn} ("${rename.from}" → "${rename.to}"): ${renameFix(rename)}`);
      changes.push({ urn: r.urn, type: r.type, name: r.name, kind: "create", component: headComponent(r), protect: r.protect, changes: [], replaceReasons: [], notes });
      const d = iamDanger(undefined, r, scope) ?? exposureDanger(undefined, r);
      if (d) dangers.push(d);
      continue;
    }
    // Paths the resource ignores (`ignoreChanges`) keep their state value: Pulumi plans no change for them.
    const inputChanges = diffInputs(old.inputs, r.inputs).filter((c) => !(r.ignoreChanges ?? []).some((p) => pathMatches(p, c.path)));
    if (old.urn !== r.urn) inputChanges.unshift({ path: "<urn>", old: old.urn, new: r.urn });
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
    const updateNotes: string[] = old.urn !== r.urn ? [`moved from ${old.urn} by an alias (renamedFrom): Pulumi keeps its state`] : [];
    // A new machine type restarts the instance: minutes of downtime (and a failover for HA).
    // https://cloud.google.com/sql/docs/postgres/edit-instance#edit_an_instance (settings that restart)
    if (kind === "update" && r.type === "gcp:sql/databaseInstance:DatabaseInstance" && inputChanges.some((c) => c.path === "settings.tier")) {
      updateNotes.push("the tier change restarts the instance (a few minutes of downtime): apply it in a maintenance window");
    }
    changes.push({ urn: r.urn, type: r.type, name: r.name, kind, component: headComponent(r), protect, changes: inputChanges, replaceReasons: reasons, notes: updateNotes });
    if (kind === "replace" && statefulTypes.has(r.type)) {
      dangers.push({ kind: "stateful-replace", urn: r.urn, type: r.type, name: r.name, message: `likely REPLACED (data loss): ${reasons.join("; ")}` });
    }
    if (protect) {
      const paths = inputChanges.map((c) => c.path);
      const shown = paths.slice(0, 5).join(", ") + (paths.length > 5 ? ` and ${paths.length - 5} more` : "");
      dangers.push({ kind: "protected", urn: r.urn, type: r.type, name: r.name, message: `protected resource ${kind === "replace" ? "would be replaced" : "changes"}: ${shown}` });
    }
    // A grant moved by an alias and replaced is judged as a new one (its identity may be new too).
    const d = (old.urn !== r.urn && kind === "replace" ? iamDanger(undefined, r, scope) : iamDanger(old, r)) ?? exposureDanger(old, r);
    if (d) dangers.push(d);
  }
  for (const r of before.values()) {
    if (after.has(r.urn) || aliased.has(r.urn)) continue;
    const moved = movedTo.get(r.urn);
    const notes = moved ? [`URN changed to ${moved} (renamed or re-parented): without an alias Pulumi deletes and recreates it`] : [];
    const rename = renames.byOld.get(r.urn);
    if (rename) notes.push(`probable rename to ${rename.created.urn} ("${rename.from}" → "${rename.to}"): ${renameFix(rename)}`);
    changes.push({ urn: r.urn, type: r.type, name: r.name, kind: "delete", component: baseComponent(r), protect: r.protect, changes: [], replaceReasons: [], notes });
    // As Terraform's prevent_destroy at plan time: `pulumi up` refuses to delete a protected
    // resource (https://www.pulumi.com/docs/iac/concepts/options/protect/), so the diff says how to
    // retire this one without unprotecting the others.
    const retire = r.protect ? `; ${retireHint(r.urn, base.stack)}` : "";
    if (r.protect) protectedDeletes.push(r.urn);
    if (statefulTypes.has(r.type)) {
      dangers.push({ kind: "stateful-delete", urn: r.urn, type: r.type, name: r.name, message: `DELETED (data loss)${moved ? " and recreated under a new URN" : ""}${rename ? ` (probable rename: ${renameFix(rename)})` : ""}${retire}` });
    } else if (r.protect) {
      dangers.push({ kind: "protected", urn: r.urn, type: r.type, name: r.name, message: `protected resource is deleted (Pulumi refuses until unprotected)${retire}` });
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
    protectedDeletes,
    renames: [...renames.byOld.values()].map((r) => ({ from: r.from, to: r.to, type: r.old.type, oldUrn: r.old.urn, newUrn: r.created.urn, fix: renameFix(r) })),
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

/** How to retire one protected resource without `settings.protect: false` (which unprotects all of them). */
export function retireHint(urn: string, stack: string): string {
  return `to retire this one resource: \`pulumi state unprotect '${urn}' --stack ${stack}\`, then apply the change (the others stay protected)`;
}
