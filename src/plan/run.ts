/**
 * The offline plan: runs a Pulumi program under the runtime mocks and records every resource
 * registration with what the mocks alone do not give (parent, dependencies, protect, provider).
 * `brume plan` and the tests both use this; see ../../README.md for the JSON contract.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings.js";
import { createRequire } from "node:module";
import { resolveAliases, type AliasRequest } from "./aliases.js";
import { PlanMocks } from "./mocks.js";

/**
 * The SDK's closure serializer, as `pulumi.dynamic.Resource` calls it (`sc.serializeFunction`, read
 * at each call from this CommonJS module's exports, so patchable per run).
 */
const closures = createRequire(import.meta.url)("@pulumi/pulumi/runtime/closure/serializeClosure.js") as {
  serializeFunction: (func: unknown, args?: unknown) => Promise<{ text: string; exportName: string; containsSecrets: boolean }>;
};

/** The SDK's promise-leak tracker, as its own modules see it (CommonJS exports, patched per run). */
const debuggable = createRequire(import.meta.url)("@pulumi/pulumi/runtime/debuggable.js") as {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
};

export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  /** URN of the parent resource, "" at the top. */
  parent: string;
  /** Inputs as sent to the provider, keys sorted, secrets as "[secret]". */
  inputs: Record<string, unknown>;
  /** URNs this resource depends on (explicit and through inputs), sorted. */
  dependencies: string[];
  /** URN of the explicit provider, "" for the default provider. */
  provider: string;
  protect: boolean;
  /** true for provider-managed resources, false for components. */
  custom: boolean;
  /** Input paths Pulumi ignores after creation (`ignoreChanges`), sorted; absent when none. */
  ignoreChanges?: string[];
  /** `retainOnDelete`: Pulumi forgets the resource instead of deleting it; absent when false. */
  retainOnDelete?: true;
  /**
   * URNs the resource answers to besides its own (its `aliases` and those inherited from its
   * parent's, resolved as the engine resolves them: ./aliases.ts); absent when none. Pulumi moves
   * the state of a resource at one of these URNs to this one instead of deleting and creating it.
   */
  aliases?: string[];
}

export interface Plan {
  project: string;
  stack: string;
  resources: PlannedResource[];
  /** Stack outputs, secrets as "[secret]". */
  outputs: Record<string, unknown>;
}

export interface RunProgramOptions {
  /**
   * Stack traces while the program runs: "off" (fastest; import the program's modules before the
   * run — a loader such as tsx reads stacks while importing), "unmapped" (no source-map lookups),
   * or "full".
   * @default "off"
   */
  stackTraces?: "off" | "unmapped" | "full";
  /** Pulumi project name (URNs). */
  project: string;
  stack: string;
  /** Stack config, `namespace:key` → value (objects are passed as JSON, as the CLI does). */
  config?: Record<string, unknown>;
  /** Config keys whose values are secrets. */
  secretKeys?: string[];
  /** Defaults for resources that name no project / region. */
  defaultProject?: string;
  defaultRegion?: string;
  /**
   * Dynamic providers (`pulumi.dynamic.Resource`): "serialize" their code as `pulumi up` does (a
   * provider whose closure cannot be serialized fails the plan), or "skip" it for programs whose
   * only dynamic providers are known to serialize (brume's readiness waits: the serialized provider
   * is run by test/readiness/serialized.test.ts). The plan shows a marker in place of the code
   * either way; serializing costs ≈0.5 s CPU per process (the SDK parses the closure with TypeScript).
   * @default "serialize"
   */
  dynamicProviders?: "serialize" | "skip";
  /** Outputs of the stacks the program references (`new pulumi.StackReference(name)`), by stack name. */
  stackReferences?: Record<string, Record<string, unknown>>;
}

export const SECRET_MASK = "[secret]";
export const UNKNOWN_MASK = "[unknown]";

const sig = {
  key: "4dabf18193072939515e22adb298388d",
  secret: "1b47061264138c4ac30d75fd1eb44270",
  resourceReference: "5cf8f73096256a8f31e491e813e4eb8e",
  asset: "c44067f5952c0a294b673a41bacd8c17",
  archive: "0def7320c3a5731c473e5ecbe6d5a3dc",
  outputValue: "d0e6a833031e9bbcd3f4e8bde6ca49a4",
  unknown: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
} as const;

/** Wire values → printable JSON: secrets masked, references as URNs, keys sorted. */
export function normalizeWireValue(value: unknown): unknown {
  if (value === sig.unknown) return UNKNOWN_MASK;
  if (Array.isArray(value)) return value.map(normalizeWireValue);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[sig.key]) {
    case sig.secret:
      return SECRET_MASK;
    case sig.resourceReference:
      return obj.urn;
    case sig.outputValue:
      return obj.secret ? SECRET_MASK : "value" in obj ? normalizeWireValue(obj.value) : UNKNOWN_MASK;
    case sig.asset:
    case sig.archive:
      return { asset: obj.path ?? obj.uri ?? (obj.text !== undefined ? `text:${String(obj.text).length} chars` : "archive") };
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj).sort()) out[key] = normalizeWireValue(obj[key]);
  return out;
}

