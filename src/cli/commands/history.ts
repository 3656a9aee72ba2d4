import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../../config/errors.js";
import { findConfigFile } from "../../config/load.js";
import { UsageError, type Command } from "../command.js";

export const historyCommand: Command = {
  summary: "List the versions of a service that its strategy keeps deployed (rollback targets)",
  usage: `brume history <service> --stack <env> [--config <file>] [--project-dir <dir>]
  --stack <env>         Stack whose brume:overrides apply (Pulumi.<env>.yaml)`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { stack: { type: "string" }, config: { type: "string" }, "project-dir": { type: "string" } },
      strict: true,
    });
    const [service, ...extra] = positionals;
    if (!service || extra.length > 0) throw new UsageError(`history needs exactly one service name`);
    if (!values.stack) throw new UsageError(`history needs --stack <env>`);
    const configFile = resolve(values.config ?? findConfigFile("."));
    const { readStackConfig } = await import("../../plan/stack.js");
    const { loadStack } = await import("../../config/load.js");
    const { deployedReleases, servingVersion, versionOfImage } = await import("../../../components/strategy/strategy.js");
    const { imageDigest } = await import("../../../components/service/manifests.js");
    const { dirname } = await import("node:path");
    const stackConfig = readStackConfig(resolve(values["project-dir"] ?? dirname(configFile)), values.stack);
    const overrides = stackConfig.config["brume:overrides"];
    const loaded = loadStack({
      configFile,
      environment: String(stackConfig.config["brume:environment"] ?? values.stack),
      ...(overrides !== undefined ? { overrides } : {}),
    });
    const svc = Object.hasOwn(loaded.config.services, service) ? loaded.config.services[service] : undefined;
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
