/**
 * Loading: brume.yaml or brume.toml → validated config → one resolved environment.
 * Every failure for bad input is a ConfigError listing path-located problems.
 */
import { existsSync, readFileSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { parse as parseToml, TomlError } from "smol-toml";
import { LineCounter, parseDocument } from "yaml";
import { plannedNetwork, environmentIndexes, type NetworkPlan } from "./cidr-plan.js";
import { ConfigError, issuesFromZod, type ConfigIssue } from "./errors.js";
import { deepMerge } from "./merge.js";
import { defaultPresetFor, presets, type PresetName, type PresetSettings } from "./presets.js";
import { suggestKey } from "./primitives.js";
import { connectionBudgetIssues } from "./rules-connections.js";
import { checkRules } from "./rules.js";
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
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  const at = (offset: number | undefined): string => {
    if (offset === undefined) return "(file)";
    const pos = lineCounter.linePos(offset);
    return `(line ${pos.line}, column ${pos.col})`;
  };
  if (doc.errors.length > 0) {
    const issues: ConfigIssue[] = doc.errors.map((e) => ({
      path: e.linePos ? `(line ${e.linePos[0].line}, column ${e.linePos[0].col})` : at(e.pos?.[0]),
      message: `YAML syntax error: ${e.message.split("\n")[0]}`,
    }));
    throw new ConfigError(issues, source);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // Unresolved aliases and alias bombs are only found while building the value.
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError([{ path: "(file)", message: `YAML error: ${message}` }], source);
  }
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
export function validateConfig(doc: unknown, source?: string): BrumeConfig {
  const parsed = brumeConfigSchema.safeParse(doc);
  if (!parsed.success) throw new ConfigError(issuesFromZod(parsed.error, doc), source);
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

export function resolveEnvironment(config: BrumeConfig, name: string): ResolvedEnvironment {
  // Own keys only: an environment named "constructor" must not find Object.prototype.constructor.
  const env = Object.hasOwn(config.environments, name) ? config.environments[name] : undefined;
  if (!env) {
    const known = Object.keys(config.environments);
    const hint = suggestKey(name, known);
    throw new ConfigError([
      {
        path: "brume:environment",
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
}

export interface LoadedStack {
  file: string;
  config: BrumeConfig;
  environment: ResolvedEnvironment;
}

/** File → overrides → validation → resolved environment. */
export function loadStack(options: LoadStackOptions): LoadedStack {
  const file = options.configFile ? resolve(options.cwd ?? ".", options.configFile) : findConfigFile(options.cwd ?? ".");
  const raw = readConfigFile(file);
  const merged = deepMerge(raw, options.overrides);
  const source = options.overrides === undefined ? file : `${file} + brume:overrides`;
  const config = validateConfig(merged, source);
  const environment = resolveEnvironment(config, options.environment);
  // The connection budget holds for the stack's environment, with its overrides (scaling, pools).
  const budget = connectionBudgetIssues(config, environment.name);
  if (budget.length > 0) throw new ConfigError(budget, source);
  return { file, config, environment };
}
