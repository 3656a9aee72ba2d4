/**
 * The release edits `brume release run` makes, done by the same `brume release` steps a person runs
 * (`weight`, `promote`, `abort`), in-process, so the driver and a person can never disagree on what
 * a step means. Each edit is planned before and after (the resources it changes are what
 * `pulumi up --target` applies) and committed with the stack file, which is the release's only
 * durable state: the next CI deploy does not revert it, and a restarted driver resumes from it.
 */
import { execFile } from "node:child_process";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import type { Plan } from "../../plan/run.js";
import type { CliIO } from "../command.js";
import type { ReleasePosition, StepChange, StepEditor } from "./driver.js";
import { ReleaseRunError } from "./driver.js";

const git = promisify(execFile);

export interface CliStepEditorOptions {
  service: string;
  stack: string;
  configFile: string;
  projectDir: string;
  /** Commit the stack file after each edit (default); push it too when set. */
  commit: boolean;
  push: boolean;
  log: (line: string) => void;
}

export class CliStepEditor implements StepEditor {
  constructor(private readonly o: CliStepEditorOptions) {}

  private async plan(): Promise<{ plan: Plan; strategy: any }> {
    const { planStack } = await import("../../plan/stack.js");
    const planned = await planStack({ stack: this.o.stack, configFile: this.o.configFile, projectDir: this.o.projectDir });
    const svc = planned.loaded.config.services[this.o.service];
    if (!svc) throw new ReleaseRunError(`unknown service "${this.o.service}"; declared: ${Object.keys(planned.loaded.config.services).join(", ")}`);
    return { plan: planned.plan, strategy: svc.strategy };
  }

  /** The Kubernetes Service and namespace of a version, from the current plan. */
  async versionServices(): Promise<{ namespace: string; services: Map<string, string> }> {
    const { plan } = await this.plan();
    const services = new Map<string, string>();
    let namespace = "";
    for (const r of plan.resources) {
      if (r.type !== "kubernetes:core/v1:Service") continue;
      const selector = (r.inputs as any)?.spec?.selector ?? {};
      const version = selector["app.kubernetes.io/version"];
      if (selector["app.kubernetes.io/name"] !== this.o.service || typeof version !== "string") continue;
      services.set(version, (r.inputs as any).metadata.name);
      namespace = (r.inputs as any).metadata.namespace;
    }
    return { namespace, services };
  }

  async position(): Promise<ReleasePosition> {
    const { strategy } = await this.plan();
    if (strategy.type !== "canary") throw new ReleaseRunError(`services.${this.o.service} runs a ${strategy.type} strategy; \`brume release run\` drives canaries`);
    return { ...(strategy.canary ? { canary: strategy.canary.version } : {}), weight: strategy.weight ?? 0, stable: strategy.stable.version };
  }

  /** The service's component (`brume:service:Service`) and every resource under it. */
  async serviceTargets(): Promise<string[]> {
    const { plan } = await this.plan();
    // The component is named `<project component>-svc-<service>` (src/components/service/wiring.ts).
    const root = plan.resources.find((r) => r.type === "brume:service:Service" && r.name.endsWith(`-svc-${this.o.service}`));
    if (!root) throw new ReleaseRunError(`the plan has no brume:service:Service "${this.o.service}"`);
    const inside = new Set([root.urn]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of plan.resources) if (!inside.has(r.urn) && inside.has(r.parent)) (inside.add(r.urn), (grew = true));
    }
    return [...inside].sort();
  }

  weight(percent: number): Promise<StepChange> {
    return this.edit(["weight", this.o.service, String(percent)], `${this.o.service} canary at ${percent} %`);
  }

  promote(): Promise<StepChange> {
    return this.edit(["promote", this.o.service], `${this.o.service}: promote the canary`);
  }

  abort(): Promise<StepChange> {
    return this.edit(["abort", this.o.service], `${this.o.service}: abort the canary`);
  }

  private async edit(step: string[], description: string): Promise<StepChange> {
    const before = await this.plan();
    const { runCli } = await import("../main.js");
    const out: string[] = [];
    const io: CliIO = { stdout: (t) => out.push(t), stderr: (t) => out.push(t) };
    // `--base HEAD`: the driver commits every edit itself, so the stack file must match the last commit
    // (nothing uncommitted), not the default branch it may not have pushed to yet.
    const code = await runCli(["release", ...step, "--stack", this.o.stack, "--config", this.o.configFile, "--project-dir", this.o.projectDir, "--base", "HEAD"], io);
    if (code !== 0) throw new ReleaseRunError(`\`brume release ${step.join(" ")}\` was refused:\n${out.join("")}`);
    const after = await this.plan();
    const { diffPlans } = await import("../../review/release/step-diff.js");
    const diff = diffPlans(before.plan, after.plan);
    const targets = [...new Set([...diff.added, ...diff.changed, ...diff.removed])].sort();
    if (this.o.commit) await this.commit(description);
    return { description, targets };
  }

  private async commit(description: string): Promise<void> {
    const stackFile = join(this.o.projectDir, `Pulumi.${this.o.stack}.yaml`);
    const cwd = this.o.projectDir;
    const { stdout: top } = await git("git", ["rev-parse", "--show-toplevel"], { cwd }).catch(() => ({ stdout: "" }));
    if (!top.trim()) throw new ReleaseRunError(`${this.o.projectDir} is not in a git repository: release edits must be committed so the next deploy does not revert them (or pass --no-commit)`);
    await git("git", ["add", relative(cwd, stackFile)], { cwd });
    await git("git", ["commit", "--quiet", "--message", `release ${this.o.stack}: ${description}`, "--", relative(cwd, stackFile)], { cwd });
    if (this.o.push) await git("git", ["push", "--quiet"], { cwd });
    this.o.log(`committed ${relative(top.trim(), stackFile)}: ${description}`);
  }
}
