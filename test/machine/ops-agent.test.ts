/**
 * Service journals to Cloud Logging (render/ops-agent.ts): the Ops Agent configuration checked
 * against the documented schema, and the install script EXECUTED with stand-in executables on PATH
 * (dpkg-query, curl, apt-get, apt-cache and systemctl record their arguments and answer as the real
 * ones do), in a private mount namespace with a tmpfs over /etc/apt, so the host is never touched.
 * The real apt, dpkg and systemd run in the boot test (a signed stand-in repository).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { machineFiles, opsAgentConfig, opsAgentDefaults, opsAgentPaths, opsAgentSpecFor, renderOpsAgentConfig, renderOpsAgentInstallScript } from "../../src/render/index.js";
import { machineSpec, requireTool } from "./fixtures.js";

/**
 * The Ops Agent's configuration schema as documented
 * (https://cloud.google.com/stackdriver/docs/solutions/agents/ops-agent/configuration): top-level
 * `logging`/`metrics`/`traces`/`combined`/`global`; `logging` holds `receivers`, `processors` and
 * `service.pipelines`; each receiver and processor has a documented `type` and only that type's
 * fields; a pipeline lists `receivers` and `processors` defined in the file or built in.
 */
const logging = {
  receivers: {
    files: ["include_paths", "exclude_paths", "record_log_file_path", "wildcard_refresh_interval", "buffer_in_memory"],
    syslog: ["transport_protocol", "listen_host", "listen_port"],
    tcp: ["format", "listen_host", "listen_port"],
    fluent_forward: ["listen_host", "listen_port"],
    systemd_journald: [],
  },
  processors: {
    parse_json: ["field", "time_key", "time_format"],
    parse_regex: ["field", "regex", "time_key", "time_format"],
    parse_multiline: ["match_any"],
    modify_fields: ["fields"],
    exclude_logs: ["match_any"],
  },
  builtIn: { receivers: ["syslog"], processors: [] as string[] },
} as const;

function opsAgentConfigErrors(text: string): string[] {
  const errors: string[] = [];
  const doc = parse(text) as Record<string, any>;
  for (const key of Object.keys(doc ?? {})) if (!["logging", "metrics", "traces", "combined", "global"].includes(key)) errors.push(`unknown top-level key ${key}`);
  const l = doc?.logging ?? {};
  for (const key of Object.keys(l)) if (!["receivers", "processors", "service"].includes(key)) errors.push(`unknown logging key ${key}`);
  for (const kind of ["receivers", "processors"] as const) {
    for (const [id, value] of Object.entries((l[kind] ?? {}) as Record<string, any>)) {
      const fields = (logging[kind] as Record<string, readonly string[]>)[value?.type];
      if (!fields) {
        errors.push(`logging.${kind}.${id}: unknown type ${value?.type}`);
        continue;
      }
      for (const f of Object.keys(value)) if (f !== "type" && !fields.includes(f)) errors.push(`logging.${kind}.${id}: unknown field ${f}`);
      if (value.type === "files" && !(Array.isArray(value.include_paths) && value.include_paths.length)) errors.push(`logging.${kind}.${id}: include_paths is required`);
    }
  }
  for (const [id, p] of Object.entries((l.service?.pipelines ?? {}) as Record<string, any>)) {
    for (const f of Object.keys(p ?? {})) if (!["receivers", "processors"].includes(f)) errors.push(`pipeline ${id}: unknown field ${f}`);
    for (const kind of ["receivers", "processors"] as const) {
      const refs = p?.[kind] ?? [];
      if (!Array.isArray(refs)) errors.push(`pipeline ${id}: ${kind} must be a list`);
      else for (const r of refs) if (!Object.hasOwn(l[kind] ?? {}, r) && !(logging.builtIn[kind] as readonly string[]).includes(r)) errors.push(`pipeline ${id}: ${kind} ${r} is not defined`);
    }
  }
  return errors;
}

