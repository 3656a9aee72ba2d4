import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { isMap, parseDocument, type Document } from "yaml";
import { ConfigError } from "../../config/errors.js";
import { findConfigFile } from "../../config/load.js";
import { UsageError, type Command } from "../command.js";

const steps = ["promote", "abort", "rollback"] as const;
type Step = (typeof steps)[number];

/**
 * The override that turns `current` into `next` under deepMerge (objects merge, null removes):
 * every key of `next`, and null for each key `current` has and `next` has not.
 */
export function strategyOverride(current: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...next };
  for (const key of Object.keys(current)) if (!(key in next)) out[key] = null;
  return out;
}

/** Writes `services.<service>.strategy` under `config.brume:overrides`, keeping comments and order. */
export function setStrategyOverride(doc: Document, service: string, value: Record<string, unknown>): void {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
  const path = ["config", "brume:overrides", "services", service, "strategy"];
  doc.setIn(path, doc.createNode(value, { flow: false }));
}

export const releaseCommand: Command = {
  summary: "Release step of a blueGreen / canary service: edits the stack config and prints what the step changes",
  usage: `brume release promote|abort|rollback <service> --stack <env> [--to <version>] [--config <file>] [--project-dir <dir>] [--dry-run]
  promote               canary → stable (previous stable retained) | blue/green: switch the active slot
  abort                 canary weight 0 (the canary keeps one pod for inspection)
  rollback              default traffic back to a retained version (routing only)
  --to <version>        rollback target (default: the previous version still deployed)
  --stack <env>         Pulumi.<env>.yaml to edit (brume:overrides) and plan
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)
  --dry-run             print the change without writing the stack config`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        stack: { type: "string" },
        to: { type: "string" },
        config: { type: "string" },
        "project-dir": { type: "string" },
        "dry-run": { type: "boolean", default: false },
      },
      strict: true,
    });
    const [step, service, ...extra] = positionals;
    if (!step || !(steps as readonly string[]).includes(step)) throw new UsageError(`release needs a step: ${steps.join(" | ")}`);
    if (!service || extra.length > 0) throw new UsageError(`release ${step} needs exactly one service name`);
    if (!values.stack) throw new UsageError(`release needs --stack <env>`);
    if (values.to !== undefined && step !== "rollback") throw new UsageError(`--to only applies to rollback`);

    const configFile = resolve(values.config ?? findConfigFile("."));
    const projectDir = resolve(values["project-dir"] ?? dirname(configFile));
    const stackFile = join(projectDir, `Pulumi.${values.stack}.yaml`);
    const original = existsSync(stackFile) ? readFileSync(stackFile, "utf8") : "";

    const { planStack } = await import("../../plan/stack.js");
    const strategyModule = await import("../../../components/strategy/strategy.js");
    const { diffPlans, renderDiff } = await import("../../../components/strategy/diff.js");
    const before = await planStack({ stack: values.stack, configFile, projectDir });
    const svc = Object.hasOwn(before.loaded.config.services, service) ? before.loaded.config.services[service] : undefined;
    if (!svc) {
      throw new ConfigError([{ path: `services.${service}`, message: `unknown service "${service}"; declared: ${Object.keys(before.loaded.config.services).join(", ")}` }]);
    }
    let next;
    try {
      const s = svc.strategy;
      next = step === "promote" ? strategyModule.promote(s) : step === "abort" ? strategyModule.abort(s) : strategyModule.rollback(s, values.to);
    } catch (err) {
      if (err instanceof strategyModule.ReleaseError) {
        throw new ConfigError([{ path: `services.${service}.strategy`, message: err.message }], stackFile);
      }
      throw err;
    }

    const doc = parseDocument(original || "config: {}\n");
    setStrategyOverride(doc, service, strategyOverride(svc.strategy as Record<string, unknown>, next as Record<string, unknown>));
    const edited = doc.toString();
    writeFileSync(stackFile, edited);
    let after;
    try {
      after = await planStack({ stack: values.stack, configFile, projectDir });
    } catch (err) {
      writeFileSync(stackFile, original);
      throw err;
    }
    if (values["dry-run"]) writeFileSync(stackFile, original);

    const diff = diffPlans(before.plan, after.plan);
    const serving = (s: typeof svc.strategy) => strategyModule.servingVersion({ strategy: s, image: svc.image });
    io.stdout(
      `${step} ${service} (stack ${values.stack}): default traffic ${serving(svc.strategy)} → ${serving(next)}\n` +
        renderDiff(diff) +
        (values["dry-run"] ? `(dry run: ${stackFile} unchanged)\n` : `wrote brume:overrides.services.${service}.strategy to ${stackFile}; run \`pulumi up --stack ${values.stack}\` to apply\n`),
    );
    return 0;
  },
};
