/**
 * `brume:storage:Bucket` — a Cloud Storage bucket, hardened: uniform bucket-level access, public
 * access prevention enforced (always, CDN or not), versioning, a 7-day soft-delete window,
 * lifecycle rules, no force-destroy, Pulumi `protect` plus the provider's `deletionPolicy:
 * PREVENT` when protected. IAM is granted on the bucket only, never on the project.
 *
 * Location per use: "regional" (logs, scratch) → the region; "dual-region" → the region and the
 * DR region as a configurable dual-region when both are given, else the continent's predefined
 * pair (EUR4, NAM4, ASIA1); "multi-region" (critical data) → EU, US or ASIA.
 *
 * Physical name: bucket names are global across all of GCS, so the name is
 * `<gcpProjectId>-<bucket>` (GCP project ids are globally unique; a `<project>-<env>` prefix is
 * not, "shop-prod-assets" may already belong to someone else). `name` overrides it.
 *
 * Optional Cloud CDN (`cdn`): a backend bucket with Cloud CDN for an external load balancer. The
 * bucket stays private (no `allUsers`, PAP enforced): Cloud CDN fills its cache as its own
 * service agent `service-<projectNumber>@cloud-cdn-fill.iam.gserviceaccount.com`, which gets
 * `roles/storage.objectViewer` on this bucket only. GCP creates that agent when the first signed
 * URL key is added to a backend bucket in the project, so we always add one (a generated 128-bit
 * key, a secret output for apps that issue signed URLs) and grant after it exists.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import { generationSuffix, physicalName, type Naming } from "../../config/naming.js";
import { boundedDurationSeconds } from "../messaging/duration.js";
import { projectNumberOf, serviceAgentMember } from "../apis/apis.js";
import { IamMemberReadiness } from "../readiness/readiness.js";

export type BucketLocationClass = "regional" | "dual-region" | "multi-region";

/** Continents with a GCS multi-region, keyed by the region prefix. */
export const multiRegions = { europe: "EU", us: "US", asia: "ASIA" } as const;
export type Continent = keyof typeof multiRegions;

/** Predefined dual-regions per continent: EUR4 = Finland + Netherlands, NAM4 = Iowa + South Carolina, ASIA1 = Tokyo + Osaka. */
export const predefinedDualRegions: Record<Continent, string> = { europe: "EUR4", us: "NAM4", asia: "ASIA1" };

/** "europe-west1" → "europe"; undefined for continents without a GCS multi-region. */
export function continentOf(region: string): Continent | undefined {
  const prefix = region.toLowerCase().split("-")[0] ?? "";
  return prefix in multiRegions ? (prefix as Continent) : undefined;
}

export interface BucketPlacement {
  location: string;
  /** Present for configurable dual-regions. */
  dataLocations?: string[];
}

/** Where a bucket of `kind` lives for `region` (and `drRegion`); throws when GCS has no such location. */
export function bucketPlacement(kind: BucketLocationClass, region: string, drRegion?: string): BucketPlacement {
  if (kind === "regional") return { location: region.toUpperCase() };
  const continent = continentOf(region);
  if (continent === undefined) {
    throw new Error(
      `no ${kind} location for region "${region}": GCS multi- and predefined dual-regions exist for europe, us and asia only; use "regional"`,
    );
  }
  if (kind === "multi-region") return { location: multiRegions[continent] };
  if (drRegion !== undefined && drRegion !== region && continentOf(drRegion) === continent) {
    // A configurable dual-region: both regions must sit in the same multi-region (GCP validates the pair).
    return { location: multiRegions[continent], dataLocations: [region.toUpperCase(), drRegion.toUpperCase()] };
  }
  return { location: predefinedDualRegions[continent] };
}

/** `<gcpProjectId>-<bucket>`, cut to 63 characters with a hash when too long. */
export function bucketName(projectId: string, bucket: string): string {
  return physicalName([projectId, bucket], "bucket");
}

