/**
 * `brume release`: every step of a blueGreen / canary service or machine group from the CLI
 * (issue 15): start, weight, promote, abort, rollback, status. A step edits only the release state
 * (`brume:release` in Pulumi.<env>.yaml, the keys that move), plans before and after, prints what
 * changes with the URNs for `pulumi up --target`, and is refused with the reason when its
 * preconditions fail (the strategy's, the config's, or a stack file that differs from the default
 * branch's).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../../config/errors.js";
import { suggestKey } from "../../config/primitives.js";
import { resolveStackInputs } from "../../config/stack-file.js";
import { UsageError, type Command } from "../command.js";
import { editReleaseState, stackFileDrift, stateOf } from "./state-file.js";
import { machineStep, serviceStep, steps, type Step } from "./steps.js";

const all = [...steps, "status"] as const;

export const releaseCommand: Command = {
  summary: "Release steps of a blueGreen / canary service or machine group: start, weight, promote, abort, rollback, status",
  usage: `brume release start <service> --image <ref> [--version <v>] [--weight <n>] --stack <env> [...]
       brume release weight <service> <n> --stack <env>
       brume release promote|abort <service> --stack <env>
       brume release rollback <service> [--to <version>] --stack <env>
       brume release status <service> --stack <env>
       brume release run <service> --stack <env> --steps 10,25,50,100 --pause 5m --max-error-ratio 0.01 [--max-latency-p95 800ms]
                     [--min-requests 200] [--lock gs://<bucket>] (docs/release-run.md)
       brume release <step> --machines <group> … (start: --version <label> [--image <service>=<ref> …] [--weight <percent>])
  start                 a new version: the canary at weight 0 (or --weight n), or the inactive blue/green slot
  weight <n>            canary share of the default traffic (the canary is sized and ready before the route moves)
  promote               the new version takes all traffic; the previous one is retained at one pod
  abort                 the canary / preview is marked bad and loses its traffic, then shrinks to one pod
  rollback              traffic back to the newest retained version not marked bad (or --to); a second one changes nothing
  run                   the automated canary: each step applied, judged on the canary's load-balancer metrics, aborted on failure
  status                the split as the route applies it, the versions and their sizes, what a rollback would do
  --machines <group>    a machine group (machines.<group>.strategy) instead of a service
  --stack <env>         Pulumi.<env>.yaml whose release state (brume:release) the step edits
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)
  --dry-run             print the change without writing the stack file
  --base <ref>          git ref the stack file must match before a step (default: origin/HEAD, else main)
  --break-glass         step even though the stack file differs from the base (docs/releases.md)`,
  async run(args, io) {
    // The automated canary (../release-run): its own options and collaborators, loaded only for it.
    if (args[0] === "run") return (await import("../release-run/command.js")).releaseRun(args.slice(1), io);
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        stack: { type: "string" },
        to: { type: "string" },
        image: { type: "string", multiple: true },
        version: { type: "string" },
        weight: { type: "string" },
        config: { type: "string" },
        "project-dir": { type: "string" },
        "dry-run": { type: "boolean", default: false },
        "break-glass": { type: "boolean", default: false },
        base: { type: "string" },
        machines: { type: "string" },
      },
      strict: true,
    });
    const [step, ...rest] = positionals;
    if (!step || !(all as readonly string[]).includes(step)) {
      const hint = step ? suggestKey(step, [...all, "run"]) : undefined;
      throw new UsageError(step ? `unknown release step "${step}"${hint ? ` (did you mean "${hint}"?)` : ""}; steps: ${all.join(" | ")} | run` : `release needs a step: ${all.join(" | ")} | run`);
    }
    const machines = values.machines;
    const service = machines === undefined ? rest.shift() : undefined;
    let weight: number | undefined;
    if (step === "weight") {
      const n = rest.shift() ?? values.weight;
      if (n === undefined || !/^\d+$/.test(n)) throw new UsageError(`release weight needs an integer 0-100`);
      weight = Number(n);
    } else if (values.weight !== undefined) {
      if (step !== "start") throw new UsageError(`--weight only applies to start (use \`brume release weight <service> <n>\`)`);
      if (!/^\d+$/.test(values.weight)) throw new UsageError(`--weight needs an integer 0-100`);
      weight = Number(values.weight);
    }
    if (machines === undefined && !service) throw new UsageError(`release ${step} needs a service name, or --machines <group>`);
    if (rest.length > 0) throw new UsageError(`release ${step}: unexpected ${rest.join(" ")}`);
    if (!values.stack) throw new UsageError(`release needs --stack <env>`);
    if (values.to !== undefined && step !== "rollback") throw new UsageError(`--to only applies to rollback`);
    if (step === "start" && machines === undefined && !values.image?.length) throw new UsageError(`release start needs --image <ref>`);
    if (step !== "start" && (values.image !== undefined || values.version !== undefined)) throw new UsageError(`--image and --version only apply to start`);
    if (machines === undefined && (values.image?.length ?? 0) > 1) throw new UsageError(`a service release takes one --image`);

    // The same lookup as every command: --config, else the stack's brume:configFile, else brume.yaml.
    const { configFile, projectDir, stackFile } = resolveStackInputs({
      stack: values.stack,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
    });
    const { planStack } = await import("../../plan/stack.js");
    const before = await planStack({ stack: values.stack, configFile, projectDir });

    if (step === "status") {
      const { machineStatus, serviceStatus } = await import("./status.js");
      io.stdout(machines !== undefined ? machineStatus(before.loaded.config, machines, values.stack) : serviceStatus(before.loaded.config, service!, values.stack));
      return 0;
    }

    const drift = stackFileDrift(stackFile, values.base);
    if (drift && !values["break-glass"]) throw new ConfigError([{ path: "(stack file)", message: drift }], stackFile);

    const input = { step: step as Step, image: values.image?.[0], version: values.version, weight, to: values.to, production: before.loaded.environment.preset === "production" };
    const move =
      machines !== undefined
        ? await machineStep({ ...input, images: values.image ?? [] }, machines, before.loaded.config, stackFile)
        : await serviceStep(input, service!, before.loaded.config, stackFile);
    const original = existsSync(stackFile) ? readFileSync(stackFile, "utf8") : "";
    const { text, moved } = editReleaseState(original, move.target, stateOf(move.target, move.next));
    const head = `${step} ${move.label} (stack ${values.stack}): ${move.serving}\n`;
    if (moved.length === 0) {
      io.stdout(`${head}nothing to do: the release state already says this; ${stackFile} unchanged\n`);
      return 0;
    }
    writeFileSync(stackFile, text);
    let after;
    try {
      after = await planStack({ stack: values.stack, configFile, projectDir });
    } catch (err) {
      writeFileSync(stackFile, original);
      throw err;
    }
    // The step's own plan against the one before it: a version's image never changes in place.
    const { versionImageMutations } = await import("../../review/release/image-immutability.js");
    const mutations = versionImageMutations(before.plan, after.plan);
    if (mutations.length > 0 || values["dry-run"]) writeFileSync(stackFile, original);
    if (mutations.length > 0) throw new ConfigError(mutations.map((m) => ({ path: `${move.target.section}.${move.target.name}.strategy`, message: m.message })), stackFile);

    const { diffPlans, renderDiff, targetCommand } = await import("../../review/release/step-diff.js");
    const diff = diffPlans(before.plan, after.plan);
    const where = `brume:release.${move.target.section}.${move.target.name} (${moved.join(", ")})`;
    io.stdout(
      head +
        renderDiff(diff) +
        targetCommand(diff, values.stack) +
        (values["dry-run"] ? `(dry run: ${stackFile} unchanged)\n` : `wrote ${where} to ${stackFile}; commit it (or open a pull request), then apply\n`),
    );
    return 0;
  },
};
