/**
 * The stack file side of a release step: `brume:release.<section>.<name>` in Pulumi.<env>.yaml is
 * edited key by key through the `yaml` Document API, so only the keys that move change and every
 * other line (comments, flow lists, order) is kept byte for byte (newcomer 12). And the git
 * precondition: a step starts from the stack file the default branch holds (k8s-review 21).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import { isMap, parseDocument, type Document } from "yaml";
import { machineStateKeys, releaseStateKey, serviceStateKeys } from "../../config/schema-release.js";

export interface ReleaseTarget {
  section: "services" | "machines";
  name: string;
}

/** The release state of a strategy: its state keys, without empty lists and absent values. */
export function stateOf(target: ReleaseTarget, strategy: Record<string, unknown>): Record<string, unknown> {
  const keys = (target.section === "services" ? serviceStateKeys : machineStateKeys)[String(strategy.type)] ?? [];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = strategy[key];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    out[key] = v;
  }
  return out;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Writes `next` as the target's release state into the stack file's text: a key whose value is
 * unchanged is not touched, a key no longer in the state is removed. Returns the new text and the
 * keys that moved (none: the caller writes nothing).
 */
export function editReleaseState(text: string, target: ReleaseTarget, next: Record<string, unknown>): { text: string; moved: string[] } {
  const doc: Document = parseDocument(text || "config: {}\n");
  if (!isMap(doc.contents)) doc.contents = doc.createNode({ config: {} }) as never;
  const at = ["config", releaseStateKey, target.section, target.name];
  const current = (doc.getIn(at) as { toJSON?: () => unknown } | undefined)?.toJSON?.() as Record<string, unknown> | undefined;
  const moved: string[] = [];
  if (!current) {
    if (Object.keys(next).length === 0) return { text, moved };
    // Block style for the maps, flow style for each release ({ version, image }): one line per key.
    const node = doc.createNode(next, { flow: false });
    for (const item of (node as { items: { value: { flow?: boolean; items?: unknown[] } }[] }).items) {
      const v = item.value as { flow?: boolean; items?: { flow?: boolean }[] };
      if (v && typeof v === "object" && "items" in v) {
        v.flow = !Array.isArray(v.items) || !v.items.some((i) => i && typeof i === "object" && "items" in (i as object));
        for (const i of v.items ?? []) if (i && typeof i === "object" && "items" in i) (i as { flow?: boolean }).flow = true;
      }
    }
    doc.setIn(at, node);
    return { text: doc.toString({ lineWidth: 0 }), moved: Object.keys(next) };
  }
  for (const [key, value] of Object.entries(next)) {
    if (same(current[key], value)) continue;
    const node = doc.createNode(value);
    const n = node as { flow?: boolean; items?: { flow?: boolean }[] };
    if (n && typeof n === "object" && "items" in n) {
      n.flow = true;
      for (const i of n.items ?? []) if (i && typeof i === "object" && "items" in i) (i as { flow?: boolean }).flow = true;
    }
    doc.setIn([...at, key], node);
    moved.push(key);
  }
  for (const key of Object.keys(current)) {
    if (key in next) continue;
    doc.deleteIn([...at, key]);
    moved.push(key);
  }
  return { text: moved.length ? doc.toString({ lineWidth: 0 }) : text, moved };
}

/** Why a step must not start from this working tree, or undefined. */
export function stackFileDrift(stackFile: string, base: string | undefined): string | undefined {
  const dir = dirname(stackFile);
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  let top: string;
  try {
    top = git("rev-parse", "--show-toplevel");
  } catch {
    return undefined; // not a git work tree: nothing to compare with
  }
  const refs = base ? [base] : ["origin/HEAD", "main", "master"];
  const ref = refs.find((r) => {
    try {
      git("rev-parse", "--verify", "--quiet", `${r}^{commit}`);
      return true;
    } catch {
      return false;
    }
  });
  if (!ref) return base ? `the base ref "${base}" does not exist` : undefined;
  const path = relative(top, stackFile);
  let committed = "";
  try {
    committed = git("show", `${ref}:${path}`);
  } catch {
    committed = "";
  }
  const working = existsSync(stackFile) ? readFileSync(stackFile, "utf8").trim() : "";
  if (committed === working) return undefined;
  return `${path} differs from ${ref}: the next deploy from ${ref} would revert this step. Commit and merge the pending edit first, or pass --break-glass (docs/releases.md)`;
}
