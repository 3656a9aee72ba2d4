/**
 * The process runner's prepare and run scripts, EXECUTED: against a local git repository (a pinned
 * commit) and an archive served on 127.0.0.1 (verified by SHA-256), with a stand-in `vfox` on PATH
 * that accepts exactly the vfox 0.6 commands the scripts use (see src/render/runners.ts) and logs
 * them. The real vfox is not run here: it fetches its plugins and runtimes from the internet.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderFetchVerifiedScript, renderProcessPrepareScript, renderProcessRunScript, type MachineService } from "../../src/render/runners.js";
import { requireTool, run } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-process-"));
const bin = join(tmp, "bin");
const runtimeBin = join(tmp, "runtime", "bin");
let server: Server;
let base = "";
let archive: Buffer;
let archiveSha = "";
let commit = "";
const served: string[] = [];

/**
 * vfox 0.6 as the scripts call it: `add <plugin>`, `list <plugin>`, `install <sdk>@<v>`,
 * `use --project <sdk>@<v>` (writes .tool-versions in the working directory), `env -s bash` (exports
 * the runtime's PATH when .tool-versions names it). Anything else fails, like an unknown command.
 */
const fakeVfox = `#!/bin/bash
set -euo pipefail
printf '%s|%s\\n' "$*" "\${__VFOX_CURTMPPATH:-unset}" >>"$VFOX_LOG"
case "$1 \${2:-}" in
  "add nodejs" | "list nodejs") ;;
  "install nodejs@20.11.1") ;;
  "use --project") printf 'nodejs 20.11.1\\n' >.tool-versions ;;
  "env -s")
    [ "$3" = bash ] || exit 2
    if [ -f .tool-versions ]; then printf 'export PATH="%s:$PATH"\\n' "$FAKE_RUNTIME_BIN"; fi ;;
  *) echo "vfox: unknown command: $*" >&2; exit 1 ;;
esac
`;

