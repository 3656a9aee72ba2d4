/**
 * Loading: brume.yaml or brume.toml → validated config → one resolved environment.
 * Every failure for bad input is a ConfigError listing path-located problems.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join, resolve } from "node:path";
import { isScalar, LineCounter, parseDocument, visit } from "yaml";
import { plannedNetwork, environmentIndexes, type NetworkPlan } from "./cidr-plan.js";
import { ConfigError, issuesFromZod, type ConfigIssue } from "./errors.js";
import { deepMerge } from "./merge.js";
import { defaultPresetFor, presets, type PresetName, type PresetSettings } from "./presets.js";
import { suggestKey } from "./primitives.js";
import { connectionBudgetIssues } from "./rules-connections.js";
import { checkRules } from "./rules.js";
import { applyReleaseState, parseReleaseState, releaseStateKey, shadowWarnings } from "./schema-release.js";
import { applySecretVersions, parseSecretVersions, secretVersionsKey } from "./secret-versions.js";
import { brumeConfigSchema, type BrumeConfig, type EnvironmentConfig } from "./schema.js";

export type ConfigFormat = "yaml" | "toml";

/** File names looked up, in order, when no config file is named. */
export const configFileNames = ["brume.yaml", "brume.yml", "brume.toml"] as const;

export function formatOf(file: string): ConfigFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".toml") return "toml";
  if (ext === ".yaml" || ext === ".yml") return "yaml";
  throw new ConfigError([{ path: "(file)", message: `unsupported config file "${file}": use .yaml, .yml or .toml` }], file);
}

/** Parses config text; syntax errors become a ConfigError with the line and column. */
export function parseConfigText(text: string, format: ConfigFormat, source = `brume.${format}`): unknown {
  if (format === "toml") {
    // Loaded only for a brume.toml: every stack file is YAML, most configs too.
    const { parse: parseToml, TomlError } = loadToml();
    try {
      return parseToml(text);
    } catch (err) {
      if (err instanceof TomlError) {
        throw new ConfigError([{ path: `(line ${err.line}, column ${err.column})`, message: `TOML syntax error: ${err.message.split("\n")[0]}` }], source);
      }
      throw new ConfigError([{ path: "(file)", message: `TOML syntax error: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}` }], source);
    }
  }
  // Positions come from a LineCounter: `linePos` is only filled in with prettyErrors, which also
  // rewrites the message.
  const lineCounter = new LineCounter();
  // `merge: true`: YAML 1.1 merge keys (`<<: *defaults`), which YAML 1.2 dropped but most YAML
  // users (Compose, GitLab CI, Kubernetes tools) expect (https://yaml.org/type/merge.html).
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter, merge: true });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return "(file)";
    const pos = lineCounter.linePos(offset);
    return `(line ${pos.line}, column ${pos.col})`;
  };
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => ({
      path: e.linePos ? `(line ${e.linePos[0].line}, column ${e.linePos[0].col})` : at(e.pos?.[0]),
      // The library's advice (parseAllDocuments) is for programmers; the user needs one document.
      message:
        e.code === "MULTIPLE_DOCS"
          ? "YAML syntax error: a brume config is one YAML document; remove the `---` separator and what follows (or move it to another file)"
          : `YAML syntax error: ${e.message.split("\n")[0]}`,
    }));
    throw new ConfigError(issues, source);
  }
  try {
    const value: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
    // Only a failed validation needs the numbers as written: walked then, not on every parse.
    if (typeof value === "object" && value !== null) numberSources.set(value, () => numbersAsWritten(doc, text));
    return value;
  } catch (err) {
    // Unresolved aliases and alias bombs are only found while building the value.
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError([{ path: "(file)", message: `YAML error: ${message}` }], source);
  }
}

/**
 * How the document's numbers were written, when YAML changed them (`1.10` read as 1.1, an all-digit
 * SHA-256 as 0): the quote-it hint then shows the text to quote, not the number YAML made of it
 * (newcomer 18). Keyed by the parsed document; a number written two ways gives no example.
 */
