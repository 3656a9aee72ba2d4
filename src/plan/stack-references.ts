/**
 * `new pulumi.StackReference(name)` under the offline plan: the SDK reads a resource of type
 * `pulumi:pulumi:StackReference` (id = the stack's name) and takes `outputs` from its state. The plan
 * answers with the outputs its caller supplied; a stack not supplied is a problem of the run, as
 * `pulumi up` fails when the referenced stack does not exist.
 */
export const stackReferenceType = "pulumi:pulumi:StackReference";

export class StackReferences {
  private readonly unknown: Error[] = [];

  constructor(private readonly outputs: Record<string, Record<string, unknown>> = {}) {}

  /** The read's answer. Never throws: a throw here would leave the SDK's read pending forever. */
  read(inputs: Record<string, unknown>, name: string): { id: string; state: Record<string, unknown> } {
    const stack = typeof inputs.name === "string" ? inputs.name : name;
    const outputs = Object.hasOwn(this.outputs, stack) ? this.outputs[stack] : undefined;
    if (!outputs) {
      const known = Object.keys(this.outputs);
      this.unknown.push(
        new Error(`StackReference "${stack}": no such stack in this plan; pass its outputs as stackReferences: { "${stack}": { … } }${known.length ? ` (known: ${known.join(", ")})` : ""}`),
      );
    }
    return { id: stack, state: { name: stack, outputs: outputs ?? {}, secretOutputNames: [] } };
  }

  /** References to stacks that were not supplied, reported at the end of the run. */
  problems(): Error[] {
    return [...this.unknown];
  }
}
