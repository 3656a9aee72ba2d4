/**
 * Config problems as data: a path into the config, the offending value and a message that says
 * what was expected and how to fix it. `ConfigError` carries the whole list; nothing in the
 * config pipeline throws anything else for bad input.
 */
import type { z } from "zod";
import { suggestKey } from "./primitives.js";

export interface ConfigIssue {
  /** Dotted path into the config, e.g. `services.api.scaling.max` or `services.api.ports[0].port`. */
  path: string;
  /** What is wrong and what was expected, with a fix when one is known. */
  message: string;
  /** The value found at the path (absent when the key is missing). */
  value?: unknown;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly issues: ConfigIssue[],
    readonly source?: string,
  ) {
    super(formatIssues(issues, source));
  }
}

/** `["services","api","ports",0,"port"]` → `services.api.ports[0].port`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][-\w$]*$/.test(String(part))) out += out ? `.${String(part)}` : String(part);
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || "(root)";
}

/** Reads the value at a path of an untyped document, or undefined. */
export function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = doc;
  for (const part of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[part as string];
  }
  return cur;
}

/** A short rendering of a value for messages: JSON, cut at 60 characters. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? "undefined" : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined) text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** Turns zod issues on `input` into config issues with paths, values and fixes. */
export function issuesFromZod(error: z.ZodError, input: unknown, prefix: PropertyKey[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    const value = valueAt(input, issue.path);
    switch (issue.code) {
      case "unrecognized_keys": {
        // One entry per unknown key, located at the key itself.
        for (const key of issue.keys) {
          const one = issue.keys.length === 1 ? issue.message : issue.message.split("; ").find((m) => m.includes(`"${key}"`));
          out.push({ path: formatPath([...path, key]), message: one ?? `unknown key "${key}"`, value: valueAt(input, [...issue.path, key]) });
        }
        break;
      }
      case "invalid_type": {
        const message =
          value === undefined
            ? `missing required ${issue.expected}`
            : `expected ${issue.expected}, got ${describeType(value)} ${showValue(value)}`;
        out.push({ path: formatPath(path), message, value });
        break;
      }
      case "invalid_value": {
        const options = issue.values.map((v) => JSON.stringify(v));
        const hint = typeof value === "string" ? suggestKey(value, issue.values.map(String)) : undefined;
        const message =
          (value === undefined ? `missing; expected one of ${options.join(", ")}` : `expected one of ${options.join(", ")}, got ${showValue(value)}`) +
          (hint ? ` (did you mean "${hint}"?)` : "");
        out.push({ path: formatPath(path), message, value });
        break;
      }
      case "invalid_union": {
        const options = (issue as { options?: unknown[] }).options;
        if (options) {
          // A discriminated union with an unknown discriminator (strategy.type, …).
          const hint = typeof value === "string" ? suggestKey(value, options.map(String)) : undefined;
          const shown = options.map((o) => JSON.stringify(o)).join(", ");
          const message =
            (value === undefined ? `missing; expected one of ${shown}` : `expected one of ${shown}, got ${showValue(value)}`) +
            (hint ? ` (did you mean "${hint}"?)` : "");
          out.push({ path: formatPath(path), message, value });
        } else {
          out.push({ path: formatPath(path), message: `${issue.message}, got ${showValue(value)}`, value });
        }
        break;
      }
      case "invalid_key": {
        const key = issue.path[issue.path.length - 1];
        const inner = issue.issues.map((i) => i.message).join("; ");
        out.push({ path: formatPath(path), message: `invalid name ${JSON.stringify(String(key))}: ${inner}`, value: key });
        break;
      }
      default: {
        const got = value === undefined ? "" : `, got ${showValue(value)}`;
        out.push({ path: formatPath(path), message: `${issue.message}${got}`, value });
      }
    }
  }
  return out;
}

export function formatIssues(issues: readonly ConfigIssue[], source?: string): string {
  const head = `${source ? `${source}: ` : ""}invalid brume config (${issues.length} problem${issues.length === 1 ? "" : "s"}):`;
  return [head, ...issues.map((i) => `  - ${i.path}: ${i.message}`)].join("\n");
}
