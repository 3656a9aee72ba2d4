import { describe, expect, it } from "vitest";
import { bucketName, bucketPlacement, lifecycleRules } from "../../src/components/storage/bucket.js";
import { cleanupPolicies as cleanupPoliciesFor } from "../../src/components/storage/registry.js";
import { SECRET_MASK } from "../../src/plan/run.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import { one, ofType, planProgram } from "../harness.js";

const T = {
  bucket: "gcp:storage/bucket:Bucket",
  member: "gcp:storage/bucketIAMMember:BucketIAMMember",
  backend: "gcp:compute/backendBucket:BackendBucket",
  key: "gcp:compute/backendBucketSignedUrlKey:BackendBucketSignedUrlKey",
  bytes: "random:index/randomBytes:RandomBytes",
  repo: "gcp:artifactregistry/repository:Repository",
  repoMember: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
} as const;

const project = "bro-ai-prod-4411";

describe("bucketPlacement", () => {
  it("maps each location class per continent", () => {
    expect(bucketPlacement("regional", "us-central1")).toEqual({ location: "US-CENTRAL1" });
    expect(bucketPlacement("multi-region", "us-central1")).toEqual({ location: "US" });
    expect(bucketPlacement("multi-region", "europe-west1")).toEqual({ location: "EU" });
    expect(bucketPlacement("multi-region", "asia-northeast1")).toEqual({ location: "ASIA" });
    expect(bucketPlacement("dual-region", "europe-west1")).toEqual({ location: "EUR4" });
    expect(bucketPlacement("dual-region", "us-east1")).toEqual({ location: "NAM4" });
    expect(bucketPlacement("dual-region", "asia-northeast1")).toEqual({ location: "ASIA1" });
  });

  it("uses a configurable dual-region for a same-continent DR region, the predefined pair otherwise", () => {
    expect(bucketPlacement("dual-region", "europe-west1", "europe-west4")).toEqual({
      location: "EU",
      dataLocations: ["EUROPE-WEST1", "EUROPE-WEST4"],
    });
    expect(bucketPlacement("dual-region", "us-central1", "europe-west4")).toEqual({ location: "NAM4" });
    expect(bucketPlacement("regional", "europe-west1", "europe-west4")).toEqual({ location: "EUROPE-WEST1" });
  });

  it("refuses a multi- or dual-region where GCS has none", () => {
    expect(() => bucketPlacement("multi-region", "australia-southeast1")).toThrow(
      'no multi-region location for region "australia-southeast1": GCS multi- and predefined dual-regions exist for europe, us and asia only; use "regional"',
    );
    expect(bucketPlacement("regional", "australia-southeast1")).toEqual({ location: "AUSTRALIA-SOUTHEAST1" });
  });
});

describe("bucketName / lifecycleRules / cleanupPolicies", () => {
  it("prefixes the globally unique GCP project id and stays within 63 characters", () => {
    expect(bucketName(project, "logs")).toBe("bro-ai-prod-4411-logs");
    const long = bucketName(project, "a-very-long-bucket-name-that-goes-on-and-on-and-on-forever");
    expect(long).toHaveLength(63);
    expect(long).toMatch(/^bro-ai-prod-4411-a-very-long.*-[0-9a-f]{6}$/);
  });

  it("builds coldline, delete and noncurrent-version rules", () => {
    expect(lifecycleRules({ coldlineAfterDays: 30, deleteAfterDays: 365, noncurrentDeleteAfterDays: 14, keepNoncurrentVersions: 5 }, true)).toEqual([
      { action: { type: "SetStorageClass", storageClass: "COLDLINE" }, condition: { age: 30, matchesStorageClasses: ["STANDARD"] } },
      { action: { type: "Delete" }, condition: { age: 365 } },
      { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 14, withState: "ARCHIVED" } },
      { action: { type: "Delete" }, condition: { numNewerVersions: 5, withState: "ARCHIVED" } },
    ]);
    expect(lifecycleRules({}, false)).toEqual([]);
    expect(() => lifecycleRules({ coldlineAfterDays: 90, deleteAfterDays: 30 }, true)).toThrow(
      "lifecycle.deleteAfterDays (30) must exceed coldlineAfterDays (90)",
    );
    expect(() => lifecycleRules({ deleteAfterDays: 0 }, true)).toThrow("lifecycle.deleteAfterDays must be a positive integer, got 0");
  });

  it("keeps the newest versions and deletes untagged ones after the given age", () => {
    expect(cleanupPoliciesFor(5, "14d")).toEqual([
      { id: "keep-most-recent", action: "KEEP", mostRecentVersions: { keepCount: 5 } },
      { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "1209600s" } },
    ]);
    expect(() => cleanupPoliciesFor(0, "7d")).toThrow("keepCount must be a positive integer, got 0");
  });
});

