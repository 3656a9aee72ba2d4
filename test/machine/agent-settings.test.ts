/**
 * The dployrd settings the seed describes (issue 16, item 7), as rendered: JSON logs in
 * /var/log/dployrd/app.log rotated by logrotate (`logrotate -d` on the rendered file), SQLite state,
 * the access token and the mTLS client certificate under the state directory only the agent writes,
 * files it creates 0600 (UMask=0077), reconnect behaviour. The real dployrd is not run here: its own
 * behaviour (reading these keys, refreshing tokens, reconnecting) is not tested.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "smol-toml";
import { afterAll, describe, expect, it } from "vitest";
import { agentPaths, machineFiles, renderAgentConfig, renderAgentLogrotate, renderAgentUnit } from "../../src/render/index.js";
import { agentSpec, machineSpec, requireTool, run } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-agent-settings-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("dployrd settings", () => {
  it("configures SQLite state, JSON logs, token files, the mTLS client certificate and reconnects", () => {
    const config = parse(renderAgentConfig(agentSpec));
    expect(config).toMatchObject({
      data_dir: "/var/lib/dployrd",
      database: "/var/lib/dployrd/dployrd.db",
      log_file: "/var/log/dployrd/app.log",
      log_format: "json",
      bootstrap_token_file: "/var/lib/dployrd/bootstrap-token",
      access_token_file: "/var/lib/dployrd/access-token",
      tls: { client_cert: "/var/lib/dployrd/tls/client.crt", client_key: "/var/lib/dployrd/tls/client.key" },
      reconnect: { initial_delay: "1s", max_delay: "60s", multiplier: 2, jitter: 0.2 },
    });
    // Every file the agent keeps is inside its own state directory.
    for (const key of ["database", "bootstrap_token_file", "access_token_file"] as const) expect(String(config[key])).toMatch(/^\/var\/lib\/dployrd\//);
  });

  it("gives the agent a state and a log directory only it writes, files 0600", () => {
    const unit = renderAgentUnit(agentSpec).split("\n");
    for (const line of ["StateDirectory=dployrd", "StateDirectoryMode=0750", "LogsDirectory=dployrd", "LogsDirectoryMode=0750", "UMask=0077", "User=dployrd", "ProtectSystem=strict"]) {
      expect(unit).toContain(line);
    }
  });

  it("rotates the JSON log: logrotate -d accepts the rendered file", () => {
    requireTool("logrotate");
    const file = machineFiles(machineSpec).find((f) => f.path === agentPaths("dployrd").logrotate);
    expect(file?.content).toBe(renderAgentLogrotate(agentSpec));
    expect(file?.content).toContain("/var/log/dployrd/app.log {\n\tsu dployrd dployrd\n\tdaily\n\tmaxsize 100M\n\trotate 14\n");
    // This machine has no dployrd user: the same file with root's (the boot test runs it unchanged).
    const path = join(tmp, "dployrd");
    writeFileSync(path, file!.content.replace("su dployrd dployrd", "su root root"), { mode: 0o644 });
    const r = run("logrotate", ["-d", "--state", join(tmp, "state"), path]);
    expect(r.stderr).toContain("considering log /var/log/dployrd/app.log");
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
  });
});