describe("Ops Agent configuration", () => {
  const spec = opsAgentSpecFor(machineSpec);

  it("ships every journal and the agent's JSON log, and turns the syslog-file pipeline off", () => {
    expect(spec).toEqual({ version: opsAgentDefaults.version, agentLogFile: "/var/log/dployrd/app.log" });
    const doc = parse(renderOpsAgentConfig(spec));
    expect(doc).toEqual(opsAgentConfig(spec));
    expect(doc.logging.receivers.brume_journald).toEqual({ type: "systemd_journald" });
    expect(doc.logging.service.pipelines).toEqual({
      default_pipeline: { receivers: [] },
      brume_journal: { receivers: ["brume_journald"] },
      brume_agent: { receivers: ["brume_agent_log"], processors: ["brume_agent_json"] },
    });
    // Metrics: the built-in hostmetrics pipeline stays (the identity holds monitoring.metricWriter).
    expect(doc.metrics).toBeUndefined();
  });

  it("is valid against the documented schema", () => {
    expect(opsAgentConfigErrors(renderOpsAgentConfig(spec))).toEqual([]);
    expect(opsAgentConfigErrors(renderOpsAgentConfig({ version: "2.46.0" }))).toEqual([]);
  });

  it("the schema check is live: a wrong receiver type, an unknown field and a dangling reference are refused", () => {
    const bad = "logging:\n  receivers:\n    j:\n      type: systemd_journal\n    f:\n      type: files\n      include_path: [/x]\n  service:\n    pipelines:\n      p:\n        receivers: [j, missing]\n";
    expect(opsAgentConfigErrors(bad)).toEqual([
      "logging.receivers.j: unknown type systemd_journal",
      "logging.receivers.f: unknown field include_path",
      "logging.receivers.f: include_paths is required",
      "pipeline p: receivers missing is not defined",
    ]);
  });

  it("is written on Debian machines with the install script and unit; COS ships journals through its own agent", () => {
    const paths = machineFiles(machineSpec).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining([opsAgentPaths.config, opsAgentPaths.installScript, `/etc/systemd/system/${opsAgentPaths.installUnit}`]));
    expect(machineFiles({ ...machineSpec, image: "cos-stable", services: [] }).map((f) => f.path)).not.toContain(opsAgentPaths.config);
    expect(machineFiles({ ...machineSpec, opsAgent: { version: "2.47.1" } }).find((f) => f.path === opsAgentPaths.installScript)?.content).toContain("readonly version='2.47.1'");
  });
});

const isRoot = process.getuid?.() === 0;
const tmp = mkdtempSync(join(tmpdir(), "brume-ops-agent-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Stand-ins: each appends "<name> <args>" to $STUB_LOG and answers like the real tool. */
const stubs: Record<string, string> = {
  "dpkg-query": `[ -n "\${STUB_INSTALLED:-}" ] || { echo "dpkg-query: no packages found matching google-cloud-ops-agent" >&2; exit 1; }\nprintf '%s' "$STUB_INSTALLED"`,
  curl: `out=""; while [ $# -gt 0 ]; do [ "$1" = --output ] && out="$2"; shift; done
[ -z "\${STUB_CURL_FAIL:-}" ] || { echo "curl: (7) Failed to connect to packages.cloud.google.com port 443" >&2; exit 7; }
if [ "\${STUB_KEY:-binary}" = armored ]; then printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\\nstand-in\\n-----END PGP PUBLIC KEY BLOCK-----\\n' >"$out"; else printf '\\231\\001\\015stand-in' >"$out"; fi`,
  "apt-get": `case " $* " in *" update "*) [ -z "\${STUB_UPDATE_FAIL:-}" ] || { echo "E: Failed to fetch https://packages.cloud.google.com/apt/dists/x/InRelease" >&2; exit 100; } ;; esac`,
  "apt-cache": `for v in \${STUB_VERSIONS:-}; do echo " google-cloud-ops-agent | $v | https://packages.cloud.google.com/apt google-cloud-ops-agent-bookworm-2/main amd64 Packages"; done`,
  systemctl: ":",
};

function runInstall(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmp, "case-"));
  mkdirSync(join(dir, "bin"));
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(dir, "bin", name), `#!/bin/bash\necho "${name} $*" >>"$STUB_LOG"\n${body}\n`);
    chmodSync(join(dir, "bin", name), 0o755);
  }
  const script = join(dir, "install-ops-agent");
  writeFileSync(script, renderOpsAgentInstallScript({ version: "2.46.0" }), { mode: 0o755 });
  const log = join(dir, "calls");
  writeFileSync(log, "");
  // A private mount namespace: /etc/apt is a tmpfs there, the host's stays as it is.
  const inner = `mount -t tmpfs tmpfs /etc/apt && mkdir -p /etc/apt/sources.list.d && "${script}"; status=$?; cat /etc/apt/sources.list.d/* >"${dir}/list" 2>/dev/null; ls /etc/apt/keyrings >"${dir}/keyrings" 2>/dev/null; exit $status`;
  const r = spawnSync("unshare", ["--mount", "--propagation", "private", "bash", "-c", inner], {
    encoding: "utf8",
    env: { PATH: `${join(dir, "bin")}:/usr/sbin:/usr/bin:/sbin:/bin`, STUB_LOG: log, ...env },
  });
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls: read("calls").trim().split("\n").filter(Boolean), list: read("list"), keyrings: read("keyrings").trim() };
}

