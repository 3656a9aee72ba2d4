/** The golden of the Pulumi delivery: its Kubernetes objects, read from a plan and from the committed fixtures. */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

export interface GoldenObject {
  /** The Pulumi resource name and type (the URN's last parts: stable across the program's component tree). */
  name: string;
  type: string;
  /** The component the object belongs to (its parent's type), e.g. brume:service:Service. */
  component: string;
  object: Record<string, unknown>;
}

interface PlanResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  inputs?: Record<string, unknown>;
}

export function kubernetesObjectsOfPlan(resources: readonly PlanResource[]): GoldenObject[] {
  return resources
    .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:helm"))
    .map((r) => ({
      name: r.name,
      type: r.type,
      component: (r.parent ?? "").split("::").at(-2)?.split("$").at(-1) ?? "",
      object: r.inputs ?? {},
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function readGolden(stack: string): GoldenObject[] {
  const file = new URL(`./fixtures/pulumi-delivery-${stack}.json.gz`, import.meta.url);
  return JSON.parse(gunzipSync(readFileSync(file)).toString("utf8")) as GoldenObject[];
}
