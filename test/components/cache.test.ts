import { describe, expect, it } from "vitest";
import { cacheTierProblems, caBundle, type CacheArgs } from "../../src/components/cache/cache.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import type { Plan } from "../../src/plan/run.js";
import { one, ofType, planProgram } from "../harness.js";

const project = "bro-prod-7781";
const REDIS = "gcp:redis/instance:Instance";
const SECRET = "gcp:secretmanager/secret:Secret";
const VERSION = "gcp:secretmanager/secretVersion:SecretVersion";
const networkId = `projects/${project}/global/networks/bro-prod-vpc`;
const psaUrn = "urn:pulumi:test::test::gcp:servicenetworking/connection:Connection::psa";

/** Plans a Cache named "cache" next to a VPC and a PSA connection it depends on. */
async function planCache(overrides: Partial<CacheArgs> = {}): Promise<Plan> {
  return planProgram(
    async () => {
      const gcp = await import("@pulumi/gcp");
      const { Naming } = await import("../../src/config/naming.js");
      const { Cache } = await import("../../src/components/cache/cache.js");
      const vpc = new gcp.compute.Network("vpc", { name: "bro-prod-vpc", autoCreateSubnetworks: false });
      const psa = new gcp.servicenetworking.Connection("psa", {
        network: vpc.id,
        service: "servicenetworking.googleapis.com",
        reservedPeeringRanges: ["bro-prod-psa"],
      });
      const cache = new Cache(
        "cache",
        {
          project,
          region: "us-central1",
          naming: Naming.of("bro", "prod"),
          name: "sessions",
          networkId: vpc.id,
          protect: true,
          highAvailability: true,
          memoryGb: 5,
          locationId: "us-central1-a",
          alternativeLocationId: "us-central1-b",
          secretReplicaRegions: ["us-central1", "us-east1"],
          labels: { team: "platform" },
          ...overrides,
        },
        { dependsOn: [psa] },
      );
      return {
        instanceName: cache.instanceName,
        host: cache.host,
        port: cache.port,
        authSecretName: cache.authSecretName,
        caSecretName: cache.caSecretName,
      };
    },
    { defaultProject: project },
  );
}

