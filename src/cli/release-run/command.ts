/**
 * `brume release run <service> --stack <env> --steps 10,25,50,100 --pause 5m --max-error-ratio 0.01
 * [--max-latency-p95 800ms] [--min-requests 200]`: the automated canary (./driver.ts) with its real
 * collaborators — release edits through the `brume release` steps, committed; `pulumi up --target`
 * through the Automation API; the canary's load-balancer metrics from Cloud Monitoring; the lock in
 * the state bucket; announcements in Cloud Logging. Everything here is loaded by `brume release run`
 * only: a component consumer never loads Monitoring, Automation API or cloud-client code.
 */
import { hostname, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { findConfigFile } from "../../config/load.js";
import { UsageError, type CliIO } from "../command.js";
import { parseDuration, parseSteps } from "./analysis.js";
import { monitoringIngestionDelayMs, ReleaseRunError, runRelease, type Collaborators, type ReleaseLock } from "./driver.js";

export const releaseRunUsage = `brume release run <service> --stack <env> --steps 10,25,50,100 --pause 5m --max-error-ratio 0.01
       [--max-latency-p95 800ms] [--min-requests 200] [--max-inconclusive 2] [--ingestion-delay 210s]
       [--lock gs://<bucket> | --lock file://<dir>] [--break-lock] [--kubeconfig <file>] [--context <name>]
       [--no-commit] [--push] [--no-announce] [--config <file>] [--project-dir <dir>]
  Drives a canary through its steps: each step is a release edit committed with the stack file, applied with
  \`pulumi up --target\`, left to serve for --pause, then judged on the canary's load-balancer metrics; a failed
  step applies \`brume release abort\`. Resumable: started again, it continues from the step the stack file holds.
  --lock                where the release lock lives (default: the state backend, PULUMI_BACKEND_URL gs:// or file://)
  --min-requests        fewer requests in a window conclude nothing; --max-inconclusive such windows in a row abort`;

/** Exit codes: 0 promoted, 3 aborted by the analysis, 1 refused (lock held, no canary, a step refused), 2 usage. */
export async function releaseRun(args: string[], io: CliIO): Promise<number> {
  try {
    return await run(args, io);
  } catch (err) {
    if (!(err instanceof ReleaseRunError)) throw err;
    io.stderr(`brume release run: ${err.message}\n`);
    return 1;
  }
}

async function run(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      stack: { type: "string" },
      steps: { type: "string" },
      pause: { type: "string" },
      "max-error-ratio": { type: "string" },
      "max-latency-p95": { type: "string" },
      "min-requests": { type: "string", default: "200" },
      "max-inconclusive": { type: "string", default: "2" },
      "ingestion-delay": { type: "string", default: `${monitoringIngestionDelayMs / 1000}s` },
      lock: { type: "string" },
      "break-lock": { type: "boolean", default: false },
      kubeconfig: { type: "string" },
      context: { type: "string" },
      "no-commit": { type: "boolean", default: false },
      push: { type: "boolean", default: false },
      "no-announce": { type: "boolean", default: false },
      config: { type: "string" },
      "project-dir": { type: "string" },
    },
  });
  const [service, ...extra] = positionals;
  if (!service || extra.length > 0) throw new UsageError("release run needs exactly one service name");
  if (!values.stack) throw new UsageError("release run needs --stack <env>");
  if (!values.steps) throw new UsageError("release run needs --steps, e.g. --steps 10,25,50,100");
  const steps = parseSteps(values.steps);
  if (typeof steps === "string") throw new UsageError(steps);
  const pauseMs = values.pause === undefined ? undefined : parseDuration(values.pause);
  if (pauseMs === undefined) throw new UsageError(`release run needs --pause <duration> (30s, 5m, 1h), got ${values.pause ?? "nothing"}`);
  const ratio = Number(values["max-error-ratio"]);
  if (values["max-error-ratio"] === undefined || !(ratio >= 0 && ratio < 1)) throw new UsageError(`--max-error-ratio takes a share from 0 to 1 (0.01 = 1 %), got ${values["max-error-ratio"] ?? "nothing"}`);
  const latency = values["max-latency-p95"] === undefined ? undefined : parseDuration(values["max-latency-p95"]);
  if (values["max-latency-p95"] !== undefined && latency === undefined) throw new UsageError(`--max-latency-p95 takes a duration (800ms), got ${values["max-latency-p95"]}`);
  const minRequests = Number(values["min-requests"]);
  const maxInconclusive = Number(values["max-inconclusive"]);
  const ingestionDelayMs = parseDuration(values["ingestion-delay"]!);
  if (!Number.isInteger(minRequests) || minRequests < 1) throw new UsageError(`--min-requests takes a whole number ≥ 1, got ${values["min-requests"]}`);
  if (!Number.isInteger(maxInconclusive) || maxInconclusive < 0) throw new UsageError(`--max-inconclusive takes a whole number ≥ 0, got ${values["max-inconclusive"]}`);
  if (ingestionDelayMs === undefined) throw new UsageError(`--ingestion-delay takes a duration (210s), got ${values["ingestion-delay"]}`);

  const lockAt = values.lock ?? process.env.PULUMI_BACKEND_URL ?? "";
  if (!lockAt.startsWith("gs://") && !lockAt.startsWith("file://")) {
    throw new UsageError(`release run needs a lock every driver sees: --lock gs://<state bucket> (or PULUMI_BACKEND_URL=gs://…), or --lock file://<dir> on one machine`);
  }
  const configFile = resolve(values.config ?? findConfigFile("."));
  const projectDir = resolve(values["project-dir"] ?? dirname(configFile));
  const log = (line: string) => io.stdout(`${line}\n`);
  const what = `${service} (stack ${values.stack})`;
  const holder = `${userInfo().username}@${hostname()}${process.env.GITHUB_RUN_ID ? ` (GitHub run ${process.env.GITHUB_RUN_ID})` : ""}`;

  const [{ CliStepEditor }, { PulumiDeployer }, { MonitoringMetrics }, { KubectlBackends }, { CloudLoggingNotifier }, lockModule, { applicationDefaultToken }] = await Promise.all([
    import("./step-editor.js"),
    import("./pulumi-deployer.js"),
    import("./monitoring-metrics.js"),
    import("./backends.js"),
    import("./notifier.js"),
    import("./lock.js"),
    import("./google-access.js"),
  ]);
  const editor = new CliStepEditor({ service, stack: values.stack, configFile, projectDir, commit: !values["no-commit"], push: values.push, log });
  const { planStack } = await import("../../plan/stack.js");
  const planned = await planStack({ stack: values.stack, configFile, projectDir });
  const svc = planned.loaded.config.services[service];
  if (!svc) throw new ReleaseRunError(`unknown service "${service}"; declared: ${Object.keys(planned.loaded.config.services).join(", ")}`);
  const project = planned.loaded.environment.gcpProject;
  const { namespace, services } = await editor.versionServices();
  const token = applicationDefaultToken();

  const lockName = `.brume/locks/${values.stack}/${service}.json`;
  let lock: ReleaseLock;
  if (lockAt.startsWith("gs://")) {
    const [bucket, ...prefix] = lockAt.slice(5).split("/");
    lock = new lockModule.GcsLock({ bucket: bucket!, object: [...prefix.filter(Boolean), lockName].join("/"), holder, token, breakLock: values["break-lock"], what });
  } else if (lockAt.startsWith("file://")) {
    lock = new lockModule.FileLock({ dir: join(lockAt.slice(7), ".brume", "locks", values.stack), name: `${service}.json`, holder, breakLock: values["break-lock"], what });
  } else {
    throw new UsageError(`unsupported lock ${lockAt}`);
  }

  const collaborators: Collaborators = {
    editor,
    deployer: new PulumiDeployer({ stack: values.stack, workDir: projectDir, log }),
    metrics: new MonitoringMetrics({
      project,
      scheme: svc.expose?.public === false ? "internal" : "external",
      backends: new KubectlBackends({ namespace, serviceOf: (v) => services.get(v), ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}), ...(values.context ? { context: values.context } : {}) }),
    }),
    clock: { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    lock,
    notifier: values["no-announce"] ? { announce: async () => {} } : new CloudLoggingNotifier({ project, token }),
    log,
  };
  const outcome = await runRelease(
    { service, stack: values.stack, steps, pauseMs, ingestionDelayMs, maxInconclusive, thresholds: { maxErrorRatio: ratio, minRequests, ...(latency !== undefined ? { maxLatencyP95Ms: latency } : {}) } },
    collaborators,
  );
  if (outcome.outcome === "promoted") {
    log(`${service}: promoted after steps ${outcome.steps.join(", ")} %`);
    return 0;
  }
  log(`${service}: aborted at ${outcome.step} %: ${outcome.verdict.summary}`);
  return 3;
}
