/**
 * The connection contract against real servers (issue 14, item 2): PostgreSQL 15 and Redis 7 (TLS
 * with a test CA made here with openssl, AUTH) from Debian, on loopback, on free ports. The
 * `renderer` process service of examples/machines (database `tiles` in password mode, cache
 * `tiles`) is rendered as the machines would run it, and a small app (bash with libpq's psql and
 * hiredis' redis-cli, both from the same Debian packages) that reads ONLY the contract's variables
 * and files writes and reads a row and a key. Three runners:
 *
 * - process: the generated run script, with the env file parsed as systemd's EnvironmentFile= does
 *   and the files written by the generated `secret-files` helper (from a stand-in of the metadata
 *   server and Secret Manager on loopback) at the contract's real paths under /run;
 * - container: the same env file parsed as `docker run --env-file` does (quotes kept literally), and
 *   `host.docker.internal` mapped in a private /etc/hosts (unshare --mount), as `--add-host=…:host-gateway` does;
 * - Kubernetes: the pod's env and its CSI-mounted files written to a temporary directory standing in
 *   for the pod's /var/run/secrets/brume.
 *
 * Stand-ins, said plainly: there is no Cloud SQL Auth Proxy here — PostgreSQL itself listens on the
 * proxy's address and port (machines.edge.cloudSqlProxy.port set to a free port); the pod's sidecar
 * port (5432 in the pod's own network namespace) is mapped to that port.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { validateConfig } from "../../src/config/load.js";
import { Naming } from "../../src/config/naming.js";
import { machineSpecFor } from "../../src/components/machine/from-config.js";
import { placeholderKeys } from "../../src/components/machine/connections.js";
import { podContract } from "../../src/components/service/connections.js";
import { resolvePlaceholders } from "../../src/render/connections.js";
import { renderSecretFilesScript } from "../../src/render/machine-connections.js";
import { renderEnvFile, renderProcessRunScript, type MachineService } from "../../src/render/runners.js";
import { examplePath } from "../harness.js";

const pgBin = "/usr/lib/postgresql/15/bin";
const password = "Tiles-Renderer-Pw_0123456789.~ab";
const redisAuth = "redis-auth-0123456789abcdef";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      server.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}
const asPostgres = (cmd: string, args: string[]) => execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** systemd EnvironmentFile=: `KEY=value`, `#` comments; the contract's values carry no quotes, `$` or `\`, so no unquoting applies (asserted). */
function parseSystemdEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.trim() || /^[#;]/.test(line.trim())) continue;
    const i = line.indexOf("=");
    const value = line.slice(i + 1);
    expect(value, line).not.toMatch(/["'\\$]/);
    env[line.slice(0, i).trim()] = value;
  }
  return env;
}

/** `docker run --env-file` (github.com/docker/cli opts/envfile.go): left-trimmed lines, `#` comments, the value verbatim — quotes included. */
function parseDockerEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trimStart();
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    if (i < 0) continue; // a bare name takes the host's value: the contract never writes one
    env[line.slice(0, i)] = line.slice(i + 1);
  }
  return env;
}

/** The app: only the contract's variables and files. Prints what it read back. */
const app = `#!/bin/bash
set -euo pipefail
: "\${RUNNER:?}"
[ "$DB_AUTH" = password ] || { echo "expected DB_AUTH=password" >&2; exit 2; }
[ "$REDIS_TLS" = true ] || { echo "expected REDIS_TLS=true" >&2; exit 2; }
PGPASSWORD="$(cat "$DB_PASSWORD_FILE")"
export PGPASSWORD
row="$(psql --no-psqlrc -qAt -v ON_ERROR_STOP=1 "host=$DB_HOST port=$DB_PORT dbname=$DB_NAME user=$DB_USER sslmode=$DB_SSLMODE connect_timeout=5" \\
  -c "SET client_min_messages = warning" \\
  -c "CREATE TABLE IF NOT EXISTS contract_probe (runner text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())" \\
  -c "INSERT INTO contract_probe (runner) VALUES ('$RUNNER') ON CONFLICT (runner) DO UPDATE SET at = now()" \\
  -c "SELECT runner FROM contract_probe WHERE runner = '$RUNNER'")"
REDISCLI_AUTH="$(cat "$REDIS_AUTH_FILE")"
export REDISCLI_AUTH
redis() { redis-cli --no-auth-warning --tls --cacert "$REDIS_CA_FILE" -h "$REDIS_HOST" -p "$REDIS_PORT" "$@"; }
[ "$(redis SET "contract:$RUNNER" "pool-$DB_POOL_SIZE")" = OK ]
key="$(redis GET "contract:$RUNNER")"
echo "row=$row key=$key"
`;

