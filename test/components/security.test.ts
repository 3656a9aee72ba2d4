import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maxRotationPeriod, normalizeCryptoKey } from "../../src/components/security/kms.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import { one, ofType, planProgram } from "../harness.js";

const T = {
  ring: "gcp:kms/keyRing:KeyRing",
  key: "gcp:kms/cryptoKey:CryptoKey",
  member: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
} as const;

const project = "shop-prod-7781";
const number = mockProjectNumber(project);
const ringId = `projects/${project}/locations/europe-west1/keyRings/shop-prod-keys`;

describe("normalizeCryptoKey", () => {
  it("defaults to 90-day rotation, software keys and a 30-day destroy window", () => {
    expect(normalizeCryptoKey("k", {})).toEqual({
      rotationPeriod: "7776000s",
      protectionLevel: "SOFTWARE",
      destroyScheduledDuration: "2592000s",
      serviceAgents: [],
      encrypterDecrypters: {},
    });
  });

  it("never accepts a rotation period above 90 days or at most one day", () => {
    expect(() => normalizeCryptoKey("k", { rotationPeriod: "91d" })).toThrow(
      'crypto key "k": rotationPeriod must be between 1d and 90d, got "91d"',
    );
    expect(() => normalizeCryptoKey("k", { rotationPeriod: "24h" })).toThrow('crypto key "k": rotationPeriod must be more than 1 day');
    fc.assert(
      fc.property(fc.integer({ min: 86401, max: 7776000 }), (s) => {
        expect(normalizeCryptoKey("k", { rotationPeriod: `${s}s` }).rotationPeriod).toBe(`${s}s`);
      }),
    );
    expect(maxRotationPeriod).toBe("90d");
  });

  it("rejects bad names, destroy windows and duplicate grant labels", () => {
    expect(() => normalizeCryptoKey("bad name", {})).toThrow("names are 1-63 letters");
    expect(() => normalizeCryptoKey("k", { destroyScheduledDuration: "121d" })).toThrow("destroyScheduledDuration must be between 1d and 120d");
    expect(() => normalizeCryptoKey("k", { serviceAgents: ["pubsub"], encrypterDecrypters: { pubsub: "user:a@b.test" } })).toThrow(
      'grant label "pubsub" is used twice',
    );
  });
});

async function planKeys(protect?: boolean) {
  return planProgram(
    async () => {
      const { KeyRing } = await import("../../src/components/security/kms.js");
      const { Naming } = await import("../../src/config/naming.js");
      const ring = new KeyRing("kms", {
        project,
        naming: Naming.of("shop", "prod"),
        location: "europe-west1",
        ...(protect !== undefined ? { protect } : {}),
        labels: { team: "platform" },
        keys: {
          secrets: { serviceAgents: ["secretmanager"] },
          data: {
            rotationPeriod: "30d",
            protectionLevel: "HSM",
            destroyScheduledDuration: "7d",
            serviceAgents: ["storage", "pubsub"],
            encrypterDecrypters: { api: "serviceAccount:api@shop-prod-7781.iam.gserviceaccount.com" },
          },
        },
      });
      return { secretsKey: ring.keyIds.secrets };
    },
    { defaultProject: project },
  );
}

describe("brume:security:KeyRing", () => {
  it("creates the ring and rotating ENCRYPT_DECRYPT keys in it, protected by default", async () => {
    const plan = await planKeys();
    const ring = one(plan, T.ring, "kms-ring");
    expect(ring.inputs).toEqual({ project, location: "europe-west1", name: "shop-prod-keys" });
    expect(ring.protect).toBe(true);

    const secrets = one(plan, T.key, "kms-secrets");
    expect(secrets.inputs).toEqual({
      keyRing: ringId,
      name: "secrets",
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: "7776000s",
      versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
      destroyScheduledDuration: "2592000s",
      labels: { team: "platform" },
      deletionPolicy: "PREVENT",
    });
    expect(secrets.dependencies).toEqual([ring.urn]);
    const data = one(plan, T.key, "kms-data");
    expect(data.inputs).toMatchObject({
      rotationPeriod: "2592000s",
      versionTemplate: { protectionLevel: "HSM" },
      destroyScheduledDuration: "604800s",
    });
    for (const key of ofType(plan, T.key)) {
      expect(key.protect, key.name).toBe(true);
      expect(parseInt(String(key.inputs.rotationPeriod), 10), key.name).toBeLessThanOrEqual(90 * 86400);
    }
    expect(plan.outputs).toEqual({ secretsKey: `${ringId}/cryptoKeys/secrets` });
  });

  it("grants encrypter/decrypter on each key only, to the exact service agents", async () => {
    const plan = await planKeys();
    const members = ofType(plan, T.member);
    expect(members.map((m) => m.name).sort()).toEqual(["kms-data-api", "kms-data-pubsub", "kms-data-storage", "kms-secrets-secretmanager"]);
    for (const m of members) expect(m.inputs.role, m.name).toBe("roles/cloudkms.cryptoKeyEncrypterDecrypter");

    const secretAgent = one(plan, T.member, "kms-secrets-secretmanager");
    expect(secretAgent.inputs).toEqual({
      cryptoKeyId: `${ringId}/cryptoKeys/secrets`,
      role: "roles/cloudkms.cryptoKeyEncrypterDecrypter",
      member: `serviceAccount:service-${number}@gcp-sa-secretmanager.iam.gserviceaccount.com`,
    });
    // …after IAM accepted the just-generated agent (components/readiness, test/readiness).
    const agentReady = one(plan, "pulumi-nodejs:dynamic/readiness:IamMemberReadiness", "kms-secrets-secretmanager-ready");
    expect(secretAgent.dependencies).toEqual([one(plan, T.key, "kms-secrets").urn, agentReady.urn].sort());
    expect(one(plan, T.member, "kms-data-storage").inputs.member).toBe(
      `serviceAccount:service-${number}@gs-project-accounts.iam.gserviceaccount.com`,
    );
    expect(one(plan, T.member, "kms-data-pubsub").inputs.member).toBe(
      `serviceAccount:service-${number}@gcp-sa-pubsub.iam.gserviceaccount.com`,
    );
    expect(one(plan, T.member, "kms-data-api").inputs).toMatchObject({
      cryptoKeyId: `${ringId}/cryptoKeys/data`,
      member: "serviceAccount:api@shop-prod-7781.iam.gserviceaccount.com",
    });
    // Nothing on the ring or the project.
    expect(plan.resources.filter((r) => /keyRingIAM|projects\/iAM/.test(r.type))).toEqual([]);
  });

  it("drops protection when told to", async () => {
    const plan = await planKeys(false);
    expect(one(plan, T.ring, "kms-ring").protect).toBe(false);
    for (const key of ofType(plan, T.key)) {
      expect(key.protect).toBe(false);
      expect(key.inputs.deletionPolicy).toBe("DELETE");
    }
  });
});
