/**
 * The health responder (render/boot.ts), executed with a stand-in `systemctl` on PATH that answers
 * `show --value -p <prop> <unit>` and `is-active <unit>` from environment variables, as systemd 252
 * prints them (one value per line). One HTTP request on stdin, as socket activation gives it.
 * Covers the states the boot test cannot reach within its budget (retries exhausted).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHealthScript, type MachineService } from "../../src/render/index.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-health-"));
const services: MachineService[] = [
  { name: "api", runner: "container", image: "x/y:1", ports: [{ name: "http", port: 8080 }], health: { path: "/healthz" }, domains: ["api.example.com"] },
  { name: "web", runner: "container", image: "x/z:1", ports: [{ name: "http", port: 8081 }], health: { path: "/" }, domains: ["www.example.com"] },
];
let caddy: Server;
let script = "";
// Caddy's :9000 stood in: /healthz/<service> answers from `healthy`.
const healthy = new Set<string>();

beforeAll(async () => {
  caddy = createServer((req, res) => {
    const name = req.url?.replace("/healthz/", "") ?? "";
    res.statusCode = healthy.has(name) ? 200 : 503;
    res.end();
  }).listen(0, "127.0.0.1");
  await new Promise((r) => caddy.once("listening", r));
  const port = (caddy.address() as { port: number }).port;
  script = join(tmp, "health");
  writeFileSync(script, renderHealthScript({ agentUnit: "dployrd.service", installUnit: "brume-converge.service", services, healthPort: port }), { mode: 0o755 });
  writeFileSync(
    join(tmp, "systemctl"),
    `#!/bin/bash
# Stand-in systemctl: show --value -p P U → $SC_<P>; is-active U → $SC_AGENT.
case "$1" in
  show) var="SC_$4"; echo "\${!var}" ;;
  is-active) echo "$SC_AGENT"; [ "$SC_AGENT" = active ] ;;
esac
`,
    { mode: 0o755 },
  );
});
afterAll(() => {
  caddy.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Synchronous for the states; asynchronous for /ready, whose curl calls the stand-in Caddy in this process. */
function ask(path: string, state: State) {
  const r = spawnSync("bash", [script], { input: request(path), encoding: "utf8", env: env(state) });
  return response(r.stdout);
}
function askAsync(path: string, state: State): Promise<{ status: string | undefined; body: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [script], { env: env(state) });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("close", () => resolve(response(out)));
    child.stdin.end(request(path));
  });
}
type State = { ActiveState: string; Result: string; ExecMainStatus: string; agent: string };
const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
const env = (state: State) => ({ PATH: `${tmp}:${process.env.PATH}`, SC_ActiveState: state.ActiveState, SC_Result: state.Result, SC_ExecMainStatus: state.ExecMainStatus, SC_AGENT: state.agent });
function response(stdout: string) {
  const [head, body] = stdout.split("\r\n\r\n");
  return { status: head!.split("\r\n")[0], body: (body ?? "").trim() };
}

const installed = { ActiveState: "active", Result: "success", ExecMainStatus: "0", agent: "active" };

describe("health responder", () => {
  it("/healthz: 200 when installed and the agent runs", () => {
    expect(ask("/healthz", installed)).toEqual({ status: "HTTP/1.1 200 OK", body: "ok" });
  });
  it("/healthz: 503 while installing (between retries) and when the agent is down", () => {
    expect(ask("/healthz", { ...installed, ActiveState: "activating", Result: "exit-code", ExecMainStatus: "2" })).toEqual({
      status: "HTTP/1.1 503 Service Unavailable",
      body: "installing: brume-converge.service is activating",
    });
    expect(ask("/healthz", { ...installed, agent: "failed" })).toEqual({ status: "HTTP/1.1 503 Service Unavailable", body: "unhealthy: dployrd.service is failed" });
  });
  it("/healthz: 503 once the retries are exhausted (start-limit-hit), so the MIG replaces the VM", () => {
    expect(ask("/healthz", { ...installed, ActiveState: "failed", Result: "start-limit-hit", ExecMainStatus: "2" })).toEqual({
      status: "HTTP/1.1 503 Service Unavailable",
      body: "unhealthy: brume-converge.service failed (start-limit-hit, status 2) after its retries",
    });
  });
  it("/healthz: 200 degraded after a checksum mismatch or a bad archive: recreating cannot fix it, the alert fires", () => {
    for (const code of ["3", "4"]) {
      const r = ask("/healthz", { ...installed, ActiveState: "failed", Result: "exit-code", ExecMainStatus: code, agent: "inactive" });
      expect(r.status).toBe("HTTP/1.1 200 OK");
      expect(r.body).toMatch(new RegExp(`^degraded: install failed with status ${code} `));
    }
  });
  it("/ready: 200 while one routed service is healthy through Caddy, 503 when none is", async () => {
    healthy.clear();
    healthy.add("web");
    expect(await askAsync("/ready", installed)).toEqual({ status: "HTTP/1.1 200 OK", body: "api: failing\nweb: ok\n1 healthy" });
    healthy.clear();
    expect(await askAsync("/ready", installed)).toEqual({ status: "HTTP/1.1 503 Service Unavailable", body: "api: failing\nweb: failing\nno service is healthy" });
  });
  it("answers 404 for any other path", () => {
    expect(ask("/other", installed).status).toBe("HTTP/1.1 404 Not Found");
  });
});
