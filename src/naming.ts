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

export function shortHash(text: string, length = 6): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * Joins parts into a valid physical name: lowercase letters, digits and '-', starting with a
 * letter, not ending with '-', at most `nameLimits[kind]` characters.
 */
export function physicalName(parts: readonly string[], kind: NameKind = "default"): string {
  const max = nameLimits[kind];
  const full = parts
    .filter((p) => p.length > 0)
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  const base = full.length > 0 ? full : "x";
  if (base.length <= max) return base;
  const hash = shortHash(base);
  return `${base.slice(0, max - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** A naming scope: `<project>-<environment>` prefixed physical names. */
export class Naming {
  constructor(readonly prefix: string) {}

  static of(project: string, environment: string): Naming {
    return new Naming(physicalName([project, environment]));
  }

  name(part: string | readonly string[], kind: NameKind = "default"): string {
    return physicalName([this.prefix, ...(typeof part === "string" ? [part] : part)], kind);
  }
}
