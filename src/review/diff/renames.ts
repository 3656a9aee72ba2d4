/**
 * Probable renames: a deleted and a created resource of the same type whose inputs differ only by a
 * name part, and the config that keeps them (`renamedFrom:` for services; the old key for stateful
 * entries, whose GCP names are immutable). Pure.
 */
import type { PlannedResource } from "../../plan/run.js";

/** The name part two resource names differ by: `shop-prod-svc-worker-db` / `shop-prod-svc-ledger-worker-db` → worker, ledger-worker. */
export function nameDelta(a: string, b: string): { from: string; to: string } | undefined {
  if (a === b) return undefined;
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  // Keep whole dash-separated words: back up to the start of the word.
  while (p > 0 && a[p - 1] !== "-") p--;
  let q = 0;
  while (q < a.length - p && q < b.length - p && a[a.length - 1 - q] === b[b.length - 1 - q]) q++;
  while (q > 0 && a[a.length - q] !== "-") q--;
  const from = a.slice(p, a.length - q);
  const to = b.slice(p, b.length - q);
  return from && to ? { from, to } : undefined;
}

export interface RenamePair {
  old: PlannedResource;
  created: PlannedResource;
  from: string;
  to: string;
}

/**
 * Deleted and created resources of the same type whose inputs are equal once the old name is
 * replaced by the new one: a rename in the config, which Pulumi would carry out as delete + create.
 */
export function probableRenames(deleted: readonly PlannedResource[], created: readonly PlannedResource[]): { byOld: Map<string, RenamePair>; byNew: Map<string, RenamePair> } {
  const byOld = new Map<string, RenamePair>();
  const byNew = new Map<string, RenamePair>();
  const createdByType = new Map<string, PlannedResource[]>();
  for (const r of created) createdByType.set(r.type, [...(createdByType.get(r.type) ?? []), r]);
  for (const old of deleted) {
    for (const candidate of createdByType.get(old.type) ?? []) {
      if (byNew.has(candidate.urn)) continue;
      const delta = nameDelta(old.name, candidate.name);
      if (!delta) continue;
      const renamed = JSON.stringify(old.inputs).split(delta.from).join(delta.to);
      if (renamed !== JSON.stringify(candidate.inputs)) continue;
      const pair = { old, created: candidate, ...delta };
      byOld.set(old.urn, pair);
      byNew.set(candidate.urn, pair);
      break;
    }
  }
  return { byOld, byNew };
}

/** The config section whose entries a component type comes from (named in the rename hint). */
const renamableSections: Record<string, string> = {
  "brume:service:Service": "services",
  "brume:database:Database": "databases",
  "brume:cache:Cache": "caches",
  "brume:storage:Bucket": "buckets",
  "brume:messaging:Topic": "topics",
};

/**
 * Why a stateful entry cannot be renamed in place: its resource's name is its identity on GCP, so a
 * new key is a new resource (the data stays with the old one). brume keeps no `renamedFrom:` for them.
 */
const immutableNames: Record<string, string> = {
  databases: "a Cloud SQL instance cannot be renamed, and a deleted instance's name stays taken for up to a week (https://cloud.google.com/sql/docs/postgres/delete-instance)",
  caches: "a Memorystore instance's name is fixed at creation (https://cloud.google.com/memorystore/docs/redis/reference/rest/v1/projects.locations.instances)",
  buckets: "a bucket cannot be renamed; its data must be copied to a new bucket (https://cloud.google.com/storage/docs/moving-buckets)",
  topics: "a Pub/Sub topic or subscription cannot be renamed; undelivered messages stay with the old one (https://cloud.google.com/pubsub/docs/create-topic#resource_names)",
};

export function renameFix(pair: RenamePair): string {
  const section = Object.entries(renamableSections).find(([type]) => pair.old.urn.includes(`${type}$`) || pair.old.urn.includes(`::${type}`))?.[1];
  const where = section ? `${section}.${pair.to}` : `"${pair.to}"`;
  // Services: `renamedFrom:` becomes Pulumi aliases (src/components/child-resources/options.ts).
  if (section === "services") {
    return `if ${where} is "${pair.from}" renamed, add \`renamedFrom: ${pair.from}\` to ${where}: Pulumi then moves these resources instead of deleting and creating them (names derived from the service still change, and those resources are replaced)`;
  }
  if (section && immutableNames[section]) {
    return `if ${where} is "${pair.from}" renamed, keep the key "${pair.from}": ${immutableNames[section]}`;
  }
  // Anything else: move each one in the state (https://www.pulumi.com/docs/iac/cli/commands/pulumi_state_rename/).
  return `if ${where} is "${pair.from}" renamed, Pulumi deletes and recreates these resources: keep the name "${pair.from}", or move each one in the state before \`pulumi up\` (\`pulumi state rename '<old urn>' <new name>\`); physical names derived from the name change either way`;
}

