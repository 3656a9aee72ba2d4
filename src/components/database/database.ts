/**
 * `brume:database:Database` — a Cloud SQL for PostgreSQL 15 instance reachable only through
 * Private Services Access: no public IP, SSL enforced, pgaudit and connection logging on, automated
 * backups with point-in-time recovery, a password policy, and deletion protection (GCP-side,
 * provider-side and Pulumi `protect`) when the environment protects its data. Optionally a
 * cross-region read replica in the DR region. Each built-in user gets a generated password that is
 * only ever a secret: it goes to the user and to a Secret Manager secret, nowhere else. Service
 * accounts can log in with IAM database authentication instead of a password.
 *
 * Create it with `dependsOn` the network's Private Services Access connection: every child
 * inherits that dependency (see src/component/options.ts).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { Secret, secretOptions, type SecretArgs } from "../security/secret.js";

export interface DatabaseArgs {
  /** GCP project id. */
  project: string;
  /** Region of the primary instance; its automated backups go to the multi-region containing it (see `backupLocation`). */
  region: string;
  /** Naming scope (`<project>-<env>`) for physical names. */
  naming: Naming;
  /** Name of this database in brume.yaml (its key under `databases`); physical names are `<prefix>-<name>…`. */
  name: string;
  /** Id of the VPC peered with Service Networking (Private Services Access). */
  networkId: pulumi.Input<string>;
  /** Pulumi `protect` plus GCP-side and provider-side deletion protection on the instances. */
  protect: boolean;
  /** REGIONAL (automatic failover to a standby in another zone) rather than ZONAL. */
  highAvailability: boolean;
  /** Machine tier, e.g. `db-custom-2-7680`. Tiers starting with `db-perf-optimized` select Enterprise Plus. */
  tier: string;
  /**
   * Initial disk size in GB; the disk grows automatically.
   * @default 10
   */
  diskGb?: number;
  /**
   * Upper bound of automatic disk growth in GB; 0 means no limit.
   * @default 0
   */
  diskAutoresizeLimitGb?: number;
  /**
   * Automated backups kept (count). Use at least 30 in production.
   * @default 7
   */
  retainedBackups?: number;
  /**
   * Days of transaction logs kept for point-in-time recovery (1-7 on Enterprise edition).
   * @default 7
   */
  transactionLogRetentionDays?: number;
  /**
   * Logical databases created in the instance.
   * @default ["app"]
   */
  databases?: string[];
  /**
   * Built-in users; each gets a generated password stored in Secret Manager as
   * `<prefix>-<name>-<user>-password`.
   * @default ["app"]
   */
  users?: string[];
  /**
   * Enable Cloud SQL IAM database authentication (`cloudsql.iam_authentication`).
   * @default true
   */
  iamAuthentication?: boolean;
  /**
   * Service accounts that log in with IAM database authentication, by a stable key (a service
   * name): key → email. Each becomes a CLOUD_IAM_SERVICE_ACCOUNT user and is granted
   * `roles/cloudsql.client` and `roles/cloudsql.instanceUser` on this instance only (an IAM
   * condition on the instance names). Keys, not positions, name the resources, so reordering
   * never replaces a user. Requires `iamAuthentication`.
   * @default {}
   */
  iamServiceAccounts?: Record<string, pulumi.Input<string>>;
  /**
   * Require trusted client certificates (TRUSTED_CLIENT_CERTIFICATE_REQUIRED) on top of SSL;
   * otherwise any SSL connection is accepted (ENCRYPTED_ONLY), never plaintext.
   * @default false
   */
  requireClientCertificates?: boolean;
  /** Region of a cross-region read replica (the DR region); no replica when absent. */
  drReplicaRegion?: string;
  /** Name of a Private Services Access range to allocate the instance addresses from; any range of the connection when absent. */
  allocatedIpRange?: string;
  /**
   * Extra or overriding database flags, name → value (e.g. `{ max_connections: "200" }`).
   * @default {}
   */
  databaseFlags?: Record<string, string>;
  /** Regions holding Secret Manager replicas of the passwords: the primary region first, then the DR region. */
  secretReplicaRegions: string[];
  /**
   * KMS key per secret replica region (CMEK on the password secrets); Google-managed when absent.
   * Secret replication is immutable: adding keys to existing secrets replaces them.
   */
  secretKmsKeyNames?: Record<string, pulumi.Input<string>>;
  /** What the password secrets wait for besides the component's dependencies: the grants of those keys to the Secret Manager agent. */
  secretKmsGrants?: pulumi.Input<pulumi.Resource>[];
  /**
   * Labels on the instances and the secrets.
   * @default {}
   */
  labels?: Record<string, string>;
  /** Adjust any child we create. */
  transform?: {
    instance?: Transform<gcp.sql.DatabaseInstanceArgs>;
    replica?: Transform<gcp.sql.DatabaseInstanceArgs>;
    database?: Transform<gcp.sql.DatabaseArgs>;
    user?: Transform<gcp.sql.UserArgs>;
    password?: Transform<random.RandomPasswordArgs>;
    passwordSecret?: SecretArgs["transform"];
    iamUser?: Transform<gcp.sql.UserArgs>;
    iamMember?: Transform<gcp.projects.IAMMemberArgs>;
  };
}