describe("brume:cache:Cache", () => {
  it("builds a private STANDARD_HA Redis with AUTH, TLS, hourly RDB snapshots and protection in production", async () => {
    const plan = await planCache();
    expect(ofType(plan, REDIS)).toHaveLength(1);
    const redis = one(plan, REDIS, "cache-instance");
    expect(redis.protect).toBe(true);
    expect(redis.parent).toBe(one(plan, "brume:cache:Cache", "cache").urn);
    expect(redis.inputs).toEqual({
      project,
      region: "us-central1",
      name: "bro-prod-sessions",
      displayName: "bro-prod sessions (brume)",
      tier: "STANDARD_HA",
      memorySizeGb: 5,
      redisVersion: "REDIS_7_2",
      authorizedNetwork: networkId,
      connectMode: "PRIVATE_SERVICE_ACCESS",
      authEnabled: true,
      transitEncryptionMode: "SERVER_AUTHENTICATION",
      persistenceConfig: { persistenceMode: "RDB", rdbSnapshotPeriod: "ONE_HOUR" },
      maintenancePolicy: {
        weeklyMaintenanceWindows: [{ day: "SUNDAY", startTime: { hours: 3, minutes: 0, seconds: 0, nanos: 0 } }],
      },
      locationId: "us-central1-a",
      alternativeLocationId: "us-central1-b",
      labels: { team: "platform" },
      deletionProtection: true,
    });
    expect(redis.dependencies).toEqual([psaUrn, "urn:pulumi:test::test::gcp:compute/network:Network::vpc"].sort());
    expect(plan.outputs).toEqual({
      instanceName: "bro-prod-sessions",
      host: expect.stringMatching(/^10\.253\.\d+\.\d+$/),
      port: 6378,
      authSecretName: `projects/${mockProjectNumber(project)}/secrets/bro-prod-sessions-auth`,
      caSecretName: `projects/${mockProjectNumber(project)}/secrets/bro-prod-sessions-ca`,
    });
  });

  it("stores the AUTH string and the server CA in replicated secrets, never in plain text", async () => {
    const plan = await planCache();
    const redis = one(plan, REDIS, "cache-instance");
    expect(ofType(plan, SECRET)).toHaveLength(2);
    expect(ofType(plan, VERSION)).toHaveLength(2);
    for (const part of ["auth", "ca"]) {
      expect(one(plan, SECRET, `cache-${part}-secret`).inputs).toMatchObject({
        project,
        secretId: `bro-prod-sessions-${part}`,
        labels: { team: "platform" },
        replication: { userManaged: { replicas: [{ location: "us-central1" }, { location: "us-east1" }] } },
      });
      const version = one(plan, VERSION, `cache-${part}-version`);
      expect(version.inputs.secretData).toBe("[secret]");
      expect(version.dependencies).toContain(redis.urn);
    }
    const text = JSON.stringify(plan);
    expect(text).not.toContain("mock-redis-auth");
    expect(text).not.toContain("mock-redis-ca");
  });

  it("is BASIC, unprotected, with 12-hour snapshots and no standby zone when not highly available", async () => {
    const plan = await planCache({ protect: false, highAvailability: false, memoryGb: 1, version: "REDIS_7_0" });
    const redis = one(plan, REDIS, "cache-instance");
    expect(redis.protect).toBe(false);
    expect(redis.inputs).toMatchObject({
      tier: "BASIC",
      memorySizeGb: 1,
      redisVersion: "REDIS_7_0",
      persistenceConfig: { persistenceMode: "RDB", rdbSnapshotPeriod: "TWELVE_HOURS" },
      authEnabled: true,
      transitEncryptionMode: "SERVER_AUTHENTICATION",
      deletionProtection: false,
    });
    expect(redis.inputs).not.toHaveProperty("alternativeLocationId");
    expect(redis.inputs).not.toHaveProperty("readReplicasMode");
    expect(redis.inputs).not.toHaveProperty("replicaCount");
  });

  it("enables read replicas only when asked, on STANDARD_HA", async () => {
    const plan = await planCache({ readReplicas: 2, redisConfigs: { "maxmemory-policy": "allkeys-lru" } });
    expect(one(plan, REDIS, "cache-instance").inputs).toMatchObject({
      tier: "STANDARD_HA",
      readReplicasMode: "READ_REPLICAS_ENABLED",
      replicaCount: 2,
      redisConfigs: { "maxmemory-policy": "allkeys-lru" },
    });
  });

  it("refuses sizes and replicas its tier does not support", async () => {
    await expect(planCache({ highAvailability: false, readReplicas: 1 })).rejects.toThrow(
      /readReplicas: read replicas need the STANDARD_HA tier/,
    );
  });

  it("lets a transform adjust the instance", async () => {
    const plan = await planCache({ transform: { instance: { persistenceConfig: { rdbSnapshotPeriod: "SIX_HOURS" } } } });
    expect(one(plan, REDIS, "cache-instance").inputs).toMatchObject({
      persistenceConfig: { persistenceMode: "RDB", rdbSnapshotPeriod: "SIX_HOURS" },
    });
  });
});

describe("cacheTierProblems", () => {
  it("accepts the preset sizes", () => {
    expect(cacheTierProblems({ highAvailability: true, memoryGb: 5 })).toEqual([]);
    expect(cacheTierProblems({ highAvailability: false, memoryGb: 1 })).toEqual([]);
    expect(cacheTierProblems({ highAvailability: true, memoryGb: 5, readReplicas: 5 })).toEqual([]);
    expect(cacheTierProblems({ highAvailability: true, memoryGb: 300 })).toEqual([]);
  });

  it("reports each problem with its path, message and value", () => {
    expect(cacheTierProblems({ highAvailability: false, memoryGb: 0 })).toEqual([
      { path: "memoryGb", message: "Memorystore BASIC takes a whole number of GB from 1 to 300", value: 0 },
    ]);
    expect(cacheTierProblems({ highAvailability: true, memoryGb: 301 })).toEqual([
      { path: "memoryGb", message: "Memorystore STANDARD_HA takes a whole number of GB from 1 to 300", value: 301 },
    ]);
    expect(cacheTierProblems({ highAvailability: true, memoryGb: 2.5 })[0]?.path).toBe("memoryGb");
    expect(cacheTierProblems({ highAvailability: false, memoryGb: 1, readReplicas: 1 })).toEqual([
      {
        path: "readReplicas",
        message: "read replicas need the STANDARD_HA tier: enable highAvailability or set readReplicas to 0",
        value: 1,
      },
      { path: "memoryGb", message: "read replicas need at least 5 GB of memory", value: 1 },
    ]);
    expect(cacheTierProblems({ highAvailability: true, memoryGb: 10, readReplicas: 6 })).toEqual([
      { path: "readReplicas", message: "read replicas: 0 to 5", value: 6 },
    ]);
  });
});

describe("caBundle", () => {
  it("concatenates every server CA so clients keep trusting the old one during a rotation", () => {
    expect(caBundle([{ cert: "-----A-----\n" }, { cert: "-----B-----" }])).toBe("-----A-----\n-----B-----\n");
  });
});
