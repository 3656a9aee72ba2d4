/**
 * One source of truth for releases (issue 15, item 3).
 *
 * brume.yaml declares a strategy's SHAPE (`type`, `keep`, `previewHeader`, the first release);
 * `Pulumi.<env>.yaml` holds only the RELEASE STATE of each stack under `brume:release` — the keys a
 * release step moves (versions, weight / percent, retained, marks). Once a stack has release state
 * for a service, every state key comes from it: brume.yaml's state keys only seed the first release
 * (a promote that drops the canary cannot be undone by a canary still written in brume.yaml —
 * newcomer 1). `brume plan` warns when brume.yaml's seed differs from what the stack runs, and
 * when a `brume:overrides` value shadows a different brume.yaml value (k8s-review 22, newcomer 12).
 */
import { z } from "zod";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { isPlainObject, type PlainObject } from "./merge.js";

/** Stack config key of the release state. */
export const releaseStateKey = "brume:release";

/** Marks a release step leaves on a versioned strategy (spread into the strategy schema). */
export function releaseMarks(versionLabel: z.ZodString) {
  return {
    bad: z
      .array(versionLabel)
      .default([])
      .meta({
        description:
          "Versions marked bad by `brume release rollback` (the version rolled back from) or `abort` (the canary): a rollback without `--to` never picks them, and `promote` refuses them.",
      }),
    rolledBackFrom: versionLabel.optional().meta({
      description: "Set by a rollback: the version it moved traffic from. A second rollback without `--to` changes nothing; a new release clears it.",
    }),
  };
}

/** The keys of each strategy type that are release state (what `brume release` writes). */
export const serviceStateKeys: Record<string, readonly string[]> = {
  rolling: [],
  blueGreen: ["active", "blue", "green", "retained", "version", "bad", "rolledBackFrom"],
  canary: ["stable", "canary", "weight", "retained", "version", "bad", "rolledBackFrom"],
};
export const machineStateKeys: Record<string, readonly string[]> = {
  rolling: [],
  blueGreen: ["active", "blue", "green", "rolledBackFrom", "staged"],
  canary: ["stable", "canary", "percent"],
};

const stateOf = z.record(z.string(), z.record(z.string(), z.unknown()));
export const releaseStateSchema = z
  .strictObject({ services: stateOf.optional(), machines: stateOf.optional() })
  .meta({ description: "Release state of a stack (`brume:release` in Pulumi.<env>.yaml), written by `brume release`." });
export type ReleaseState = z.infer<typeof releaseStateSchema>;

type Section = "services" | "machines";
const keysFor = (section: Section) => (section === "services" ? serviceStateKeys : machineStateKeys);
const typeOf = (raw: unknown, section: Section, name: string): string | undefined => {
  const entry = isPlainObject(raw) && isPlainObject(raw[section]) ? (raw[section] as PlainObject)[name] : undefined;
  const strategy = isPlainObject(entry) ? entry.strategy : undefined;
  if (isPlainObject(strategy) && typeof strategy.type === "string") return strategy.type;
  return section === "services" ? "rolling" : "rolling";
};

/** Parses `brume:release`; a key that is not release state is an error naming where it belongs. */
export function parseReleaseState(value: unknown, raw: unknown, source?: string): ReleaseState {
  if (value === undefined || value === null) return {};
  const parsed = releaseStateSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError([{ path: releaseStateKey, message: "expected { services: { <name>: { <release key>: … } }, machines: { … } }", value }], source);
  }
  const issues: ConfigIssue[] = [];
  for (const section of ["services", "machines"] as const) {
    for (const [name, state] of Object.entries(parsed.data[section] ?? {})) {
      const declared = isPlainObject(raw) && isPlainObject(raw[section]) && Object.hasOwn(raw[section] as PlainObject, name);
      if (!declared) {
        issues.push({ path: `${releaseStateKey}.${section}.${name}`, message: `release state for "${name}", which brume.yaml does not declare in ${section}; remove it` });
        continue;
      }
      const type = typeOf(raw, section, name)!;
      const allowed = keysFor(section)[type] ?? [];
      for (const key of Object.keys(state)) {
        if (!allowed.includes(key)) {
          issues.push({
            path: `${releaseStateKey}.${section}.${name}.${key}`,
            message: allowed.length
              ? `"${key}" is not release state of a ${type} strategy (${allowed.join(", ")}); set it in brume.yaml ${section}.${name}.strategy.${key}`
              : `a ${type} strategy has no release state; set ${section}.${name} in brume.yaml`,
          });
        }
      }
    }
  }
  if (issues.length) throw new ConfigError(issues, source);
  return parsed.data;
}

