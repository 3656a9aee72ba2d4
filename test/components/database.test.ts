import { describe, expect, it } from "vitest";
import type { DatabaseArgs } from "../../src/components/database/database.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import type { Plan } from "../../src/plan/run.js";
import { one, ofType, planProgram } from "../harness.js";

const project = "bro-prod-7781";
const INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance";
const USER = "gcp:sql/user:User";
const DATABASE = "gcp:sql/database:Database";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const SECRET = "gcp:secretmanager/secret:Secret";
const VERSION = "gcp:secretmanager/secretVersion:SecretVersion";
const IAM_MEMBER = "gcp:projects/iAMMember:IAMMember";
const networkId = `projects/${project}/global/networks/bro-prod-vpc`;

/** Plans a Database named "db" next to a VPC and a PSA connection it depends on. */
async function planDatabase(overrides: Partial<DatabaseArgs> = {}): Promise<Plan> {
  return planProgram(
    async () => {
      const gcp = await import("@pulumi/gcp");
      const { Naming } = await import("../../src/config/naming.js");
      const { Database } = await import("../../src/components/database/database.js");
      const vpc = new gcp.compute.Network("vpc", { name: "bro-prod-vpc", autoCreateSubnetworks: false });
      const psa = new gcp.servicenetworking.Connection("psa", {
        network: vpc.id,
        service: "servicenetworking.googleapis.com",
        reservedPeeringRanges: ["bro-prod-psa"],
      });
      const db = new Database(
        "db",
        {
          project,
          region: "us-central1",
          naming: Naming.of("bro", "prod"),
          name: "main",
          networkId: vpc.id,
          protect: true,
          highAvailability: true,
          tier: "db-custom-2-7680",
          diskGb: 100,
          retainedBackups: 30,
          drReplicaRegion: "us-east1",
          secretReplicaRegions: ["us-central1", "us-east1"],
          labels: { team: "platform" },
          ...overrides,
        },
        { dependsOn: [psa] },
      );
      return {
        instanceName: db.instanceName,
        connectionName: db.connectionName,
        privateIp: db.privateIp,
        replicaConnectionName: db.replicaConnectionName ?? "none",
        userSecretNames: db.userSecretNames,
      };
    },
    { defaultProject: project },
  );
}

const psaUrn = "urn:pulumi:test::test::gcp:servicenetworking/connection:Connection::psa";
const expectedFlags = [
  { name: "cloudsql.enable_pgaudit", value: "on" },
  { name: "pgaudit.log", value: "ddl,role" },
  { name: "log_checkpoints", value: "on" },
  { name: "log_connections", value: "on" },
  { name: "log_disconnections", value: "on" },
  { name: "log_lock_waits", value: "on" },
  { name: "log_temp_files", value: "0" },
  { name: "log_min_duration_statement", value: "-1" },
  { name: "log_min_messages", value: "warning" },
  { name: "log_min_error_statement", value: "error" },
  { name: "log_statement", value: "ddl" },
  { name: "cloudsql.iam_authentication", value: "on" },
];

