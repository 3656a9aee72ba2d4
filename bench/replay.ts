/**
 * The benchmark's baseline: the custom resources of a plan registered again directly, with the
 * same SDK classes (so each resource declares the same output properties), types, names, inputs,
 * parents-free and without components. `Raw` classes (bare CustomResource with only the inputs)
 * are the lower bound of what registration costs in the SDK.
 */
import { runProgram, type Plan } from "../src/plan/run.js";

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

export async function replay(plan: Plan, mode: "sdk-classes" | "raw"): Promise<Plan> {
  const pulumi = await import("@pulumi/pulumi");
  class Raw extends pulumi.CustomResource {}
  class RawProvider extends pulumi.ProviderResource {}
  const customs = plan.resources.filter((r) => r.custom);
  const classes = new Map<string, ResourceClass | undefined>();
  if (mode === "sdk-classes") for (const r of customs) if (!classes.has(r.type)) classes.set(r.type, await classOf(r.type));
  return runProgram(
    () => {
      for (const r of customs) {
        const cls = classes.get(r.type);
        if (cls) new cls(r.name, r.inputs);
        else if (r.type.startsWith("pulumi:providers:")) new RawProvider(r.type.split(":")[2]!, r.name, r.inputs);
        else new Raw(r.type, r.name, r.inputs);
      }
    },
    { project: plan.project, stack: plan.stack },
  );
}
