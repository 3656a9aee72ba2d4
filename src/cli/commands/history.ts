import { parseArgs } from "node:util";
import { ConfigError } from "../../config/errors.js";
import type { BrumeConfig } from "../../config/schema.js";
import { UsageError, type Command } from "../command.js";

export const historyCommand: Command = {
  summary: "List the versions of a service (or the releases of a machine group) its strategy keeps deployed (rollback targets)",
  usage: `brume history <service> --stack <env> [--config <file>] [--project-dir <dir>]
       brume history --machines <group> --stack <env> [...]
  --stack <env>         Stack whose brume:overrides apply (Pulumi.<env>.yaml)
  --machines <group>    the releases of a machine group (machines.<group>.strategy) instead of a service`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { stack: { type: "string" }, config: { type: "string" }, "project-dir": { type: "string" }, machines: { type: "string" } },
      strict: true,
    });
    const [service, ...extra] = positionals;
    if (values.machines !== undefined) {
      if (service !== undefined) throw new UsageError(`history --machines <group> takes no service name`);
    } else if (!service || extra.length > 0) throw new UsageError(`history needs exactly one service name, or --machines <group>`);
    if (!values.stack) throw new UsageError(`history needs --stack <env>`);
    const { loadStackFiles } = await import("../../config/stack-file.js");
    const { deployedReleases, servingVersion, versionOfImage } = await import("../../components/strategy/strategy.js");
    const { imageDigest } = await import("../../components/service/manifests.js");
    const { loaded } = loadStackFiles({
      stack: values.stack,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
    });
    if (values.machines !== undefined) {
      io.stdout(await machineHistory(loaded.config, values.machines, values.stack));
      return 0;
    }
    const svc = Object.hasOwn(loaded.config.services, service!) ? loaded.config.services[service!] : undefined;
    if (!svc) throw new ConfigError([{ path: `services.${service}`, message: `unknown service "${service}"; declared: ${Object.keys(loaded.config.services).join(", ")}` }]);
    const s = svc.strategy;
    const serving = servingVersion(svc);
    const rows =
      s.type === "rolling"
        ? [{ version: versionOfImage(svc.image ?? ""), image: svc.image ?? "(build)", role: "rolling (no previous version kept)" }]
        : deployedReleases(s);
    const width = Math.max(7, ...rows.map((r) => r.version.length));
    const lines = rows.map((r) => `${r.version === serving ? "*" : " "} ${r.version.padEnd(width)}  ${r.role.padEnd(22)}  ${r.image}${imageDigest(r.image) ? "" : "  (tag, not digest-pinned)"}`);
    io.stdout(
      `${service} (stack ${values.stack}, strategy ${s.type}${s.type === "rolling" ? "" : `, keep ${s.keep}`}) — * receives the default traffic\n` +
        `  ${"VERSION".padEnd(width)}  ${"ROLE".padEnd(22)}  IMAGE\n${lines.join("\n")}\n`,
    );
    return 0;
  },
};

/** The releases a machine group runs: version, role, and what each pins (agent, service images / refs / archives). */
async function machineHistory(config: BrumeConfig, group: string, stack: string): Promise<string> {
  const g = Object.hasOwn(config.machines, group) ? config.machines[group] : undefined;
  if (!g) throw new ConfigError([{ path: `machines.${group}`, message: `unknown machine group "${group}"; declared: ${Object.keys(config.machines).join(", ") || "none"}` }]);
  const { deployedMachineReleases } = await import("../../components/machine/releases.js");
  const rows = deployedMachineReleases(g.strategy);
  const pins = (r: (typeof rows)[number]) =>
    [
      ...(r.release?.agent ? [`agent ${r.release.agent.version}`] : []),
      ...Object.entries(r.release?.services ?? {}).map(([svc, o]) => `${svc} ${o.image ?? o.ref ?? o.artifact?.url ?? ""}`),
    ].join(", ") || "the group's agent and services";
  const width = Math.max(7, ...rows.map((r) => r.version.length));
  const roleWidth = Math.max(22, ...rows.map((r) => r.role.length));
  const lines = rows.map((r) => `${r.serving ? "*" : " "} ${r.version.padEnd(width)}  ${r.role.padEnd(roleWidth)}  ${pins(r)}`);
  return (
    `machines ${group} (stack ${stack}, strategy ${g.strategy.type}) — * takes the traffic\n` +
    `  ${"RELEASE".padEnd(width)}  ${"ROLE".padEnd(roleWidth)}  PINS\n${lines.join("\n")}\n`
  );
}
