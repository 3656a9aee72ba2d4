/**
 * What each database user may do (docs/connections.md): an IAM database user "has no database
 * privileges" until granted (https://cloud.google.com/sql/docs/postgres/add-manage-iam-users#grant-db-privileges),
 * and on PostgreSQL 15 no role but the owner may create in schema `public`. The SQL below, run in
 * one database as a `cloudsqlsuperuser` member, makes one login the schema's owner (it runs the
 * migrations: it creates and alters the tables) and gives every other service's login read and
 * write on the tables, now and on those the owner creates later. Idempotent; pure.
 *
 * Not yet run by a rendered in-VPC job (the pgAudit Job's mechanism, src/render/pgaudit.ts): this
 * is the SQL such a job runs, executed by test/database/grants.test.ts against PostgreSQL 15.
 */

/** A role name as a quoted identifier (IAM users contain `@` and `.`). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 63 || /\0/.test(name)) throw new RangeError(`not a PostgreSQL role name: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
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
    `GRANT ${owner} TO CURRENT_USER;`,
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
