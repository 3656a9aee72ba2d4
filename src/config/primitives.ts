/**
 * Reusable zod building blocks for the brume config schema: strict objects with did-you-mean
 * for unknown keys, names, quantities and GCP identifiers. Every rule lives here once.
 */
import { closest, distance } from "fastest-levenshtein";
import { z } from "zod";

/** Suggests the nearest known key for an unknown one, or nothing when no key is close. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const best = closest(unknown, known as string[]);
  const limit = Math.max(2, Math.floor(best.length / 3));
  return distance(unknown, best) <= limit ? best : undefined;
}

/**
 * Separates the per-key messages of one unrecognized_keys issue. Keys are JSON-quoted in the
 * messages, so no message contains a raw newline and splitting on it is exact.
 */
export const unknownKeysSeparator = "\n";

/**
 * A strict object: unknown keys are errors, and the message lists the keys this object knows with
 * a did-you-mean for the nearest one (one message per key, joined by `unknownKeysSeparator`).
 */
export function strict<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== "unrecognized_keys") return undefined;
      return issue.keys
        .map((key) => {
          const hint = suggestKey(key, known);
          return hint
            ? `unknown key ${JSON.stringify(key)} (did you mean "${hint}"?)`
            : `unknown key ${JSON.stringify(key)}; allowed keys: ${known.join(", ")}`;
        })
        .join(unknownKeysSeparator);
    },
  });
}

/** A lowercase DNS label (RFC 1123): the shape of every name that reaches GCP or Kubernetes. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/, {
    error: "expected a lowercase name of 1-40 characters: letters, digits and '-', starting with a letter and not ending with '-'",
  });

export const gcpProjectId = z
  .string()
  .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, {
    error: "expected a GCP project id: 6-30 lowercase letters, digits or '-', starting with a letter",
  })
  .meta({ description: "GCP project id that hosts this environment.", examples: ["acme-prod-1234"] });

export const gcpRegion = z
  .string()
  .regex(/^[a-z]+-[a-z]+\d+$/, { error: "expected a GCP region such as europe-west1 or us-central1" });

export const gcpZone = z
  .string()
  .regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, { error: "expected a GCP zone such as europe-west1-b" });

/** GCP label keys and values: lowercase, ≤ 63 characters. */
export const labelMap = z.record(
  z.string().regex(/^[a-z][-_a-z0-9]{0,62}$/, {
    error: "label keys are lowercase letters, digits, '-' or '_', start with a letter, at most 63 characters",
  }),
  z.string().regex(/^[-_a-z0-9]{0,63}$/, {
    error: "label values are lowercase letters, digits, '-' or '_', at most 63 characters",
  }),
);

/** Kubernetes CPU quantity: "250m", "1", "1.5". */
export const cpuQuantity = z
  .string()
  .regex(/^(\d+m|\d+(\.\d+)?)$/, { error: 'expected a CPU quantity such as "250m" or "1.5"' });

/** Kubernetes memory quantity: "256Mi", "1Gi". */
export const memoryQuantity = z
  .string()
  .regex(/^\d+(Ki|Mi|Gi|Ti)$/, { error: 'expected a memory quantity such as "256Mi" or "2Gi"' });

export const port = z.int().min(1).max(65535);

export const percent = z.int().min(0).max(100);

/** A CIDR block in IPv4 dotted notation with a prefix length. */
export const ipv4Cidr = z
  .string()
  .regex(/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([0-9]|[12]\d|3[0-2])$/, {
    error: 'expected an IPv4 CIDR block such as "10.20.0.0/20"',
  });

/** Environment variable names as POSIX shells accept them. */
export const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: "expected an environment variable name: letters, digits and '_', not starting with a digit" });

/** A hostname (domain) without scheme or path. */
export const domainName = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    error: 'expected a lowercase domain name such as "api.example.com"',
  });

export const duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, { error: 'expected a duration such as "30s", "10m", "24h" or "7d"' });
