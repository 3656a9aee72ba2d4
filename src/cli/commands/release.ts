import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isMap, parseDocument, type Document } from "yaml";
import { ConfigError } from "../../config/errors.js";
import type { BrumeConfig } from "../../config/schema.js";
import { suggestKey } from "../../config/primitives.js";
import { resolveStackInputs } from "../../config/stack-file.js";
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

/**
 * Writes `<section>.<name>.strategy` (`services.api`, `machines.edge`) under `config.brume:overrides`,
 * keeping comments and order.
 */
export function setStrategyOverride(doc: Document, target: ReleaseTarget, value: Record<string, unknown>): void {
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as never;
  const path = ["config", "brume:overrides", target.section, target.name, "strategy"];
  doc.setIn(path, doc.createNode(value, { flow: false }));
}

/** What a release step moves: a service's strategy or a machine group's. */
export interface ReleaseTarget {
  section: "services" | "machines";
  name: string;
}

export const releaseCommand: Command = {
  summary: "Release step of a blueGreen / canary service or machine group: edits the stack config and prints what the step changes",
  usage: `brume release promote|abort|rollback <service> --stack <env> [--to <version>] [--config <file>] [--project-dir <dir>] [--dry-run]
       brume release promote|abort|rollback --machines <group> --stack <env> [--to <release>] [...]
  promote               canary → stable (previous stable retained) | blue/green: switch the active slot
                        machines: the canary release becomes stable | blue/green: switch the live group
  abort                 canary weight 0 (the canary keeps one pod for inspection)
                        machines: drop the canary release (its instances return to stable)
  rollback              default traffic back to a retained version (routing only)
                        machines (blue/green): traffic back to the other group, kept UPDATED for this
  --machines <group>    release step of a machine group (machines.<group>.strategy) instead of a service
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
        machines: { type: "string" },
      },
      strict: true,
    });
    const [step, service, ...extra] = positionals;
    if (!step || !(steps as readonly string[]).includes(step)) {
      const hint = step ? suggestKey(step, steps) : undefined;
      throw new UsageError(step ? `unknown release step "${step}"${hint ? ` (did you mean "${hint}"?)` : ""}; steps: ${steps.join(" | ")}` : `release needs a step: ${steps.join(" | ")}`);
    }
    if (values.machines !== undefined) {
      if (service !== undefined) throw new UsageError(`release ${step} --machines <group> takes no service name`);
    } else if (!service || extra.length > 0) throw new UsageError(`release ${step} needs exactly one service name, or --machines <group>`);
    if (!values.stack) throw new UsageError(`release needs --stack <env>`);
    if (values.to !== undefined && step !== "rollback") throw new UsageError(`--to only applies to rollback`);

    // The same lookup as every command: --config, else the stack's brume:configFile, else brume.yaml.
    const { configFile, projectDir, stackFile } = resolveStackInputs({
      stack: values.stack,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
    });
    const original = existsSync(stackFile) ? readFileSync(stackFile, "utf8") : "";

    const { planStack } = await import("../../plan/stack.js");
    const before = await planStack({ stack: values.stack, configFile, projectDir });
    const move =
      values.machines !== undefined
        ? await machineStep(step as Step, values.machines, before.loaded.config, values.to, stackFile)
        : await serviceStep(step as Step, service!, before.loaded.config, values.to, stackFile);
    const doc = parseDocument(original || "config: {}\n");
    setStrategyOverride(doc, move.target, strategyOverride(move.current, move.next));
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

    const { diffPlans, renderDiff } = await import("../../review/release/step-diff.js");
    const diff = diffPlans(before.plan, after.plan);
    const where = `brume:overrides.${move.target.section}.${move.target.name}.strategy`;
    io.stdout(
      `${step} ${move.label} (stack ${values.stack}): ${move.serving}\n` +
        renderDiff(diff) +
        (values["dry-run"] ? `(dry run: ${stackFile} unchanged)\n` : `wrote ${where} to ${stackFile}; run \`pulumi up --stack ${values.stack}\` to apply\n`),
    );
    return 0;
  },
};

interface Move {
  target: ReleaseTarget;
  label: string;
  current: Record<string, unknown>;
  next: Record<string, unknown>;
  /** "default traffic a → b", for the summary line. */
  serving: string;
}

/** A service's step (components/strategy): a ReleaseError becomes a located config error. */
async function serviceStep(step: Step, service: string, config: BrumeConfig, to: string | undefined, stackFile: string): Promise<Move> {
  const strategyModule = await import("../../components/strategy/strategy.js");
  const svc = Object.hasOwn(config.services, service) ? config.services[service] : undefined;
  if (!svc) throw new ConfigError([{ path: `services.${service}`, message: `unknown service "${service}"; declared: ${Object.keys(config.services).join(", ")}` }]);
  const s = svc.strategy;
  let next;
  try {
    next = step === "promote" ? strategyModule.promote(s) : step === "abort" ? strategyModule.abort(s) : strategyModule.rollback(s, to);
  } catch (err) {
    if (err instanceof strategyModule.ReleaseError) throw new ConfigError([{ path: `services.${service}.strategy`, message: err.message }], stackFile);
    throw err;
  }
  const serving = (x: typeof s) => strategyModule.servingVersion({ strategy: x, image: svc.image });
  return { target: { section: "services", name: service }, label: service, current: s as Record<string, unknown>, next: next as Record<string, unknown>, serving: `default traffic ${serving(s)} → ${serving(next)}` };
}

/** A machine group's step (components/machine/releases.ts). */
async function machineStep(step: Step, group: string, config: BrumeConfig, to: string | undefined, stackFile: string): Promise<Move> {
  const releases = await import("../../components/machine/releases.js");
  const g = Object.hasOwn(config.machines, group) ? config.machines[group] : undefined;
  if (!g) throw new ConfigError([{ path: `machines.${group}`, message: `unknown machine group "${group}"; declared: ${Object.keys(config.machines).join(", ") || "none"}` }]);
  const s = g.strategy;
  let next;
  try {
    next = step === "promote" ? releases.promoteMachines(s) : step === "abort" ? releases.abortMachines(s) : releases.rollbackMachines(s, to);
  } catch (err) {
    if (err instanceof releases.MachineReleaseError) throw new ConfigError([{ path: `machines.${group}.strategy`, message: err.message }], stackFile);
    throw err;
  }
  return {
    target: { section: "machines", name: group },
    label: `machines ${group}`,
    current: s as Record<string, unknown>,
    next: next as Record<string, unknown>,
    serving: `traffic ${releases.servingRelease(s)} → ${releases.servingRelease(next)}`,
  };
}
