/**
 * The data side of a whole environment (gcp-review 16, 21, 38): CMEK on the database and cache
 * secrets, generations for the names GCP never frees, the environment's own bucket names.
 * Plans examples/bro-ai prod with the operations sections on (log archive and export buckets).
 */
import { describe, expect, it } from "vitest";
import { diffPlans } from "../../src/review/diff/diff.js";
import type { Plan } from "../../src/plan/run.js";
import { ofType, one } from "../harness.js";
import { operationsOverrides, planOperations } from "../observability/operations-plan.js";

const SECRET = "gcp:secretmanager/secret:Secret";
const RING = "gcp:kms/keyRing:KeyRing";
const KEY = "gcp:kms/cryptoKey:CryptoKey";
const GRANT = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember";
const BUCKET = "gcp:storage/bucket:Bucket";
const POOL = "gcp:iam/workloadIdentityPool:WorkloadIdentityPool";
const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";

const withEnvironment = (prod: Record<string, unknown>) => ({ ...operationsOverrides, environments: { prod } });

/** Replicas of a planned secret: location → kmsKeyName (undefined when Google-managed). */
function replicaKeys(plan: Plan, name: string): Record<string, unknown> {
  const replication = one(plan, SECRET, name).inputs.replication as { userManaged: { replicas: { location: string; customerManagedEncryption?: { kmsKeyName: string } }[] } };
  return Object.fromEntries(replication.userManaged.replicas.map((r) => [r.location, r.customerManagedEncryption?.kmsKeyName]));
}

const keyId = (region: string) => `projects/bro-ai-prod/locations/${region}/keyRings/bro-ai-prod-keys-${region}/cryptoKeys/secrets`;
const dataSecrets = ["bro-ai-prod-db-main-api-password-secret", "bro-ai-prod-db-main-worker-password-secret", "bro-ai-prod-cache-sessions-auth-secret", "bro-ai-prod-cache-sessions-ca-secret"];

describe("CMEK on the database and cache secrets (gcp-review 21)", () => {
  it("encrypts the password and Redis AUTH/CA secrets with the region's key, after the key is granted to Secret Manager", async () => {
    const plan = await planOperations("prod");
    const grants = ofType(plan, GRANT).filter((g) => g.name.endsWith("-secrets-secretmanager"));
    expect(grants.map((g) => g.name).sort()).toEqual(["bro-ai-prod-kms-us-central1-secrets-secretmanager", "bro-ai-prod-kms-us-east1-secrets-secretmanager"]);
    const names = ofType(plan, SECRET).map((s) => s.name);
    for (const name of dataSecrets) {
      expect(names).toContain(name);
      expect(replicaKeys(plan, name), name).toEqual({ "us-central1": keyId("us-central1"), "us-east1": keyId("us-east1") });
      // The secret waits for both grants (the first apply fails with a permission error otherwise).
      for (const grant of grants) expect(one(plan, SECRET, name).dependencies, name).toContain(grant.urn);
    }
    // Every secret of the environment is on CMEK now, the declared ones as before.
    for (const secret of ofType(plan, SECRET)) expect(Object.values(replicaKeys(plan, secret.name)), secret.name).toEqual([keyId("us-central1"), keyId("us-east1")]);
  });

  it("keeps them Google-managed with cmekDataSecrets: false, and brume diff shows turning it on replaces them", async () => {
    const kept = await planOperations("prod", withEnvironment({ cmekDataSecrets: false }));
    for (const name of dataSecrets) expect(replicaKeys(kept, name), name).toEqual({ "us-central1": undefined, "us-east1": undefined });
    // The declared secrets keep their CMEK.
    expect(replicaKeys(kept, "bro-ai-prod-secret-slack-token-secret")).toEqual({ "us-central1": keyId("us-central1"), "us-east1": keyId("us-east1") });
    const upgrade = diffPlans(kept, await planOperations("prod"));
    const replaced = upgrade.changes.filter((c) => c.kind === "replace").map((c) => c.name).sort();
    expect(replaced).toEqual([...dataSecrets].sort());
    expect(upgrade.dangers.filter((d) => d.kind === "stateful-replace").map((d) => d.name).sort()).toEqual([...dataSecrets].sort());
  });

  it("stage has no CMEK: nothing changes there", async () => {
    const stage = await planOperations("stage");
    expect(ofType(stage, RING)).toEqual([]);
    for (const secret of ofType(stage, SECRET)) expect(Object.values(replicaKeys(stage, secret.name)).every((k) => k === undefined), secret.name).toBe(true);
  });
});

