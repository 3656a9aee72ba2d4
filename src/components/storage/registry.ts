/**
 * `brume:storage:Registry` — an Artifact Registry Docker repository: standard mode, cleanup
 * policies that actually run (keep the N most recent versions, delete untagged images after a
 * while; `cleanupPolicyDryRun: false`), vulnerability scanning on (`INHERITED`: active while the
 * containerscanning API is enabled, see `Apis`), optional immutable tags, Pulumi `protect` plus
 * `deletionPolicy: "PREVENT"`. Readers and writers are granted on the repository only.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { durationSecondsOf } from "../messaging/duration.js";

export interface RegistryArgs {
  /** GCP project id. */
  project: string;
  /** Naming scope (`<project>-<env>`) for physical names. */
  naming: Naming;
  /** Region of the repository (images are pulled from `<region>-docker.pkg.dev`). */
  location: string;
  /**
   * Repository key; physical id `<prefix>-<repository>`.
   * @default "images"
   */
  repository?: string;
  /** @default "Container images, managed by brume" */
  description?: string;
  /**
   * Forbid moving or deleting tags (a deployed tag always means the same image).
   * @default false
   */
  immutableTags?: boolean;
  /**
   * Versions kept per image whatever their age (a KEEP policy wins over DELETE).
   * @default 10
   */
  keepCount?: number;
  /**
   * Untagged versions older than this are deleted (config duration).
   * @default "7d"
   */
  deleteUntaggedAfter?: string;
  /**
   * Vulnerability scanning of pushed images. Turning it off hides known CVEs: only for
   * repositories whose images are scanned elsewhere.
   *
   * On by default although CI gates every build with Trivy (src/render/workflows/images.ts): Trivy
   * sees an image once, before its push; Artifact Analysis scans each digest once on push (billed
   * per digest, content tags make that once per source change) and then re-evaluates it against
   * new CVEs for as long as it is pushed or pulled within 30 days, which a running image is
   * whenever a node starts (https://cloud.google.com/artifact-analysis/docs/scanning-types,
   * "Continuous analysis"). The gate blocks known criticals; this finds the ones published after.
   * @default true
   */
  vulnerabilityScanning?: boolean;
  /** CMEK of the repository (immutable); Google-managed encryption when absent. */
  kmsKeyName?: pulumi.Input<string>;
  /** @default {} */
  labels?: Record<string, string>;
  /** Pulumi `protect` plus `deletionPolicy: "PREVENT"`. @default true */
  protect?: boolean;
  /** Pullers (roles/artifactregistry.reader on this repository), by a stable label → IAM member. @default {} */
  readers?: Record<string, pulumi.Input<string>>;
  /** Pushers (roles/artifactregistry.writer on this repository), by a stable label → IAM member. @default {} */
  writers?: Record<string, pulumi.Input<string>>;
  transform?: {
    repository?: Transform<gcp.artifactregistry.RepositoryArgs>;
    member?: Transform<gcp.artifactregistry.RepositoryIamMemberArgs>;
  };
}

/** The cleanup policies of a repository (pure). */
export function cleanupPolicies(keepCount: number, deleteUntaggedAfter: string): gcp.types.input.artifactregistry.RepositoryCleanupPolicy[] {
  if (!Number.isInteger(keepCount) || keepCount < 1) throw new Error(`keepCount must be a positive integer, got ${keepCount}`);
  return [
    { id: "keep-most-recent", action: "KEEP", mostRecentVersions: { keepCount } },
    {
      id: "delete-untagged",
      action: "DELETE",
      condition: { tagState: "UNTAGGED", olderThan: `${durationSecondsOf(deleteUntaggedAfter)}s` },
    },
  ];
}

/**
 * `brume:storage:Registry` — an Artifact Registry Docker repository with cleanup policies, vulnerability
 * scanning, optional immutable tags and `deletionPolicy: "PREVENT"`, readers and writers granted on the
 * repository only. See `docs/pipeline.md` ("Images of build services").
 */
export class Registry extends pulumi.ComponentResource {
  readonly repository: gcp.artifactregistry.Repository;
  /** Grants by `reader-<label>` / `writer-<label>`. */
  readonly members: Record<string, gcp.artifactregistry.RepositoryIamMember>;
  /** `<location>-docker.pkg.dev/<project>/<repository>` */
  readonly url: pulumi.Output<string>;
  readonly repositoryId: pulumi.Output<string>;
  /**
   * `<location>-docker.pkg.dev/<project>/<repository>` as a plain value, known before anything
   * exists: what admission patterns and the image check name (the URL above is an output).
   */
  readonly path: string;

  constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:storage:Registry", name, {}, opts);
    const policies = cleanupPolicies(args.keepCount ?? 10, args.deleteUntaggedAfter ?? "7d");

    this.repository = this.createRepository(name, args, policies, opts);
    this.members = {};
    for (const [label, member] of Object.entries(args.readers ?? {})) {
      this.members[`reader-${label}`] = this.grant(name, `reader-${label}`, "roles/artifactregistry.reader", member, args, opts);
    }
    for (const [label, member] of Object.entries(args.writers ?? {})) {
      this.members[`writer-${label}`] = this.grant(name, `writer-${label}`, "roles/artifactregistry.writer", member, args, opts);
    }

    this.path = `${args.location}-docker.pkg.dev/${args.project}/${args.naming.name(args.repository ?? "images")}`;
    this.url = this.repository.registryUri;
    this.repositoryId = this.repository.repositoryId;
    this.registerOutputs({ url: this.url, repositoryId: this.repositoryId });
  }

  private createRepository(
    name: string,
    args: RegistryArgs,
    policies: gcp.types.input.artifactregistry.RepositoryCleanupPolicy[],
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.artifactregistry.Repository {
    const protect = args.protect ?? true;
    return new gcp.artifactregistry.Repository(
      ...transformed(
        args.transform?.repository,
        `${name}-repository`,
        {
          project: args.project,
          location: args.location,
          repositoryId: args.naming.name(args.repository ?? "images"),
          description: args.description ?? "Container images, managed by brume",
          format: "DOCKER",
          mode: "STANDARD_REPOSITORY",
          dockerConfig: { immutableTags: args.immutableTags ?? false },
          cleanupPolicies: policies,
          cleanupPolicyDryRun: false,
          vulnerabilityScanningConfig: {
            // INHERITED: scanned while containerscanning.googleapis.com is enabled in the project.
            enablementConfig: (args.vulnerabilityScanning ?? true) ? "INHERITED" : "DISABLED",
          },
          ...(args.kmsKeyName !== undefined ? { kmsKeyName: args.kmsKeyName } : {}),
          labels: args.labels ?? {},
          deletionPolicy: protect ? "PREVENT" : "DELETE",
        } satisfies gcp.artifactregistry.RepositoryArgs,
        statefulOptions(this, opts, protect),
      ),
    );
  }

  private grant(
    name: string,
    part: string,
    role: string,
    member: pulumi.Input<string>,
    args: RegistryArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.artifactregistry.RepositoryIamMember {
    return new gcp.artifactregistry.RepositoryIamMember(
      ...transformed(
        args.transform?.member,
        `${name}-${part}`,
        {
          project: args.project,
          location: args.location,
          repository: this.repository.repositoryId,
          role,
          member,
        } satisfies gcp.artifactregistry.RepositoryIamMemberArgs,
        childOptions(this, opts),
      ),
    );
  }
}
