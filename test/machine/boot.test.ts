/**
 * The boot test (issue 16, item 6): examples/machines' Debian `edge` document, planned with the
 * stand-ins' pins, booted for real by .ci/boot-test.sh — a debootstrap'ed Debian 12 root (cached
 * under /var/cache/brume-boot/<hash>), `systemd-nspawn -b` (systemd 252 as PID 1), Debian's
 * google-guest-agent script runner fetching the `startup-script` from a metadata stand-in, GitHub
 * releases / git / Secret Manager stood in on the VM's loopback. Two boots, scenarios as phases:
 *   main: first boot during an outage (release server, git and Google's apt repository down) →
 *         heals; the services do not wait for the Ops Agent, which installs (pinned, from a signed
 *         stand-in repository) once the repository answers, with brume's config; agent user, token
 *         0600, JSON log; the process service through Caddy at the pinned commit; /healthz, /ready;
 *         kill → restart (git down: no fetch); node, python3, go and ruby under the rendered
 *         filter (and plain @system-service kills node: the check is live); reboot with the
 *         release server down → everything back;
 *   bad:  a wrong agent SHA-256 → status 3, not retried, nothing installed, a console line, /ready
 *         503, /healthz "degraded" (no recreate loop).
 * What this machine cannot boot is reported as skipped with the reason, never passed: containers
 * (podman/crun need CAP_SYS_RESOURCE; docker.io is not in the root) and Container-Optimized OS.
 * Cold (root built): about 10 min on 2 cores; warm: about 4 min.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "./fixtures.js";
import { bootStartupScripts, parsePins } from "./boot/scripts.js";
import { opsAgentDefaults, opsAgentRepository } from "../../src/render/index.js";

/** The pinned Ops Agent the stand-in repository serves (render/ops-agent.ts). */
const opsAgentEnv = { ...process.env, OPS_AGENT_VERSION: opsAgentDefaults.version, OPS_AGENT_SUITE: opsAgentRepository.suite };

const isRoot = process.getuid?.() === 0;
const expected = [
  "startup-script run by google_metadata_script_runner",
  "outage: the failed install is reported by the startup script",
  "outage: /healthz is 503 while nothing is installed",
  "outage heals when the stand-ins come back (bounded retries)",
  "ops agent: the repository down does not hold the agent or the services",
  "ops agent: the failed install is a clear line on the console",
  "ops agent: /healthz stays 200 and says journals are not shipped",
  "ops agent: installed at the pinned version from the signed repository once it answers",
  "ops agent: runs with brume's config (systemd_journald receiver, the package's conffile not taken)",
  "ops agent: /healthz says ok once journals are shipped",
  "agent runs as dployrd",
  "token is 0600 dployrd:dployrd",
  "agent logs JSON to /var/log/dployrd/app.log",
  "logrotate -d accepts the agent's rotation file",
  "process service answers through Caddy at the pinned commit",
  "/healthz is 200 once installed and the agent runs",
  "/ready asks each service's own check through Caddy",
  "/healthz/renderer proxies the service's own health path",
  "killing the process service restarts it (git host down: no fetch of a present ref)",
  "killing the agent restarts it",
  "node runs under the rendered filter",
  "python3 runs under the rendered filter",
  "go (build and run) runs under the rendered filter",
  "ruby runs under the rendered filter",
  "the filter check is live: plain @system-service kills node (SIGSYS)",
  "reboot (release server down): agent back",
  "reboot (release server down): process service back through Caddy",
  "reboot: the startup script ran again and succeeded",
  "reboot: /healthz 200",
  "reboot (repository down): the Ops Agent is not reinstalled and runs",
  "checksum mismatch: the install fails with status 3, not retried",
  "checksum mismatch: nothing installed",
  "checksum mismatch: a clear line on the serial console",
  "checksum mismatch: the load balancer's /ready is 503",
  "checksum mismatch: /healthz says degraded (status 3), so autohealing does not recreate forever",
  "checksum mismatch: the Ops Agent installs anyway (the failed machine's journals reach Cloud Logging)",
];

describe.skipIf(!isRoot)("boot test: the rendered Debian machine in systemd-nspawn", () => {
  const work = mkdtempSync(join(tmpdir(), "brume-boot-"));
  const lines: string[] = [];
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  beforeAll(async () => {
    for (const tool of ["debootstrap", "systemd-nspawn", "openssl", "git", "node"]) requireTool(tool);
    const prepare = spawnSync("bash", [".ci/boot-test.sh", "prepare", work], { encoding: "utf8", env: opsAgentEnv });
    if (prepare.status !== 0) throw new Error(`boot-test.sh prepare failed: ${prepare.stderr}`);
    const scripts = await bootStartupScripts(parsePins(prepare.stdout));
    writeFileSync(join(work, "startup-good.sh"), scripts.good);
    writeFileSync(join(work, "startup-bad.sh"), scripts.bad);
    const boot = spawnSync("bash", [".ci/boot-test.sh", "run", work], { encoding: "utf8", timeout: 28 * 60_000, env: opsAgentEnv });
    lines.push(...boot.stdout.split("\n").filter(Boolean));
    console.log(`boot test:\n${lines.map((l) => `  ${l}`).join("\n")}`);
    if (boot.status !== 0 && lines.length === 0) throw new Error(`boot-test.sh run failed: ${boot.stderr.slice(-2000)}`);
  }, 30 * 60_000);

  it("reports no failed check", () => {
    expect(lines.filter((l) => l.startsWith("not ok"))).toEqual([]);
  });

  it.each(expected)("%s", (name) => {
    expect(lines).toContain(`ok ${name}`);
  });

  it("reports what it cannot boot here as skipped, with the reason", () => {
    const skips = lines.filter((l) => l.startsWith("skip "));
    expect(skips.map((l) => l.split(":")[0])).toEqual(["skip container service answers through Caddy", "skip Container-Optimized OS boot"]);
  });
  it.skip("container service answers through Caddy — not bootable here: podman/crun need CAP_SYS_RESOURCE, docker.io is not in the root", () => {});
  it.skip("Container-Optimized OS boot — no COS userland can be built here; judged offline", () => {});
});