const numberSources = new WeakMap<object, () => Map<number, Set<string>>>();

function numbersAsWritten(doc: ReturnType<typeof parseDocument>, text: string): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  visit(doc, {
    Scalar(_key, node) {
      if (!isScalar(node) || typeof node.value !== "number" || !node.range) return;
      const written = text.slice(node.range[0], node.range[1]);
      if (written === String(node.value)) return;
      out.set(node.value, (out.get(node.value) ?? new Set()).add(written));
    },
  });
  return out;
}

/** The TOML parser, loaded on first use (synchronously: parsing is synchronous). */
function loadToml(): typeof import("smol-toml") {
  return createRequire(import.meta.url)("smol-toml") as typeof import("smol-toml");
}

/** Finds brume.yaml / brume.toml in a directory. */
export function findConfigFile(dir: string): string {
  const found = configFileNames.map((n) => join(dir, n)).filter((p) => existsSync(p));
  if (found.length === 0) {
    throw new ConfigError([{ path: "(file)", message: `no ${configFileNames.join(" or ")} in ${resolve(dir)}; create one or pass --config <file>` }]);
  }
  if (found.length > 1) {
    throw new ConfigError([{ path: "(file)", message: `both ${found.join(" and ")} exist; keep one (they describe the same project)` }]);
  }
  return found[0]!;
}

export function readConfigFile(file: string): unknown {
  if (!existsSync(file)) throw new ConfigError([{ path: "(file)", message: `config file not found: ${file}` }], file);
  const format = formatOf(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    // A directory, a file without read permission, …: still a config problem, not a crash.
    const reason = (err as { code?: string }).code === "EISDIR" ? "is a directory" : `cannot be read (${(err as Error).message})`;
    throw new ConfigError([{ path: "(file)", message: `config file ${reason}: ${file}` }], file);
  }
  return parseConfigText(text, format, file);
}

/**
 * Validates a parsed document (schema, then cross-field rules) and applies defaults.
 * Throws ConfigError with every problem found; never anything else for bad input.
 */
/** Keys brume once read, with what to do now (the unknown-key message alone does not say why). */
const retiredKeys: Record<string, string> = {
  acmeEmail: "TLS ends at the Google load balancer with Google-managed certificates: there is no ACME account any more; remove the line",
};

/** The fix a user needs on top of the schema's message: quoting numbers meant as text, retired keys. */
function withHints(issue: ConfigIssue, written?: Map<number, Set<string>>): ConfigIssue {
  const key = issue.path.split(".").pop() ?? "";
  if (/^unknown key/.test(issue.message) && Object.hasOwn(retiredKeys, key)) return { ...issue, message: `"${key}" is no longer a brume key: ${retiredKeys[key]}` };
  if (/^expected string, got number/.test(issue.message)) {
    const sources = typeof issue.value === "number" ? written?.get(issue.value) : undefined;
    const asWritten = sources?.size === 1 ? [...sources][0]! : String(issue.value);
    return { ...issue, message: `${issue.message}: YAML reads unquoted digits as a number (1.10 becomes 1.1, 0123 loses its zero); quote the value as written, e.g. "${asWritten}"` };
  }
  return issue;
}

export function validateConfig(doc: unknown, source?: string): BrumeConfig {
  // `jitless`: a config is validated once per process, and zod's fast path compiles a parser per
  // object schema (`new Function`) on first use: 20 ms more CPU than it saves for one parse of
  // bro-ai (cold process; the checks and the result are the same either way).
  const parsed = brumeConfigSchema.safeParse(doc, { jitless: true });
  if (!parsed.success) {
    const written = typeof doc === "object" && doc !== null ? numberSources.get(doc)?.() : undefined;
    throw new ConfigError(issuesFromZod(parsed.error, doc).map((issue) => withHints(issue, written)), source);
  }
  const issues = checkRules(parsed.data);
  if (issues.length > 0) throw new ConfigError(issues, source);
  return parsed.data;
}