/**
 * brume.yaml with the stack's release state: for each service / machine group that has state, its
 * strategy keeps brume.yaml's shape keys and takes every state key from the stack (a state key the
 * stack does not list is absent, whatever brume.yaml says). Pure.
 */
export function applyReleaseState(raw: unknown, state: ReleaseState): unknown {
  if (!isPlainObject(raw)) return raw;
  const out: PlainObject = { ...raw };
  for (const section of ["services", "machines"] as const) {
    const entries = state[section];
    if (!entries || !isPlainObject(raw[section])) continue;
    const items: PlainObject = { ...(raw[section] as PlainObject) };
    for (const [name, keys] of Object.entries(entries)) {
      const entry = items[name];
      if (!isPlainObject(entry) || !isPlainObject(entry.strategy)) continue;
      const stateKeys = keysFor(section)[String(entry.strategy.type)] ?? [];
      const shape = Object.fromEntries(Object.entries(entry.strategy).filter(([k]) => !stateKeys.includes(k)));
      const moved = Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== null && v !== undefined));
      items[name] = { ...entry, strategy: { ...shape, ...moved } };
    }
    out[section] = items;
  }
  return out;
}

const show = (v: unknown) => (v === undefined ? "(absent)" : JSON.stringify(v));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Where the stack file shadows brume.yaml with a different value: brume.yaml's release keys that
 * differ from the stack's release state, and `brume:overrides` leaves that differ from a value
 * brume.yaml sets. One line each, with what to do.
 */
export function shadowWarnings(raw: unknown, overrides: unknown, state: ReleaseState, stack: string, shaped: unknown = raw): string[] {
  const out: string[] = [];
  for (const section of ["services", "machines"] as const) {
    for (const [name, keys] of Object.entries(state[section] ?? {})) {
      // The first release as brume.yaml (and a per-stack override of the strategy) declares it.
      const strategy = isPlainObject(shaped) && isPlainObject(shaped[section]) ? ((shaped[section] as PlainObject)[name] as PlainObject | undefined)?.strategy : undefined;
      if (!isPlainObject(strategy)) continue;
      for (const key of keysFor(section)[String(strategy.type)] ?? []) {
        if (!(key in strategy)) continue;
        if (same(strategy[key], keys[key] ?? undefined)) continue;
        out.push(
          `${section}.${name}.strategy.${key} in brume.yaml is ${show(strategy[key])}, but stack ${stack} runs ${show(keys[key] ?? undefined)} (Pulumi.${stack}.yaml ${releaseStateKey}): ` +
            `brume.yaml's release keys only seed the first release; move releases with \`brume release\`, or remove the key from brume.yaml`,
        );
      }
    }
  }
  const walk = (base: unknown, over: unknown, path: string[]) => {
    if (isPlainObject(over) && isPlainObject(base)) {
      for (const [k, v] of Object.entries(over)) if (Object.hasOwn(base, k)) walk(base[k], v, [...path, k]);
      return;
    }
    if (base !== undefined && !same(base, over)) {
      out.push(`brume:overrides.${path.join(".")} (${show(over ?? undefined)}) in Pulumi.${stack}.yaml shadows brume.yaml's ${show(base)}; edit one of them so they agree, or keep the override on purpose`);
    }
  };
  if (isPlainObject(overrides)) walk(raw, overrides, []);
  return out;
}

/**
 * The pre-release hook of a versioned service: a command run once per version, as a Kubernetes
 * Job in that version's image (or `image`), with the service's identity, env and secrets, before
 * the version's Deployment starts and before the route can send it traffic (docs/releases.md).
 */
export const preReleaseSchema = z
  .strictObject({
    image: z.string().min(1).optional().meta({ description: "Image of the job; defaults to the version's own image." }),
    command: z.array(z.string().min(1)).min(1).meta({ description: "Command of the job (a migration: expand-only and idempotent)." }),
    timeoutSeconds: z.int().min(30).max(7200).default(600).meta({ description: "activeDeadlineSeconds of the job: a migration that runs longer fails the step." }),
    backoffLimit: z.int().min(0).max(6).default(1).meta({ description: "Retries of a failed job before the step fails." }),
  })
  .meta({ description: "Pre-release job: runs once per version before it takes traffic (blueGreen / canary only)." });
export type PreReleaseConfig = z.infer<typeof preReleaseSchema>;