/** Characters a generated password may use besides letters and digits: URL-safe (RFC 3986 unreserved), so a password fits in a connection URL unescaped. */
export const passwordSpecialCharacters = "-_.~";

/** pgaudit classes logged: schema changes and role/privilege changes, not every read and write. */
export const pgauditLog = "ddl,role";

/**
 * Database flags we set (CIS GCP 6.2, Checkov CKV_GCP_51-57, 108-111): audit and connection
 * logging, lock waits and temporary files logged, statement durations and texts not logged
 * (statements can carry personal data), pgaudit on.
 */
export function databaseFlags(options: { iamAuthentication: boolean; extra?: Record<string, string> }): { name: string; value: string }[] {
  const flags: Record<string, string> = {
    "cloudsql.enable_pgaudit": "on",
    "pgaudit.log": pgauditLog,
    log_checkpoints: "on",
    log_connections: "on",
    log_disconnections: "on",
    log_lock_waits: "on",
    log_temp_files: "0",
    log_min_duration_statement: "-1",
    log_min_messages: "warning",
    log_min_error_statement: "error",
    log_statement: "ddl",
    ...(options.iamAuthentication ? { "cloudsql.iam_authentication": "on" } : {}),
    ...options.extra,
  };
  return Object.entries(flags).map(([name, value]) => ({ name, value }));
}

/**
 * Where automated backups (and the PITR logs kept with them) are stored: the Cloud SQL
 * multi-region that contains the primary region (`us`, `eu`, `asia`), so an outage of that region
 * does not take the backups with it. Cloud SQL multi-regional locations "are only used for
 * backups" (https://cloud.google.com/sql/docs/postgres/locations#location-mr), and "Backups are
 * stored in the closest multi-region location to you by default. Only customize if needed."
 * (https://cloud.google.com/sdk/gcloud/reference/sql/backups/create, `--location`). Regions outside
 * those three multi-regions (e.g. `northamerica-*`, `australia-*`) get no location: Cloud SQL
 * picks the closest multi-region itself.
 */
export function backupLocation(region: string): "us" | "eu" | "asia" | undefined {
  const prefix = region.toLowerCase().split("-")[0];
  return prefix === "us" ? "us" : prefix === "europe" ? "eu" : prefix === "asia" ? "asia" : undefined;
}

/**
 * `ignoreChanges` of both instances. `diskAutoresize` grows the disk behind Pulumi's back; with
 * `diskSize` set, "future `pulumi up` calls will attempt to delete the instance in order to resize
 * the disk to the value specified in diskSize if it has been resized. To avoid this, ensure that
 * `lifecycle.ignore_changes` is applied to `diskSize`" (@pulumi/gcp 9.37 types/input.d.ts,
 * `sql.DatabaseInstanceSettings.diskAutoresize`). terraform-google-modules/terraform-google-sql-db
 * (modules/postgresql/main.tf) ignores `disk_size` the same way; Cloud Foundation Fabric
 * (modules/cloudsql-instance) never combines a fixed size with autoresize. `diskGb` is therefore
 * the initial size only: raising it later changes nothing (the disk grows on its own).
 */
export const instanceIgnoreChanges = ["settings.diskSize"];

/** The Cloud SQL edition a tier belongs to: `db-perf-optimized-*` tiers are Enterprise Plus only. */
export function sqlEdition(tier: string): "ENTERPRISE" | "ENTERPRISE_PLUS" {
  return tier.startsWith("db-perf-optimized") ? "ENTERPRISE_PLUS" : "ENTERPRISE";
}

