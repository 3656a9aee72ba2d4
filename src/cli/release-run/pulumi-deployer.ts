/**
 * The deployer `brume release run` uses: Pulumi's Automation API, `pulumi up --target` of the
 * resources a step changed. The Automation API drives the installed `pulumi` CLI (a local
 * workspace over the product's Pulumi.yaml), so the stack's backend, secrets provider and locks are
 * the ones every other `pulumi up` of the stack uses; Pulumi's own stack lock keeps a concurrent
 * deploy from interleaving with a step. Loaded lazily by the release command only.
 */
import type { Deployer, StepChange } from "./driver.js";

export interface PulumiDeployerOptions {
  stack: string;
  /** The directory of Pulumi.yaml. */
  workDir: string;
  log: (line: string) => void;
  /** Extra environment for the CLI (tests point PATH at a stand-in). */
  envVars?: Record<string, string>;
}

export class PulumiDeployer implements Deployer {
  constructor(private readonly options: PulumiDeployerOptions) {}

  async apply(change: StepChange): Promise<void> {
    const { log, stack: stackName, workDir, envVars } = this.options;
    if (change.targets.length === 0) {
      log(`${change.description}: nothing to apply`);
      return;
    }
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation/index.js");
    const stack = await LocalWorkspace.selectStack({ stackName, workDir }, envVars ? { envVars } : undefined);
    const result = await stack.up({
      target: change.targets,
      message: `brume release: ${change.description}`,
      onOutput: (out) => {
        for (const line of out.split("\n")) if (line.trim()) log(`  pulumi: ${line}`);
      },
    });
    if (result.summary.result !== "succeeded") throw new Error(`pulumi up for "${change.description}" ended ${result.summary.result}`);
  }
}
