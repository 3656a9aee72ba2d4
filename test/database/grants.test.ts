/**
 * The database grants Job (src/render/database-grants.ts, `AuditActivation.grant`) executed for
 * real: the script and SQL of the Job in the offline plans of examples/bro-ai prod and
 * examples/machines prod run against Debian's PostgreSQL 15 in a throwaway cluster on loopback,
 * psql straight to the server standing in for the Cloud SQL Auth Proxy (the Job's own env: PGHOST,
 * PGPORT, PGUSER, PGPASSWORD from the login's secret, PGSSLMODE). The server holds the roles as
 * Cloud SQL creates them: `cloudsqlsuperuser` (CREATEROLE, CREATEDB, not SUPERUSER), built-in users
 * as its members with those attributes and a password, IAM users as plain logins with no
 * privileges, databases owned by `cloudsqlsuperuser`. The other logins then check, in their own
 * sessions, what they may do (has_*_privilege and real statements). Twice: the SQL is idempotent.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job } from "kubernetes-models/batch/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseGrantsSql, grantsJobScript, quoteIdent } from "../../src/render/database-grants.js";
import { one } from "../harness.js";
import { grantsOf, planBroAi, planMachines, userName } from "./grants-plans.js";
import { asPostgres, expectShellcheckClean, freePort, pgBin } from "./postgres-tools.js";

describe("rendered grants", () => {
  it("SQL: the owner and the users, quoted; a login that is the owner is not granted to itself", () => {
    const owner = "bro-ai-prod-api@bro-ai-prod.iam";
    const sql = databaseGrantsSql({ database: "bro", owner, users: ["worker", owner] });
    expect(sql).toContain(`ALTER SCHEMA public OWNER TO "${owner}";`);
    expect(sql).toContain(`ALTER DEFAULT PRIVILEGES FOR ROLE "${owner}" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "worker";`);
    expect(sql).toContain(`GRANT CONNECT, TEMPORARY ON DATABASE "bro" TO "${owner}", "worker";`);
    expect(sql).toContain(`IF NOT pg_has_role(CURRENT_USER, '${owner}', 'MEMBER') THEN EXECUTE format('GRANT %I TO %I', '${owner}', CURRENT_USER)`);
    expect(databaseGrantsSql({ database: "t", owner: "o'x", users: [] })).toContain("'o''x'");
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(() => quoteIdent("")).toThrow();
    expect(() => quoteIdent("x".repeat(64))).toThrow();
  });

  it("script (snapshot) passes shellcheck (POSIX sh)", () => {
    const script = grantsJobScript(["bro", "analytics"]);
    expect(script).toMatchSnapshot();
    expect(() => grantsJobScript([])).toThrow(/at least one database/);
    expectShellcheckClean(script, "grants.sh");
  });
});

describe("the planned Jobs, executed against PostgreSQL 15 as Cloud SQL lays out its roles", () => {
  let dir = "";
  let port = 0;
  let broAi: ReturnType<typeof grantsOf>;
  let machines: ReturnType<typeof grantsOf>;
  let iamApi = "";
  const passwords: Record<string, string> = { api: "api-login-password", worker: "worker-password", renderer: "renderer-password" };
  /** A statement in `db` as `user`, over the socket (trust): how the services' sessions are stood in for. */
  const as = (user: string, db: string, query: string) =>
    spawnSync(`${pgBin}/psql`, ["--no-psqlrc", "-qAt", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-U", user, "-d", db, "-c", query], { encoding: "utf8" });
  const admin = (query: string, db = "postgres") => {
    const r = as("postgres", db, query);
    if (r.status !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  /** The Job's container: its script, its env (password from the login's secret), its mounted SQL; psql to the server instead of the proxy. */
  const runJob = (g: ReturnType<typeof grantsOf>, name: string) => {
    const sqlDir = join(dir, `${name}-sql`);
    execFileSync("mkdir", ["-p", sqlDir]);
    for (const [file, text] of Object.entries(g.files)) writeFileSync(join(sqlDir, file), text);
    const env: Record<string, string> = { PATH: `${pgBin}:${process.env.PATH}`, GRANTS_SQL_DIR: sqlDir };
    for (const e of g.pod.containers[0].env as { name: string; value?: string }[]) if (e.value !== undefined) env[e.name] = e.value;
    // The proxy's place: the server on loopback (TCP, scram-sha-256), as the Job's PGHOST/PGPORT point at 127.0.0.1.
    Object.assign(env, { PGHOST: "127.0.0.1", PGPORT: String(port), PGPASSWORD: passwords[g.user]! });
    return spawnSync("sh", ["-c", g.script], { env, encoding: "utf8" });
  };
  /** Two runs, both clean: the SQL is idempotent. */
  const runJobTwice = (g: ReturnType<typeof grantsOf>, name: string) => {
    for (let run = 1; run <= 2; run++) {
      const r = runJob(g, name);
      expect(r.stderr, `run ${run}`).toBe("");
      expect(r.status, `run ${run}`).toBe(0);
      expect(r.stdout).toBe(`grants: granting in database ${Object.keys(g.files)[0]!.replace(/\.sql$/, "")}\ngrants: granted in 1 database(s)\n`);
    }
  };

  beforeAll(async () => {
    if (!existsSync(`${pgBin}/initdb`)) throw new Error("PostgreSQL 15 is missing: run `bash .ci/install-tools.sh`");
    // One program at a time: the offline plan's mocks are process-wide.
    const a = await planBroAi();
    const m = await planMachines();
    broAi = grantsOf(a, "bro-ai-prod-db-main");
    machines = grantsOf(m, "tiles-prod-db-tiles");
    iamApi = userName(one(a, "gcp:sql/user:User", "bro-ai-prod-svc-api-db-main-user"));
    dir = mkdtempSync(join(tmpdir(), "brume-grants-"));
    chmodSync(dir, 0o755);
    chownSync(dir, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })));
    port = await freePort();
    asPostgres(`${pgBin}/initdb`, ["-D", join(dir, "data"), "--auth-local=trust", "--auth-host=scram-sha-256", "--username=postgres", "--locale=C.UTF-8"]);
    asPostgres(`${pgBin}/pg_ctl`, ["-D", join(dir, "data"), "-l", join(dir, "pg.log"), "-w", "-o", `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir}`, "start"]);
    // https://cloud.google.com/sql/docs/postgres/users: built-in users are cloudsqlsuperuser members with CREATEROLE, CREATEDB, LOGIN.
    admin("CREATE ROLE cloudsqlsuperuser NOLOGIN CREATEROLE CREATEDB");
    for (const u of ["api", "worker", "renderer"]) admin(`CREATE ROLE ${u} LOGIN CREATEROLE CREATEDB PASSWORD '${passwords[u]}' IN ROLE cloudsqlsuperuser`);
    // IAM users start with no privileges (https://cloud.google.com/sql/docs/postgres/add-manage-iam-users#grant-db-privileges).
    for (const role of [iamApi, "stranger"]) admin(`CREATE ROLE ${quoteIdent(role)} LOGIN`);
    for (const db of ["bro", "tiles"]) admin(`CREATE DATABASE ${db} OWNER cloudsqlsuperuser`);
  }, 120_000);

  afterAll(() => {
    if (dir && existsSync(join(dir, "data", "postmaster.pid"))) asPostgres(`${pgBin}/pg_ctl`, ["-D", join(dir, "data"), "-m", "fast", "-w", "stop"]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the planned Job validates against the Kubernetes schema", () => {
    for (const g of [broAi, machines]) expect(() => new Job(g.job.inputs as never).validate()).not.toThrow();
    expect(() => new Job({ ...(broAi.job.inputs as object), spec: { backoffLimit: "two" } } as never).validate()).toThrow();
  });

  it("bro-ai: the Job logs in as the built-in api user; the IAM api login then migrates, worker reads and writes, a stranger reads nothing", () => {
    expect(broAi.user).toBe("api");
    runJobTwice(broAi, "bro-ai");
    // The migration, as the service's IAM login (the preRelease Job's identity).
    expect(as(iamApi, "bro", "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL)").stderr).toBe("");
    expect(as(iamApi, "bro", "SELECT has_schema_privilege('public', 'CREATE')").stdout.trim()).toBe("t");
    // Worker, in its own session: the default privileges reached the table created after the grants.
    const privileges = as(
      "worker",
      "bro",
      "SELECT has_table_privilege('items', 'SELECT, INSERT, UPDATE, DELETE'), has_table_privilege('items', 'TRUNCATE'), has_sequence_privilege('items_id_seq', 'USAGE, SELECT, UPDATE'), has_schema_privilege('public', 'CREATE')",
    );
    expect(privileges.stdout.trim()).toBe("t|f|t|f");
    const write = as("worker", "bro", "INSERT INTO items (name) VALUES ('a'); UPDATE items SET name = 'b'; SELECT count(*) FROM items WHERE name = 'b'");
    expect(write.stderr).toBe("");
    expect(write.stdout.trim()).toBe("1");
    expect(as("worker", "bro", "CREATE TABLE nope (id int)").stderr).toContain("permission denied for schema public");
    expect(as("worker", "bro", "DROP TABLE items").stderr).toContain("must be owner of table items");
    // PostgreSQL 15 keeps USAGE (not CREATE) on schema public for PUBLIC: a stranger sees names, never rows.
    expect(as("stranger", "bro", "SELECT has_table_privilege('items', 'SELECT'), has_schema_privilege('public', 'CREATE')").stdout.trim()).toBe("f|f");
    expect(as("stranger", "bro", "SELECT count(*) FROM items").stderr).toContain("permission denied");
  });

  it("bro-ai: a rerun restores the grants on the tables that exist now (GRANT … ON ALL TABLES)", () => {
    admin(`REVOKE ALL ON items FROM worker`, "bro");
    expect(as("worker", "bro", "SELECT has_table_privilege('items', 'SELECT')").stdout.trim()).toBe("f");
    const r = runJob(broAi, "bro-ai");
    expect(r.status, r.stderr).toBe(0);
    expect(as("worker", "bro", "SELECT has_table_privilege('items', 'SELECT, INSERT, UPDATE, DELETE')").stdout.trim()).toBe("t");
  });

  it("machines: the Job's login is the owner (renderer, password mode, the only user): no self-grant, and renderer migrates", () => {
    expect(machines.user).toBe("renderer");
    runJobTwice(machines, "machines");
    expect(admin("SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'public'", "tiles")).toBe("renderer");
    expect(as("renderer", "tiles", "CREATE TABLE tiles (z int, x int, y int, png bytea, PRIMARY KEY (z, x, y)); INSERT INTO tiles VALUES (0, 0, 0, '')").stderr).toBe("");
    expect(as("stranger", "tiles", "SELECT count(*) FROM tiles").stderr).toContain("permission denied");
  });
});
