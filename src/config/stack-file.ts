/**
 * The Pulumi files beside a brume config, read as strictly as brume.yaml: `Pulumi.yaml` (the project
 * name, which decides every URN) and `Pulumi.<stack>.yaml` (the stack settings: `brume:environment`,
 * `brume:configFile`, `brume:overrides`, `brume:release`, `brume:secrets`, `brume:secretVersions`).
 *
 * - YAML errors name the file, the line and the column (never a stack trace);
 * - an unknown `brume:` key is an error with a did-you-mean (`brume:overides`), a brume key written
 *   without its namespace (`overrides:` under `config:`) and brume keys outside `config:` are explained;
 * - other namespaces (`gcp:project`, `myapp:key`), `secure:` values and Pulumi's own top-level keys
 *   stay allowed. The top-level keys Pulumi reads are `secretsprovider`, `encryptedkey`,
 *   `encryptionsalt`, `config` and `environment` (ESC):
 *   https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/
 *
 * The same key check runs in the Pulumi program (src/program/index.ts), so `pulumi up` refuses what
 * the CLI refuses.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { ConfigError, type ConfigIssue } from "./errors.js";
import { findConfigFile, loadStack, parseConfigText, type LoadedStack } from "./load.js";
import { suggestKey } from "./primitives.js";

/**
 * The `brume:` stack config keys the program reads. Another module that reads a new key adds it here
 * (one line), or `pulumi up` and the CLI refuse it as unknown.
 */
export const brumeStackKeys: string[] = ["environment", "configFile", "overrides", "release", "secrets", "secretVersions"];

/** Pulumi's own top-level keys of a stack settings file (see the reference above). */
export const pulumiStackTopLevelKeys: readonly string[] = ["secretsprovider", "encryptedkey", "encryptionsalt", "config", "environment"];

/** Problems of the `namespace:key` config keys of a stack; only the `brume` namespace is checked. */
export function stackKeyIssues(keys: readonly string[], project: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const known = brumeStackKeys.map((k) => `brume:${k}`);
  for (const key of keys) {
    const [namespace, ...rest] = key.split(":");
    const name = rest.join(":");
    if (namespace === "brume") {
      // `brume:overrides.services` would come from `pulumi config set --path`: the first segment counts.
      const head = name.split(".")[0]!;
      if (brumeStackKeys.includes(head)) continue;
      const hint = suggestKey(`brume:${head}`, known);
      issues.push({
        path: `config["${key}"]`,
        message: `unknown brume stack key "${key}"${hint ? ` (did you mean "${hint}"?)` : ""}; brume reads ${known.join(", ")}`,
      });
    } else if (namespace === project && brumeStackKeys.includes(name)) {
      // A key without a namespace belongs to the project (`myapp:overrides`): brume never reads it.
      issues.push({
        path: `config["${name}"]`,
        message: `"${name}" without a namespace is the project's key "${key}", which brume never reads; write it as "brume:${name}"`,
      });
    }
  }
  return issues;
}

/** `(line N)` of the first line that declares `key` (quoted or not), for messages. */
function lineOf(text: string, key: string): string | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^\\s*["']?${escaped}["']?\\s*:`);
  const index = text.split("\n").findIndex((line) => re.test(line));
  return index < 0 ? undefined : `line ${index + 1}`;
}

export interface StackConfig {
  /** Pulumi project name from Pulumi.yaml. */
  project: string;
  /** `namespace:key` → value. */
  config: Record<string, unknown>;
  secretKeys: string[];
  /** Whether Pulumi.<stack>.yaml exists (a stack without one is planned with defaults). */
  stackFileExists: boolean;
  /** What is allowed but probably not meant (no Pulumi.yaml), one line each. */
  warnings: string[];
}

/** What an encrypted config value is offline: a secret whose value the plan cannot know. */
export const offlineSecretPlaceholder = "offline-secret-placeholder";

