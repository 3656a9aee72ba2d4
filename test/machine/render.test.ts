/**
 * The machine renderers: snapshots per artifact, determinism, and validation by the real tools
 * (cloud-init, shellcheck, systemd-analyze, caddy). A missing tool fails with the install command.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  agentPaths,
  machineFiles,
  renderAgentConfig,
  renderAgentUnit,
  renderCaddyfile,
  renderUserData,
  systemdQuote,
} from "../../src/render/index.js";
import { agentSpec, machineSpec, requireTool, run } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-render-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = machineFiles(machineSpec);
const scripts = files.filter((f) => f.permissions === "0755");
const units = files.filter((f) => f.path.endsWith(".service"));

/** A root holding the rendered files and systemd's own units, for `systemd-analyze --root`. */
function systemRoot(): string {
  const root = join(tmp, "root");
  mkdirSync(join(root, "usr/lib/systemd"), { recursive: true });
  cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true, dereference: false });
  for (const f of files) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content, { mode: parseInt(f.permissions, 8) });
  }
  // What the packages cloud-init installs provide (docker.io): the engine and its unit.
  writeFileSync(join(root, "usr/lib/systemd/system/docker.service"), "[Service]\nExecStart=/usr/bin/dockerd\n");
  for (const bin of [agentPaths("dployrd").binary, "/usr/bin/docker", "/usr/bin/dockerd"]) {
    mkdirSync(dirname(join(root, bin)), { recursive: true });
    writeFileSync(join(root, bin), "#!/bin/sh\n", { mode: 0o755 });
  }
  return root;
}

describe("snapshots", () => {
  it("renders the user-data byte for byte", async () => {
    await expect(renderUserData(machineSpec)).toMatchFileSnapshot("__snapshots__/user-data.yaml");
  });
  it.each(files.map((f) => [f.path, f] as const))("renders %s", async (path, f) => {
    await expect(f.content).toMatchFileSnapshot(`__snapshots__/files${path}`);
  });
  it("is deterministic: the same spec gives the same bytes, service order does not matter", () => {
    const reversed = { ...machineSpec, services: [...machineSpec.services!].reverse() };
    expect(renderUserData(reversed)).toBe(renderUserData(machineSpec));
  });
});

describe("agent", () => {
  it("writes the control plane, log path and labels to the config", () => {
    const config = renderAgentConfig(agentSpec);
    expect(config).toContain('base_url = "https://base.example.com"');
    expect(config).toContain('log_file = "/var/log/dployrd/app.log"');
    expect(config).toContain('group = "web"');
  });
  it("hardens the unit and restarts it always", () => {
    const unit = renderAgentUnit(agentSpec);
    for (const line of [
      "Restart=always",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "ReadWritePaths=/var/lib/dployrd /var/log/dployrd",
      "CapabilityBoundingSet=",
      "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
      "SystemCallFilter=@system-service",
      "User=dployrd",
    ]) {
      expect(unit.split("\n")).toContain(line);
    }
    expect(unit).not.toContain("RestartSteps");
    expect(renderAgentUnit({ ...agentSpec, systemdVersion: 255 })).toContain("RestartSteps=10\nRestartMaxDelaySec=5min");
  });
  it("takes another agent's unit options", () => {
    const unit = renderAgentUnit({ ...agentSpec, name: "other", unitOptions: { RestartSec: "10s", MemoryMax: "512M" } });
    expect(unit).toContain("RestartSec=10s");
    expect(unit).not.toContain("RestartSec=5s");
    expect(unit).toContain("MemoryMax=512M");
  });
  it("names the token secret, never a token: the VM reads it at boot into a 0600 file", () => {
    const userData = renderUserData(machineSpec);
    expect(userData).toContain("projects/shop-prod-1234/secrets/shop-prod-agent-bootstrap-token/versions/latest");
    expect(renderAgentConfig(agentSpec)).toContain('bootstrap_token_file = "/var/lib/dployrd/bootstrap-token"');
    expect(userData).toContain("install -m 0600 \"$work/token\" \"$token_file.new\"");
  });
  it("quotes systemd arguments: specifiers and variables stay literal", () => {
    expect(systemdQuote('a "b" $X 50%')).toBe('"a \\"b\\" $$X 50%%"');
  });
});

