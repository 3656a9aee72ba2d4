/**
 * Who owns a database's schema and who else logs in to it (docs/connections.md, "Database
 * privileges"): every service that `uses` a database is one of its users, whatever runs it
 * (Kubernetes, a machine `container` or `process` service), in either `databaseAuth` mode. One of
 * them owns schema `public` of the database it connects to (`DB_NAME`, the first of
 * `databases.<db>.databases`) and runs the migrations; the others read and write its tables.
 *
 * The owner is `databases.<db>.owner` when set; otherwise the one user with a `preRelease` job (the
 * migrations run there, with the service's identity), otherwise the only user. Anything else is
 * ambiguous and refused with the fix. Pure.
 */
import type { BrumeConfig, ServiceConfig } from "./schema.js";

type Add = (path: string, message: string, value?: unknown) => void;

/** One service's login to a database. */
export interface DatabaseLogin {
  service: string;
  auth: ServiceConfig["uses"]["databaseAuth"];
  runner: ServiceConfig["runner"];
  /** Machine group of a machine service (its identity is the group's). */
  machines?: string;
}

/** The logins of one database instance and which of them owns its schema. */
export interface DatabaseLogins {
  /** The logical database the services connect to (`DB_NAME`). */
  database: string;
  /** The service whose login owns schema `public` and runs the migrations. */
  owner: string;
  /** Every service that uses the database, the owner included, by name. */
  logins: DatabaseLogin[];
}

/** The services that use database `db`, by name (sorted). */
function usersOf(config: BrumeConfig, db: string): [string, ServiceConfig][] {
  return Object.entries(config.services)
    .filter(([, s]) => s.uses.database === db)
    .sort(([a], [b]) => a.localeCompare(b));
}

/** The owner of database `db`, or why there is none. */
export function databaseOwner(config: BrumeConfig, db: string): { owner: string } | { problem: string; path: string } | undefined {
  const users = usersOf(config, db);
  const declared = config.databases[db]?.owner;
  const names = users.map(([n]) => n);
  if (declared !== undefined) {
    if (names.includes(declared)) return { owner: declared };
    return {
      path: `databases.${db}.owner`,
      problem: `"${declared}" does not use database "${db}", so it has no login there to own the schema; ${names.length > 0 ? `set it to one of ${names.join(", ")}` : "remove owner, or add uses.database to the service"}`,
    };
  }
  if (users.length === 0) return undefined;
  if (users.length === 1) return { owner: names[0]! };
  const migrating = users.filter(([, s]) => s.preRelease !== undefined).map(([n]) => n);
  if (migrating.length === 1) return { owner: migrating[0]! };
  return {
    path: `databases.${db}`,
    problem: `services ${names.join(", ")} use database "${db}" and ${migrating.length === 0 ? "none" : `${migrating.join(", ")}`} of them run${migrating.length === 1 ? "s" : ""} migrations (preRelease), so which login owns its schema is ambiguous; set databases.${db}.owner to the service that runs the migrations`,
  };
}

/** The logins and owner of database `db`, or undefined when no service uses it (or the owner is ambiguous: a config error). */
export function databaseLogins(config: BrumeConfig, db: string): DatabaseLogins | undefined {
  const owner = databaseOwner(config, db);
  const instance = config.databases[db];
  if (!owner || !("owner" in owner) || !instance) return undefined;
  return {
    database: instance.databases[0]!,
    owner: owner.owner,
    logins: usersOf(config, db).map(([service, s]) => ({ service, auth: s.uses.databaseAuth, runner: s.runner, ...(s.machines ? { machines: s.machines } : {}) })),
  };
}

/** Every database's owner resolves (the rule `validateConfig` runs). */
export function checkDatabaseOwners(config: BrumeConfig, add: Add): void {
  for (const db of Object.keys(config.databases)) {
    const owner = databaseOwner(config, db);
    if (owner && "problem" in owner) add(owner.path, owner.problem, config.databases[db]!.owner);
  }
}
