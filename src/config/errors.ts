/**
 * Config problems as data: a path into the config, the offending value and a message that says
 * what was expected and how to fix it. `ConfigError` carries the whole list; nothing in the
 * config pipeline throws anything else for bad input.
 */
import type { z } from "zod";
import { suggestKey, unknownKeysSeparator } from "./primitives.js";

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
    // JSON would print Infinity and NaN as null, and throws on bigint.
    text = value === undefined || typeof value === "bigint" || (typeof value === "number" && !Number.isFinite(value))
      ? String(value)
      : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined) text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  return typeof value;
}

/** "got string \"x\"", but "got null" rather than "got null null". */
function got(value: unknown): string {
  if (value === null) return "got null";
  return `got ${describeType(value)} ${showValue(value)}`;
}

/** zod's names for expected types, in the words of a config file. */
function expectedName(expected: string): string {
  if (expected === "int") return "integer";
  if (expected === "record") return "object";
  return expected;
}

/** "at most 100" / "at least 1 item": the bound of a too_big / too_small issue. */
function boundText(issue: { origin?: string; inclusive?: boolean }, bound: number | bigint, big: boolean): string {
  const word = issue.inclusive === false ? (big ? "less than" : "more than") : big ? "at most" : "at least";
  const unit =
    issue.origin === "array" || issue.origin === "set"
      ? ` item${bound === 1 ? "" : "s"}`
      : issue.origin === "string"
        ? ` character${bound === 1 ? "" : "s"}`
        : "";
  return `${word} ${String(bound)}${unit}`;
}

function sizeOf(value: unknown): string {
  if (Array.isArray(value)) return `${value.length} item${value.length === 1 ? "" : "s"}`;
  if (typeof value === "string") return `${value.length} character${value.length === 1 ? "" : "s"} ${showValue(value)}`;
  return showValue(value);
}

/** A record key failed its pattern: suggest the lowercase spelling when that one would pass. */
function keyHint(key: string, inner: readonly z.core.$ZodIssue[]): string {
  const lower = key.toLowerCase();
  if (lower === key) return "";
  for (const issue of inner) {
    const pattern = (issue as { pattern?: unknown }).pattern;
    if (typeof pattern !== "string") continue;
    const m = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
    try {
      if (m && !new RegExp(m[1]!, m[2]).test(lower)) return "";
    } catch {
      return "";
    }
  }
  return ` (did you mean "${lower}"?)`;
}

/** Turns zod issues on `input` into config issues with paths, values and fixes. */
export function issuesFromZod(error: z.ZodError, input: unknown, prefix: PropertyKey[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    const value = valueAt(input, issue.path);
    switch (issue.code) {
      case "unrecognized_keys": {
        // One entry per unknown key, located at the key itself (see `strict` for the message).
        const messages = issue.message.split(unknownKeysSeparator);
        issue.keys.forEach((key, i) => {
          const one = messages.length === issue.keys.length ? messages[i] : undefined;
          out.push({ path: formatPath([...path, key]), message: one ?? `unknown key ${JSON.stringify(key)}`, value: valueAt(input, [...issue.path, key]) });
        });
        break;
      }
      case "invalid_type": {
        const expected = expectedName(issue.expected);
        const key = issue.path[issue.path.length - 1];
        const message =
          value === undefined
            ? key === undefined
              ? `missing config: expected ${expected}`
              : `missing required key ${JSON.stringify(String(key))}: expected ${expected}`
            : typeof value === "number" && !Number.isFinite(value)
              ? `expected a finite ${expected}, got ${showValue(value)}`
              : `expected ${expected}, ${got(value)}`;
        out.push({ path: formatPath(path), message, value });
        break;
      }
      case "too_big":
      case "too_small": {
        const big = issue.code === "too_big";
        const bound = big ? issue.maximum : issue.minimum;
        const message = `expected ${boundText(issue, bound, big)}, got ${sizeOf(value)}`;
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
          // A plain union (a port number or a port name, …): say what each alternative expects.
          const branches = ((issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [])
            .map((branch) => branch[0])
            .filter((first): first is z.core.$ZodIssue => first !== undefined)
            .map((first) => (first.code === "invalid_type" ? expectedName(first.expected) : first.message));
          const expected = [...new Set(branches)];
          const message =
            expected.length > 0
              ? `expected ${expected.join(" or ")}, ${value === undefined ? "got nothing" : got(value)}`
              : `${issue.message}, ${got(value)}`;
          out.push({ path: formatPath(path), message, value });
        }
        break;
      }
      case "invalid_key": {
        const key = issue.path[issue.path.length - 1];
        const inner = issue.issues.map((i) => i.message).join("; ");
        const hint = typeof key === "string" ? keyHint(key, issue.issues) : "";
        out.push({ path: formatPath(path), message: `invalid name ${JSON.stringify(String(key))}: ${inner}${hint}`, value: key });
        break;
      }
      default: {
        const tail = value === undefined ? "" : `, got ${showValue(value)}`;
        out.push({ path: formatPath(path), message: `${issue.message}${tail}`, value });
      }
    }
  }
  return out;
}

export function formatIssues(issues: readonly ConfigIssue[], source?: string): string {
  const head = `${source ? `${source}: ` : ""}invalid brume config (${issues.length} problem${issues.length === 1 ? "" : "s"}):`;
  return [head, ...issues.map((i) => `  - ${i.path}: ${i.message}`)].join("\n");
}