describe("brume:database:Database", () => {
  it("builds a private, audited, backed-up, protected Postgres 15 instance in production", async () => {
    const plan = await planDatabase();
    const instance = one(plan, INSTANCE, "db-instance");
    expect(instance.protect).toBe(true);
    expect(instance.parent).toBe(one(plan, "brume:database:Database", "db").urn);
    expect(instance.inputs).toEqual({
      project,
      region: "us-central1",
      name: "bro-prod-main",
      databaseVersion: "POSTGRES_15",
      deletionProtection: true,
      settings: {
        tier: "db-custom-2-7680",
        edition: "ENTERPRISE",
        availabilityType: "REGIONAL",
        diskType: "PD_SSD",
        diskSize: 100,
        diskAutoresize: true,
        diskAutoresizeLimit: 0,
        backupConfiguration: {
          enabled: true,
          startTime: "02:00",
          // gcp-review 23: the multi-region containing us-central1, not the primary region.
          location: "us",
          pointInTimeRecoveryEnabled: true,
          transactionLogRetentionDays: 7,
          backupRetentionSettings: { retainedBackups: 30, retentionUnit: "COUNT" },
        },
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: networkId,
          sslMode: "ENCRYPTED_ONLY",
          enablePrivatePathForGoogleCloudServices: true,
        },
        databaseFlags: expectedFlags,
        insightsConfig: {
          queryInsightsEnabled: true,
          recordApplicationTags: true,
          recordClientAddress: false,
          queryStringLength: 1024,
        },
        maintenanceWindow: { day: 7, hour: 3, updateTrack: "stable" },
        passwordValidationPolicy: {
          enablePasswordPolicy: true,
          minLength: 16,
          complexity: "COMPLEXITY_DEFAULT",
          disallowUsernameSubstring: true,
        },
        deletionProtectionEnabled: true,
        retainBackupsOnDelete: true,
        userLabels: { team: "platform" },
      },
    });
    expect(instance.dependencies).toEqual([psaUrn, "urn:pulumi:test::test::gcp:compute/network:Network::vpc"].sort());
    expect(plan.outputs).toMatchObject({
      instanceName: "bro-prod-main",
      connectionName: `${project}:us-central1:bro-prod-main`,
      privateIp: expect.stringMatching(/^10\.254\.\d+\.\d+$/),
      replicaConnectionName: `${project}:us-east1:bro-prod-main-replica`,
    });
  });

  it("ignores settings.diskSize after creation on the primary and the replica (gcp-review 2: autoresize grows the disk)", async () => {
    const plan = await planDatabase();
    for (const name of ["db-instance", "db-replica"]) {
      const instance = one(plan, INSTANCE, name);
      expect(instance.ignoreChanges).toEqual(["settings.diskSize"]);
      expect(instance.inputs).toMatchObject({ settings: { diskSize: 100, diskAutoresize: true } });
    }
    // Nothing else of the database ignores changes.
    expect(plan.resources.filter((r) => r.ignoreChanges).map((r) => r.name).sort()).toEqual(["db-instance", "db-replica"]);
  });

  it("stores automated backups in the multi-region containing the primary region (gcp-review 23)", async () => {
    const { backupLocation } = await import("../../src/components/database/database.js");
    expect(["us-central1", "us-east4", "europe-west1", "europe-north1", "asia-northeast1", "asia-southeast1"].map(backupLocation)).toEqual([
      "us",
      "us",
      "eu",
      "eu",
      "asia",
      "asia",
    ]);
    // No Cloud SQL multi-region contains them: GCP picks the closest one itself.
    expect(["northamerica-northeast1", "australia-southeast1", "southamerica-east1", "me-west1"].map(backupLocation)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const eu = await planDatabase({ region: "europe-west1", drReplicaRegion: "europe-west4", secretReplicaRegions: ["europe-west1", "europe-west4"] });
    expect(one(eu, INSTANCE, "db-instance").inputs).toMatchObject({ settings: { backupConfiguration: { location: "eu" } } });
    const sydney = await planDatabase({ region: "australia-southeast1", drReplicaRegion: undefined, secretReplicaRegions: ["australia-southeast1"] });
    const backup = (one(sydney, INSTANCE, "db-instance").inputs.settings as { backupConfiguration: Record<string, unknown> }).backupConfiguration;
    expect(backup).not.toHaveProperty("location");
    expect(backup).toMatchObject({ enabled: true, pointInTimeRecoveryEnabled: true });
  });

  it("adds a protected cross-region read replica in the DR region, private and SSL-only like the primary", async () => {
    const plan = await planDatabase();
    const instance = one(plan, INSTANCE, "db-instance");
    const replica = one(plan, INSTANCE, "db-replica");
    expect(ofType(plan, INSTANCE)).toHaveLength(2);
    expect(replica.protect).toBe(true);
    expect(replica.inputs).toMatchObject({
      region: "us-east1",
      name: "bro-prod-main-replica",
      databaseVersion: "POSTGRES_15",
      masterInstanceName: "bro-prod-main",
      // { failoverTarget: false }; the SDK always sends it as a secret (it may carry MySQL credentials).
      replicaConfiguration: "[secret]",
      deletionProtection: true,
      settings: {
        tier: "db-custom-2-7680",
        availabilityType: "ZONAL",
        deletionProtectionEnabled: true,
        ipConfiguration: { ipv4Enabled: false, privateNetwork: networkId, sslMode: "ENCRYPTED_ONLY" },
        databaseFlags: expectedFlags,
      },
    });
    // Replicas take no backups of their own and inherit users (and so the password policy) and maintenance.
    const settings = replica.inputs.settings as Record<string, unknown>;
    expect(settings).not.toHaveProperty("backupConfiguration");
    expect(settings).not.toHaveProperty("maintenanceWindow");
    expect(settings).not.toHaveProperty("passwordValidationPolicy");
    expect(replica.dependencies).toContain(instance.urn);
    expect(replica.dependencies).toContain(psaUrn);
  });

  it("is zonal, unprotected and replica-free in development; client certificates and IAM auth follow the args", async () => {
    const plan = await planDatabase({
      protect: false,
      highAvailability: false,
      drReplicaRegion: undefined,
      retainedBackups: 3,
      transactionLogRetentionDays: 1,
      requireClientCertificates: true,
      iamAuthentication: false,
      tier: "db-g1-small",
    });
    expect(ofType(plan, INSTANCE)).toHaveLength(1);
    const instance = one(plan, INSTANCE, "db-instance");
    expect(instance.protect).toBe(false);
    expect(instance.inputs).toMatchObject({
      deletionProtection: false,
      settings: {
        availabilityType: "ZONAL",
        deletionProtectionEnabled: false,
        retainBackupsOnDelete: false,
        backupConfiguration: { transactionLogRetentionDays: 1, backupRetentionSettings: { retainedBackups: 3 } },
        ipConfiguration: { ipv4Enabled: false, sslMode: "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" },
      },
    });
    const flags = (instance.inputs.settings as { databaseFlags: { name: string }[] }).databaseFlags.map((f) => f.name);
    expect(flags).not.toContain("cloudsql.iam_authentication");
    expect(flags).toContain("cloudsql.enable_pgaudit");
    expect(plan.outputs.replicaConnectionName).toBe("none");
  });

  it("creates each database and user, with generated passwords that are secret everywhere", async () => {
    const plan = await planDatabase({ databases: ["app", "analytics"], users: ["app", "reporting"] });
    const instance = one(plan, INSTANCE, "db-instance");
    expect(ofType(plan, DATABASE).map((r) => r.inputs)).toEqual([
      { project, instance: "bro-prod-main", name: "analytics", charset: "UTF8", collation: "en_US.UTF8", deletionPolicy: "ABANDON" },
      { project, instance: "bro-prod-main", name: "app", charset: "UTF8", collation: "en_US.UTF8", deletionPolicy: "ABANDON" },
    ]);
    expect(ofType(plan, USER)).toHaveLength(2);
    expect(ofType(plan, PASSWORD)).toHaveLength(2);
    expect(ofType(plan, SECRET)).toHaveLength(2);
    expect(ofType(plan, VERSION)).toHaveLength(2);

    for (const user of ["app", "reporting"]) {
      const password = one(plan, PASSWORD, `db-${user}-password`);
      expect(password.inputs).toEqual({
        length: 32,
        special: true,
        overrideSpecial: "-_.~",
        minLower: 2,
        minUpper: 2,
        minNumeric: 2,
        minSpecial: 2,
      });
      const sqlUser = one(plan, USER, `db-user-${user}`);
      expect(sqlUser.inputs).toEqual({
        project,
        instance: "bro-prod-main",
        name: user,
        type: "BUILT_IN",
        password: "[secret]",
        deletionPolicy: "ABANDON",
      });
      expect(sqlUser.dependencies).toEqual([psaUrn, instance.urn, password.urn].sort());
      const secret = one(plan, SECRET, `db-${user}-password-secret`);
      expect(secret.inputs).toMatchObject({
        project,
        secretId: `bro-prod-main-${user}-password`,
        labels: { team: "platform" },
        replication: { userManaged: { replicas: [{ location: "us-central1" }, { location: "us-east1" }] } },
      });
      const version = one(plan, VERSION, `db-${user}-password-version`);
      expect(version.inputs.secretData).toBe("[secret]");
      expect(version.dependencies).toContain(password.urn);
    }
    expect(plan.outputs.userSecretNames).toEqual({
      app: `projects/${mockProjectNumber(project)}/secrets/bro-prod-main-app-password`,
      reporting: `projects/${mockProjectNumber(project)}/secrets/bro-prod-main-reporting-password`,
    });
    expect(JSON.stringify(plan)).not.toContain("mock-random-password");
  });

  it("adds IAM service-account users with connect and login rights on these instances only", async () => {
    const plan = await planDatabase({ iamServiceAccounts: { api: `api@${project}.iam.gserviceaccount.com` } });
    const iamUser = one(plan, USER, "db-iam-api");
    expect(iamUser.inputs).toEqual({
      project,
      instance: "bro-prod-main",
      name: `api@${project}.iam`,
      type: "CLOUD_IAM_SERVICE_ACCOUNT",
      deletionPolicy: "ABANDON",
    });
    const expression =
      'resource.type == "sqladmin.googleapis.com/Instance" && ' +
      `(resource.name == "projects/${project}/instances/bro-prod-main" || ` +
      `resource.name == "projects/${project}/instances/bro-prod-main-replica")`;
    expect(ofType(plan, IAM_MEMBER).map((m) => [m.name, m.inputs.role])).toEqual([
      ["db-iam-api-client", "roles/cloudsql.client"],
      ["db-iam-api-login", "roles/cloudsql.instanceUser"],
    ]);
    for (const member of ofType(plan, IAM_MEMBER)) {
      expect(member.inputs).toMatchObject({
        project,
        member: `serviceAccount:api@${project}.iam.gserviceaccount.com`,
        condition: { expression },
      });
      expect(String(member.inputs.role)).not.toMatch(/^roles\/(owner|editor|viewer)$/);
    }
  });

  it("rejects IAM users without IAM authentication, and a DR replica in the primary region", async () => {
    await expect(
      planDatabase({ iamAuthentication: false, iamServiceAccounts: { api: "api@x.iam.gserviceaccount.com" } }),
    ).rejects.toThrow(/iamServiceAccounts need iamAuthentication/);
    await expect(planDatabase({ drReplicaRegion: "us-central1" })).rejects.toThrow(/drReplicaRegion must differ/);
  });

  it("lets a transform adjust the instance and selects Enterprise Plus for perf-optimized tiers", async () => {
    const plan = await planDatabase({
      tier: "db-perf-optimized-N-2",
      drReplicaRegion: undefined,
      transform: { instance: { settings: { tier: "db-perf-optimized-N-2", maintenanceWindow: { hour: 5 } } } },
    });
    expect(one(plan, INSTANCE, "db-instance").inputs).toMatchObject({
      settings: { edition: "ENTERPRISE_PLUS", maintenanceWindow: { day: 7, hour: 5, updateTrack: "stable" } },
    });
  });
});
