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

/**
 * The `aliases` of a component created for a renamed config entry (`renamedFrom:`): the component
 * answers to its old name, and its children (named `${name}-<part>`) to theirs, because Pulumi
 * re-prefixes a child's name with each alias of its parent (the engine's `inheritedChildAlias`,
 * https://www.pulumi.com/docs/iac/concepts/options/aliases/). A child named otherwise needs its own.
 * `opts.aliases` are kept.
 */
export function renamedAliases(oldName: string | undefined, opts?: pulumi.ComponentResourceOptions): Pick<pulumi.ComponentResourceOptions, "aliases"> {
  if (oldName === undefined) return opts?.aliases ? { aliases: opts.aliases } : {};
  return { aliases: [...(opts?.aliases ?? []), { name: oldName }] };
}
