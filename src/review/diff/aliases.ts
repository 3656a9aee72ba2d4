/**
 * Renames Pulumi carries out as moves, not delete + create: a head resource whose `aliases` name a
 * base URN that the head no longer has takes over that resource's state
 * (https://www.pulumi.com/docs/iac/concepts/options/aliases/). Pure: plans in, pairs out.
 */
import type { Plan } from "../../plan/run.js";

/** Old URN → the head URN that answers to it, for base URNs the head no longer has. */
export function aliasMoves(base: Plan, head: Plan): Map<string, string> {
  const headUrns = new Set(head.resources.map((r) => r.urn));
  const baseUrns = new Set(base.resources.map((r) => r.urn));
  const moves = new Map<string, string>();
  for (const r of head.resources) {
    if (baseUrns.has(r.urn)) continue; // the engine uses an alias only when the URN itself has no state
    for (const alias of r.aliases ?? []) {
      if (baseUrns.has(alias) && !headUrns.has(alias) && !moves.has(alias)) {
        moves.set(alias, r.urn);
        break;
      }
    }
  }
  return moves;
}
