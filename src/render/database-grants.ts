/**
 * What each database user may do (docs/connections.md): an IAM database user "has no database
 * privileges" until granted (https://cloud.google.com/sql/docs/postgres/add-manage-iam-users#grant-db-privileges),
 * and on PostgreSQL 15 no role but the owner may create in schema `public`. The SQL below, run in
 * one database as a `cloudsqlsuperuser` member, makes one login the schema's owner (it runs the
 * migrations: it creates and alters the tables) and gives every other service's login read and
 * write on the tables, now and on those the owner creates later. Idempotent; pure.
 *
 * It runs in the VPC as a Kubernetes Job through the Cloud SQL Auth Proxy, the pgAudit Job's
 * mechanism (src/render/pgaudit.ts: same images, proxy sidecar, login, hash-named Job), logged in
 * as a built-in user: "All users you create using Cloud SQL are created as part of the
 * cloudsqlsuperuser role, and have the same set of attributes as the postgres user: CREATEROLE,
 * CREATEDB, and LOGIN" (https://cloud.google.com/sql/docs/postgres/users#other_postgresql_users).
 * On PostgreSQL 15, CREATEROLE may grant membership in any non-superuser role (the GRANT below;
 * PostgreSQL 16 asks for ADMIN OPTION instead, revisit with POSTGRES_16). The logins are the
 * names Cloud SQL gives the users: an IAM service account user is the account's email without
 * `.gserviceaccount.com` (https://cloud.google.com/sql/docs/postgres/add-manage-iam-users#creating-a-database-user).
 * test/database/grants.test.ts executes the Job's script and SQL against PostgreSQL 15.
 */
import { databaseJobScript } from "./pgaudit.js";

/** A role name as a quoted identifier (IAM users contain `@` and `.`). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 63 || /\0/.test(name)) throw new RangeError(`not a PostgreSQL role name: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal (standard_conforming_strings: only `'` is special). */
function sqlLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export interface DatabaseGrants {
  /** Logical database. */
  database: string;
  /** The login that owns schema `public` and runs migrations. */
  owner: string;
  /** The other services' logins: read and write on the owner's tables and sequences. */
  users: string[];
}

export function databaseGrantsSql(g: DatabaseGrants): string {
  const owner = quoteIdent(g.owner);
  const users = [...new Set(g.users.filter((u) => u !== g.owner))].sort().map(quoteIdent);
  const db = quoteIdent(g.database);
  const lines = [
    `-- brume: privileges of the services' logins in database ${g.database} (idempotent).`,
    `-- ${g.owner} owns schema public and runs the migrations; the others read and write its tables.`,
    // ALTER … OWNER TO and ALTER DEFAULT PRIVILEGES FOR ROLE need membership in the owner's role;
    // a cloudsqlsuperuser member has CREATEROLE, which may grant it (PostgreSQL 15 GRANT role).
    // Not when the Job's login is the owner itself (a role cannot be granted to itself).
    `DO $brume$ BEGIN IF NOT pg_has_role(CURRENT_USER, ${sqlLiteral(g.owner)}, 'MEMBER') THEN EXECUTE format('GRANT %I TO %I', ${sqlLiteral(g.owner)}, CURRENT_USER); END IF; END $brume$;`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${[owner, ...users].join(", ")};`,
    `ALTER SCHEMA public OWNER TO ${owner};`,
    `GRANT USAGE, CREATE ON SCHEMA public TO ${owner};`,
  ];
  if (users.length > 0) {
    const to = users.join(", ");
    lines.push(
      `REVOKE CREATE ON SCHEMA public FROM ${to};`,
      `GRANT USAGE ON SCHEMA public TO ${to};`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${to};`,
      `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${to};`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${to};`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${to};`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Where the grants Job mounts its SQL: one `<database>.sql` per logical database. */
export const grantsSqlDir = "/etc/brume/grants";

/** The ConfigMap key (and file) of a database's grants. */
export function grantsSqlFile(database: string): string {
  return `${database}.sql`;
}

/** The grants Job's script: each database's file, in that database; `GRANTS_SQL_DIR` overrides the directory. */
export function grantsJobScript(databases: readonly string[]): string {
  return databaseJobScript({ task: "grants", databases, variable: "GRANTS_SQL_DIR", path: grantsSqlDir, perDatabase: true, doing: "granting", done: "granted" });
}