/**
 * Name of a bucket brume creates for the environment itself (log archive, database exports).
 * Without a generation: `<gcpProjectId>-<project>-<env>-<part>`, the names environments were
 * created with (the project and environment appear twice when the GCP project id is
 * `<project>-<env>`, gcp-review 38); renaming a bucket replaces it and loses its objects, so they
 * stay. With a generation (a recreated environment, whose buckets are all new):
 * `<gcpProjectId>-<part>-g<n>`, without the doubled prefix.
 */
export function environmentBucketName(projectId: string, naming: Naming, part: string | readonly string[]): string {
  const parts = typeof part === "string" ? [part] : part;
  return naming.generation === undefined
    ? bucketName(projectId, naming.name(parts))
    : physicalName([projectId, ...parts, generationSuffix(naming.generation)], "bucket");
}

export interface BucketLifecycleArgs {
  /** Move objects to COLDLINE after this many days. */
  coldlineAfterDays?: number;
  /** Delete objects after this many days. */
  deleteAfterDays?: number;
  /**
   * Delete noncurrent versions this many days after they were replaced (versioned buckets).
   * @default 30
   */
  noncurrentDeleteAfterDays?: number;
  /**
   * Keep at most this many noncurrent versions per object (versioned buckets).
   * @default 3
   */
  keepNoncurrentVersions?: number;
}

export interface BucketCdnArgs {
  /**
   * Cloud CDN cache mode.
   * @default "CACHE_ALL_STATIC"
   */
  cacheMode?: "CACHE_ALL_STATIC" | "USE_ORIGIN_HEADERS" | "FORCE_CACHE_ALL";
  /** TTL for responses without cache headers (not with USE_ORIGIN_HEADERS). @default 3600 */
  defaultTtlSeconds?: number;
  /** Longest TTL honoured (not with USE_ORIGIN_HEADERS). @default 86400 */
  maxTtlSeconds?: number;
  /** Longest TTL sent to clients (not with USE_ORIGIN_HEADERS). @default 3600 */
  clientTtlSeconds?: number;
  /** Freshness of responses to signed URLs. @default 3600 */
  signedUrlCacheMaxAgeSeconds?: number;
  /**
   * A Cloud Armor edge security policy (`type: CLOUD_ARMOR_EDGE`; backend buckets take no other
   * kind, see ../cdn/cdn-frontend.ts), evaluated before the cache answers. None when absent.
   */
  edgeSecurityPolicy?: pulumi.Input<string>;
}

export interface BucketArgs {
  /** GCP project id (also the prefix of the physical name). */
  project: string;
  /** Naming scope (`<project>-<env>`) for project-scoped names (backend bucket, CDN key). */
  naming: Naming;
  /** The bucket's key in brume.yaml (`buckets.<key>`). */
  bucket: string;
  /** Physical name override. @default `<project>-<bucket>` */
  name?: string;
  /** Primary region. */
  region: string;
  /** DR region: with "dual-region", the bucket spans region + drRegion when both are on one continent. */
  drRegion?: string;
  /** @default "regional" */
  location?: BucketLocationClass;
  /** Object versioning. @default true */
  versioning?: boolean;
  /** Lifecycle rules. @default {} (plus the noncurrent-version rules when versioned) */
  lifecycle?: BucketLifecycleArgs;
  /**
   * Soft-delete retention (7d-90d): deleted objects stay restorable this long.
   * @default "7d"
   */
  softDeleteRetention?: string;
  /** Bucket receiving access logs (it must let cloud-storage-analytics@google.com write); none when absent. */
  logBucket?: pulumi.Input<string>;
  /** CMEK for new objects; the GCS service agent needs encrypter/decrypter on the key. Google-managed when absent. */
  kmsKeyName?: pulumi.Input<string>;
  /** @default {} */
  labels?: Record<string, string>;
  /** Pulumi `protect` plus `deletionPolicy: "PREVENT"`. @default true */
  protect?: boolean;
  /** Object readers (roles/storage.objectViewer on this bucket), by a stable label → IAM member. @default {} */
  readers?: Record<string, pulumi.Input<string>>;
  /** Object writers (roles/storage.objectUser on this bucket), by a stable label → IAM member. @default {} */
  writers?: Record<string, pulumi.Input<string>>;
  /** Serve the objects through Cloud CDN (see the module doc); off when absent. */
  cdn?: BucketCdnArgs;
  transform?: {
    bucket?: Transform<gcp.storage.BucketArgs>;
    member?: Transform<gcp.storage.BucketIAMMemberArgs>;
    backendBucket?: Transform<gcp.compute.BackendBucketArgs>;
    signingKeyBytes?: Transform<random.RandomBytesArgs>;
    signedUrlKey?: Transform<gcp.compute.BackendBucketSignedUrlKeyArgs>;
    cdnFill?: Transform<gcp.storage.BucketIAMMemberArgs>;
  };
}

