/**
 * Physical names: one helper for every name that reaches GCP or Kubernetes. Deterministic (no
 * random suffixes), lowercase, within each provider's length limit; a name that would be too long
 * is cut and given a short hash of the full name so two long names never collide.
 */
import { createHash } from "node:crypto";

/** Maximum lengths of the names we create, from the provider docs. */
export const nameLimits = {
  default: 63,
  serviceAccountId: 30,
  cluster: 40,
  redis: 40,
  sqlInstance: 84,
  bucket: 63,
  secretId: 255,
  topic: 255,
  kubernetes: 63,
  instanceTemplatePrefix: 37,
} as const;

export type NameKind = keyof typeof nameLimits;

/**
 * Shortest names, where the provider has a minimum. A service account id is 6-30 characters,
 * `^[a-z](?:[-a-z0-9]{4,28}[a-z0-9])$` (IAM `projects.serviceAccounts.create`, `accountId`:
 * https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/create).
 */
export const nameMinimums: Partial<Record<NameKind, number>> = {
  serviceAccountId: 6,
};

/** Why `name` is not a valid physical name of `kind` (too short for the provider), or undefined. */
export function nameProblem(name: string, kind: NameKind): string | undefined {
  const min = nameMinimums[kind] ?? 1;
  if (name.length >= min) return undefined;
  return `"${name}" has ${name.length} characters; a ${kind} needs ${min} to ${nameLimits[kind]}`;
}

export function shortHash(text: string, length = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * Joins parts into a valid physical name: lowercase letters, digits and '-', starting with a
 * letter, not ending with '-', at most `nameLimits[kind]` characters.
 */
export function physicalName(parts: readonly string[], kind: NameKind = "default"): string {
  const max = nameLimits[kind];
  const base = joinedName(parts);
  // Config validation reports short names with their config path (src/config/rules.ts); this
  // guards programs that build names themselves.
  const short = nameProblem(base, kind);
  if (short !== undefined) throw new Error(`physical name ${short}: use longer name parts`);
  if (base.length <= max) return base;
  const hash = shortHash(base);
  return `${base.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** The parts joined and normalized, before any cut: what `physicalName` starts from. */
export function joinedName(parts: readonly string[]): string {
  const full = parts
    .filter((p) => p.length > 0)
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  return full.length > 0 ? full : "x";
}

/** The suffix a generation adds to the names GCP never frees: `g<n>`. */
export function generationSuffix(generation: number): string {
  return `g${generation}`;
}

/**
 * A naming scope: `<project>-<environment>` prefixed physical names. With a generation
 * (`environments.<env>.generation`), the names GCP never frees or frees only after weeks get
 * `-g<n>` (see `generational`); every other name stays the same.
 */
export class Naming {
  constructor(
    readonly prefix: string,
    /** Generation of the environment; absent for environments that never set one. */
    readonly generation?: number,
  ) {}

  static of(project: string, environment: string, generation?: number): Naming {
    return new Naming(physicalName([project, environment]), generation);
  }

  name(part: string | readonly string[], kind: NameKind = "default"): string {
    return physicalName([this.prefix, ...(typeof part === "string" ? [part] : part)], kind);
  }

  /**
   * A name GCP does not free when the resource is deleted, with the generation appended when the
   * environment has one (`<prefix>-<part>-g<n>`), so a destroyed environment can be recreated
   * under a new generation (gcp-review 16). Exactly `name(part, kind)` without a generation. Cut
   * names end with a hash of the full name, generation included, so generations never collide.
   * - KMS key rings (and the keys in them): "KeyRings cannot be deleted from Google Cloud
   *   Platform. Destroying a provider-managed KeyRing will remove it from state but will not
   *   delete the resource" (@pulumi/gcp kms/keyRing.d.ts); CryptoKeys likewise (kms/cryptoKey.d.ts).
   * - Workload Identity pools (ids, not through this scope: see `workloadIdentityPoolId`).
   * Not Cloud SQL instances: "The deleted instance name can be reused immediately to create a new
   * instance" (https://cloud.google.com/sql/docs/postgres/delete-instance), so their names stay.
   */
  generational(part: string | readonly string[], kind: NameKind = "default"): string {
    const parts = typeof part === "string" ? [part] : part;
    return this.name(this.generation === undefined ? parts : [...parts, generationSuffix(this.generation)], kind);
  }
}

/**
 * The CI Workload Identity pool id: "github", or "github-g<n>" with a generation. "You cannot
 * reuse the name of a deleted pool until 30 days after deletion" (IAM REST reference,
 * projects.locations.workloadIdentityPools.create); ids are 4-32 characters of `[a-z0-9-]`.
 */
export function workloadIdentityPoolId(generation?: number): string {
  return generation === undefined ? "github" : `github-${generationSuffix(generation)}`;
}
