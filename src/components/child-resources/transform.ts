/**
 * The escape hatch every component offers per child (as SST does): adjust the args or options of a
 * child we create without forking the component. Runs in-process, so it works under mocks and with
 * every Pulumi engine (unlike `transforms`, which need engine support).
 */
import type * as pulumi from "@pulumi/pulumi";
import { deepMerge } from "../../config/merge.js";

/**
 * Either a partial args object, deep-merged over ours (objects merge, arrays replace), or a
 * function that edits `args` / `opts` in place or returns new args.
 */
export type Transform<Args, Opts = pulumi.CustomResourceOptions> =
  | Partial<Args>
  | ((args: Args, opts: Opts, name: string) => Args | void);

/** Applies an optional transform to the args and options of a child called `name`. */
export function transformed<Args extends object, Opts extends pulumi.ResourceOptions>(
  transform: Transform<Args, Opts> | undefined,
  name: string,
  args: Args,
  opts: Opts,
): [string, Args, Opts] {
  if (transform === undefined) return [name, args, opts];
  if (typeof transform === "function") {
    const result = transform(args, opts, name);
    return [name, result ?? args, opts];
  }
  return [name, deepMerge(args, transform) as Args, opts];
}