/** Lifecycle rules from the args (pure). */
export function lifecycleRules(lifecycle: BucketLifecycleArgs, versioning: boolean): gcp.types.input.storage.BucketLifecycleRule[] {
  const { coldlineAfterDays, deleteAfterDays } = lifecycle;
  for (const [key, value] of Object.entries(lifecycle)) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new Error(`lifecycle.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (coldlineAfterDays !== undefined && deleteAfterDays !== undefined && deleteAfterDays <= coldlineAfterDays) {
    throw new Error(`lifecycle.deleteAfterDays (${deleteAfterDays}) must exceed coldlineAfterDays (${coldlineAfterDays})`);
  }
  const rules: gcp.types.input.storage.BucketLifecycleRule[] = [];
  if (coldlineAfterDays !== undefined) {
    rules.push({
      action: { type: "SetStorageClass", storageClass: "COLDLINE" },
      condition: { age: coldlineAfterDays, matchesStorageClasses: ["STANDARD"] },
    });
  }
  if (deleteAfterDays !== undefined) rules.push({ action: { type: "Delete" }, condition: { age: deleteAfterDays } });
  if (versioning) {
    rules.push({
      action: { type: "Delete" },
      condition: { daysSinceNoncurrentTime: lifecycle.noncurrentDeleteAfterDays ?? 30, withState: "ARCHIVED" },
    });
    rules.push({
      action: { type: "Delete" },
      condition: { numNewerVersions: lifecycle.keepNoncurrentVersions ?? 3, withState: "ARCHIVED" },
    });
  }
  return rules;
}

function cdnPolicy(cdn: BucketCdnArgs): gcp.types.input.compute.BackendBucketCdnPolicy {
  const cacheMode = cdn.cacheMode ?? "CACHE_ALL_STATIC";
  return {
    cacheMode,
    // TTLs must be omitted with USE_ORIGIN_HEADERS (the API rejects them).
    ...(cacheMode === "USE_ORIGIN_HEADERS"
      ? {}
      : {
          defaultTtl: cdn.defaultTtlSeconds ?? 3600,
          maxTtl: cdn.maxTtlSeconds ?? 86400,
          clientTtl: cdn.clientTtlSeconds ?? 3600,
        }),
    negativeCaching: true,
    requestCoalescing: true,
    serveWhileStale: 86400,
    signedUrlCacheMaxAgeSec: cdn.signedUrlCacheMaxAgeSeconds ?? 3600,
  };
}

/**
 * `brume:storage:Bucket` — a hardened Cloud Storage bucket named `<gcpProjectId>-<bucket>` (uniform
 * bucket-level access, public access prevention, versioning, soft delete, lifecycle rules, IAM on the
 * bucket only); with `cdn`, a Cloud CDN backend bucket and its signed URL key. See `docs/storage.md`.
 */
export class Bucket extends pulumi.ComponentResource {
  readonly bucket: gcp.storage.Bucket;
  /** Reader/writer grants by `reader-<label>` / `writer-<label>`. */
  readonly members: Record<string, gcp.storage.BucketIAMMember>;
  readonly backendBucket?: gcp.compute.BackendBucket;
  readonly signedUrlKey?: gcp.compute.BackendBucketSignedUrlKey;
  readonly cdnFillMember?: gcp.storage.BucketIAMMember;
  /** Where the bucket lives (plain values). */
  readonly placement: BucketPlacement;
  readonly bucketName: pulumi.Output<string>;
  /** `gs://<name>` */
  readonly url: pulumi.Output<string>;
  /** Backend bucket self link for a URL map, with CDN. */
  readonly backendBucketSelfLink?: pulumi.Output<string>;
  /** Base64url signing key for Cloud CDN signed URLs (secret), with CDN. */
  readonly signingKey?: pulumi.Output<string>;
  readonly signingKeyName?: string;

  constructor(name: string, args: BucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:storage:Bucket", name, {}, opts);
    const protect = args.protect ?? true;
    const versioning = args.versioning ?? true;
    this.placement = bucketPlacement(args.location ?? "regional", args.region, args.drRegion);
    const rules = lifecycleRules(args.lifecycle ?? {}, versioning);
    const softDelete = boundedDurationSeconds(args.softDeleteRetention ?? "7d", "7d", "90d", "softDeleteRetention");

    this.bucket = this.createBucket(name, args, { protect, versioning, rules, softDelete }, opts);
    this.members = {};
    for (const [label, member] of Object.entries(args.readers ?? {})) {
      this.members[`reader-${label}`] = this.grant(name, `reader-${label}`, "roles/storage.objectViewer", member, args, opts);
    }
    for (const [label, member] of Object.entries(args.writers ?? {})) {
      this.members[`writer-${label}`] = this.grant(name, `writer-${label}`, "roles/storage.objectUser", member, args, opts);
    }
    if (args.cdn !== undefined) {
      this.backendBucket = this.createBackendBucket(name, args, args.cdn, opts);
      this.signingKeyName = args.naming.name([args.bucket, "cdn-key"]);
      const keyBytes = this.createSigningKeyBytes(name, args, opts);
      // RFC 4648 §5 base64url, as Cloud CDN wants; secret end to end.
      this.signingKey = pulumi.secret(keyBytes.base64.apply((b) => b.replace(/\+/g, "-").replace(/\//g, "_")));
      this.signedUrlKey = this.createSignedUrlKey(name, args, this.signingKeyName, opts);
      this.cdnFillMember = this.grantCdnFill(name, args, opts);
      this.backendBucketSelfLink = this.backendBucket.selfLink;
    }

    this.bucketName = this.bucket.name;
    this.url = this.bucket.url;
    this.registerOutputs({
      bucketName: this.bucketName,
      url: this.url,
      backendBucket: this.backendBucketSelfLink,
      signingKey: this.signingKey,
    });
  }

  private createBucket(
    name: string,
    args: BucketArgs,
    settings: { protect: boolean; versioning: boolean; rules: gcp.types.input.storage.BucketLifecycleRule[]; softDelete: number },
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.storage.Bucket {
    return new gcp.storage.Bucket(
      ...transformed(
        args.transform?.bucket,
        `${name}-bucket`,
        {
          project: args.project,
          name: args.name ?? bucketName(args.project, args.bucket),
          location: this.placement.location,
          ...(this.placement.dataLocations ? { customPlacementConfig: { dataLocations: this.placement.dataLocations } } : {}),
          storageClass: "STANDARD",
          uniformBucketLevelAccess: true,
          publicAccessPrevention: "enforced",
          versioning: { enabled: settings.versioning },
          softDeletePolicy: { retentionDurationSeconds: settings.softDelete },
          lifecycleRules: settings.rules,
          ...(args.logBucket !== undefined
            ? { logging: { logBucket: args.logBucket, logObjectPrefix: args.name ?? bucketName(args.project, args.bucket) } }
            : {}),
          ...(args.kmsKeyName !== undefined ? { encryption: { defaultKmsKeyName: args.kmsKeyName } } : {}),
          labels: args.labels ?? {},
          forceDestroy: false,
          deletionPolicy: settings.protect ? "PREVENT" : "DELETE",
        } satisfies gcp.storage.BucketArgs,
        statefulOptions(this, opts, settings.protect),
      ),
    );
  }

  private grant(
    name: string,
    part: string,
    role: string,
    member: pulumi.Input<string>,
    args: BucketArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.storage.BucketIAMMember {
    return new gcp.storage.BucketIAMMember(
      ...transformed(
        args.transform?.member,
        `${name}-${part}`,
        { bucket: this.bucket.name, role, member } satisfies gcp.storage.BucketIAMMemberArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createBackendBucket(
    name: string,
    args: BucketArgs,
    cdn: BucketCdnArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.compute.BackendBucket {
    return new gcp.compute.BackendBucket(
      ...transformed(
        args.transform?.backendBucket,
        `${name}-cdn`,
        {
          project: args.project,
          name: args.naming.name([args.bucket, "cdn"]),
          description: `Cloud CDN origin for bucket ${args.bucket}; managed by brume`,
          bucketName: this.bucket.name,
          enableCdn: true,
          compressionMode: "AUTOMATIC",
          cdnPolicy: cdnPolicy(cdn),
          ...(cdn.edgeSecurityPolicy !== undefined ? { edgeSecurityPolicy: cdn.edgeSecurityPolicy } : {}),
        } satisfies gcp.compute.BackendBucketArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createSigningKeyBytes(name: string, args: BucketArgs, opts: pulumi.ComponentResourceOptions | undefined): random.RandomBytes {
    return new random.RandomBytes(
      ...transformed(
        args.transform?.signingKeyBytes,
        `${name}-cdn-key`,
        { length: 16 } satisfies random.RandomBytesArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createSignedUrlKey(
    name: string,
    args: BucketArgs,
    keyName: string,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.compute.BackendBucketSignedUrlKey {
    return new gcp.compute.BackendBucketSignedUrlKey(
      ...transformed(
        args.transform?.signedUrlKey,
        `${name}-cdn-key`,
        {
          project: args.project,
          name: keyName,
          backendBucket: this.backendBucket!.name,
          keyValue: this.signingKey!,
        } satisfies gcp.compute.BackendBucketSignedUrlKeyArgs,
        childOptions(this, opts),
      ),
    );
  }

  /** Cloud CDN's fill agent reads objects on cache misses; it exists once the project has a signed URL key. */
  private grantCdnFill(name: string, args: BucketArgs, opts: pulumi.ComponentResourceOptions | undefined): gcp.storage.BucketIAMMember {
    const member = serviceAgentMember(projectNumberOf(args.project, this, opts?.dependsOn), "cdnFill");
    // The fill agent was just created by the signed URL key; IAM may not resolve it yet (components/readiness).
    const agentReady = new IamMemberReadiness(
      `${name}-cdn-fill-ready`,
      { project: args.project, resource: { bucket: this.bucket.name }, role: "roles/storage.objectViewer", member },
      childOptions(this, opts, { dependsOn: [this.signedUrlKey!] }),
    );
    return new gcp.storage.BucketIAMMember(
      ...transformed(
        args.transform?.cdnFill,
        `${name}-cdn-fill`,
        {
          bucket: this.bucket.name,
          role: "roles/storage.objectViewer",
          member,
        } satisfies gcp.storage.BucketIAMMemberArgs,
        childOptions(this, opts, { dependsOn: [this.signedUrlKey!, agentReady] }),
      ),
    );
  }
}