/** What the plan shows for a dynamic resource's serialized provider. */
export const DYNAMIC_PROVIDER_MARK = "[serialized dynamic provider]";

/**
 * Provider config travels as JSON strings on the wire (`defaultLabels: "{...}"`); show the values.
 */
function plannedInputs(type: string, wire: Record<string, unknown>): Record<string, unknown> {
  const inputs = normalizeWireValue(wire) as Record<string, unknown>;
  // A dynamic resource's `__provider` is its provider's serialized source (KBs per resource, and
  // different text from tsx, vitest and tsc builds): show a marker, the type says which provider.
  if (type.startsWith("pulumi-nodejs:dynamic") && typeof inputs["__provider"] === "string") {
    inputs["__provider"] = DYNAMIC_PROVIDER_MARK;
  }
  if (!type.startsWith("pulumi:providers:")) return inputs;
  for (const [key, value] of Object.entries(inputs)) {
    if (typeof value === "string" && /^[[{]/.test(value)) {
      try {
        inputs[key] = normalizeWireValue(JSON.parse(value));
      } catch {
        // not JSON: keep the string
      }
    }
  }
  return inputs;
}

/** Provider references are `urn::id`; the id is a mock artefact, so keep the URN. */
function providerUrn(ref: string): string {
  const cut = ref.lastIndexOf("::");
  return cut > 0 && ref.slice(0, cut).startsWith("urn:") ? ref.slice(0, cut) : ref;
}

/** Lowers the cost of stack traces for the run; returns what restores them. */
function quietStackTraces(mode: "off" | "unmapped" | "full"): () => void {
  if (mode === "full") return () => {};
  const sourceMaps = process.sourceMapsEnabled;
  const limit = Error.stackTraceLimit;
  const resource = pulumi.Resource as unknown as { callsites: () => unknown[] };
  const callsites = resource.callsites;
  const debuggablePromise = debuggable.debuggablePromise;
  process.setSourceMapsEnabled(false);
  if (mode === "off") {
    // Every internal SDK promise is wrapped for the exit-time leak report (two more promises, a
    // stack trace and three defineProperty calls each). A plan waits for every registration
    // itself (waitForRPCs), so the wrapper only costs: a third of the plan's promises.
    debuggable.debuggablePromise = (p) => p;
    Error.stackTraceLimit = 0;
    // Source positions of each registration: only the engine's diagnostics use them.
    resource.callsites = () => [];
  }
  return () => {
    process.setSourceMapsEnabled(sourceMaps);
    Error.stackTraceLimit = limit;
    resource.callsites = callsites;
    debuggable.debuggablePromise = debuggablePromise;
  };
}

export class PlanError extends Error {
  override readonly name = "PlanError";
  constructor(readonly errors: unknown[]) {
    super(
      `the program failed under the offline plan:\n${errors
        .map((e) => `  - ${e instanceof Error ? e.message : String(e)}`)
        .filter((line, i, all) => all.indexOf(line) === i)
        .join("\n")}`,
    );
  }
}

interface MonitorRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean;
  getProvider(): string;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
  getRetainondelete(): boolean | undefined;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getAliasesList(): AliasMessage[];
}
interface AliasMessage {
  hasUrn(): boolean;
  getUrn(): string;
  getSpec(): { getName(): string; getType(): string; getStack(): string; getProject(): string; hasParenturn(): boolean; getParenturn(): string; getNoparent(): boolean } | undefined;
}

/** The alias messages of a registration as plain values. */
function aliasRequests(req: MonitorRequest): AliasRequest[] {
  return req.getAliasesList().map((a) => {
    const spec = a.getSpec();
    if (a.hasUrn() || !spec) return { urn: a.getUrn() };
    return {
      spec: {
        name: spec.getName(),
        type: spec.getType(),
        stack: spec.getStack(),
        project: spec.getProject(),
        ...(spec.hasParenturn() ? { parentUrn: spec.getParenturn() } : {}),
        ...(spec.getNoparent() ? { noParent: true } : {}),
      },
    };
  });
}
interface MonitorResponse {
  getUrn(): string;
}
type Callback = (err: unknown, response: MonitorResponse | undefined) => void;

/** Resolves a value of stack outputs: plain JSON, secrets masked. */
async function settleOutputs(result: unknown): Promise<Record<string, unknown>> {
  if (result === undefined || result === null || typeof result !== "object") return {};
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(result).sort()) {
    const output = pulumi.output((result as Record<string, unknown>)[key]) as pulumi.Output<unknown>;
    const [value, secret] = await Promise.all([
      new Promise<unknown>((resolve) => output.apply((v) => resolve(v))),
      pulumi.isSecret(output),
    ]);
    out[key] = secret ? SECRET_MASK : normalizeWireValue(JSON.parse(JSON.stringify(value ?? null)));
  }
  return out;
}

