/**
 * `brume release run`: drives a canary through its steps and rolls it back when the analysis fails.
 *
 * The loop is the one Argo Rollouts and Flagger run (set a weight, pause, analyse, go on or abort),
 * with the stack file as its only durable state: every step is an ordinary release edit committed to
 * `Pulumi.<env>.yaml` before it is applied, so a driver that dies mid-release is started again and
 * continues from the last step the file records (the step is re-applied, which `pulumi up` makes a
 * no-op when it had landed, and analysed again). A workflow engine (seed 000 runs long workflows on
 * Temporal) can drive the same loop later: each phase below is an idempotent activity of the
 * `StepEditor`, `Deployer`, `MetricsSource` and `Notifier`, and the workflow's state is the same file.
 *
 * Everything the loop touches is an interface, so tests run it with the real deployer against a
 * stand-in `pulumi`, the real metrics source against a fake Monitoring API, and an injected clock.
 */
import { evaluate, type Measurement, type Thresholds, type Verdict } from "./analysis.js";

/** What the stack file says the release is at. */
export interface ReleasePosition {
  /** The canary's version, when a canary release is in progress. */
  canary?: string;
  /** The canary's share of the traffic (0-100). */
  weight: number;
  /** The version serving the rest of the traffic. */
  stable: string;
}

/** One release edit: what it changed and which resources `pulumi up --target` must apply. */
export interface StepChange {
  description: string;
  /** URNs whose inputs the edit changed; empty when the edit changed nothing. */
  targets: string[];
}

/** Release edits of one service (or machine group), each written to and committed with the stack file. */
export interface StepEditor {
  position(): Promise<ReleasePosition>;
  weight(percent: number): Promise<StepChange>;
  promote(): Promise<StepChange>;
  abort(): Promise<StepChange>;
  /** Every URN of the released service: what a resumed step re-applies. */
  serviceTargets(): Promise<string[]>;
}

/** Applies a step to the cloud (`pulumi up --target …`). */
export interface Deployer {
  apply(change: StepChange): Promise<void>;
}

/** The canary's load-balancer traffic over a window. */
export interface MetricsSource {
  measure(window: { version: string; start: Date; end: Date }): Promise<Measurement>;
}

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

/** Held while one driver steps a service; a second driver (a laptop and CI) is refused. */
export interface ReleaseLock {
  acquire(): Promise<{ release(): Promise<void> }>;
}

export interface ReleaseEvent {
  kind: "started" | "step" | "analysis" | "aborted" | "promoted";
  service: string;
  stack: string;
  message: string;
}

/** Announces each step to the environment's notification channels. */
export interface Notifier {
  announce(event: ReleaseEvent): Promise<void>;
}

export interface RunOptions {
  service: string;
  stack: string;
  /** Canary shares, increasing (10, 25, 50, 100); promoted after the last one passes. */
  steps: number[];
  /** How long each step serves traffic before it is judged. */
  pauseMs: number;
  thresholds: Thresholds;
  /**
   * How far the metrics lag: Cloud Monitoring samples the load balancer's request counts every 60 s
   * and a sample "is not visible for up to 210 seconds" afterwards
   * (https://cloud.google.com/monitoring/api/metrics_gcp_k_o#gcp-loadbalancing), so a window is
   * judged only once its end is that far in the past.
   */
  ingestionDelayMs: number;
  /**
   * Windows in a row with too little traffic before the step counts as failed. Not concluding is
   * not passing: a canary that serves nothing has shown nothing, so the release stops (aborts)
   * rather than promote it unseen (Flagger, too, fails a check without data).
   */
  maxInconclusive: number;
}

export interface Collaborators {
  editor: StepEditor;
  deployer: Deployer;
  metrics: MetricsSource;
  clock: Clock;
  lock: ReleaseLock;
  notifier: Notifier;
  log: (line: string) => void;
}

export type RunOutcome =
  | { outcome: "promoted"; steps: number[] }
  | { outcome: "aborted"; step: number; verdict: Verdict; steps: number[] };

/** Default ingestion delay (see `RunOptions.ingestionDelayMs`). */
export const monitoringIngestionDelayMs = 210_000;

export class ReleaseRunError extends Error {
  override readonly name = "ReleaseRunError";
}

export async function runRelease(options: RunOptions, c: Collaborators): Promise<RunOutcome> {
  const held = await c.lock.acquire();
  try {
    return await drive(options, c);
  } finally {
    await held.release();
  }
}

async function drive(o: RunOptions, c: Collaborators): Promise<RunOutcome> {
  const start = await c.editor.position();
  if (!start.canary) {
    throw new ReleaseRunError(`${o.service} has no canary release in progress: start one with \`brume release start ${o.service} --image <ref> --stack ${o.stack}\``);
  }
  const version = start.canary;
  // Resume: the steps below the recorded weight were judged by an earlier run; the recorded one
  // (its up may not have finished) is applied again and judged again.
  const remaining = o.steps.filter((s) => s >= start.weight);
  const resumed = start.weight > 0;
  await announce(c, o, "started", resumed ? `resuming the release of ${version} at ${start.weight} % (steps ${remaining.join(", ")})` : `releasing ${version} in steps ${o.steps.join(", ")} %`);
  const applied: number[] = [];
  for (const step of remaining) {
    const change = step === start.weight ? { description: `re-apply ${step} %`, targets: await c.editor.serviceTargets() } : await c.editor.weight(step);
    await announce(c, o, "step", `${version} at ${step} % of the traffic (${change.targets.length} resources)`);
    await c.deployer.apply(change);
    applied.push(step);
    const verdict = await analyse(o, c, version, c.clock.now());
    await announce(c, o, "analysis", `${version} at ${step} %: ${verdict.outcome}, ${verdict.summary}`);
    if (verdict.outcome !== "pass") {
      const abort = await c.editor.abort();
      await c.deployer.apply(abort);
      await announce(c, o, "aborted", `${version} aborted at ${step} %: ${verdict.summary}; traffic is back on ${start.stable}`);
      return { outcome: "aborted", step, verdict, steps: applied };
    }
  }
  const promote = await c.editor.promote();
  await c.deployer.apply(promote);
  await announce(c, o, "promoted", `${version} promoted: it serves all traffic`);
  return { outcome: "promoted", steps: applied };
}

/** Waits out the pause and the ingestion delay, then judges; too little traffic waits another pause. */
async function analyse(o: RunOptions, c: Collaborators, version: string, appliedAt: Date): Promise<Verdict> {
  let verdict: Verdict | undefined;
  for (let window = 0; window <= o.maxInconclusive; window++) {
    await c.clock.sleep(window === 0 ? o.pauseMs + o.ingestionDelayMs : o.pauseMs);
    const end = new Date(c.clock.now().getTime() - o.ingestionDelayMs);
    const m = await c.metrics.measure({ version, start: appliedAt, end });
    verdict = evaluate(m, o.thresholds);
    if (verdict.outcome !== "inconclusive") return verdict;
    c.log(`${version}: ${verdict.summary}; waiting ${Math.round(o.pauseMs / 1000)} s more (${window + 1}/${o.maxInconclusive + 1})`);
  }
  return { outcome: "fail", summary: `${verdict!.summary}, ${o.maxInconclusive + 1} windows in a row` };
}

async function announce(c: Collaborators, o: RunOptions, kind: ReleaseEvent["kind"], message: string): Promise<void> {
  c.log(message);
  await c.notifier.announce({ kind, service: o.service, stack: o.stack, message });
}
