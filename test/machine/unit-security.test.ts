/**
 * Every systemd service unit we render, rated by `systemd-analyze security --offline=true` (systemd
 * 252, Debian 12's): each ≤ 5.0 and the agent ≤ 2.0; Debian's stock caddy.service with our drop-in
 * (merged into one file, as systemd merges them) too, the podman container unit included (podman is
 * the engine itself: its bounded sandbox is src/render/containers.ts). The figure per unit is printed.
 * A container unit's figure measures the engine or its client, so the container's own hardening is
 * printed too, read from the rendered unit and daemon configuration (not from constants).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { machineFiles, renderCaddyDropIn, type MachineSpec } from "../../src/render/index.js";
import { cosMachineSpec, machineSpec, requireTool, run } from "./fixtures.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-unit-security-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function exposure(name: string, content: string): number {
  const dir = join(tmp, String(Math.random()).slice(2));
  mkdirSync(dir);
  // A template is rated as one of its instances.
  const path = join(dir, name.replace("@.", "@health."));
  writeFileSync(path, content);
  const r = run("systemd-analyze", ["security", "--offline=true", path]);
  const level = Number(/Overall exposure level for [^:]+: ([\d.]+)/.exec(r.stdout)?.[1]);
  if (Number.isNaN(level)) throw new Error(`no rating for ${name}: ${r.stdout}${r.stderr}`);
  return level;
}

const variants: [string, MachineSpec][] = [
  ["debian-12 docker", machineSpec],
  ["cos-stable", cosMachineSpec],
  ["debian-12 podman", { ...machineSpec, engine: "podman" }],
];

describe("systemd-analyze security --offline=true", () => {
  const figures: string[] = [];
  afterAll(() => console.log(`unit exposure (systemd-analyze security --offline=true):\n${figures.join("\n")}`));

  it.each(variants)("rates every unit of %s at 5.0 or better (the agent 2.0)", (label, spec) => {
    requireTool("systemd-analyze");
    const units = machineFiles(spec).filter((f) => f.path.endsWith(".service") && f.path.startsWith("/etc/systemd/system/"));
    expect(units.length).toBeGreaterThanOrEqual(5);
    for (const unit of units) {
      const name = unit.path.split("/").pop()!;
      const level = exposure(name, unit.content);
      figures.push(`  ${label.padEnd(17)} ${name.padEnd(34)} ${level.toFixed(1)}`);
      expect({ name, level: level <= 5 }).toEqual({ name, level: true });
      if (name === "dployrd.service") expect(level).toBeLessThanOrEqual(2);
    }
  });

  it("hardens Debian's caddy.service with a drop-in: 9.0 stock, 5.0 or better with it", () => {
    requireTool("systemd-analyze");
    const stockPath = "/lib/systemd/system/caddy.service";
    // install-tools.sh installs Debian's caddy package, which ships the unit.
    expect(existsSync(stockPath)).toBe(true);
    const stock = readFileSync(stockPath, "utf8");
    const before = exposure("caddy.service", stock);
    const after = exposure("caddy.service", `${stock}\n${renderCaddyDropIn()}`);
    figures.push(`  debian-12         caddy.service (stock)              ${before.toFixed(1)}`, `  debian-12         caddy.service + brume drop-in      ${after.toFixed(1)}`);
    expect(before).toBeGreaterThan(5);
    expect(after).toBeLessThanOrEqual(5);
    expect(machineFiles(machineSpec).find((f) => f.path === "/etc/systemd/system/caddy.service.d/brume-hardening.conf")?.content).toBe(renderCaddyDropIn());
  });

  it("prints the container's own hardening per engine, user-namespace remapping included", () => {
    const rows: [string, MachineSpec][] = [
      ["debian-12 docker", machineSpec],
      ["debian-12 podman", { ...machineSpec, engine: "podman" }],
      ["cos-stable docker", cosMachineSpec],
    ];
    const table = rows.map(([label, spec]) => {
      const files = machineFiles(spec);
      const unit = files.find((f) => f.path === "/etc/systemd/system/brume-api.service")!.content;
      const run = /^ExecStart=(.*)$/m.exec(unit)![1]!;
      const daemon = files.find((f) => f.path === "/etc/docker/daemon.json")?.content;
      const userns = /"--userns=([^"]+)"/.exec(run)?.[1] ?? (daemon ? `daemon: ${JSON.parse(daemon)["userns-remap"]}` : "none");
      return {
        engine: label,
        init: run.includes('"--init"'),
        readOnlyRoot: run.includes('"--read-only"'),
        capDropAll: run.includes('"--cap-drop=ALL"'),
        noNewPrivileges: run.includes('"--security-opt=no-new-privileges"'),
        defaultSeccomp: !/seccomp=unconfined|--privileged/.test(run),
        userns,
      };
    });
    const yes = (b: boolean) => (b ? "yes" : "NO");
    figures.push(
      "  container hardening (from the rendered units):",
      "  engine             --init  read-only  cap-drop ALL  no-new-privileges  default seccomp  user namespace",
      ...table.map((r) => `  ${r.engine.padEnd(18)} ${yes(r.init).padEnd(7)} ${yes(r.readOnlyRoot).padEnd(10)} ${yes(r.capDropAll).padEnd(13)} ${yes(r.noNewPrivileges).padEnd(18)} ${yes(r.defaultSeccomp).padEnd(16)} ${r.userns}`),
    );
    expect(table.map((r) => r.userns)).toEqual(["daemon: default", "auto:size=65536", "none"]);
    for (const r of table) expect([r.init, r.readOnlyRoot, r.capDropAll, r.noNewPrivileges, r.defaultSeccomp]).toEqual([true, true, true, true, true]);
  });
});