/** The Bro AI seed: regional buckets for logs, multi-region for critical data, public assets behind Cloud CDN. */
async function planBroAi() {
  return planProgram(
    async () => {
      const { Bucket } = await import("../../src/components/storage/bucket.js");
      const { Naming } = await import("../../src/config/naming.js");
      const naming = Naming.of("bro-ai", "prod");
      const logs = new Bucket("logs", {
        project,
        naming,
        bucket: "logs",
        region: "us-central1",
        versioning: false,
        lifecycle: { coldlineAfterDays: 30, deleteAfterDays: 365 },
        protect: false,
        labels: { data: "logs" },
      });
      new Bucket("data", {
        project,
        naming,
        bucket: "data",
        region: "us-central1",
        location: "multi-region",
        logBucket: logs.bucketName,
        writers: { api: "serviceAccount:api@bro-ai-prod-4411.iam.gserviceaccount.com" },
        readers: { analytics: "group:analytics@bro.test" },
      });
      new Bucket("assets", {
        project,
        naming,
        bucket: "assets",
        region: "us-central1",
        drRegion: "us-east1",
        location: "dual-region",
        cdn: {},
      });
    },
    { defaultProject: project },
  );
}

describe("brume:storage:Bucket", () => {
  it("hardens every bucket: UBLA, public access prevention enforced, soft delete 7d, no force destroy", async () => {
    const plan = await planBroAi();
    const buckets = ofType(plan, T.bucket);
    expect(buckets.map((b) => b.name).sort()).toEqual(["assets-bucket", "data-bucket", "logs-bucket"]);
    for (const b of buckets) {
      expect(b.inputs, b.name).toMatchObject({
        project,
        storageClass: "STANDARD",
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        softDeletePolicy: { retentionDurationSeconds: 604800 },
        forceDestroy: false,
      });
    }
    // Never public: no allUsers / allAuthenticatedUsers anywhere.
    for (const m of ofType(plan, T.member)) expect(String(m.inputs.member)).not.toMatch(/^all(Authenticated)?Users$/);
  });

  it("places logs in the region with lifecycle rules and no protection when protect is false", async () => {
    const plan = await planBroAi();
    const logs = one(plan, T.bucket, "logs-bucket");
    expect(logs.inputs).toMatchObject({
      name: "bro-ai-prod-4411-logs",
      location: "US-CENTRAL1",
      versioning: { enabled: false },
      labels: { data: "logs" },
      deletionPolicy: "DELETE",
      lifecycleRules: [
        { action: { type: "SetStorageClass", storageClass: "COLDLINE" }, condition: { age: 30, matchesStorageClasses: ["STANDARD"] } },
        { action: { type: "Delete" }, condition: { age: 365 } },
      ],
    });
    expect(logs.inputs).not.toHaveProperty("customPlacementConfig");
    expect(logs.inputs).not.toHaveProperty("logging");
    expect(logs.protect).toBe(false);
  });

  it("puts critical data in the multi-region, versioned, protected, logging to the logs bucket", async () => {
    const plan = await planBroAi();
    const data = one(plan, T.bucket, "data-bucket");
    expect(data.inputs).toMatchObject({
      name: "bro-ai-prod-4411-data",
      location: "US",
      versioning: { enabled: true },
      deletionPolicy: "PREVENT",
      logging: { logBucket: "bro-ai-prod-4411-logs", logObjectPrefix: "bro-ai-prod-4411-data" },
      lifecycleRules: [
        { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: 30, withState: "ARCHIVED" } },
        { action: { type: "Delete" }, condition: { numNewerVersions: 3, withState: "ARCHIVED" } },
      ],
    });
    expect(data.protect).toBe(true);
    expect(data.dependencies).toEqual([one(plan, T.bucket, "logs-bucket").urn]);
    expect(one(plan, T.member, "data-writer-api").inputs).toEqual({
      bucket: "bro-ai-prod-4411-data",
      role: "roles/storage.objectUser",
      member: "serviceAccount:api@bro-ai-prod-4411.iam.gserviceaccount.com",
    });
    expect(one(plan, T.member, "data-reader-analytics").inputs).toEqual({
      bucket: "bro-ai-prod-4411-data",
      role: "roles/storage.objectViewer",
      member: "group:analytics@bro.test",
    });
  });

  it("serves assets through Cloud CDN while the bucket stays private", async () => {
    const plan = await planBroAi();
    const assets = one(plan, T.bucket, "assets-bucket");
    expect(assets.inputs).toMatchObject({
      location: "US",
      customPlacementConfig: { dataLocations: ["US-CENTRAL1", "US-EAST1"] },
      publicAccessPrevention: "enforced",
    });
    const backend = one(plan, T.backend, "assets-cdn");
    expect(backend.inputs).toEqual({
      project,
      name: "bro-ai-prod-assets-cdn",
      description: "Cloud CDN origin for bucket assets; managed by brume",
      bucketName: "bro-ai-prod-4411-assets",
      enableCdn: true,
      compressionMode: "AUTOMATIC",
      cdnPolicy: {
        cacheMode: "CACHE_ALL_STATIC",
        defaultTtl: 3600,
        maxTtl: 86400,
        clientTtl: 3600,
        negativeCaching: true,
        requestCoalescing: true,
        serveWhileStale: 86400,
        signedUrlCacheMaxAgeSec: 3600,
      },
    });
    expect(backend.dependencies).toEqual([assets.urn]);

    const bytes = one(plan, T.bytes, "assets-cdn-key");
    const key = one(plan, T.key, "assets-cdn-key");
    expect(key.inputs).toEqual({ project, name: "bro-ai-prod-assets-cdn-key", backendBucket: "bro-ai-prod-assets-cdn", keyValue: SECRET_MASK });
    expect(key.dependencies).toEqual([backend.urn, bytes.urn].sort());

    const fill = one(plan, T.member, "assets-cdn-fill");
    expect(fill.inputs).toEqual({
      bucket: "bro-ai-prod-4411-assets",
      role: "roles/storage.objectViewer",
      member: `serviceAccount:service-${mockProjectNumber(project)}@cloud-cdn-fill.iam.gserviceaccount.com`,
    });
    // The fill agent exists only once a signed URL key was added: grant after the key.
    // …and once IAM accepts the just-created agent (components/readiness, test/readiness).
    const fillReady = one(plan, "pulumi-nodejs:dynamic/readiness:IamMemberReadiness", "assets-cdn-fill-ready");
    expect(fill.dependencies).toEqual([assets.urn, key.urn, fillReady.urn].sort());
    expect(ofType(plan, T.backend)).toHaveLength(1);
    expect(ofType(plan, T.member)).toHaveLength(3);
  });

  it("keeps the CDN signing key secret in outputs", async () => {
    const plan = await planProgram(
      async () => {
        const { Bucket } = await import("../../src/components/storage/bucket.js");
        const { Naming } = await import("../../src/config/naming.js");
        const b = new Bucket("assets", { project, naming: Naming.of("bro-ai", "prod"), bucket: "assets", region: "europe-west1", cdn: { cacheMode: "USE_ORIGIN_HEADERS" } });
        return { key: b.signingKey, link: b.backendBucketSelfLink };
      },
      { defaultProject: project },
    );
    expect(plan.outputs).toEqual({
      key: SECRET_MASK,
      link: `https://www.googleapis.com/compute/v1/projects/${project}/global/backendBuckets/bro-ai-prod-assets-cdn`,
    });
    const backend = one(plan, T.backend, "assets-cdn");
    expect(backend.inputs.cdnPolicy).toEqual({
      cacheMode: "USE_ORIGIN_HEADERS",
      negativeCaching: true,
      requestCoalescing: true,
      serveWhileStale: 86400,
      signedUrlCacheMaxAgeSec: 3600,
    });
  });
});

