/**
 * The benchmark's baseline: the resources of a plan registered again directly, as a hand-written
 * Pulumi program of the same resources would register them: the same SDK classes (so each resource
 * declares the same output properties), types, names and inputs (secrets as secrets), and the same
 * resource options — parent, explicit provider, dependencies (as `dependsOn` on the replayed
 * resources), protect, ignoreChanges, retainOnDelete — so the engine would get the same graph and
 * the same URNs. The plan's component resources are registered as plain `ComponentResource`s of
 * the same type and name (a hand-written program's state must hold them too: they are in every
 * child's URN), with none of brume's logic. `Raw` classes (bare CustomResource with only the inputs
 * and the same options) are the lower bound of what registration costs in the SDK.
 * `replayMismatches` says where a replay differs from its plan.
 */
import type * as Pulumi from "@pulumi/pulumi";
import { runProgram, SECRET_MASK, type Plan, type PlannedResource } from "../src/plan/run.js";

type ResourceClass = new (name: string, args: Record<string, unknown>, opts?: object) => unknown;

/** The SDK class of a type token (`gcp:compute/network:Network` → gcp.compute.Network), if any. */
export async function classOf(type: string): Promise<ResourceClass | undefined> {
  const [pkg, middle, kind] = type.split(":") as [string, string, string | undefined];
  // Dynamic resources (the readiness waits) have no SDK class of their own: replayed as plain custom resources.
  if (pkg === "pulumi-nodejs") return undefined;
  const lib = (await (pkg === "pulumi"
    ? import(`@pulumi/${middle === "providers" ? kind : ""}`)
    : import(`@pulumi/${pkg}`))) as Record<string, unknown>;
  const root = (lib.default ?? lib) as Record<string, unknown>;
  if (pkg === "pulumi") return root.Provider as ResourceClass | undefined;
  if (pkg === "kubernetes") {
    const [group, version] = middle.split("/") as [string, string];
    const mod = group === "core" ? "core" : group.replace(/\.k8s\.io$/, "").replace(/\.authorization$/, "");
    const cls = (root[mod] as Record<string, Record<string, unknown>> | undefined)?.[version]?.[kind!];
    // CRDs (gateway.networking.k8s.io, networking.gke.io, …): the generic CustomResource.
    return (cls ?? (root.apiextensions as Record<string, unknown>).CustomResource) as ResourceClass;
  }
  const mod = middle.split("/")[0]!;
  const scope = (mod === "index" ? root : root[mod]) as Record<string, unknown> | undefined;
  return scope?.[kind!] as ResourceClass | undefined;
}

/** Resources, each after its parent, its provider and its dependencies (the plan's graph is acyclic). */
function dependenciesFirst(resources: PlannedResource[]): PlannedResource[] {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const done = new Set<string>();
  const order: PlannedResource[] = [];
  const visit = (r: PlannedResource) => {
    if (done.has(r.urn)) return;
    done.add(r.urn);
    for (const urn of [r.parent, r.provider, ...r.dependencies]) {
      const dep = byUrn.get(urn);
      if (dep) visit(dep);
    }
    order.push(r);
  };
  for (const r of resources) visit(r);
  return order;
}

/**
 * A provider's arguments from its planned inputs: provider SDK classes send non-string arguments as
 * JSON text (`userProjectOverride: true` → "true"), so the planned "true" is given back as true.
 */
function providerArgs(inputs: Record<string, unknown>): Record<string, unknown> {
  const scalar = (v: unknown) => (v === "true" ? true : v === "false" ? false : typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v);
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, scalar(v)]));
}

export async function replay(plan: Plan, mode: "sdk-classes" | "raw"): Promise<Plan> {
  const pulumi = await import("@pulumi/pulumi");
  class Raw extends pulumi.CustomResource {}
  class RawProvider extends pulumi.ProviderResource {}
  class Component extends pulumi.ComponentResource {
    constructor(type: string, name: string, opts: Pulumi.ComponentResourceOptions) {
      super(type, name, {}, opts);
      this.registerOutputs({});
    }
  }
  const ordered = dependenciesFirst(plan.resources);
  const classes = new Map<string, ResourceClass | undefined>();
  if (mode === "sdk-classes") for (const r of ordered) if (r.custom && !classes.has(r.type)) classes.set(r.type, await classOf(r.type));
  // The plan shows secrets as "[secret]": they are registered as secrets again.
  const secrets = (value: unknown): unknown => {
    if (value === SECRET_MASK) return pulumi.secret(value);
    if (Array.isArray(value)) return value.map(secrets);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secrets(v)]));
  };
  return runProgram(
    () => {
      const made = new Map<string, Pulumi.Resource>();
      for (const r of ordered) {
        const parent = r.parent ? made.get(r.parent) : undefined;
        const dependsOn = r.dependencies.length > 0 ? { dependsOn: r.dependencies.map((urn) => made.get(urn)!) } : {};
        if (!r.custom) {
          made.set(r.urn, new Component(r.type, r.name, { ...(parent ? { parent } : {}), ...dependsOn, ...(r.protect ? { protect: true } : {}) }));
          continue;
        }
        const cls = classes.get(r.type);
        const provider = r.provider ? (made.get(r.provider) as Pulumi.ProviderResource) : undefined;
        const opts = {
          ...(parent ? { parent } : {}),
          ...(provider ? { provider } : {}),
          ...dependsOn,
          ...(r.protect ? { protect: true } : {}),
          ...(r.ignoreChanges ? { ignoreChanges: r.ignoreChanges } : {}),
          ...(r.retainOnDelete ? { retainOnDelete: true } : {}),
        };
        const inputs = secrets(cls && r.type.startsWith("pulumi:providers:") ? providerArgs(r.inputs) : r.inputs) as Record<string, unknown>;
        let resource: unknown;
        if (cls) resource = new cls(r.name, inputs, opts);
        else if (r.type.startsWith("pulumi:providers:")) resource = new RawProvider(r.type.split(":")[2]!, r.name, inputs, opts);
        else resource = new Raw(r.type, r.name, inputs, opts);
        made.set(r.urn, resource as Pulumi.Resource);
      }
    },
    { project: plan.project, stack: plan.stack },
  );
}

/**
 * Where a replay registered something other than its plan's resources, matched by URN (the replay
 * registers the same parents, so the URNs are the same): one line per difference, none when the
 * baseline registered the same resources with the same inputs, parent, provider, dependencies and options.
 */
export function replayMismatches(plan: Plan, replayed: Plan): string[] {
  const shape = (r: PlannedResource) =>
    JSON.stringify({
      custom: r.custom,
      inputs: r.inputs,
      parent: r.parent,
      provider: r.provider,
      dependencies: [...r.dependencies].sort(),
      protect: r.protect,
      ignoreChanges: r.ignoreChanges ?? [],
      retainOnDelete: r.retainOnDelete ?? false,
    });
  const theirs = new Map(replayed.resources.map((r) => [r.urn, r]));
  const out: string[] = [];
  for (const r of plan.resources) {
    const other = theirs.get(r.urn);
    if (!other) out.push(`${r.urn}: not replayed`);
    else if (shape(r) !== shape(other)) out.push(`${r.urn}: replayed differently`);
    theirs.delete(r.urn);
  }
  for (const urn of theirs.keys()) out.push(`${urn}: replayed but not in the plan`);
  return out;
}