describe.skipIf(!isRoot)("the Ops Agent install script, executed (root: a private mount namespace)", () => {
  it("does nothing but enable the agent when the pinned version is installed (a reboot needs no repository)", () => {
    requireTool("unshare");
    const r = runInstall({ STUB_INSTALLED: "2.46.0~debian12", STUB_CURL_FAIL: "1" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("google-cloud-ops-agent 2.46.0~debian12 already installed");
    expect(r.calls).toEqual(["dpkg-query -W -f=${Version} google-cloud-ops-agent", "systemctl enable --now google-cloud-ops-agent.service"]);
  });

  it("installs the pinned version from Google's repository alone, keeping brume's config", () => {
    const r = runInstall({ STUB_VERSIONS: "2.47.0~debian12 2.46.0~debian12 2.45.1~debian12" });
    expect({ status: r.status, error: r.stderr.includes("brume-ops-agent: error") }).toEqual({ status: 0, error: false });
    expect(r.list).toBe("deb [signed-by=/etc/apt/keyrings/google-cloud-ops-agent.gpg] https://packages.cloud.google.com/apt google-cloud-ops-agent-bookworm-2 main\n");
    const only = "-o Dir::Etc::sourcelist=/etc/apt/sources.list.d/google-cloud-ops-agent.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0";
    expect(r.calls.filter((c) => !c.startsWith("dpkg-query"))).toEqual([
      "curl --fail --silent --show-error --location --proto =https --retry 3 --retry-connrefused --max-time 60 --output " + r.calls.find((c) => c.startsWith("curl"))!.split("--output ")[1],
      `apt-get ${only} update -qq`,
      `apt-cache ${only} madison google-cloud-ops-agent`,
      "apt-get install -y -qq --no-install-recommends --allow-downgrades -o Dpkg::Options::=--force-confold google-cloud-ops-agent=2.46.0~debian12",
      "systemctl enable --now google-cloud-ops-agent.service",
    ]);
    expect(r.calls.find((c) => c.startsWith("curl"))).toContain("https://packages.cloud.google.com/apt/doc/apt-key.gpg");
    expect(r.stdout).toContain("google-cloud-ops-agent 2.46.0~debian12 installed; journals go to Cloud Logging");
  });

  it("upgrades an older agent, and keeps an armored key as .asc", () => {
    const r = runInstall({ STUB_INSTALLED: "2.45.1~debian12", STUB_VERSIONS: "2.46.0~debian12", STUB_KEY: "armored" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("installing google-cloud-ops-agent 2.46.0 (installed: 2.45.1~debian12)");
    expect(r.keyrings).toBe("google-cloud-ops-agent.asc");
    expect(r.list).toContain("[signed-by=/etc/apt/keyrings/google-cloud-ops-agent.asc]");
  });

  it("fails with a clear line, before apt, when the repository is unreachable", () => {
    const r = runInstall({ STUB_CURL_FAIL: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "brume-ops-agent: error: the repository key could not be downloaded from https://packages.cloud.google.com/apt/doc/apt-key.gpg; service journals are not shipped to Cloud Logging (retried in 5 min)",
    );
    expect(r.calls.some((c) => c.startsWith("apt-get"))).toBe(false);
  });

  it("fails when apt cannot read the repository, and when the pinned version is not in it", () => {
    const down = runInstall({ STUB_UPDATE_FAIL: "1" });
    expect(down.status).toBe(1);
    expect(down.stderr).toContain("brume-ops-agent: error: apt could not read https://packages.cloud.google.com/apt google-cloud-ops-agent-bookworm-2");
    const missing = runInstall({ STUB_VERSIONS: "2.46.01~debian12 2.45.0~debian12" });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("brume-ops-agent: error: google-cloud-ops-agent 2.46.0 is not in");
    expect(missing.calls.some((c) => c.includes(" install "))).toBe(false);
  });
});
