/**
 * pgAudit activation (gcp-review 26): the rendered SQL and script (snapshots), the Job manifest
 * (the upstream Kubernetes schema), the script (shellcheck), and both executed against Debian's
 * PostgreSQL 15 with its pgaudit package: a throwaway cluster started here as the `postgres` user
 * on loopback, pgaudit preloaded as Cloud SQL's `cloudsql.enable_pgaudit` flag does.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job } from "kubernetes-models/batch/v1";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgauditLog } from "../../src/components/database/database.js";
import {
  auditedDatabases,
  cloudSqlProxyImage,
  pgauditActivationSql,
  pgauditJobManifest,
  pgauditJobName,
  pgauditJobScript,
  psqlImage,
} from "../../src/render/pgaudit.js";
import { ofType, one } from "../harness.js";
import { planOperations } from "../observability/operations-plan.js";
import { asPostgres, expectShellcheckClean, freePort, pgBin } from "./postgres-tools.js";

const sql = pgauditActivationSql({ log: pgauditLog });
const databases = auditedDatabases(["app", "analytics"]);
const script = pgauditJobScript(databases);

describe("rendered activation", () => {
  it("SQL and script (snapshots)", () => {
    expect(sql).toMatchSnapshot();
    expect(script).toMatchSnapshot();
    expect(databases).toEqual(["postgres", "app", "analytics"]);
    expect(auditedDatabases(["postgres", "app"])).toEqual(["postgres", "app"]);
  });

  it("names the Job by what it runs", () => {
    const name = pgauditJobName(sql, script, "bro-ai-prod-main");
    expect(name).toMatch(/^pgaudit-[0-9a-f]{10}$/);
    expect(pgauditJobName(sql, script, "bro-ai-prod-main")).toBe(name);
    expect(pgauditJobName(pgauditActivationSql({ log: "ddl" }), script, "bro-ai-prod-main")).not.toBe(name);
    expect(pgauditJobName(sql, pgauditJobScript(["postgres"]), "bro-ai-prod-main")).not.toBe(name);
    expect(pgauditJobName(sql, script, "bro-ai-stage-main")).not.toBe(name);
  });

  it("refuses a pgaudit.log that is not a list of classes and an empty database list", () => {
    expect(() => pgauditActivationSql({ log: "ddl'; DROP TABLE x; --" })).toThrow(/must list classes/);
    expect(() => pgauditJobScript([])).toThrow(/at least one database/);
  });

  it("the Job validates against the Kubernetes schema, with the proxy as a native sidecar", () => {
    const manifest = pgauditJobManifest({
      name: "pgaudit-0123456789",
      namespace: "bro-ai-prod-main-audit",
      serviceAccountName: "pgaudit",
      connectionName: "bro-ai-prod:us-central1:bro-ai-prod-main",
      configMapName: "pgaudit-0123456789",
      passwordSecretName: "pgaudit-login",
      user: "api",
      script,
      labels: { "app.kubernetes.io/name": "pgaudit" },
    });
    expect(() => new Job(manifest).validate()).not.toThrow();
    const pod = manifest.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.initContainers).toHaveLength(1);
    expect(pod.initContainers[0]).toMatchObject({ name: "cloud-sql-proxy", image: cloudSqlProxyImage, restartPolicy: "Always" });
    expect(pod.initContainers[0]!.args).toEqual(expect.arrayContaining(["--private-ip", "--port=5432", "--address=127.0.0.1", "bro-ai-prod:us-central1:bro-ai-prod-main"]));
    expect(pod.containers[0]!.image).toBe(psqlImage);
    expect(pod.containers[0]!.command).toEqual(["/bin/sh", "-c", script]);
    for (const image of [cloudSqlProxyImage, psqlImage]) expect(image).toMatch(/@sha256:[0-9a-f]{64}$/);
    // A mistyped field fails the schema (the validation is real).
    expect(() => new Job({ ...manifest, spec: { ...manifest.spec, backoffLimit: "two" } } as never).validate()).toThrow();
  });

  it("the script passes shellcheck (POSIX sh)", () => {
    expectShellcheckClean(script, "activate.sh");
  });
});

describe("executed against PostgreSQL 15 with pgaudit", () => {
  let dir = "";
  let data = "";
  let log = "";
  let port = 0;
  const env = () => ({ ...process.env, PGHOST: "127.0.0.1", PGPORT: String(port), PGUSER: "postgres", PGSSLMODE: "disable", PGAUDIT_SQL: join(dir, "activate.sql") });
  const psql = (db: string, query: string) =>
    execFileSync(`${pgBin}/psql`, ["--no-psqlrc", "--tuples-only", "--no-align", "--set=ON_ERROR_STOP=1", `--dbname=${db}`, "--command", query], { env: env(), encoding: "utf8" }).trim();
  const runScript = () => spawnSync("sh", ["-c", script], { env: { ...env(), PATH: `${pgBin}:${process.env.PATH}` }, encoding: "utf8" });
  const start = (preload: boolean) =>
    asPostgres(`${pgBin}/pg_ctl`, [
      "-D",
      data,
      "-l",
      log,
      "-w",
      "-o",
      [
        "-c listen_addresses=127.0.0.1",
        `-c port=${port}`,
        `-c unix_socket_directories=${dir}`,
        ...(preload ? ["-c shared_preload_libraries=pgaudit", `-c pgaudit.log=${pgauditLog}`] : []),
      ].join(" "),
      "start",
    ]);
  const stop = () => asPostgres(`${pgBin}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "stop"]);

  beforeAll(async () => {
    for (const f of [`${pgBin}/initdb`, "/usr/share/postgresql/15/extension/pgaudit.control"]) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run \`bash .ci/install-tools.sh\` (postgresql-15, postgresql-15-pgaudit)`);
    }
    dir = mkdtempSync(join(tmpdir(), "brume-pgaudit-"));
    chmodSync(dir, 0o755);
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
    chownSync(dir, uid, gid);
    data = join(dir, "data");
    log = join(dir, "server.log");
    writeFileSync(join(dir, "activate.sql"), sql);
    // Loopback only, trust auth for the test's own connections; nothing listens beyond 127.0.0.1.
    asPostgres(`${pgBin}/initdb`, ["-D", data, "--auth=trust", "--username=postgres", "--encoding=UTF8", "--locale=C.UTF-8"]);
    port = await freePort();
    start(true);
    for (const db of ["app", "analytics"]) psql("postgres", `CREATE DATABASE ${db}`);
  }, 60_000);

  afterAll(() => {
    if (data && existsSync(join(data, "postmaster.pid"))) stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("creates the extension in every database, twice without error (idempotent)", () => {
    for (let run = 1; run <= 2; run++) {
      const r = runScript();
      expect(r.stderr, `run ${run}`).not.toMatch(/ERROR/);
      expect(r.status, `run ${run}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain("pgaudit: active in 3 database(s)");
    }
    for (const db of databases) {
      expect(psql(db, "SELECT extname FROM pg_extension WHERE extname = 'pgaudit'"), db).toBe("pgaudit");
      expect(psql(db, "SHOW pgaudit.log"), db).toBe(pgauditLog);
    }
  });

  it("pgaudit then logs DDL and role statements as AUDIT entries", () => {
    psql("app", "CREATE TABLE brume_audit_probe (id int)");
    psql("app", "CREATE ROLE brume_probe_role");
    const server = readFileSync(log, "utf8");
    expect(server).toMatch(/AUDIT: SESSION,\d+,\d+,DDL,CREATE TABLE,TABLE,public\.brume_audit_probe,CREATE TABLE brume_audit_probe \(id int\)/);
    expect(server).toMatch(/AUDIT: SESSION,\d+,\d+,ROLE,CREATE ROLE,,,CREATE ROLE brume_probe_role/);
  });

  it("fails, naming the flag, on a server without pgaudit preloaded", () => {
    stop();
    start(false);
    try {
      const r = runScript();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain("pgaudit is not loaded: set the cloudsql.enable_pgaudit flag");
    } finally {
      stop();
      start(true);
    }
  }, 60_000);

  it("fails when pgaudit.log is not what the flags set", () => {
    writeFileSync(join(dir, "activate.sql"), pgauditActivationSql({ log: "ddl" }));
    try {
      const r = runScript();
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('pgaudit.log is "ddl,role", expected "ddl"');
    } finally {
      writeFileSync(join(dir, "activate.sql"), sql);
    }
  });
});

describe("in the plan of examples/bro-ai prod", () => {
  it("runs the Job on the environment's cluster through the proxy, as a built-in user, with a GSA that may only connect to this instance", async () => {
    const plan = await planOperations("prod");
    const prefix = "bro-ai-prod-db-main-audit";
    const job = one(plan, "kubernetes:batch/v1:Job", `${prefix}-job`);
    const instance = one(plan, "gcp:sql/databaseInstance:DatabaseInstance", "bro-ai-prod-db-main-instance");
    const cluster = one(plan, "gcp:container/cluster:Cluster", "bro-ai-prod-cluster-cluster");
    const expectedScript = pgauditJobScript(auditedDatabases(["bro"]));
    const name = pgauditJobName(pgauditActivationSql({ log: pgauditLog }), expectedScript, "bro-ai-prod-main");
    expect(job.inputs).toMatchObject({ metadata: { name, namespace: "bro-ai-prod-main-audit" } });
    expect(job.provider).toBe(one(plan, "pulumi:providers:kubernetes", "bro-ai-prod-cluster-k8s").urn);
    const pod = (job.inputs as { spec: { template: { spec: Record<string, any> } } }).spec.template.spec;
    expect(pod.initContainers[0].args).toEqual(expect.arrayContaining(["--private-ip", "bro-ai-prod:us-central1:bro-ai-prod-main"]));
    expect(pod.containers[0].command[2]).toBe(expectedScript);
    expect(pod.containers[0].env).toEqual(expect.arrayContaining([{ name: "PGUSER", value: "api" }]));
    // The connection name comes from the instance: a real dependency.
    expect(job.dependencies).toContain(instance.urn);
    expect(job.dependencies).toContain(one(plan, "gcp:sql/user:User", "bro-ai-prod-db-main-user-api").urn);
    // The SQL is an immutable ConfigMap named like the Job; the password a Kubernetes Secret, secret in the plan.
    expect(one(plan, "kubernetes:core/v1:ConfigMap", `${prefix}-sql`).inputs).toMatchObject({ metadata: { name }, immutable: true, data: { "activate.sql": pgauditActivationSql({ log: pgauditLog }) } });
    expect(JSON.stringify(one(plan, "kubernetes:core/v1:Secret", `${prefix}-password`).inputs)).toContain("[secret]");
    // Identity: roles/cloudsql.client on this instance only; Workload Identity from the cluster's pool.
    const client = one(plan, "gcp:projects/iAMMember:IAMMember", `${prefix}-client`);
    expect(client.inputs).toMatchObject({
      role: "roles/cloudsql.client",
      member: "serviceAccount:bro-ai-prod-main-audit@bro-ai-prod.iam.gserviceaccount.com",
      condition: { expression: 'resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/bro-ai-prod/instances/bro-ai-prod-main"' },
    });
    const wi = one(plan, "gcp:serviceaccount/iAMMember:IAMMember", `${prefix}-workload-identity`);
    expect(wi.inputs).toMatchObject({ role: "roles/iam.workloadIdentityUser", member: "serviceAccount:bro-ai-prod.svc.id.goog[bro-ai-prod-main-audit/pgaudit]" });
    expect(wi.dependencies).toContain(cluster.urn);
    expect(ofType(plan, "gcp:projects/iAMMember:IAMMember").filter((m) => m.name.startsWith(prefix)).map((m) => m.inputs.role)).toEqual(["roles/cloudsql.client"]);
    // Binary Authorization admits exactly the Job's two images.
    const policy = ofType(plan, "gcp:binaryauthorization/policy:Policy")[0]!;
    const patterns = (policy.inputs.admissionWhitelistPatterns as { namePattern: string }[]).map((p) => p.namePattern);
    expect(patterns).toEqual(expect.arrayContaining([cloudSqlProxyImage, psqlImage]));
  });
});
