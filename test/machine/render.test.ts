/**
 * The machine renderers, for both image families (Debian 12 and Container-Optimized OS): snapshots
 * per artifact, determinism, and validation by the real tools (cloud-init, shellcheck,
 * systemd-analyze, caddy). A missing tool fails with the install command.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  agentPaths,
  caddyPorts,
  machineFiles,
  renderAgentConfig,
  renderAgentUnit,
  renderCaddyfile,
  renderStartupScriptFor,
  renderUserData,
  systemdQuote,
  type ImageFamily,
  type MachineSpec,
} from "../../src/render/index.js";
import { agentSpec, cosMachineSpec, machineSpec, requireTool, run } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-render-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const files = machineFiles(machineSpec);

/** The spec of each family, and what the image itself provides (faked in the systemd root). */
const families: Record<ImageFamily, { spec: MachineSpec; provided: string[]; units: string[]; minScripts: number }> = {
  // docker.io from apt: the engine and its unit.
  "debian-12": {
    spec: machineSpec,
    provided: [agentPaths("dployrd").binary, "/usr/bin/docker", "/usr/bin/dockerd", "/usr/bin/test", "/bin/systemctl"],
    units: [
      "dployrd-bootstrap-token.service",
      "dployrd.service",
      "brume-converge.service",
      "brume-health.socket",
      "brume-health@.service",
      "brume-ops-agent.service",
      "brume-api.service",
      "brume-docs.service",
    ],
    minScripts: 9,
  },
  // COS ships docker, docker-credential-gcr and iptables; the agent binary is what the install script puts under /var/lib/google.
  "cos-stable": {
    spec: cosMachineSpec,
    provided: [agentPaths("dployrd", "cos-stable").binary, "/usr/bin/test", "/usr/bin/docker", "/usr/bin/dockerd", "/usr/bin/docker-credential-gcr", "/sbin/iptables"],
    units: [
      "dployrd-bootstrap-token.service",
      "dployrd.service",
      "brume-host-firewall.service",
      "brume-caddy.service",
      "brume-health.socket",
      "brume-health@.service",
      "brume-api.service",
      "brume-echo.service",
    ],
    minScripts: 4,
  },
};

