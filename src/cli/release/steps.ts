/**
 * One release step of a service (components/strategy) or machine group (components/machine/
 * releases.ts) on the loaded config: the strategy before and after, or a located refusal.
 */
import { ConfigError } from "../../config/errors.js";
import type { BrumeConfig } from "../../config/schema.js";
import { CliError } from "../command.js";
import type { ReleaseTarget } from "./state-file.js";

export const steps = ["start", "weight", "promote", "abort", "rollback"] as const;
export type Step = (typeof steps)[number];

export interface StepInput {
  step: Step;
  image?: string | undefined;
  version?: string | undefined;
  weight?: number | undefined;
  to?: string | undefined;
  /** The environment runs the production preset: releases run digests. */
  production: boolean;
}

export interface Move {
  target: ReleaseTarget;
  label: string;
  current: Record<string, unknown>;
  next: Record<string, unknown>;
  /** "default traffic a → b", for the summary line. */
  serving: string;
}

const digestRef = /@sha256:[0-9a-f]{64}$/;

/**
 * A step the release state cannot take is the CLI refusing the command, not a problem in the user's
 * config (newcomer 17: `version "v9-9-9" is not retained` was labelled "Pulumi.prod.yaml: invalid
 * brume config"): one line naming the step, the strategy and the untouched stack file.
 */
function refused(step: Step, at: string, message: string, stackFile: string): CliError {
  return new CliError(`release ${step} refused: ${at}: ${message} (${stackFile} unchanged)`);
}

/** A service's step; a ReleaseError becomes the CLI's refusal. */
export async function serviceStep(input: StepInput, service: string, config: BrumeConfig, stackFile: string): Promise<Move> {
  const m = await import("../../components/strategy/strategy.js");
  const svc = Object.hasOwn(config.services, service) ? config.services[service] : undefined;
  if (!svc) throw new ConfigError([{ path: `services.${service}`, message: `unknown service "${service}"; declared: ${Object.keys(config.services).join(", ")}` }]);
  const s = svc.strategy;
  const at = `services.${service}.strategy`;
  let next;
  try {
    next = (() => {
      switch (input.step) {
        case "start": {
          const image = input.image!;
          if (input.production && !digestRef.test(image)) {
            throw new m.ReleaseError(`production runs images by digest, not tag: pass --image <repository>@sha256:<digest> (\`docker buildx imagetools inspect ${image}\` prints it)`);
          }
          const started = m.deploy(s, { version: input.version ?? m.versionOfImage(image), image });
          return input.weight !== undefined && input.weight > 0 ? m.setWeight(started, input.weight) : started;
        }
        case "weight":
          return m.setWeight(s, input.weight!);
        case "promote":
          return m.promote(s);
        case "abort":
          return m.abort(s);
        case "rollback":
          return m.rollback(s, input.to);
      }
    })();
  } catch (err) {
    if (err instanceof m.ReleaseError) throw refused(input.step, at, err.message, stackFile);
    throw err;
  }
  const route = (x: typeof s) => {
    const plan = m.routeOf(service, { strategy: x, image: svc.image }, { headerRules: m.headerRulesAllowed(svc) });
    return plan.backends.filter((b) => b.weight > 0).map((b) => `${b.service} ${b.weight}%`).join(", ");
  };
  return {
    target: { section: "services", name: service },
    label: service,
    current: s as Record<string, unknown>,
    next: next as Record<string, unknown>,
    serving: `default traffic ${route(s)} → ${route(next)}`,
  };
}

/** `--image site=<ref>` (repeatable) → the release's services. */
function machineServices(images: string[]): Record<string, { image: string }> {
  const out: Record<string, { image: string }> = {};
  for (const spec of images) {
    const eq = spec.indexOf("=");
    if (eq <= 0) throw new ConfigError([{ path: "--image", message: `expected <service>=<image> for a machine release, got "${spec}"`, value: spec }]);
    out[spec.slice(0, eq)] = { image: spec.slice(eq + 1) };
  }
  return out;
}

/** A machine group's step. */
export async function machineStep(input: StepInput & { images: string[] }, group: string, config: BrumeConfig, stackFile: string): Promise<Move> {
  const r = await import("../../components/machine/releases.js");
  const g = Object.hasOwn(config.machines, group) ? config.machines[group] : undefined;
  if (!g) throw new ConfigError([{ path: `machines.${group}`, message: `unknown machine group "${group}"; declared: ${Object.keys(config.machines).join(", ") || "none"}` }]);
  const s = g.strategy as import("../../components/machine/releases.js").MachineStrategy;
  let next;
  try {
    next = (() => {
      switch (input.step) {
        case "start": {
          if (!input.version) throw new r.MachineReleaseError("a machine release needs --version <label> (it names the instance template)");
          const services = machineServices(input.images);
          if (input.production) {
            const tagged = Object.entries(services).filter(([, v]) => !digestRef.test(v.image));
            if (tagged.length) throw new r.MachineReleaseError(`production runs images by digest, not tag: ${tagged.map(([k]) => k).join(", ")} — pass <service>=<repository>@sha256:<digest>`);
          }
          return r.startMachines(s, { version: input.version, ...(Object.keys(services).length ? { services } : {}) }, input.weight);
        }
        case "weight":
          return r.weightMachines(s, input.weight!);
        case "promote":
          return r.promoteMachines(s);
        case "abort":
          return r.abortMachines(s);
        case "rollback":
          return r.rollbackMachines(s, input.to);
      }
    })();
  } catch (err) {
    if (err instanceof r.MachineReleaseError) throw refused(input.step, `machines.${group}.strategy`, err.message, stackFile);
    throw err;
  }
  return {
    target: { section: "machines", name: group },
    label: `machines ${group}`,
    current: s as Record<string, unknown>,
    next: next as Record<string, unknown>,
    serving: `traffic ${r.servingRelease(s)} → ${r.servingRelease(next)}`,
  };
}
