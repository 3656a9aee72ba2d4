/** Whether a new grant of the restore test's roles stays within a change (used by diff.ts). */
import { restoreTestRoles } from "../../components/database/restore-test.js";
import type { PlannedResource } from "../../plan/run.js";
import { temporaryInstancePrefix } from "../../render/restore-test.js";
import type { CreatedScope } from "./diff.js";

/**
 * The restore test's custom roles (components/database/restore-test.ts) to its new identity: the
 * observer reads metadata only; the source and clone roles qualify only when their condition names
 * an instance the same change creates. Added to an instance that exists, cloning its data is a
 * widening a reviewer must see.
 */
export function restoreTestGrantWithinChange(after: PlannedResource, role: string, scope: CreatedScope): boolean {
  const id = role.split("/roles/")[1];
  if (id === restoreTestRoles.observer.roleId) return true;
  if (id !== restoreTestRoles.source.roleId && id !== restoreTestRoles.clones.roleId) return false;
  const condition = after.inputs.condition;
  const expression = condition !== null && typeof condition === "object" && typeof (condition as { expression?: unknown }).expression === "string" ? (condition as { expression: string }).expression : "";
  const project = String(after.inputs.project ?? "");
  return [...scope.ids].some((name) => {
    if (!/^[a-z][a-z0-9-]*$/.test(name)) return false;
    if (expression.includes(`/instances/${name}"`)) return true;
    try {
      return expression.includes(`/instances/${temporaryInstancePrefix(project, name)}"`);
    } catch {
      return false;
    }
  });
}

