/**
 * The agent install script and the token fetch, EXECUTED against an HTTP server on 127.0.0.1 with
 * every path under a temporary root: success installs binary + config; a wrong checksum or a
 * server that is down exits non-zero, says why, and installs nothing.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderInstallScript, renderTokenFetchScript, type AgentSpec } from "../../src/render/index.js";
import { renderFetchVerifiedScript } from "../../src/render/runners.js";
import { agentSpec, requireTool, run } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-install-"));
let server: Server;
let base = "";
let tarball: Buffer;
let sha256 = "";
/** A vfox release as goreleaser packs it: vfox_<v>_linux_x86_64.tar.gz holding vfox_<v>_linux_x86_64/{vfox,README.md,LICENSE}. */
let vfoxTarball: Buffer;
const vfoxBinary = "#!/bin/sh\necho vfox 0.6.0\n";
const requests: string[] = [];
const token = "bootstrap-token-value-7f3a";

beforeAll(async () => {
  requireTool("curl");
  requireTool("tar");
  requireTool("sha256sum");
  const pkg = join(tmp, "pkg");
  mkdirSync(join(pkg, "dployrd_0.1.0"), { recursive: true });
  writeFileSync(join(pkg, "dployrd_0.1.0", "dployrd"), "#!/bin/sh\necho dployrd 0.1.0\n", { mode: 0o755 });
  writeFileSync(join(pkg, "dployrd_0.1.0", "README"), "fake release\n");
  const r = run("tar", ["-czf", join(tmp, "release.tar.gz"), "-C", pkg, "dployrd_0.1.0"]);
  expect(r.status).toBe(0);
  tarball = readFileSync(join(tmp, "release.tar.gz"));
  sha256 = createHash("sha256").update(tarball).digest("hex");

  const vfoxDir = join(tmp, "vfox-pkg", "vfox_0.6.0_linux_x86_64");
  mkdirSync(vfoxDir, { recursive: true });
  writeFileSync(join(vfoxDir, "vfox"), vfoxBinary, { mode: 0o755 });
  writeFileSync(join(vfoxDir, "README.md"), "vfox\n");
  writeFileSync(join(vfoxDir, "LICENSE"), "Apache-2.0\n");
  expect(run("tar", ["-czf", join(tmp, "vfox.tar.gz"), "-C", join(tmp, "vfox-pkg"), "vfox_0.6.0_linux_x86_64"]).status).toBe(0);
  vfoxTarball = readFileSync(join(tmp, "vfox.tar.gz"));

  server = createServer((req, res) => {
    if (req.url === "/vfox/v0.6.0/vfox_0.6.0_linux_x86_64.tar.gz") return void res.end(vfoxTarball);
    if (req.url === "/vfox/v0.6.0/vfox") return void res.end(vfoxBinary);
    requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""} ${req.headers["metadata-flavor"] ?? ""}`);
    if (req.url === "/releases/v0.1.0/dployrd.tar.gz") return void res.end(tarball);
    if (req.url === "/releases/v0.1.0/dployrd.tar.gz.sha256") return void res.end(`${sha256}  dployrd.tar.gz\n`);
    if (req.url === "/metadata/instance/service-accounts/default/token" && req.headers["metadata-flavor"] === "Google") {
      return void res.end(JSON.stringify({ access_token: "ya29.mock-access", expires_in: 3599, token_type: "Bearer" }));
    }
    if (req.url === "/sm/projects/shop-prod-1234/secrets/shop-prod-agent-bootstrap-token/versions/latest:access") {
      if (req.headers.authorization !== "Bearer ya29.mock-access") return void res.writeHead(403).end();
      const data = Buffer.from(token).toString("base64");
      return void res.end(`{\n  "name": "projects/1/secrets/x/versions/3",\n  "payload": {\n    "data": "${data}",\n    "dataCrc32c": "1"\n  }\n}\n`);
    }
    res.writeHead(404).end("not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs a script asynchronously (the server lives in this process). */
function exec(script: string, env: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(tmp, `script-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, script, { mode: 0o755 });
  return new Promise((resolve) => {
    execFile("bash", [path, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, timeout: 25_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const spec = (over: Partial<AgentSpec> = {}): AgentSpec => ({ ...agentSpec, url: `${base}/releases/v{version}/dployrd.tar.gz`, sha256, ...over });
const fastRetries = { BRUME_DOWNLOAD_ATTEMPTS: "3", BRUME_DOWNLOAD_BACKOFF_SECONDS: "0", BRUME_DOWNLOAD_CONNECT_TIMEOUT: "2" };
const freshRoot = () => mkdtempSync(join(tmp, "root-"));

describe("install script", () => {
  it("downloads, verifies and installs the binary and the config", async () => {
    const root = freshRoot();
    const r = await exec(renderInstallScript(spec()), { BRUME_ROOT: root, ...fastRetries });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("install-dployrd: installed dployrd 0.1.0\n");
    const binary = join(root, "usr/local/bin/dployrd");
    expect(readFileSync(binary, "utf8")).toContain("echo dployrd 0.1.0");
    expect(statSync(binary).mode & 0o777).toBe(0o755);
    const config = readFileSync(join(root, "etc/dployrd/config.toml"), "utf8");
    expect(config).toContain('base_url = "https://base.example.com"');
    expect(statSync(join(root, "etc/dployrd/config.toml")).mode & 0o777).toBe(0o640);
    for (const dir of ["var/lib/dployrd", "var/log/dployrd", "etc/dployrd"]) expect(statSync(join(root, dir)).mode & 0o777).toBe(0o750);
    expect(existsSync(join(root, "usr/local/bin/.dployrd.new"))).toBe(false);
  });

  it("on Container-Optimized OS installs the binary under /var/lib/google (stateful, executable), the rest where Debian has it", async () => {
    const root = freshRoot();
    const r = await exec(renderInstallScript(spec(), "cos-stable"), { BRUME_ROOT: root, ...fastRetries });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const binary = join(root, "var/lib/google/brume/bin/dployrd");
    expect(readFileSync(binary, "utf8")).toContain("echo dployrd 0.1.0");
    expect(statSync(binary).mode & 0o777).toBe(0o755);
    expect(existsSync(join(root, "usr"))).toBe(false);
    expect(readFileSync(join(root, "etc/dployrd/config.toml"), "utf8")).toContain('data_dir = "/var/lib/dployrd"');
    // Run again (COS runs cloud-init, hence the install, at every boot): same result, no leftovers.
    const again = await exec(renderInstallScript(spec(), "cos-stable"), { BRUME_ROOT: root, ...fastRetries });
    expect(again.code).toBe(0);
    expect(existsSync(join(root, "var/lib/google/brume/bin/.dployrd.new"))).toBe(false);
  });

  it("verifies against the published checksum when no SHA-256 is pinned", async () => {
    const root = freshRoot();
    const { sha256: _pinned, ...unpinned } = spec();
    const r = await exec(renderInstallScript(unpinned), { BRUME_ROOT: root, ...fastRetries });
    expect(r.code).toBe(0);
    expect(existsSync(join(root, "usr/local/bin/dployrd"))).toBe(true);
  });

  it("exits 3 on a checksum mismatch and installs nothing", async () => {
    const root = freshRoot();
    const wrong = "0".repeat(64);
    const r = await exec(renderInstallScript(spec({ sha256: wrong })), { BRUME_ROOT: root, ...fastRetries });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `install-dployrd: error: checksum mismatch for ${base}/releases/v0.1.0/dployrd.tar.gz: expected ${wrong}, got ${sha256}; nothing was installed\n`,
    );
    expect(run("find", [root, "-mindepth", "1"]).stdout).toBe("");
  });

  it("exits 2 after bounded retries when the server is down, and installs nothing", async () => {
    const down = createServer();
    await new Promise<void>((resolve) => down.listen(0, "127.0.0.1", resolve));
    const port = (down.address() as AddressInfo).port;
    await new Promise((resolve) => down.close(resolve));
    const root = freshRoot();
    const url = `http://127.0.0.1:${port}/releases/v{version}/dployrd.tar.gz`;
    const r = await exec(renderInstallScript(spec({ url })), { BRUME_ROOT: root, ...fastRetries });
    expect(r.code).toBe(2);
    expect(r.stderr.match(/attempt \d of 3 failed; retrying in 0s/g)).toEqual(["attempt 1 of 3 failed; retrying in 0s", "attempt 2 of 3 failed; retrying in 0s"]);
    expect(r.stderr).toContain(
      `install-dployrd: error: could not download http://127.0.0.1:${port}/releases/v0.1.0/dployrd.tar.gz after 3 attempts; is the release server reachable? nothing was installed`,
    );
    expect(run("find", [root, "-mindepth", "1"]).stdout).toBe("");
  });

  it("exits 2 on a 404 (wrong version or URL) and installs nothing", async () => {
    const root = freshRoot();
    const r = await exec(renderInstallScript(spec({ version: "9.9.9" })), { BRUME_ROOT: root, ...fastRetries });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("404");
    expect(run("find", [root, "-mindepth", "1"]).stdout).toBe("");
  });
});

describe("fetch-verified (the vfox install)", () => {
  const hex = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");
  const fetch = (url: string, sum: string, dest: string) => exec(renderFetchVerifiedScript(), {}, [url, sum, dest]);

  it("verifies a release tarball and installs the binary inside it, nothing else", async () => {
    const root = freshRoot();
    const dest = join(root, "usr/local/bin/vfox");
    const r = await fetch(`${base}/vfox/v0.6.0/vfox_0.6.0_linux_x86_64.tar.gz`, hex(vfoxTarball), dest);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(readFileSync(dest, "utf8")).toBe(vfoxBinary);
    expect(statSync(dest).mode & 0o777).toBe(0o755);
    expect(run("find", [root, "-mindepth", "1", "-type", "f"]).stdout.trim()).toBe(dest);
  });

  it("installs a single-binary download as is", async () => {
    const root = freshRoot();
    const dest = join(root, "usr/local/bin/vfox");
    const r = await fetch(`${base}/vfox/v0.6.0/vfox`, hex(vfoxBinary), dest);
    expect(r.code).toBe(0);
    expect(readFileSync(dest, "utf8")).toBe(vfoxBinary);
  });

  it("exits 3 on a checksum mismatch (the tarball's, not the binary's) and installs nothing", async () => {
    const root = freshRoot();
    const r = await fetch(`${base}/vfox/v0.6.0/vfox_0.6.0_linux_x86_64.tar.gz`, hex(vfoxBinary), join(root, "usr/local/bin/vfox"));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("fetch-verified: checksum mismatch for");
    expect(run("find", [root, "-mindepth", "1"]).stdout).toBe("");
  });

  it("unpacks the whole verified archive into a new directory when the destination ends in /", async () => {
    const root = freshRoot();
    const r = await fetch(`${base}/vfox/v0.6.0/vfox_0.6.0_linux_x86_64.tar.gz`, hex(vfoxTarball), join(root, "src/"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(run("find", [join(root, "src"), "-type", "f"]).stdout.trim().split("\n").sort()).toEqual(
      ["LICENSE", "README.md", "vfox"].map((f) => join(root, "src", "vfox_0.6.0_linux_x86_64", f)),
    );
  });

  it("exits 2 before downloading when a directory destination is given something that is not an archive", async () => {
    const root = freshRoot();
    const r = await fetch(`${base}/vfox/v0.6.0/vfox`, hex(vfoxBinary), join(root, "src/"));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`fetch-verified: ${join(root, "src/")} is a directory, so ${base}/vfox/v0.6.0/vfox must be a .tar.gz / .tgz archive\n`);
    expect(run("find", [root, "-mindepth", "1"]).stdout).toBe("");
  });

  it("exits 4 when the tarball holds no file of the destination's name, and installs nothing", async () => {
    const root = freshRoot();
    const r = await fetch(`${base}/vfox/v0.6.0/vfox_0.6.0_linux_x86_64.tar.gz`, hex(vfoxTarball), join(root, "usr/local/bin/node"));
    expect(r.code).toBe(4);
    expect(r.stderr).toBe(`fetch-verified: no file named node in ${base}/vfox/v0.6.0/vfox_0.6.0_linux_x86_64.tar.gz\n`);
    expect(run("find", [root, "-mindepth", "1"]).stdout).toBe("");
  });
});

describe("token fetch", () => {
  it("reads the token with the VM identity and writes it 0600, printing nothing secret", async () => {
    const root = freshRoot();
    const r = await exec(renderTokenFetchScript(spec()), {
      BRUME_ROOT: root,
      BRUME_METADATA_URL: `${base}/metadata`,
      BRUME_SECRET_MANAGER_URL: `${base}/sm`,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const file = join(root, "var/lib/dployrd/bootstrap-token");
    expect(readFileSync(file, "utf8")).toBe(token);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(r.stdout).not.toContain(token);
    expect(requests).toContain(`GET /metadata/instance/service-accounts/default/token  Google`);
    expect(requests).toContain(`GET /sm/projects/shop-prod-1234/secrets/shop-prod-agent-bootstrap-token/versions/latest:access Bearer ya29.mock-access `);
  });

  it("fails with the IAM hint when Secret Manager refuses", async () => {
    const root = freshRoot();
    const r = await exec(renderTokenFetchScript(spec({ tokenSecret: { project: "other", secretId: "nope" } })), {
      BRUME_ROOT: root,
      BRUME_METADATA_URL: `${base}/metadata`,
      BRUME_SECRET_MANAGER_URL: `${base}/sm`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("roles/secretmanager.secretAccessor");
    expect(existsSync(join(root, "var/lib/dployrd/bootstrap-token"))).toBe(false);
  });
});