beforeAll(async () => {
  requireTool("git");
  requireTool("curl");
  requireTool("tar");
  mkdirSync(bin, { recursive: true });
  mkdirSync(runtimeBin, { recursive: true });
  writeFileSync(join(bin, "vfox"), fakeVfox, { mode: 0o755 });
  // The machine's helper (/usr/local/lib/brume/fetch-verified), rendered as it is written there.
  writeFileSync(join(bin, "fetch-verified"), renderFetchVerifiedScript(), { mode: 0o755 });
  // A "runtime" only on the PATH that `vfox env` exports: the build and the command need it.
  writeFileSync(join(runtimeBin, "runtime-version"), "#!/bin/sh\necho nodejs 20.11.1\n", { mode: 0o755 });

  const repo = join(tmp, "repo");
  mkdirSync(repo);
  const git = (...args: string[]) => run("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false", ...args], { cwd: repo });
  git("init", "-q", "-b", "main");
  writeFileSync(join(repo, "server.txt"), "from git\n");
  git("add", ".");
  git("commit", "-q", "-m", "v1");
  commit = git("rev-parse", "HEAD").stdout.trim();
  writeFileSync(join(repo, "server.txt"), "a later commit\n");
  git("commit", "-q", "-am", "v2");

  const pkg = join(tmp, "pkg");
  mkdirSync(join(pkg, "app"), { recursive: true });
  writeFileSync(join(pkg, "app", "server.txt"), "from the archive\n");
  expect(run("tar", ["-czf", join(tmp, "app.tar.gz"), "-C", join(pkg, "app"), "."]).status).toBe(0);
  archive = readFileSync(join(tmp, "app.tar.gz"));
  archiveSha = createHash("sha256").update(archive).digest("hex");

  server = createServer((req, res) => {
    served.push(req.url ?? "");
    if (req.url === "/app-1.0.0.tar.gz") return void res.end(archive);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

/** A fresh service: its state directory (HOME), runtime directory and vfox log. */
function serviceDirs() {
  const dir = mkdtempSync(join(tmp, "svc-"));
  const home = join(dir, "state");
  const runtime = join(dir, "run");
  mkdirSync(home);
  mkdirSync(runtime);
  return { home, runtime, log: join(dir, "vfox.log") };
}

function exec(script: string, dirs: ReturnType<typeof serviceDirs>): Promise<{ code: number; stdout: string; stderr: string }> {
  const path = join(tmp, `script-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, script, { mode: 0o755 });
  const env = { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, BRUME_FETCH_VERIFIED: join(bin, "fetch-verified"), HOME: dirs.home, RUNTIME_DIRECTORY: dirs.runtime, VFOX_LOG: dirs.log, FAKE_RUNTIME_BIN: runtimeBin };
  return new Promise((resolve) => {
    execFile("bash", [path], { env, cwd: dirs.home, timeout: 25_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const service = (source: MachineService["source"]): MachineService => ({
  name: "docs",
  runner: "process",
  source,
  command: ["runtime-version"],
  ports: [{ name: "http", port: 3000 }],
});
const build = "runtime-version > built.txt && cat server.txt >> built.txt";
const vfoxCalls = (log: string) => readFileSync(log, "utf8").trim().split("\n").map((line) => line.split("|")[0]);

describe("process runner scripts", () => {
  it("git source: checks out the pinned commit, installs the runtime with vfox, builds once per commit", async () => {
    const dirs = serviceDirs();
    const svc = service({ git: join(tmp, "repo"), ref: commit, runtime: "nodejs@20.11.1", build });
    const first = await exec(renderProcessPrepareScript(svc), dirs);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    // The pinned commit, not the branch's newer one; built with the runtime vfox put on PATH.
    expect(readFileSync(join(dirs.home, "src", "built.txt"), "utf8")).toBe("nodejs 20.11.1\nfrom git\n");
    expect(existsSync(join(dirs.home, `.built-${commit}`))).toBe(true);
    expect(vfoxCalls(dirs.log)).toEqual(["add nodejs", "install nodejs@20.11.1", "use --project nodejs@20.11.1", "env -s bash"]);
    // Each invocation has its own vfox session directory, in the unit's RuntimeDirectory.
    expect(readFileSync(dirs.log, "utf8")).toMatch(new RegExp(`\\|${dirs.runtime}/vfox\\.\\d+\\n`));

    // A restart with the same commit does not build again.
    writeFileSync(join(dirs.home, "src", "built.txt"), "kept\n");
    expect((await exec(renderProcessPrepareScript(svc), dirs)).code).toBe(0);
    expect(readFileSync(join(dirs.home, "src", "built.txt"), "utf8")).toBe("kept\n");

    const started = await exec(renderProcessRunScript(svc), dirs);
    expect(started).toMatchObject({ code: 0, stdout: "nodejs 20.11.1\n" });
  });

  it("archive source: verifies the SHA-256, unpacks, builds once per archive", async () => {
    const dirs = serviceDirs();
    const svc = service({ artifact: { url: `${base}/app-1.0.0.tar.gz`, sha256: archiveSha }, runtime: "nodejs@20.11.1", build });
    const before = served.length;
    const first = await exec(renderProcessPrepareScript(svc), dirs);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(readFileSync(join(dirs.home, "src", "built.txt"), "utf8")).toBe("nodejs 20.11.1\nfrom the archive\n");
    expect(existsSync(join(dirs.home, `.fetched-${archiveSha}`))).toBe(true);
    // Nothing left of the download next to the checkout.
    expect(run("find", [dirs.home, "-maxdepth", "1", "-name", ".fetch.*"]).stdout).toBe("");
    // A restart neither downloads nor builds again.
    expect((await exec(renderProcessPrepareScript(svc), dirs)).code).toBe(0);
    expect(served.length - before).toBe(1);
  });

  it("archive source: exits 3 on a checksum mismatch and unpacks nothing", async () => {
    const dirs = serviceDirs();
    const wrong = "0".repeat(64);
    const svc = service({ artifact: { url: `${base}/app-1.0.0.tar.gz`, sha256: wrong }, runtime: "nodejs@20.11.1", build });
    const r = await exec(renderProcessPrepareScript(svc), dirs);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`fetch-verified: checksum mismatch for ${base}/app-1.0.0.tar.gz: expected ${wrong}, got ${archiveSha}\n`);
    expect(existsSync(join(dirs.home, "src"))).toBe(false);
    expect(run("find", [dirs.home, "-mindepth", "1", "-maxdepth", "1", "-name", ".*"]).stdout).toBe("");
  });

  it("both source kinds' scripts pass shellcheck", () => {
    requireTool("shellcheck");
    const scripts = {
      git: renderProcessPrepareScript(service({ git: "https://github.com/example/docs.git", ref: "v1.2.0", runtime: "nodejs@20.11.1", build })),
      archive: renderProcessPrepareScript(service({ artifact: { url: "https://releases.example.com/docs-1.2.0.tar.gz", sha256: "a".repeat(64) }, runtime: "nodejs@20.11.1" })),
      run: renderProcessRunScript(service({ git: "https://github.com/example/docs.git", ref: "v1.2.0", runtime: "nodejs@20.11.1" })),
    };
    for (const [kind, script] of Object.entries(scripts)) {
      const path = join(tmp, `check-${kind}.sh`);
      writeFileSync(path, script);
      const r = run("shellcheck", ["--severity=style", "--shell=bash", path]);
      expect(r.stdout + r.stderr, kind).toBe("");
      expect(r.status, kind).toBe(0);
    }
  });
});