describe("caddy", () => {
  it("has one site per domain, routes path prefixes and checks health", () => {
    const caddyfile = renderCaddyfile(machineSpec.services!);
    expect(caddyfile.match(/^\S+ \{$/gm)).toEqual([":9000 {", "api.shop.example.com {", "shop.example.com {"]);
    expect(caddyfile).toContain("@docs path /docs /docs/*");
    expect(caddyfile).toContain("reverse_proxy 127.0.0.1:8080 {\n\t\t\thealth_uri /healthz");
    expect(caddyfile).toContain(':9000 {\n\trespond /healthz "ok" 200');
  });
});

describe("real tools", () => {
  it("cloud-init accepts the user-data", () => {
    requireTool("cloud-init");
    const path = join(tmp, "user-data.yaml");
    writeFileSync(path, renderUserData(machineSpec));
    const r = run("cloud-init", ["schema", "--config-file", path]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("Valid cloud-config");
    expect(r.status).toBe(0);
  });

  it("cloud-init rejects a broken document (the check is live)", () => {
    requireTool("cloud-init");
    const path = join(tmp, "bad.yaml");
    writeFileSync(path, "#cloud-config\nusers: 3\nruncmd: {a: 1}\n");
    expect(run("cloud-init", ["schema", "--config-file", path]).status).not.toBe(0);
  });

  it("shellcheck passes on every generated script", () => {
    requireTool("shellcheck");
    expect(scripts.length).toBeGreaterThanOrEqual(8);
    for (const script of scripts) {
      const path = join(tmp, `sc-${script.path.replaceAll("/", "_")}`);
      writeFileSync(path, script.content);
      const r = run("shellcheck", ["--severity=style", "--shell=bash", path]);
      expect({ script: script.path, out: r.stdout }).toEqual({ script: script.path, out: "" });
      expect(r.status).toBe(0);
    }
  });

  it("systemd-analyze verify accepts every unit without a warning", () => {
    requireTool("systemd-analyze");
    const root = systemRoot();
    expect(units.map((u) => u.path)).toEqual([
      "/etc/systemd/system/dployrd-bootstrap-token.service",
      "/etc/systemd/system/dployrd.service",
      "/etc/systemd/system/brume-api.service",
      "/etc/systemd/system/brume-docs.service",
    ]);
    const r = run("systemd-analyze", ["verify", "--man=no", `--root=${root}`, ...units.map((u) => u.path)]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("systemd-analyze security rates the agent unit 3.0 or better", () => {
    requireTool("systemd-analyze");
    const path = join(tmp, "dployrd.service");
    writeFileSync(path, renderAgentUnit(agentSpec));
    const r = run("systemd-analyze", ["security", "--offline=true", "--threshold=30", path]);
    const level = Number(/Overall exposure level for dployrd\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(3.0);
    expect(level).toBe(1.2);
    expect(r.status).toBe(0);
  });

  it("caddy validates the Caddyfile", () => {
    requireTool("caddy");
    const path = join(tmp, "Caddyfile");
    writeFileSync(path, renderCaddyfile(machineSpec.services!, machineSpec.caddy));
    const home = join(tmp, "caddy-home");
    mkdirSync(home, { recursive: true });
    const r = run("caddy", ["validate", "--config", path, "--adapter", "caddyfile"], {
      env: { HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
    });
    expect(r.stdout + r.stderr).toContain("Valid configuration");
    expect(r.stderr).not.toMatch(/Caddyfile input is not formatted/);
    expect(r.status).toBe(0);
  });
});