/** Postgres IAM service-account users are named by the email without `.gserviceaccount.com`. */
export function iamServiceAccountUserName(email: string): string {
  return email.replace(/\.gserviceaccount\.com$/, "");
}

/** Args with defaults applied; plain values only. */
interface Normalized {
  diskGb: number;
  retainedBackups: number;
  transactionLogRetentionDays: number;
  databases: string[];
  users: string[];
  iamAuthentication: boolean;
  iamServiceAccounts: Record<string, pulumi.Input<string>>;
  sslMode: string;
  labels: Record<string, string>;
  instanceName: string;
  replicaName: string | undefined;
}

function unique(kind: string, values: string[]): string[] {
  const dup = values.find((v, i) => values.indexOf(v) !== i);
  if (dup !== undefined) throw new Error(`Database: ${kind} "${dup}" is listed twice`);
  return values;
}

function normalize(args: DatabaseArgs): Normalized {
  const iamAuthentication = args.iamAuthentication ?? true;
  const iamServiceAccounts = args.iamServiceAccounts ?? {};
  if (!iamAuthentication && Object.keys(iamServiceAccounts).length > 0) {
    throw new Error("Database: iamServiceAccounts need iamAuthentication (the cloudsql.iam_authentication flag)");
  }
  if (args.drReplicaRegion === args.region) {
    throw new Error(`Database: drReplicaRegion must differ from the primary region ${args.region}`);
  }
  return {
    diskGb: args.diskGb ?? 10,
    retainedBackups: args.retainedBackups ?? 7,
    transactionLogRetentionDays: args.transactionLogRetentionDays ?? 7,
    databases: unique("database", args.databases ?? ["app"]),
    users: unique("user", args.users ?? ["app"]),
    iamAuthentication,
    iamServiceAccounts,
    sslMode: args.requireClientCertificates ? "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" : "ENCRYPTED_ONLY",
    labels: args.labels ?? {},
    instanceName: args.naming.name(args.name, "sqlInstance"),
    replicaName: args.drReplicaRegion ? args.naming.name([args.name, "replica"], "sqlInstance") : undefined,
  };
}

/**
 * `brume:database:Database` — a Cloud SQL for PostgreSQL 15 instance on Private Services Access (no public
 * IP, SSL enforced, backups with PITR), its databases and users, and optionally a read replica in the DR
 * region; generated passwords go only to the user and a Secret Manager secret. See the module comment
 * above, `docs/operations.md` and `docs/connections.md`.
 */
export class Database extends pulumi.ComponentResource {
  readonly instance: gcp.sql.DatabaseInstance;
  /** The cross-region read replica, when `drReplicaRegion` is set. */
  readonly replica?: gcp.sql.DatabaseInstance;
  /** Logical databases by name. */
  readonly databases: Record<string, gcp.sql.Database>;
  /** Built-in users by name. */
  readonly users: Record<string, gcp.sql.User>;
  readonly passwords: Record<string, random.RandomPassword>;
  /** Secret Manager secret of each built-in user's password, by user. */
  readonly passwordSecrets: Record<string, Secret>;
  /** IAM service-account users by key. */
  readonly iamUsers: Record<string, gcp.sql.User>;
  /** Physical instance name (plain: known before deployment). */
  readonly instanceName: string;
  /** `<project>:<region>:<instance>`, for the Cloud SQL connectors. */
  readonly connectionName: pulumi.Output<string>;
  readonly privateIp: pulumi.Output<string>;
  readonly replicaConnectionName?: pulumi.Output<string>;
  /** User → Secret Manager secret name (`projects/<n>/secrets/<id>`) holding its password. */
  readonly userSecretNames: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:database:Database", name, {}, opts);
    const n = normalize(args);
    this.instanceName = n.instanceName;

    this.instance = this.createInstance(name, args, n, opts);
    if (n.replicaName && args.drReplicaRegion) {
      this.replica = this.createReplica(name, args, n, n.replicaName, args.drReplicaRegion, opts);
    }
    this.databases = {};
    for (const db of n.databases) this.databases[db] = this.createDatabase(name, db, args, opts);
    this.users = {};
    this.passwords = {};
    this.passwordSecrets = {};
    for (const user of n.users) this.createUser(name, user, args, n, opts);
    this.iamUsers = {};
    for (const [key, email] of Object.entries(n.iamServiceAccounts)) this.createIamUser(name, key, email, args, n, opts);