describe("the connection contract against PostgreSQL 15 and Redis (TLS + AUTH)", () => {
  let dir = "";
  let pgPort = 0;
  let redisPort = 0;
  let redis: ReturnType<typeof spawnSync> | undefined;
  let redisPid = 0;
  let stand: Server | undefined;
  let standPort = 0;
  let svc: MachineService;
  let envFile = "";
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    for (const f of [`${pgBin}/initdb`, "/usr/bin/redis-server", "/usr/bin/redis-cli"]) {
      if (!existsSync(f)) throw new Error(`${f} is missing: run \`bash .ci/install-tools.sh\` (postgresql-15, redis-server)`);
    }
    dir = mkdtempSync(join(tmpdir(), "brume-contract-"));
    chmodSync(dir, 0o755);
    chownSync(dir, Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" })), Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" })));
    [pgPort, redisPort, standPort] = [await freePort(), await freePort(), await freePort()];

    // PostgreSQL: password (SCRAM) over TCP, as the built-in user of password mode; loopback only.
    writeFileSync(join(dir, "pw"), "postgres-admin\n");
    chmodSync(join(dir, "pw"), 0o644);
    asPostgres(`${pgBin}/initdb`, ["-D", join(dir, "data"), "--auth-local=trust", "--auth-host=scram-sha-256", "--username=postgres", `--pwfile=${join(dir, "pw")}`, "--locale=C.UTF-8"]);
    asPostgres(`${pgBin}/pg_ctl`, ["-D", join(dir, "data"), "-l", join(dir, "pg.log"), "-w", "-o", `-c listen_addresses=127.0.0.1 -c port=${pgPort} -c unix_socket_directories=${dir}`, "start"]);
    const admin = (sql: string, db = "postgres") => asPostgres(`${pgBin}/psql`, ["-h", dir, "-p", String(pgPort), "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]);
    admin(`CREATE ROLE renderer LOGIN PASSWORD '${password}'`);
    admin("CREATE DATABASE tiles");
    // PostgreSQL 15: no CREATE on public for other roles (the grants job of docs/connections.md does this on Cloud SQL).
    admin("GRANT CREATE, USAGE ON SCHEMA public TO renderer", "tiles");

    // Redis: TLS only (port 0 turns plain TCP off), AUTH, a test CA and a server certificate for 127.0.0.1.
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=brume test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "redis.key", "-out", "redis.csr", "-subj", "/CN=127.0.0.1");
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl("x509", "-req", "-in", "redis.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "redis.pem", "-days", "1", "-extfile", "san.ext");
    const r = spawnSync(
      "redis-server",
      ["--port", "0", "--tls-port", String(redisPort), "--bind", "127.0.0.1", "--tls-cert-file", join(dir, "redis.pem"), "--tls-key-file", join(dir, "redis.key"),
        "--tls-ca-cert-file", join(dir, "ca.pem"), "--tls-auth-clients", "no", "--requirepass", redisAuth, "--save", "", "--appendonly", "no",
        "--daemonize", "yes", "--pidfile", join(dir, "redis.pid"), "--logfile", join(dir, "redis.log"), "--dir", dir],
      { encoding: "utf8" },
    );
    redis = r;
    expect(r.status, r.stderr).toBe(0);
    for (let i = 0; i < 50 && !existsSync(join(dir, "redis.pid")); i++) await new Promise((ok) => setTimeout(ok, 100));
    redisPid = Number(readFileSync(join(dir, "redis.pid"), "utf8"));

    // The secrets the contract's files hold, served by a stand-in of the metadata server and Secret Manager.
    secrets["projects/tiles-prod-7310/secrets/tiles-prod-tiles-renderer-password"] = password;
    secrets["projects/tiles-prod-7310/secrets/tiles-prod-tiles-auth"] = redisAuth;
    secrets["projects/tiles-prod-7310/secrets/tiles-prod-tiles-ca"] = readFileSync(join(dir, "ca.pem"), "utf8");
    stand = createHttpServer((req, res) => {
      const url = req.url ?? "";
      if (url.endsWith("/instance/service-accounts/default/token") && req.headers["metadata-flavor"] === "Google") {
        res.end(JSON.stringify({ access_token: "test-token", expires_in: 3599, token_type: "Bearer" }));
        return;
      }
      const m = /^\/v1\/(projects\/[^/]+\/secrets\/[^/]+)\/versions\/latest:access$/.exec(url);
      if (m && req.headers.authorization === "Bearer test-token" && secrets[m[1]!] !== undefined) {
        res.end(JSON.stringify({ name: `${m[1]}/versions/1`, payload: { data: Buffer.from(secrets[m[1]!]!).toString("base64") } }));
        return;
      }
      res.statusCode = 404;
      res.end("{}");
    });
    await new Promise<void>((ok) => stand!.listen(standPort, "127.0.0.1", ok));

    // The renderer as examples/machines declares it; the proxy's port is the stand-in's (PostgreSQL's).
    const doc = parse(readFileSync(examplePath("machines", "brume.yaml"), "utf8"));
    doc.machines.edge.cloudSqlProxy.port = pgPort;
    doc.services.renderer.command = ["bash", "app.sh"];
    const config = validateConfig(doc, "examples/machines/brume.yaml");
    const naming = Naming.of("tiles", "prod");
    const spec = machineSpecFor(config, "edge", { name: "prod", gcpProject: "tiles-prod-7310" }, naming);
    svc = spec.services!.find((s) => s.name === "renderer")!;
    expect(spec.sqlProxies?.map((p) => [p.database, p.port, p.autoIamAuthn])).toEqual([["tiles", pgPort, false]]);
    // The values the MachineGroup resolves from outputs (connection name, the cache's host and port).
    envFile = resolvePlaceholders(renderEnvFile(svc), {
      [placeholderKeys.connectionName("tiles")]: "tiles-prod-7310:europe-west1:tiles-prod-tiles",
      [placeholderKeys.cacheHost("tiles")]: "127.0.0.1",
      [placeholderKeys.cachePort("tiles")]: String(redisPort),
    });
  }, 90_000);

  afterAll(() => {
    stand?.close();
    if (redisPid) spawnSync("kill", [String(redisPid)]);
    if (dir && existsSync(join(dir, "data", "postmaster.pid"))) asPostgres(`${pgBin}/pg_ctl`, ["-D", join(dir, "data"), "-m", "fast", "-w", "stop"]);
    rmSync("/run/brume-renderer", { recursive: true, force: true });
    if (dir) rmSync(dir, { recursive: true, force: true });
    void redis;
  });

  /** Runs the app with an environment (PATH from the test, for psql and redis-cli). */
  const runApp = (env: Record<string, string>, runner: string, wrap: string[] = []) => {
    const home = join(dir, `home-${runner}`);
    mkdirSync(join(home, "src"), { recursive: true });
    writeFileSync(join(home, "src", "app.sh"), app);
    return { home, env: { ...env, RUNNER: runner, HOME: home, PATH: `${pgBin}:/usr/local/bin:/usr/bin:/bin` }, wrap };
  };

  it("the env file holds the contract's variables (no placeholder left)", () => {
    const env = parseSystemdEnvFile(envFile);
    expect(envFile).not.toContain("@@brume:");
    expect(env).toMatchObject({
      DB_AUTH: "password",
      DB_HOST: "127.0.0.1",
      DB_PORT: String(pgPort),
      DB_NAME: "tiles",
      DB_USER: "renderer",
      DB_INSTANCE_CONNECTION_NAME: "tiles-prod-7310:europe-west1:tiles-prod-tiles",
      DB_PASSWORD_FILE: "/run/brume-renderer/secrets/DB_PASSWORD",
      DB_POOL_SIZE: "5",
      DB_SSLMODE: "disable",
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: String(redisPort),
      REDIS_TLS: "true",
      REDIS_AUTH_FILE: "/run/brume-renderer/secrets/REDIS_AUTH",
      REDIS_CA_FILE: "/run/brume-renderer/secrets/REDIS_CA",
      GOOGLE_CLOUD_PROJECT: "tiles-prod-7310",
    });
  });

  it("process runner: secret-files writes the files (0700 dir, 0600 files), the generated run script runs the app", async () => {
    // The unit's ExecStartPre, as rendered: the helper with its arguments.
    const helper = join(dir, "secret-files");
    writeFileSync(helper, renderSecretFilesScript(), { mode: 0o755 });
    const files = svc.connection!.files;
    const pairs = files.map((f) => `${f.name}=projects/${f.project}/secrets/${f.secretId}`);
    // Asynchronously: the stand-in server answers from this process's event loop.
    const w = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(helper, ["/run/brume-renderer/secrets", "0700", "0600", ...pairs], {
        env: { ...process.env, BRUME_METADATA_URL: `http://127.0.0.1:${standPort}`, BRUME_SECRET_MANAGER_URL: `http://127.0.0.1:${standPort}/v1` },
      });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += String(d)));
      child.on("close", (code) => resolve({ code, stderr }));
    });
    expect(w.code, w.stderr).toBe(0);
    expect(statSync("/run/brume-renderer/secrets").mode & 0o777).toBe(0o700);
    for (const f of files) expect(statSync(f.path).mode & 0o777, f.path).toBe(0o600);
    expect(readFileSync("/run/brume-renderer/secrets/REDIS_CA", "utf8")).toContain("BEGIN CERTIFICATE");

    const { home, env } = runApp(parseSystemdEnvFile(envFile), "process");
    mkdirSync(join(home, "bin"), { recursive: true });
    // vfox stands in as a no-op (the runtime is bash here); RUNTIME_DIRECTORY as systemd sets it.
    writeFileSync(join(home, "bin", "vfox"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    writeFileSync(join(home, "run"), renderProcessRunScript(svc), { mode: 0o755 });
    const r = spawnSync(join(home, "run"), [], { env: { ...env, PATH: `${join(home, "bin")}:${env.PATH}`, RUNTIME_DIRECTORY: home }, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("row=process key=pool-5");
  });

  it("container runner: the env file read as docker --env-file, host.docker.internal as --add-host maps it", () => {
    const container: MachineService = { ...svc, runner: "container", image: "example/renderer:1" };
    const containerSpec = machineSpecFor(
      validateConfig(
        (() => {
          const doc = parse(readFileSync(examplePath("machines", "brume.yaml"), "utf8"));
          doc.machines.edge.cloudSqlProxy.port = pgPort;
          doc.services.renderer = { ...doc.services.renderer, runner: "container", image: "example/renderer:1", source: undefined, command: ["bash", "app.sh"] };
          return doc;
        })(),
        "examples/machines/brume.yaml",
      ),
      "edge",
      { name: "prod", gcpProject: "tiles-prod-7310" },
      Naming.of("tiles", "prod"),
    );
    const rendered = containerSpec.services!.find((s) => s.name === "renderer")!;
    void container;
    const file = resolvePlaceholders(renderEnvFile(rendered), {
      [placeholderKeys.connectionName("tiles")]: "tiles-prod-7310:europe-west1:tiles-prod-tiles",
      [placeholderKeys.cacheHost("tiles")]: "127.0.0.1",
      [placeholderKeys.cachePort("tiles")]: String(redisPort),
    });
    const env = parseDockerEnvFile(file);
    expect(env.DB_HOST).toBe("host.docker.internal");
    // The files are bind-mounted at the same path (--volume dir:dir:ro): the process test's files serve.
    expect(env.DB_PASSWORD_FILE).toBe("/run/brume-renderer/secrets/DB_PASSWORD");
    writeFileSync(join(dir, "hosts"), "127.0.0.1 localhost\n127.0.0.1 host.docker.internal\n");
    const { home, env: full } = runApp(env, "container");
    const r = spawnSync("unshare", ["--mount", "--", "sh", "-c", `mount --bind ${join(dir, "hosts")} /etc/hosts && cd ${join(home, "src")} && exec bash app.sh`], { env: full, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("row=container key=pool-5");
  });

  it("Kubernetes: the pod's env and mounted files, written out to a directory standing in for the pod", () => {
    const mount = join(dir, "pod-secrets");
    mkdirSync(mount, { mode: 0o755 });
    const contract = podContract(
      "tiles-prod-7310",
      {
        database: {
          name: "tiles",
          instanceName: "tiles-prod-tiles",
          connectionName: "tiles-prod-7310:europe-west1:tiles-prod-tiles",
          database: "tiles",
          auth: "password",
          passwordUser: "renderer",
          passwordSecretId: "tiles-prod-tiles-renderer-password",
          poolSize: 5,
        },
        cache: { name: "tiles", host: "127.0.0.1", port: String(redisPort), authSecretId: "tiles-prod-tiles-auth", caSecretId: "tiles-prod-tiles-ca" },
      },
      "",
    );
    const env = Object.fromEntries(Object.entries(contract.env).map(([k, v]) => [k, String(v)]));
    expect(env.DB_PORT).toBe("5432");
    // The CSI driver writes each secret as a file of the mount (0644 in a read-only volume).
    for (const f of contract.files) {
      expect(f.path.startsWith("/var/run/secrets/brume/")).toBe(true);
      writeFileSync(join(mount, f.name), secrets[`projects/tiles-prod-7310/secrets/${f.secretId}`]!, { mode: 0o644 });
    }
    const inPod = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace("/var/run/secrets/brume", mount)]));
    // The sidecar's 5432 is in the pod's network namespace; here PostgreSQL stands in on its own port.
    inPod.DB_PORT = String(pgPort);
    const { home, env: full } = runApp(inPod, "kubernetes");
    const r = spawnSync("bash", ["app.sh"], { cwd: join(home, "src"), env: full, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("row=kubernetes key=pool-5");
  });
});