/**
 * Runs `program` under the mocks and returns its plan. The program must import its components
 * only inside the function (or after this call started), never before: see the offline notes.
 * Throws PlanError when any registration or mocked invoke failed.
 */
export async function runProgram(program: () => unknown, options: RunProgramOptions): Promise<Plan> {
  const errors: unknown[] = [];
  const mocks = new PlanMocks({
    ...(options.defaultProject ? { defaultProject: options.defaultProject } : {}),
    ...(options.defaultRegion ? { defaultRegion: options.defaultRegion } : {}),
    ...(options.stackReferences ? { stackReferences: options.stackReferences } : {}),
  });
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => mocks.newResource(args),
      call: (args) => {
        try {
          return mocks.call(args);
        } catch (err) {
          errors.push(err);
          throw err;
        }
      },
    },
    options.project,
    options.stack,
    false,
  );
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(options.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config, options.secretKeys ?? []);

  const recorded: PlannedResource[] = [];
  // Resolved aliases by URN: a child inherits its parent's (registered before it).
  const aliasesOf = new Map<string, string[]>();
  const monitor = settings.getMonitor() as unknown as {
    registerResource(req: MonitorRequest, cb: Callback): Promise<void>;
    newUrn(parent: string, type: string, name: string): string;
  };
  // URNs as the engine makes them: the parent's whole type chain, not only its last type.
  monitor.newUrn = (parent, type, name) => {
    const qualified = parent ? `${parent.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${options.stack}::${options.project}::${qualified}::${name}`;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) =>
    register(req, (err, response) => {
      if (err) errors.push(err);
      else if (response) {
        const ignoreChanges = [...new Set(req.getIgnorechangesList())].sort();
        const urn = response.getUrn();
        const requested = aliasRequests(req);
        const parentAliases = aliasesOf.get(req.getParent()) ?? [];
        const aliases =
          requested.length > 0 || parentAliases.length > 0
            ? resolveAliases({ stack: options.stack, project: options.project, type: req.getType(), name: req.getName(), parent: req.getParent() }, requested, parentAliases)
            : [];
        if (aliases.length > 0) aliasesOf.set(urn, aliases);
        recorded.push({
          urn,
          type: req.getType(),
          name: req.getName(),
          parent: req.getParent(),
          inputs: plannedInputs(req.getType(), req.getObject()?.toJavaScript() ?? {}),
          dependencies: [...new Set(req.getDependenciesList())].sort(),
          provider: providerUrn(req.getProvider()),
          protect: req.getProtect(),
          custom: req.getCustom(),
          ...(ignoreChanges.length > 0 ? { ignoreChanges } : {}),
          ...(req.getRetainondelete() ? { retainOnDelete: true as const } : {}),
          ...(aliases.length > 0 ? { aliases: [...aliases].sort() } : {}),
        });
      }
      cb(err, response);
    });

  const onRejection = (reason: unknown) => errors.push(reason);
  process.on("unhandledRejection", onRejection);
  // The SDK captures a stack trace for every internal promise (debuggablePromise) and the whole
  // call stack of every resource (source positions for the engine). A plan reports messages and
  // has no engine to show positions to, so during the run stack traces are off and unmapped:
  // two thirds of the time otherwise. BRUME_PLAN_STACK_TRACES=1 keeps them to debug a program.
  const restoreStacks = process.env.BRUME_PLAN_STACK_TRACES ? () => {} : quietStackTraces(options.stackTraces ?? "off");
  const serializeFunction = closures.serializeFunction;
  if (options.dynamicProviders === "skip") {
    closures.serializeFunction = async () => ({ text: DYNAMIC_PROVIDER_MARK, exportName: "handler", containsSecrets: false });
  }
  let outputs: Record<string, unknown> = {};
  try {
    const result = await program();
    outputs = await settleOutputs(result);
  } catch (err) {
    errors.push(err);
  }
  try {
    // Drain every registration, even after a failure, so no rejection escapes the run.
    await (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    await new Promise((resolve) => setImmediate(resolve));
  } catch (err) {
    errors.push(err);
  } finally {
    process.off("unhandledRejection", onRejection);
    restoreStacks();
    closures.serializeFunction = serializeFunction;
  }
  // Answers only a complete run can refuse (a secret read before the stack's Secret registered).
  errors.push(...mocks.problems());
  if (errors.length > 0) throw new PlanError(errors);

  recorded.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { project: options.project, stack: options.stack, resources: recorded, outputs };
}