    this.connectionName = this.instance.connectionName;
    this.privateIp = this.instance.privateIpAddress;
    if (this.replica) this.replicaConnectionName = this.replica.connectionName;
    this.userSecretNames = Object.fromEntries(Object.entries(this.passwordSecrets).map(([u, s]) => [u, s.secretName]));
    this.registerOutputs({
      instanceName: this.instanceName,
      connectionName: this.connectionName,
      privateIp: this.privateIp,
      replicaConnectionName: this.replicaConnectionName,
      userSecretNames: this.userSecretNames,
    });
  }

  /** Settings shared by the primary and the replica. */
  private commonSettings(args: DatabaseArgs, n: Normalized) {
    return {
      tier: args.tier,
      edition: sqlEdition(args.tier),
      diskType: "PD_SSD",
      diskSize: n.diskGb,
      diskAutoresize: true,
      diskAutoresizeLimit: args.diskAutoresizeLimitGb ?? 0,
      ipConfiguration: {
        ipv4Enabled: false,
        privateNetwork: args.networkId,
        sslMode: n.sslMode,
        enablePrivatePathForGoogleCloudServices: true,
        ...(args.allocatedIpRange ? { allocatedIpRange: args.allocatedIpRange } : {}),
      },
      databaseFlags: databaseFlags({ iamAuthentication: n.iamAuthentication, extra: args.databaseFlags }),
      insightsConfig: {
        queryInsightsEnabled: true,
        recordApplicationTags: true,
        // Client addresses are personal data in many jurisdictions; the query text is kept short.
        recordClientAddress: false,
        queryStringLength: 1024,
      },
      deletionProtectionEnabled: args.protect,
      userLabels: n.labels,
    } satisfies gcp.types.input.sql.DatabaseInstanceSettings;
  }

  private createInstance(
    name: string,
    args: DatabaseArgs,
    n: Normalized,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.sql.DatabaseInstance {
    return new gcp.sql.DatabaseInstance(
      ...transformed(
        args.transform?.instance,
        `${name}-instance`,
        {
          project: args.project,
          region: args.region,
          name: n.instanceName,
          databaseVersion: "POSTGRES_15",
          deletionProtection: args.protect,
          settings: {
            ...this.commonSettings(args, n),
            availabilityType: args.highAvailability ? "REGIONAL" : "ZONAL",
            // Sunday 03:00 UTC; read replicas are updated along with their primary.
            maintenanceWindow: { day: 7, hour: 3, updateTrack: "stable" },
            backupConfiguration: {
              enabled: true,
              startTime: "02:00",
              ...(backupLocation(args.region) ? { location: backupLocation(args.region)! } : {}),
              pointInTimeRecoveryEnabled: true,
              transactionLogRetentionDays: n.transactionLogRetentionDays,
              backupRetentionSettings: { retainedBackups: n.retainedBackups, retentionUnit: "COUNT" },
            },
            // Keep automated backups if the instance is ever deleted, while its data is protected.
            retainBackupsOnDelete: args.protect,
            passwordValidationPolicy: {
              enablePasswordPolicy: true,
              minLength: 16,
              complexity: "COMPLEXITY_DEFAULT",
              disallowUsernameSubstring: true,
            },
          },
        } satisfies gcp.sql.DatabaseInstanceArgs,
        statefulOptions(this, opts, args.protect, { ignoreChanges: instanceIgnoreChanges }),
      ),
    );
  }

  /**
   * A read replica in the DR region: promoted by hand in a regional outage (RPO = replication lag).
   * Replicas take no backups, password policy or maintenance window of their own (all follow the
   * primary). ZONAL: after a promotion, switch it to REGIONAL and enable backups.
   */
  private createReplica(
    name: string,
    args: DatabaseArgs,
    n: Normalized,
    replicaName: string,
    region: string,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.sql.DatabaseInstance {
    return new gcp.sql.DatabaseInstance(
      ...transformed(
        args.transform?.replica,
        `${name}-replica`,
        {
          project: args.project,
          region,
          name: replicaName,
          databaseVersion: "POSTGRES_15",
          masterInstanceName: this.instance.name,
          replicaConfiguration: { failoverTarget: false },
          deletionProtection: args.protect,
          settings: { ...this.commonSettings(args, n), availabilityType: "ZONAL" },
        } satisfies gcp.sql.DatabaseInstanceArgs,
        statefulOptions(this, opts, args.protect, { ignoreChanges: instanceIgnoreChanges }),
      ),
    );
  }

  private createDatabase(
    name: string,
    db: string,
    args: DatabaseArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.sql.Database {
    return new gcp.sql.Database(
      ...transformed(
        args.transform?.database,
        `${name}-db-${db}`,
        {
          project: args.project,
          instance: this.instance.name,
          name: db,
          charset: "UTF8",
          collation: "en_US.UTF8",
          // Postgres refuses to drop a database other roles still use; removing it from the config
          // forgets it instead of failing (the data stays until the instance goes).
          deletionPolicy: "ABANDON",
        } satisfies gcp.sql.DatabaseArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createUser(
    name: string,
    user: string,
    args: DatabaseArgs,
    n: Normalized,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): void {
    const password = new random.RandomPassword(
      ...transformed(
        args.transform?.password,
        `${name}-${user}-password`,
        {
          length: 32,
          special: true,
          overrideSpecial: passwordSpecialCharacters,
          // COMPLEXITY_DEFAULT wants upper and lower case letters, digits and symbols.
          minLower: 2,
          minUpper: 2,
          minNumeric: 2,
          minSpecial: 2,
        } satisfies random.RandomPasswordArgs,
        childOptions(this, opts),
      ),
    );
    const value = pulumi.secret(password.result);
    this.passwords[user] = password;
    this.users[user] = new gcp.sql.User(
      ...transformed(
        args.transform?.user,
        `${name}-user-${user}`,
        {
          project: args.project,
          instance: this.instance.name,
          name: user,
          type: "BUILT_IN",
          password: value,
          // Postgres refuses to drop a role that owns objects or holds grants.
          deletionPolicy: "ABANDON",
        } satisfies gcp.sql.UserArgs,
        childOptions(this, opts),
      ),
    );
    this.passwordSecrets[user] = new Secret(
      `${name}-${user}-password`,
      {
        project: args.project,
        secretId: args.naming.name([args.name, user, "password"], "secretId"),
        replicaRegions: args.secretReplicaRegions,
        labels: n.labels,
        value,
        protect: args.protect,
        ...(args.secretKmsKeyNames ? { kmsKeyNames: args.secretKmsKeyNames } : {}),
        ...(args.transform?.passwordSecret ? { transform: args.transform.passwordSecret } : {}),
      },
      secretOptions(this, opts, args.secretKmsGrants),
    );
  }

  private createIamUser(
    name: string,
    key: string,
    email: pulumi.Input<string>,
    args: DatabaseArgs,
    n: Normalized,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): void {
    this.iamUsers[key] = new gcp.sql.User(
      ...transformed(
        args.transform?.iamUser,
        `${name}-iam-${key}`,
        {
          project: args.project,
          instance: this.instance.name,
          name: pulumi.output(email).apply(iamServiceAccountUserName),
          type: "CLOUD_IAM_SERVICE_ACCOUNT",
          deletionPolicy: "ABANDON",
        } satisfies gcp.sql.UserArgs,
        childOptions(this, opts),
      ),
    );
    // Cloud SQL has no instance-level IAM policy: a project binding conditioned on the instance
    // names is the narrowest grant GCP offers.
    const instances = [n.instanceName, ...(n.replicaName ? [n.replicaName] : [])];
    const expression = [
      `resource.type == "sqladmin.googleapis.com/Instance"`,
      `(${instances.map((i) => `resource.name == "projects/${args.project}/instances/${i}"`).join(" || ")})`,
    ].join(" && ");
    for (const [part, role] of [
      ["client", "roles/cloudsql.client"],
      ["login", "roles/cloudsql.instanceUser"],
    ] as const) {
      new gcp.projects.IAMMember(
        ...transformed(
          args.transform?.iamMember,
          `${name}-iam-${key}-${part}`,
          {
            project: args.project,
            role,
            member: pulumi.interpolate`serviceAccount:${email}`,
            condition: {
              title: `brume-${n.instanceName}-${part}`.slice(0, 100),
              description: `Only the Cloud SQL instances of ${n.instanceName}`,
              expression,
            },
          } satisfies gcp.projects.IAMMemberArgs,
          childOptions(this, opts),
        ),
      );
    }
  }
}