/** One environment with its preset applied: everything a Project needs, all plain values. */
export interface ResolvedEnvironment {
  name: string;
  gcpProject: string;
  preset: PresetName;
  settings: PresetSettings;
  region: string;
  drRegion?: string;
  domain?: string;
  /** Position in the CIDR plan. */
  index: number;
  network: NetworkPlan;
  /** GKE control plane access and network policy. */
  cluster: EnvironmentConfig["cluster"];
  /** Labels for every GCP resource of this environment. */
  labels: Record<string, string>;
  /** Generation appended to the names GCP never frees (`environments.<env>.generation`); absent: none. */
  generation?: number;
  /** With `settings.cmek`, CMEK on the database and cache secrets too. @default true */
  cmekDataSecrets?: boolean;
}

export function resolveEnvironment(config: BrumeConfig, name: string, source = "brume:environment"): ResolvedEnvironment {
  // Own keys only: an environment named "constructor" must not find Object.prototype.constructor.
  const env = Object.hasOwn(config.environments, name) ? config.environments[name] : undefined;
  if (!env) {
    const known = Object.keys(config.environments);
    const hint = suggestKey(name, known);
    throw new ConfigError([
      {
        path: source,
        message: `unknown environment "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}; declared environments: ${known.join(", ")}`,
        value: name,
      },
    ]);
  }
  const preset = env.preset ?? defaultPresetFor(name);
  return {
    name,
    gcpProject: env.gcpProject,
    preset,
    settings: { ...presets[preset], ...env.settings },
    region: env.region ?? config.project.region,
    ...(config.project.drRegion ? { drRegion: config.project.drRegion } : {}),
    ...(env.domain ? { domain: env.domain } : {}),
    index: environmentIndexes(config).get(name)!,
    network: plannedNetwork(config, name),
    cluster: env.cluster,
    labels: { ...config.project.labels, project: config.project.name, environment: name, "managed-by": "brume" },
    ...(env.generation !== undefined ? { generation: env.generation } : {}),
    cmekDataSecrets: env.cmekDataSecrets,
  };
}

export interface LoadStackOptions {
  /** brume.yaml / brume.toml path; looked up in `cwd` when absent. */
  configFile?: string;
  cwd?: string;
  /** Environment name (`brume:environment`). */
  environment: string;
  /** `brume:overrides` from Pulumi.<env>.yaml, deep-merged over the file (see merge.ts). */
  overrides?: unknown;
  /** `brume:release` from Pulumi.<env>.yaml: the release state, applied over the overrides (see schema-release.ts). */
  release?: unknown;
  /** `brume:secretVersions` from Pulumi.<env>.yaml: the pinned secret versions (see secret-versions.ts). */
  secretVersions?: unknown;
  /** Where the overrides come from, for messages (e.g. `Pulumi.dev.yaml`). @default "brume:overrides" */
  overridesSource?: string;
  /** Where the environment name comes from, for messages. @default "brume:environment" */
  environmentSource?: string;
}

/** The named records of a config: an override may change their entries, never declare new ones. */
const overridableRecords = ["services", "machines", "databases", "caches", "topics", "buckets", "secrets", "environments"] as const;

/**
 * Overrides of names the file does not declare: a stale override (after a rename) would otherwise
 * create a half-defined entry and fail with a misleading "missing image".
 */
export function undeclaredOverrideIssues(raw: unknown, overrides: unknown, source: string): ConfigIssue[] {
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(overrides)) return [];
  const issues: ConfigIssue[] = [];
  for (const record of overridableRecords) {
    const over = overrides[record];
    if (!isObject(over)) continue;
    const declared = isObject(raw) && isObject(raw[record]) ? Object.keys(raw[record] as object) : [];
    for (const name of Object.keys(over)) {
      if (declared.includes(name) || over[name] === null) continue;
      // A rename usually keeps the old name inside the new one (worker → ledger-worker).
      const hint = suggestKey(name, declared) ?? declared.find((d) => d.includes(name) || name.includes(d));
      const noun = record === "services" ? "service" : record === "machines" ? "machine group" : record.replace(/s$/, "").replace(/ie$/, "y");
      issues.push({
        path: `brume:overrides.${record}.${name}`,
        message: `${source} overrides undeclared ${noun} "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}; declared: ${declared.join(", ") || "none"}. Rename or remove the override, or make it a complete entry`,
      });
    }
  }
  return issues;
}