describe("generations: names GCP never frees (gcp-review 16) and the environment's bucket names (38)", () => {
  it("without a generation, every name is today's", async () => {
    const plan = await planOperations("prod");
    expect(ofType(plan, RING).map((r) => r.inputs.name).sort()).toEqual(["bro-ai-prod-keys-us-central1", "bro-ai-prod-keys-us-east1"]);
    // The CI's Workload Identity pool lives in `brume bootstrap`'s stack now (issue 17), not the environment's.
    expect(ofType(plan, POOL)).toEqual([]);
    expect(ofType(plan, INSTANCE).map((i) => i.inputs.name).sort()).toEqual(["bro-ai-prod-main", "bro-ai-prod-main-replica"]);
    const buckets = ofType(plan, BUCKET).map((b) => b.inputs.name);
    expect(buckets).toContain("bro-ai-prod-bro-ai-prod-logs");
    expect(buckets).toContain("bro-ai-prod-bro-ai-prod-main-exports");
  });

  it("retains key rings and keys: a destroy forgets them (GCP cannot delete them)", async () => {
    const plan = await planOperations("prod");
    for (const r of [...ofType(plan, RING), ...ofType(plan, KEY)]) {
      expect(r.retainOnDelete, r.name).toBe(true);
      expect(r.protect, r.name).toBe(true);
    }
    // Nothing else is retained.
    expect(plan.resources.filter((r) => r.retainOnDelete).map((r) => r.type).sort()).toEqual([KEY, KEY, RING, RING]);
  });

  it("with generation 2: -g2 on key rings, clean bucket names; everything else keeps its name", async () => {
    const today = await planOperations("prod");
    const next = await planOperations("prod", withEnvironment({ generation: 2 }));
    expect(ofType(next, RING).map((r) => r.inputs.name).sort()).toEqual(["bro-ai-prod-keys-us-central1-g2", "bro-ai-prod-keys-us-east1-g2"]);
    expect(ofType(next, POOL)).toEqual([]);
    // Cloud SQL frees instance names at once: they stay.
    expect(ofType(next, INSTANCE).map((i) => i.inputs.name).sort()).toEqual(["bro-ai-prod-main", "bro-ai-prod-main-replica"]);
    const buckets = ofType(next, BUCKET).map((b) => b.inputs.name);
    expect(buckets).toContain("bro-ai-prod-logs-g2");
    expect(buckets).toContain("bro-ai-prod-main-exports-g2");
    expect(buckets.filter((b) => String(b).includes("bro-ai-prod-bro-ai-prod"))).toEqual([]);
    // CMEK secrets use the new rings' keys.
    expect(replicaKeys(next, dataSecrets[0]!)["us-central1"]).toBe(keyId("us-central1").replace("keys-us-central1", "keys-us-central1-g2"));
    // Only those names move: every other resource has the same inputs' name.
    const nameOf = (p: Plan) => new Map(p.resources.map((r) => [r.urn, JSON.stringify(r.inputs.name ?? null)]));
    const before = nameOf(today);
    const moved = [...nameOf(next)].filter(([urn, name]) => before.get(urn) !== name).map(([urn]) => next.resources.find((r) => r.urn === urn)!.type);
    expect([...new Set(moved)].sort()).toEqual([BUCKET, RING].sort());
  });
});
