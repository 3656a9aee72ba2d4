/**
 * The database grants Job of each instance (docs/connections.md, "Database privileges"): once the
 * services and machine groups exist, every database a service uses gets `AuditActivation.grant`
 * with the Cloud SQL users of its logins — a service's IAM user (its GSA's), a machine group's IAM
 * user (the VM identity's) or, in password mode, the built-in user named like the service — and
 * the owner `databaseLogins` decided (src/config/database-owners.ts).
 */
import type * as gcp from "@pulumi/gcp";
import { databaseLogins, type DatabaseLogin } from "../../config/database-owners.js";
import { passwordLogin } from "../../config/rules-connections.js";
import type { BrumeConfig } from "../../config/schema.js";
import type { DatabaseGrantsJob } from "../database/audit.js";
import type { Environment } from "../environment/environment.js";
import type { Machines } from "../machine/machines.js";
import type { ProjectServices } from "../service/wiring.js";

/**
 * Adds the grants Job to each database's activation. A database some of whose logins this program
 * did not create (an offline plan of `onlyServices`) gets none: a partial grant would change the owner.
 */
export function grantDatabaseUsers(config: BrumeConfig, environment: Environment, services: ProjectServices["services"], machines: Machines | undefined): Record<string, DatabaseGrantsJob> {
  const jobs: Record<string, DatabaseGrantsJob> = {};
  for (const [key, activation] of Object.entries(environment.auditActivations)) {
    const plan = databaseLogins(config, key);
    if (!plan) continue;
    const userOf = (login: DatabaseLogin): gcp.sql.User | undefined => {
      // A password login keeps its name across a rename (`renamedFrom`: docs/config.md).
      if (login.auth === "password") return environment.databases[key]!.users[passwordLogin(login.service, config.services[login.service] ?? {})];
      if (login.runner === "kubernetes") return services[login.service]?.databaseLogin?.user;
      return machines?.databaseLogins[login.machines!]?.[key]?.user;
    };
    const users = plan.logins.map((l) => ({ service: l.service, user: userOf(l) }));
    if (users.some((u) => u.user === undefined)) continue;
    const owner = users.find((u) => u.service === plan.owner)!.user!;
    const others = [...new Set(users.map((u) => u.user!).filter((u) => u !== owner))];
    jobs[key] = activation.grant([{ database: plan.database, owner, users: others }]);
  }
  return jobs;
}