export interface LoadedStack {
  file: string;
  config: BrumeConfig;
  environment: ResolvedEnvironment;
  /** Where the stack file shadows brume.yaml with a different value (`brume plan` prints them). */
  shadowed?: string[];
}

/** File → overrides → validation → resolved environment. */
export function loadStack(options: LoadStackOptions): LoadedStack {
  const file = options.configFile ? resolve(options.cwd ?? ".", options.configFile) : findConfigFile(options.cwd ?? ".");
  const raw = readConfigFile(file);
  const overridesSource = options.overridesSource ?? "brume:overrides";
  // Overrides may set a strategy's shape per stack; the release state has the last word on its keys.
  const shaped = deepMerge(raw, options.overrides);
  const release = parseReleaseState(options.release, shaped, `${file} + ${releaseStateKey}`);
  // The stack's pinned secret versions (docs/secrets.md): stack state, like the release state.
  const pins = parseSecretVersions(options.secretVersions, shaped, raw, `${file} + ${secretVersionsKey}`);
  const merged = applySecretVersions(applyReleaseState(shaped, release), pins);
  // The file's numbers as written, for the quote-it hint on the merged document.
  const written = typeof raw === "object" && raw !== null ? numberSources.get(raw) : undefined;
  if (written && typeof merged === "object" && merged !== null) numberSources.set(merged, written);
  const layers = [
    ...(options.overrides !== undefined ? [overridesSource === "brume:overrides" ? "brume:overrides" : `${overridesSource} brume:overrides`] : []),
    ...(options.release !== undefined ? [releaseStateKey] : []),
    ...(Object.keys(pins).length ? [secretVersionsKey] : []),
  ];
  let config: BrumeConfig;
  try {
    config = validateConfig(merged, layers.length ? `${file} + ${layers.join(" + ")}` : file);
  } catch (err) {
    // An override may declare a complete new entry (a database only one environment has); one that
    // leaves a half-defined entry is named for what it is, a stale override (a rename), instead of
    // "missing image" on an entry the file never declared.
    const stale = err instanceof ConfigError ? undeclaredOverrideIssues(raw, options.overrides, overridesSource) : [];
    if (stale.length === 0) throw err;
    const entry = (path: string) => path.replace(/^brume:overrides\./, "");
    const explained = (err as ConfigError).issues.filter((i) => stale.some((s) => i.path === entry(s.path) || i.path.startsWith(`${entry(s.path)}.`) || i.path.startsWith(`${entry(s.path)}[`)));
    const rest = (err as ConfigError).issues.filter((i) => !explained.includes(i));
    const relevant = stale.filter((s) => explained.some((i) => i.path === entry(s.path) || i.path.startsWith(`${entry(s.path)}.`) || i.path.startsWith(`${entry(s.path)}[`)));
    if (relevant.length === 0) throw err;
    throw new ConfigError([...relevant, ...rest], overridesSource);
  }
  const environment = resolveEnvironment(config, options.environment, options.environmentSource);
  // The connection budget holds for the stack's environment, with its overrides (scaling, pools).
  const budget = connectionBudgetIssues(config, environment.name);
  if (budget.length > 0) throw new ConfigError(budget, layers.length ? `${file} + ${layers.join(" + ")}` : file);
  const shadowed = shadowWarnings(raw, options.overrides, release, options.environment, shaped);
  return { file, config, environment, ...(shadowed.length ? { shadowed } : {}) };
}
