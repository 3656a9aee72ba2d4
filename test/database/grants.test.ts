/**
 * The database users' privileges (src/render/database-grants.ts) executed against Debian's
 * PostgreSQL 15 in a throwaway cluster on loopback (as test/database/pgaudit.test.ts does): the
 * owner login creates tables (migrations), the other logins read and write them and cannot create,
 * a role without grants reads nothing; the SQL runs twice without error.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseGrantsSql, quoteIdent } from "../../src/render/database-grants.js";

const pgBin = "/usr/lib/postgresql/15/bin";
const owner = "bro-ai-prod-api@bro-ai-prod.iam";
const sql = databaseGrantsSql({ database: "bro", owner, users: ["worker", owner] });

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
const asPostgres = (cmd: string, args: string[]) => execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("database grants", () => {
  let dir = "";
  let port = 0;
  const psql = (user: string, query: string) =>
    spawnSync("runuser", ["-u", "postgres", "--", `${pgBin}/psql`, "--no-psqlrc", "-qAt", "-v", "ON_ERROR_STOP=1", "-h", dir, "-p", String(port), "-U", user, "-d", "bro", "-c", query], { encoding: "utf8" });

  beforeAll(async () => {
    if (!existsSync(`${pgBin}/initdb`)) throw new Error("PostgreSQL 15 is missing: run `bash .ci/install-tools.sh`");
    dir = mkdtempSync(join(tmpdir(), "brume-grants-"));
    chmodSync(dir, 0o755);
    chownSync(dir, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })));
    port = await freePort();
    asPostgres(`${pgBin}/initdb`, ["-D", join(dir, "data"), "--auth=trust", "--username=postgres", "--locale=C.UTF-8"]);
    asPostgres(`${pgBin}/pg_ctl`, ["-D", join(dir, "data"), "-l", join(dir, "pg.log"), "-w", "-o", `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir}`, "start"]);
    const admin = (q: string, db = "postgres") => asPostgres(`${pgBin}/psql`, ["-h", dir, "-p", String(port), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", q]);
    admin("CREATE DATABASE bro");
    // The logins Cloud SQL creates (IAM user, built-in user, another unrelated role); the admin stands in for a cloudsqlsuperuser member.
    for (const role of [owner, "worker", "stranger"]) admin(`CREATE ROLE ${quoteIdent(role)} LOGIN`);
  }, 60_000);

  afterAll(() => {
    if (dir && existsSync(join(dir, "data", "postmaster.pid"))) asPostgres(`${pgBin}/pg_ctl`, ["-D", join(dir, "data"), "-m", "fast", "-w", "stop"]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("renders the owner and the users, quoted (snapshot of the statements)", () => {
    expect(sql).toContain(`ALTER SCHEMA public OWNER TO "${owner}";`);
    expect(sql).toContain(`ALTER DEFAULT PRIVILEGES FOR ROLE "${owner}" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "worker";`);
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(() => quoteIdent("")).toThrow();
  });

  it("runs twice; the owner migrates, the users read and write, nobody else reads", () => {
    for (let run = 1; run <= 2; run++) {
      const r = psql("postgres", sql);
      // A second run only notices that the membership exists.
      expect(r.stderr, `run ${run}`).not.toMatch(/ERROR/);
      expect(r.status).toBe(0);
    }
    const migrate = psql(owner, "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL)");
    expect(migrate.stderr).toBe("");
    const write = psql("worker", "INSERT INTO items (name) VALUES ('a'); SELECT count(*) FROM items");
    expect(write.stderr).toBe("");
    expect(write.stdout.trim()).toBe("1");
    expect(psql("worker", "CREATE TABLE nope (id int)").stderr).toContain("permission denied for schema public");
    expect(psql("worker", "DROP TABLE items").stderr).toContain("must be owner of table items");
    expect(psql("stranger", "SELECT count(*) FROM items").stderr).toContain("permission denied");
  });
});