/** A config value with each `{ secure: … }` replaced by the placeholder; whether there was one. */
function withPlaceholders(value: unknown): { plain: unknown; secure: boolean } {
  if (value === null || typeof value !== "object") return { plain: value, secure: false };
  if (!Array.isArray(value) && "secure" in value) return { plain: offlineSecretPlaceholder, secure: true };
  let secure = false;
  const convert = (v: unknown) => {
    const out = withPlaceholders(v);
    secure ||= out.secure;
    return out.plain;
  };
  const plain = Array.isArray(value) ? value.map(convert) : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]));
  return { plain, secure };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The project name of `Pulumi.yaml` in `projectDir`; "brume" with a warning when there is none. */
export function readProjectName(projectDir: string): { project: string; warning?: string } {
  const file = join(projectDir, "Pulumi.yaml");
  if (!existsSync(file)) {
    return {
      project: "brume",
      warning: `no Pulumi.yaml in ${projectDir}: planned as Pulumi project "brume"; the project name is part of every URN, so create Pulumi.yaml (name: <your project>, runtime: nodejs) before the first \`pulumi up\``,
    };
  }
  const doc = parseConfigText(readFileSync(file, "utf8"), "yaml", file);
  const name = isObject(doc) ? doc.name : undefined;
  if (typeof name !== "string" || name === "") {
    throw new ConfigError([{ path: "name", message: "Pulumi.yaml needs a project name (name: <your project>)", value: name }], file);
  }
  return { project: name };
}

/** Reads Pulumi.yaml and Pulumi.<stack>.yaml from a Pulumi project directory, strictly (see above). */
export function readStackConfig(projectDir: string, stack: string): StackConfig {
  const { project, warning } = readProjectName(projectDir);
  const warnings = warning ? [warning] : [];
  const stackFile = join(projectDir, `Pulumi.${stack}.yaml`);
  const config: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  if (!existsSync(stackFile)) return { project, config, secretKeys, stackFileExists: false, warnings };
  const text = readFileSync(stackFile, "utf8");
  const doc = parseConfigText(text, "yaml", stackFile) ?? {};
  if (!isObject(doc)) throw new ConfigError([{ path: "(root)", message: "a stack settings file is a mapping with a config: key", value: doc }], stackFile);
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(doc)) {
    if (pulumiStackTopLevelKeys.includes(key)) continue;
    const at = lineOf(text, key);
    const brumeKey = key.startsWith("brume:") || brumeStackKeys.includes(key);
    issues.push({
      path: at ? `${key} (${at})` : key,
      message: brumeKey
        ? `"${key}" is at the top level, where Pulumi ignores it (missing "config:" root?): stack config lives under a top-level "config:" key; indent it under "config:" as "${key.startsWith("brume:") ? key : `brume:${key}`}"`
        : `unknown top-level key "${key}"; a stack settings file holds ${pulumiStackTopLevelKeys.join(", ")} (stack config goes under "config:")`,
    });
  }
  if (doc.config !== undefined && doc.config !== null && !isObject(doc.config)) {
    issues.push({ path: "config", message: "expected a mapping of namespace:key → value", value: doc.config });
  }
  const entries = isObject(doc.config) ? Object.entries(doc.config) : [];
  const keys = entries.map(([rawKey]) => (rawKey.includes(":") ? rawKey : `${project}:${rawKey}`));
  for (const issue of stackKeyIssues(keys, project)) {
    const bare = /^config\["(.*)"\]$/.exec(issue.path)?.[1] ?? "";
    const at = lineOf(text, bare);
    issues.push(at ? { ...issue, path: `${issue.path} (${at})` } : issue);
  }
  if (issues.length > 0) throw new ConfigError(issues, stackFile);
  entries.forEach(([, value], i) => {
    const key = keys[i]!;
    // Encrypted with the stack's secrets provider: offline we only know that it is a secret. An
    // object with an encrypted leaf (`pulumi config set --secret --path`) reaches the program as
    // one secret key, its leaves decrypted (https://github.com/pulumi/pulumi/pull/3342).
    const { plain, secure } = withPlaceholders(value);
    config[key] = plain;
    if (secure) secretKeys.push(key);
  });
  return { project, config, secretKeys, stackFileExists: true, warnings };
}

