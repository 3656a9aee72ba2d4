/**
 * Every systemd service unit we render, rated by `systemd-analyze security --offline=true` (systemd
 * 252, Debian 12's): each ≤ 5.0 and the agent ≤ 2.0; Debian's stock caddy.service with our drop-in
 * (merged into one file, as systemd merges them) too. The figure per unit is printed. The podman
 * container unit is the exception, measured and printed: podman is the engine itself (rootful, no
 * daemon) and keeps root's capabilities, namespaces and cgroups (runners.ts).
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

  it.each(variants)("rates every unit of %s at 5.0 or better (the agent 2.0), podman's container unit excepted", (label, spec) => {
    requireTool("systemd-analyze");
    const units = machineFiles(spec).filter((f) => f.path.endsWith(".service") && f.path.startsWith("/etc/systemd/system/"));
    expect(units.length).toBeGreaterThanOrEqual(5);
    for (const unit of units) {
      const name = unit.path.split("/").pop()!;
      const level = exposure(name, unit.content);
      figures.push(`  ${label.padEnd(17)} ${name.padEnd(34)} ${level.toFixed(1)}`);
      const podmanContainer = spec.engine === "podman" && /^brume-api\.service$/.test(name);
      if (podmanContainer) {
        expect(level).toBeLessThanOrEqual(5.5);
      } else {
        expect({ name, level: level <= 5 }).toEqual({ name, level: true });
      }
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
});
