/**
 * `brume release status`: what the committed release state makes the cluster do — the split as
 * the route applies it (from routeOf, not the config's numbers: k8s-review 11), every running
 * version with its HPA bounds and marks, and what `rollback` without `--to` would do.
 */
import { ConfigError } from "../../config/errors.js";
import type { BrumeConfig } from "../../config/schema.js";
import { headerRulesAllowed, previousVersion, routeOf, servingVersion, workloadsOf } from "../../components/strategy/strategy.js";
import { deployedMachineReleases, servingRelease, type MachineStrategy } from "../../components/machine/releases.js";

export function serviceStatus(config: BrumeConfig, service: string, stack: string): string {
  const svc = Object.hasOwn(config.services, service) ? config.services[service] : undefined;
  if (!svc) throw new ConfigError([{ path: `services.${service}`, message: `unknown service "${service}"; declared: ${Object.keys(config.services).join(", ")}` }]);
  const s = svc.strategy;
  const route = routeOf(service, svc, { headerRules: headerRulesAllowed(svc) });
  const weights = new Map(route.backends.map((b) => [b.service, b.weight]));
  const bad = s.type === "rolling" ? [] : s.bad;
  const lines = [`${service} (stack ${stack}, strategy ${s.type}) — serving ${servingVersion(svc)}`, "  route: " + route.backends.map((b) => `${b.service} ${b.weight}%`).join(", ")];
  if (route.preview) lines.push(`  header rule: ${route.preview.header}: ${route.preview.value} → ${route.preview.backends.map((b) => b.service).join(", ")}`);
  lines.push("  VERSION  ROLE  TRAFFIC  HPA MIN-MAX  MARK");
  for (const w of workloadsOf(service, svc)) {
    lines.push(`  ${w.version}  ${w.role}${w.slot ? ` (${w.slot})` : ""}  ${weights.get(w.name) ?? 0}%  ${w.scaling.min}-${w.scaling.max}  ${bad.includes(w.version) ? "bad" : "-"}`);
  }
  if (s.type === "rolling") lines.push("  rollback: a rolling service keeps no previous version running");
  else if (s.rolledBackFrom) lines.push(`  rollback: nothing (already rolled back from ${s.rolledBackFrom}); name another version with --to`);
  else {
    const to = previousVersion(s);
    lines.push(to ? `  rollback: default traffic → ${to} (scaled to ${svc.scaling.min}+ pods before the route moves); ${servingVersion(svc)} is marked bad` : "  rollback: no retained version that is not marked bad");
  }
  return `${lines.join("\n")}\n`;
}

export function machineStatus(config: BrumeConfig, group: string, stack: string): string {
  const g = Object.hasOwn(config.machines, group) ? config.machines[group] : undefined;
  if (!g) throw new ConfigError([{ path: `machines.${group}`, message: `unknown machine group "${group}"; declared: ${Object.keys(config.machines).join(", ") || "none"}` }]);
  const s = g.strategy as MachineStrategy;
  const lines = [`machines ${group} (stack ${stack}, strategy ${s.type}) — traffic ${servingRelease(s)}`];
  for (const r of deployedMachineReleases(s)) lines.push(`  ${r.serving ? "*" : " "} ${r.version}  ${r.role}`);
  lines.push(
    s.type === "blueGreen"
      ? s.staged !== undefined
        ? `  rollback: nothing (${s.staged} on the ${s.active === "blue" ? "green" : "blue"} group has not served yet; promote moves traffic forward to it)`
        : `  rollback: traffic → the ${s.active === "blue" ? "green" : "blue"} group${s[s.active === "blue" ? "green" : "blue"] ? "" : " (empty: nothing to roll back to)"}`
      : "  rollback: abort the canary before promoting it",
  );
  return `${lines.join("\n")}\n`;
}