export interface StackInputs {
  configFile: string;
  projectDir: string;
  stackConfig: StackConfig;
  /** `brume:environment`, or the stack name. */
  environment: string;
  /** `brume:overrides` (checked to be an object). */
  overrides?: Record<string, unknown>;
  stackFile: string;
}

/**
 * Where a stack's files are, as every command finds them (and as `pulumi up` would):
 * `--project-dir` must exist; the config file is `--config`, else the stack's `brume:configFile`
 * (relative to the project directory, as the program resolves it under `pulumi up`), else brume.yaml
 * / brume.toml in the project directory, else in the current directory.
 */
export function resolveStackInputs(options: { stack: string; configFile?: string; projectDir?: string }): StackInputs {
  if (options.projectDir !== undefined) {
    const dir = resolve(options.projectDir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ConfigError([{ path: "--project-dir", message: `${options.projectDir} is not a directory; pass the directory that holds Pulumi.yaml and Pulumi.${options.stack}.yaml`, value: options.projectDir }]);
    }
  }
  const given = options.configFile !== undefined ? resolve(options.configFile) : undefined;
  const projectDir = resolve(options.projectDir ?? (given ? dirname(given) : "."));
  const stackConfig = readStackConfig(projectDir, options.stack);
  const stackFile = join(projectDir, `Pulumi.${options.stack}.yaml`);
  const fromStack = stackConfig.config["brume:configFile"];
  if (fromStack !== undefined && typeof fromStack !== "string") {
    throw new ConfigError([{ path: "brume:configFile", message: "expected a path to brume.yaml or brume.toml", value: fromStack }], stackFile);
  }
  let configFile: string;
  if (given) configFile = given;
  else if (fromStack) {
    configFile = resolve(projectDir, fromStack);
    if (!existsSync(configFile)) {
      throw new ConfigError([{ path: "brume:configFile", message: `config file not found: ${configFile} (resolved from the project directory ${projectDir})`, value: fromStack }], stackFile);
    }
  } else {
    let found: string | undefined;
    try {
      found = findConfigFile(projectDir);
    } catch (err) {
      if (projectDir === resolve(".")) throw err;
    }
    configFile = resolve(found ?? findConfigFile("."));
  }
  const environment = String(stackConfig.config["brume:environment"] ?? options.stack);
  const overrides = stackConfig.config["brume:overrides"];
  if (overrides !== undefined && !isObject(overrides)) {
    throw new ConfigError([{ path: "brume:overrides", message: "expected an object deep-merged over the config file", value: overrides }], stackFile);
  }
  return { configFile, projectDir, stackConfig, environment, ...(overrides !== undefined ? { overrides } : {}), stackFile };
}

/**
 * A stack's brume config as `pulumi up` would load it: its files found by `resolveStackInputs`, the
 * overrides merged (an override of an undeclared name is an error naming the stack file), validated.
 */
export function loadStackFiles(options: { stack: string; configFile?: string; projectDir?: string }): { inputs: StackInputs; loaded: LoadedStack } {
  const inputs = resolveStackInputs(options);
  const loaded = loadStack({
    configFile: inputs.configFile,
    environment: inputs.environment,
    ...(inputs.overrides !== undefined ? { overrides: inputs.overrides, overridesSource: inputs.stackFile } : {}),
    ...(inputs.stackConfig.config["brume:release"] !== undefined ? { release: inputs.stackConfig.config["brume:release"] } : {}),
    ...(inputs.stackConfig.config["brume:secretVersions"] !== undefined ? { secretVersions: inputs.stackConfig.config["brume:secretVersions"] } : {}),
    environmentSource: inputs.stackConfig.config["brume:environment"] === undefined ? `--stack ${options.stack}` : `brume:environment in ${inputs.stackFile}`,
  });
  return { inputs, loaded };
}