/** A root holding the rendered files and systemd's own units, for `systemd-analyze --root`. */
function systemRoot(family: ImageFamily): string {
  const root = join(tmp, `root-${family}`);
  mkdirSync(join(root, "usr/lib/systemd"), { recursive: true });
  cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true, dereference: false });
  for (const f of machineFiles(families[family].spec)) {
    mkdirSync(dirname(join(root, f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content, { mode: parseInt(f.permissions, 8) });
  }
  writeFileSync(join(root, "usr/lib/systemd/system/docker.service"), "[Service]\nExecStart=/usr/bin/dockerd\n");
  for (const bin of families[family].provided) {
    mkdirSync(dirname(join(root, bin)), { recursive: true });
    writeFileSync(join(root, bin), "#!/bin/sh\n", { mode: 0o755 });
  }
  return root;
}

describe("snapshots (debian-12)", () => {
  it("renders the startup script byte for byte", async () => {
    await expect(renderStartupScriptFor(machineSpec)).toMatchFileSnapshot("__snapshots__/startup-script.sh");
  });
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

describe("user-namespace remapping and daemon restarts in the startup script (debian-12)", () => {
  const podman = { ...machineSpec, engine: "podman" as const };
  it("podman: adds the containers subordinate ids once, writes no docker daemon file, runs --userns=auto", () => {
    const script = renderStartupScriptFor(podman);
    expect(script).toContain(`for ids in /etc/subuid /etc/subgid; do\n  grep -q '^containers:' "$ids" 2>/dev/null || echo 'containers:2147483647:2147483648' >>"$ids"\ndone\n`);
    expect(machineFiles(podman).map((f) => f.path)).not.toContain("/etc/docker/daemon.json");
    expect(machineFiles(podman).find((f) => f.path === "/etc/systemd/system/brume-api.service")!.content).toContain('"--userns=auto:size=65536"');
    expect(script).not.toContain("docker.service");
  });
  it("docker: userns-remap in daemon.json, docker restarted when that file changed, no subordinate ids of ours", () => {
    const script = renderStartupScriptFor(machineSpec);
    expect(JSON.parse(files.find((f) => f.path === "/etc/docker/daemon.json")!.content)).toEqual({ "userns-remap": "default" });
    expect(script).toContain("if was_changed '/etc/docker/daemon.json' && systemctl is-active --quiet docker.service; then systemctl restart docker.service; fi\n");
    expect(script).toContain("if was_changed '/etc/google-cloud-ops-agent/config.yaml' && systemctl is-active --quiet google-cloud-ops-agent.service; then systemctl restart google-cloud-ops-agent.service; fi\n");
    expect(script).not.toContain("/etc/subuid");
    // The Ops Agent's install is started without waiting, before the converge the startup script waits for.
    expect(script.indexOf("systemctl start --no-block brume-ops-agent.service")).toBeLessThan(script.indexOf("if ! systemctl start brume-converge.service"));
  });
  it("shellcheck passes on the podman variant's startup script", () => {
    requireTool("shellcheck");
    const path = join(tmp, "startup-podman.sh");
    writeFileSync(path, renderStartupScriptFor(podman));
    const r = run("shellcheck", ["--severity=style", "--shell=bash", path]);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("snapshots (cos-stable)", () => {
  const cosFiles = machineFiles(cosMachineSpec);
  it("renders the user-data byte for byte", async () => {
    await expect(renderUserData(cosMachineSpec)).toMatchFileSnapshot("__snapshots__/cos/user-data.yaml");
  });
  it.each(cosFiles.map((f) => [f.path, f] as const))("renders %s", async (path, f) => {
    await expect(f.content).toMatchFileSnapshot(`__snapshots__/cos/files${path}`);
  });
  it("is deterministic: the same spec gives the same bytes, service order does not matter", () => {
    const reversed = { ...cosMachineSpec, services: [...cosMachineSpec.services!].reverse() };
    expect(renderUserData(reversed)).toBe(renderUserData(cosMachineSpec));
  });
});

describe("Container-Optimized OS layout", () => {
  const userData = renderUserData(cosMachineSpec);
  const cosFiles = machineFiles(cosMachineSpec);
  it("installs no package (no apt) and writes nothing under the read-only root", () => {
    expect(userData).not.toMatch(/^package_update:|^packages:/m);
    for (const f of cosFiles) expect(f.path).toMatch(/^\/(etc|var\/lib\/google)\//);
  });
  it("puts every executable under /var/lib/google (stateful and executable on COS)", () => {
    const executables = cosFiles.filter((f) => f.permissions === "0755").map((f) => f.path);
    expect(executables.length).toBeGreaterThanOrEqual(4);
    for (const path of executables) expect(path.startsWith("/var/lib/google/brume/lib/")).toBe(true);
    expect(agentPaths("dployrd", "cos-stable").binary).toBe("/var/lib/google/brume/bin/dployrd");
    expect(renderAgentUnit(agentSpec, "cos-stable")).toContain('ExecStart=/var/lib/google/brume/bin/dployrd "--config" "/etc/dployrd/config.toml"');
  });
  it("gives the agent a fixed uid (/etc/passwd is re-created every boot) and re-runs the install at each boot", () => {
    expect(userData).toContain("  - name: dployrd\n    uid: 2000\n");
    expect(userData).toContain("runcmd:\n  - - /var/lib/google/brume/lib/install-dployrd\n");
  });
  it("keeps the bootstrap-token fetch unchanged", () => {
    const token = (spec: MachineSpec) => machineFiles(spec).find((f) => f.path.endsWith("/fetch-dployrd-token"))!.content;
    expect(token(cosMachineSpec)).toBe(token(machineSpec));
  });
  it("runs Caddy as the pinned official image, config read-only, certificates on the stateful disk, host firewall opened", () => {
    const caddy = cosFiles.find((f) => f.path === "/etc/systemd/system/brume-caddy.service")!.content;
    expect(caddy).toContain('"--network=host"');
    expect(caddy).toContain('"--volume" "/etc/caddy:/etc/caddy:ro"');
    expect(caddy).toContain('"--volume" "/var/lib/brume-caddy/data:/data"');
    expect(caddy).toContain('"docker.io/library/caddy:2.11.4"');
    const firewall = cosFiles.find((f) => f.path === "/etc/systemd/system/brume-host-firewall.service")!.content;
    expect(firewall.match(/^ExecStart=.*$/gm)).toEqual([443, 9000].map((p) => `ExecStart=/sbin/iptables -w -A INPUT -p tcp -m tcp --dport ${p} -j ACCEPT`));
  });
  it("pulls Artifact Registry images through docker-credential-gcr and public images anonymously", () => {
    const unit = (name: string) => cosFiles.find((f) => f.path === `/etc/systemd/system/brume-${name}.service`)!.content;
    expect(unit("api")).toContain('ExecStartPre=/usr/bin/docker-credential-gcr configure-docker "--registries=europe-west1-docker.pkg.dev"');
    expect(unit("api")).toContain("Environment=HOME=/run/brume-api");
    expect(unit("echo")).not.toContain("docker-credential-gcr");
    expect(unit("echo")).not.toContain("registry-login");
  });
  it("refuses process services and podman", () => {
    expect(() => renderUserData({ ...machineSpec, image: "cos-stable" })).toThrow(/process services \(docs\) need image debian-12/);
    expect(() => renderUserData({ ...cosMachineSpec, engine: "podman" })).toThrow(/ships docker, not podman/);
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
    expect(caddyfile.match(/^\S+ \{$/gm)).toEqual([":9000 {", "api.shop.example.com {", "shop.example.com {", "https:// {"]);
    expect(caddyfile).toContain("@docs path /docs /docs/*");
    // The client address the load balancer puts in X-Forwarded-For reaches the service.
    expect(caddyfile).toContain("reverse_proxy 127.0.0.1:8080 {\n\t\t\ttrusted_proxies 35.191.0.0/16 130.211.0.0/22\n\t\t\thealth_uri /healthz");
    // Health: each service's own check at /healthz/<service>; /healthz and /ready from the responder.
    expect(caddyfile).toContain(":9000 {\n\thandle /healthz/api {\n\t\trewrite * /healthz\n\t\treverse_proxy 127.0.0.1:8080\n\t}\n\thandle /healthz/docs {\n\t\trewrite * /\n\t\treverse_proxy 127.0.0.1:3000\n\t}\n");
    expect(caddyfile).toContain("\thandle /healthz {\n\t\treverse_proxy 127.0.0.1:9001\n\t}\n\thandle /ready {\n\t\treverse_proxy 127.0.0.1:9001\n\t}\n");
    expect(caddyfile).not.toContain('respond /healthz "ok"');
  });
  it("terminates the load balancer's HTTPS with its internal CA: no ACME, no port 80, a default SNI, 404 for other hosts", () => {
    const caddyfile = renderCaddyfile(machineSpec.services!);
    // Global options first: the load balancer redirects HTTP and sends no SNI.
    expect(caddyfile).toMatch(/^(#.*\n)+\{\n\tauto_https disable_redirects\n\tskip_install_trust\n\tdefault_sni api\.shop\.example\.com\n\}\n/);
    expect(caddyfile.match(/^\ttls internal$/gm)).toHaveLength(3);
    expect(caddyfile).toContain("api.shop.example.com {\n\ttls internal\n");
    expect(caddyfile).toContain("https:// {\n\ttls internal\n\trespond 404\n}\n");
    expect(caddyfile).not.toMatch(/email|acme|:80\b/);
    expect(caddyPorts()).toEqual([443, 9000]);
    expect(caddyPorts({ healthPort: 8081 })).toEqual([443, 8081]);
    // No domain: no site needs a certificate, no default SNI, no catch-all.
    const bare = renderCaddyfile([]);
    expect(bare).not.toMatch(/^\s*(default_sni|tls internal)|^https:\/\//m);
    expect(bare).toContain("auto_https disable_redirects");
  });
});

describe.each(Object.keys(families) as ImageFamily[])("real tools (%s)", (family) => {
  const { spec, units: expectedUnits, minScripts } = families[family];
  const familyFiles = machineFiles(spec);
  const scripts = familyFiles.filter((f) => f.permissions === "0755");
  const units = familyFiles.filter((f) => /^\/etc\/systemd\/system\/[^/]+\.(service|socket)$/.test(f.path));

  it("cloud-init accepts the user-data", () => {
    requireTool("cloud-init");
    const path = join(tmp, `user-data-${family}.yaml`);
    writeFileSync(path, renderUserData(spec));
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
    expect(scripts.length).toBeGreaterThanOrEqual(minScripts);
    for (const script of scripts) {
      const path = join(tmp, `sc-${family}-${script.path.replaceAll("/", "_")}`);
      writeFileSync(path, script.content);
      const r = run("shellcheck", ["--severity=style", "--shell=bash", path]);
      expect({ script: script.path, out: r.stdout }).toEqual({ script: script.path, out: "" });
      expect(r.status).toBe(0);
    }
  });

  it("shellcheck passes on the startup script (Debian) with every file in it", () => {
    requireTool("shellcheck");
    if (family !== "debian-12") return;
    const path = join(tmp, "startup-script.sh");
    writeFileSync(path, renderStartupScriptFor(spec));
    const r = run("shellcheck", ["--severity=style", "--shell=bash", path]);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("systemd-analyze verify accepts every unit without a warning", () => {
    requireTool("systemd-analyze");
    const root = systemRoot(family);
    expect(units.map((u) => u.path)).toEqual(expectedUnits.map((u) => `/etc/systemd/system/${u}`));
    const r = run("systemd-analyze", ["verify", "--man=no", `--root=${root}`, ...units.map((u) => u.path)]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("systemd-analyze security rates the agent unit 3.0 or better", () => {
    requireTool("systemd-analyze");
    const path = join(tmp, `dployrd-${family}`, "dployrd.service");
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, renderAgentUnit(agentSpec, family));
    const r = run("systemd-analyze", ["security", "--offline=true", "--threshold=30", path]);
    const level = Number(/Overall exposure level for dployrd\.service: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(level).toBeLessThanOrEqual(3.0);
    expect(level).toBe(1.2);
    expect(r.status).toBe(0);
  });

  it("caddy validates the Caddyfile", () => {
    requireTool("caddy");
    const caddyfile = familyFiles.find((f) => f.path === "/etc/caddy/Caddyfile")!;
    expect(caddyfile.content).toBe(renderCaddyfile(spec.services!, spec.caddy));
    const path = join(tmp, `Caddyfile-${family}`);
    writeFileSync(path, caddyfile.content);
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
