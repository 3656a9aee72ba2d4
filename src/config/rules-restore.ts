/**
 * Cross-field checks of `databases.<name>.restoreTest` (schema-restore.ts): the database the check
 * query runs in and the user it logs in as are declared on the same instance.
 */
import type { ConfigIssue } from "./errors.js";
import type { BrumeConfig } from "./schema.js";

export function restoreTestIssues(config: BrumeConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [name, db] of Object.entries(config.databases)) {
    const t = db.restoreTest;
    if (t.database !== undefined && !db.databases.includes(t.database)) {
      issues.push({
        path: `databases.${name}.restoreTest.database`,
        message: `the check query runs in a database of this instance; declared: ${db.databases.join(", ")}. Use one of them or add it to databases.${name}.databases`,
        value: t.database,
      });
    }
    if (t.user !== undefined && !db.users.includes(t.user)) {
      issues.push({
        path: `databases.${name}.restoreTest.user`,
        message: `the check logs in as a built-in user of this instance; declared: ${db.users.join(", ")}. Use one of them or add it to databases.${name}.users`,
        value: t.user,
      });
    }
  }
  return issues;
}
