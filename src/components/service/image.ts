/**
 * `brume:service:Image` — a service image built from source (`build:` in brume.yaml) with
 * @pulumi/docker and pushed to the environment's Artifact Registry, authenticated with the
 * deployer's own Google token (no registry key). Services run it by digest, never by tag.
 */
import * as docker from "@pulumi/docker";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";

export interface ServiceImageArgs {
  /** Registry path `<location>-docker.pkg.dev/<project>/<repository>`. */
  registryUrl: pulumi.Input<string>;
  /** Image name inside the registry (the service name). */
  service: string;
  /** Build context directory (absolute, or relative to the process's working directory). */
  context: string;
  /** Dockerfile, relative to the context. @default "Dockerfile" */
  dockerfile?: string;
  /** Build arguments. @default {} */
  args?: Record<string, string>;
  /** Target platform of the cluster's nodes. @default "linux/amd64" */
  platform?: string;
  transform?: { image?: Transform<docker.ImageArgs> };
}

/** Directories never part of a build's identity. */
const ignored = new Set([".git", "node_modules", ".terraform", "dist"]);

/**
 * A short hash of the build context's files (paths and contents, sorted), the image's tag: the
 * same source always gives the same tag, any change a new one — a plain value known at plan time.
 */
export function contextHash(dir: string, extra: Record<string, string> = {}): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      if (ignored.has(entry)) continue;
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(`${relative(dir, path)}\0`).update(readFileSync(path)).update("\0");
    }
  };
  walk(dir);
  for (const key of Object.keys(extra).sort()) hash.update(`${key}=${extra[key]}\0`);
  return hash.digest("hex").slice(0, 12);
}

/**
 * `brume:service:Image` — the image of a `build:` service, built from source with the Docker provider
 * (`docker.Image`), tagged `src-<hash>` of its context and pushed to the environment's Artifact Registry
 * with the deployer's own Google token; `ref` is the pushed digest. See `docs/strategies.md`.
 */
export class ServiceImage extends pulumi.ComponentResource {
  readonly image: docker.Image;
  /** Content tag of the source, e.g. `src-3f9a0c1b2d4e`. */
  readonly tag: string;
  /** `<registry>/<service>@sha256:…`: what the Deployment runs. */
  readonly ref: pulumi.Output<string>;

  constructor(name: string, args: ServiceImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:service:Image", name, {}, opts);
    const context = resolve(args.context);
    const dockerfile = args.dockerfile ?? "Dockerfile";
    this.tag = `src-${contextHash(context, { dockerfile, ...args.args })}`;
    const registryHost = pulumi.output(args.registryUrl).apply((url) => url.split("/")[0]!);
    const token = gcp.organizations.getClientConfigOutput({ parent: this }).accessToken;

    this.image = new docker.Image(
      ...transformed(
        args.transform?.image,
        `${name}-image`,
        {
          imageName: pulumi.interpolate`${args.registryUrl}/${args.service}:${this.tag}`,
          build: { context, dockerfile: join(context, dockerfile), args: args.args ?? {}, platform: args.platform ?? "linux/amd64" },
          registry: { server: registryHost, username: "oauth2accesstoken", password: pulumi.secret(token) },
        },
        childOptions(this, opts),
      ),
    );
    this.ref = this.image.repoDigest;
    this.registerOutputs({ ref: this.ref });
  }
}
