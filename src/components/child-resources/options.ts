/**
 * Resource options every component builds its children with. Pulumi does not pass a component's
 * `dependsOn` down to its children, so a component that is told to wait (for the project APIs,
 * for Private Services Access, …) hands the same dependencies to each child it creates.
 */
import type * as pulumi from "@pulumi/pulumi";

/** A `dependsOn` option (one resource, a list, or nothing) as a list. */
export function dependsOnList(value: pulumi.ResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value as pulumi.Input<pulumi.Resource>];
}

/** `{ parent }` plus the component's own `dependsOn`, plus `extra` (its dependsOn is added). */
export function childOptions(
  parent: pulumi.Resource,
  opts: pulumi.ComponentResourceOptions | undefined,
  extra: pulumi.CustomResourceOptions = {},
): pulumi.CustomResourceOptions {
  const dependsOn = [...dependsOnList(opts?.dependsOn), ...dependsOnList(extra.dependsOn)];
  return { ...extra, parent, ...(dependsOn.length > 0 ? { dependsOn } : {}) };
}

/**
 * Options of a stateful child (database, cache, bucket, disk, key): Pulumi `protect` when the
 * environment protects its data. Pair it with the provider's own deletion protection.
 */
export function statefulOptions(
  parent: pulumi.Resource,
  opts: pulumi.ComponentResourceOptions | undefined,
  protect: boolean,
  extra: pulumi.CustomResourceOptions = {},
): pulumi.CustomResourceOptions {
  return childOptions(parent, opts, { ...extra, protect });
}