describe("brume:storage:Registry", () => {
  async function planRegistry(extra: Record<string, unknown> = {}) {
    return planProgram(
      async () => {
        const { Registry } = await import("../../src/components/storage/registry.js");
        const { Naming } = await import("../../src/config/naming.js");
        const r = new Registry("images", {
          project,
          naming: Naming.of("bro-ai", "prod"),
          location: "us-central1",
          labels: { team: "platform" },
          readers: { nodes: "serviceAccount:nodes@bro-ai-prod-4411.iam.gserviceaccount.com" },
          ...extra,
        });
        return { url: r.url };
      },
      { defaultProject: project },
    );
  }

  it("creates a scanned Docker repository with cleanup policies that run, protected", async () => {
    const plan = await planRegistry();
    const repo = one(plan, T.repo, "images-repository");
    expect(repo.inputs).toEqual({
      project,
      location: "us-central1",
      repositoryId: "bro-ai-prod-images",
      description: "Container images, managed by brume",
      format: "DOCKER",
      mode: "STANDARD_REPOSITORY",
      dockerConfig: { immutableTags: false },
      cleanupPolicies: [
        { id: "keep-most-recent", action: "KEEP", mostRecentVersions: { keepCount: 10 } },
        { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "604800s" } },
      ],
      cleanupPolicyDryRun: false,
      vulnerabilityScanningConfig: { enablementConfig: "INHERITED" },
      labels: { team: "platform" },
      deletionPolicy: "PREVENT",
    });
    expect(repo.protect).toBe(true);
    expect(plan.outputs).toEqual({ url: `us-central1-docker.pkg.dev/${project}/bro-ai-prod-images` });
    const reader = one(plan, T.repoMember, "images-reader-nodes");
    expect(reader.inputs).toEqual({
      project,
      location: "us-central1",
      repository: "bro-ai-prod-images",
      role: "roles/artifactregistry.reader",
      member: "serviceAccount:nodes@bro-ai-prod-4411.iam.gserviceaccount.com",
    });
    expect(reader.dependencies).toEqual([repo.urn]);
  });

  it("supports immutable tags, custom retention and an unprotected repository", async () => {
    const plan = await planRegistry({ immutableTags: true, keepCount: 3, deleteUntaggedAfter: "1d", protect: false, repository: "build-cache" });
    const repo = one(plan, T.repo, "images-repository");
    expect(repo.inputs).toMatchObject({
      repositoryId: "bro-ai-prod-build-cache",
      dockerConfig: { immutableTags: true },
      cleanupPolicies: [
        { id: "keep-most-recent", action: "KEEP", mostRecentVersions: { keepCount: 3 } },
        { id: "delete-untagged", action: "DELETE", condition: { tagState: "UNTAGGED", olderThan: "86400s" } },
      ],
      deletionPolicy: "DELETE",
    });
    expect(repo.protect).toBe(false);
  });
});
