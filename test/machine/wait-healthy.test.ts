/**
 * The wait-healthy helper (ExecStartPost= of every service unit), executed: it returns once the
 * target answers, and a main process that died at start ends the wait at once with a clear line
 * (review F8: a container dying at start was noticed only after the 120 s deadline).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderWaitHealthyScript } from "../../src/render/index.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-wait-healthy-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const script = join(tmp, "wait-healthy");
writeFileSync(script, renderWaitHealthyScript(), { mode: 0o755 });

function runScript(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [script, ...args], { env: { PATH: process.env.PATH!, ...env } });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stderr }));
  });
}

describe("wait-healthy", () => {
  it("returns 0 once a TCP port accepts", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    const r = await runScript([`tcp:${port}`, "30"], { MAINPID: String(process.pid) });
    server.close();
    expect(r).toEqual({ status: 0, stderr: "" });
  });

  it("stops at once, with the reason, when the unit's main process has exited (a 600 s deadline is not waited)", async () => {
    const dead = spawnSync("bash", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
    const r = await runScript(["tcp:1", "600"], { MAINPID: dead });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`wait-healthy: the main process (${dead}) exited before tcp:1 was healthy\n`);
  }, 20_000);
});
