/**
 * The connection contract (docs/connections.md): from what a service `uses` and the facts of those
 * resources (connection names, hosts, secret ids) to the environment variables and the files
 * every runner gives the service — Kubernetes pods, machine `container` and `process` services
 * alike. Pure and generic in the value type: the Service component passes Pulumi inputs, the
 * machines pass placeholders resolved in their user-data, tests and `brume env` pass strings.
 *
 * One database and one cache per service (`uses.database`, `uses.cache` are single names), so the
 * variables are unprefixed (`DB_HOST`, `REDIS_HOST`); topics, subscriptions and buckets are many
 * and carry their config name (`PUBSUB_TOPIC_EVENTS`, `BUCKET_USER_CONTENT`).
 */

/** Where a runner puts things: the directory of the contract's files and how the proxy is reached. */
export interface ContractPlace {
  /** Directory holding the contract's files (`<dir>/<NAME>`, `NAME_FILE` points there). */
  filesDir: string;
  /** Host the service reaches the Cloud SQL Auth Proxy on. */
  dbHost: string;
  /** Port of the proxy for this service's database. */
  dbPort: number;
}

/** Kubernetes: the proxy is a native sidecar on the pod's loopback, files come from the Secret Manager add-on's CSI volume. */
export const kubernetesPlace: ContractPlace = { filesDir: "/var/run/secrets/brume", dbHost: "127.0.0.1", dbPort: 5432 };

/** The port the Cloud SQL Auth Proxy listens on for a machine group's n-th database (sorted by name). */
export const machineProxyPort = (index: number, base = 5432) => base + index;

/** Files of a machine service: in its RuntimeDirectory (0700, emptied at every stop). */
export const machineFilesDir = (service: string) => `/run/brume-${service}/secrets`;

/**
 * Docker's name for the host from inside a container, mapped with `--add-host=host.docker.internal:host-gateway`
 * (https://docs.docker.com/reference/cli/docker/container/run/#add-host: "host-gateway" resolves to the
 * default bridge's gateway address, docker0, 172.17.0.1 by default).
 */
export const containerHostAlias = "host.docker.internal";
export const dockerBridgeGateway = "172.17.0.1";

export interface DatabaseFacts<V> {
  /** Config name of the database (its key under `databases`). */
  name: string;
  /** `<project>:<region>:<instance>`, from the instance. */
  connectionName: V;
  /** Logical database the service works in (the instance's first). */
  database: string;
  auth: "iam" | "password";
  /** Login name: the IAM user (the identity's email without `.gserviceaccount.com`) or the built-in user. */
  user: V;
  /** Password mode: the secret id of the user's password. */
  passwordSecretId?: string | undefined;
  poolSize: number;
}

export interface CacheFacts<V> {
  name: string;
  host: V;
  port: V;
  authSecretId: string;
  caSecretId: string;
}

export interface ConnectionFacts<V> {
  project: string;
  database?: DatabaseFacts<V> | undefined;
  cache?: CacheFacts<V> | undefined;
  /** Topic config name → full resource name (`projects/<p>/topics/<t>`). */
  topics?: Record<string, V>;
  /** `<topic>/<subscription>` → full resource name (`projects/<p>/subscriptions/<s>`). */
  subscriptions?: Record<string, V>;
  /** Bucket config name → bucket name. */
  buckets?: Record<string, V>;
}

/** A file of the contract: a Secret Manager secret's latest version, read-only to the service. */
export interface ContractFile {
  /** `REDIS_AUTH`, `REDIS_CA`, `DB_PASSWORD`: the variable `<name>_FILE` holds `path`. */
  name: string;
  secretId: string;
  path: string;
}

/** What the service's Cloud SQL Auth Proxy needs. */
export interface ContractProxy<V> {
  connectionName: V;
  /** `--auto-iam-authn`: the proxy logs in with the identity's token (iam mode). */
  autoIamAuthn: boolean;
  port: number;
}

export interface Contract<V> {
  env: Record<string, V | string>;
  files: ContractFile[];
  proxy?: ContractProxy<V> | undefined;
}

/** `user-content` → `USER_CONTENT`; `events/indexer` → `EVENTS_INDEXER`. */
export function envSuffix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
}

/** Every variable name the contract may set (collision checks, docs). */
export const contractVariables = {
  database: ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_INSTANCE_CONNECTION_NAME", "DB_SSLMODE", "DB_AUTH", "DB_POOL_SIZE", "DB_PASSWORD_FILE"],
  cache: ["REDIS_HOST", "REDIS_PORT", "REDIS_TLS", "REDIS_AUTH_FILE", "REDIS_CA_FILE"],
  always: ["GOOGLE_CLOUD_PROJECT"],
} as const;

export function connectionContract<V>(facts: ConnectionFacts<V>, place: ContractPlace): Contract<V> {
  const env: Record<string, V | string> = { GOOGLE_CLOUD_PROJECT: facts.project };
  const files: ContractFile[] = [];
  const file = (name: string, secretId: string) => {
    const path = `${place.filesDir}/${name}`;
    files.push({ name, secretId, path });
    env[`${name}_FILE`] = path;
  };
  let proxy: ContractProxy<V> | undefined;
  const db = facts.database;
  if (db) {
    Object.assign(env, {
      DB_HOST: place.dbHost,
      DB_PORT: String(place.dbPort),
      DB_NAME: db.database,
      DB_USER: db.user,
      DB_INSTANCE_CONNECTION_NAME: db.connectionName,
      // The proxy encrypts the hop to the instance (TLS 1.3, mutual); the service talks to it on
      // a local interface, where libpq's sslmode must be disable.
      DB_SSLMODE: "disable",
      DB_AUTH: db.auth,
      DB_POOL_SIZE: String(db.poolSize),
    });
    if (db.auth === "password") {
      if (!db.passwordSecretId) throw new RangeError(`database ${db.name}: password mode needs the user's password secret`);
      file("DB_PASSWORD", db.passwordSecretId);
    }
    proxy = { connectionName: db.connectionName, autoIamAuthn: db.auth === "iam", port: place.dbPort };
  }
  const cache = facts.cache;
  if (cache) {
    // Memorystore with in-transit encryption (SERVER_AUTHENTICATION) serves TLS only, on 6378;
    // clients verify it with the instance's CA (https://cloud.google.com/memorystore/docs/redis/about-in-transit-encryption).
    Object.assign(env, { REDIS_HOST: cache.host, REDIS_PORT: cache.port, REDIS_TLS: "true" });
    file("REDIS_AUTH", cache.authSecretId);
    file("REDIS_CA", cache.caSecretId);
  }
  for (const [name, value] of sorted(facts.topics)) env[`PUBSUB_TOPIC_${envSuffix(name)}`] = value;
  for (const [name, value] of sorted(facts.subscriptions)) env[`PUBSUB_SUBSCRIPTION_${envSuffix(name)}`] = value;
  for (const [name, value] of sorted(facts.buckets)) env[`BUCKET_${envSuffix(name)}`] = value;
  return { env, files, ...(proxy ? { proxy } : {}) };
}

function sorted<V>(map: Record<string, V> | undefined): [string, V][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => a.localeCompare(b));
}

/** Postgres IAM service-account users are named by the email without `.gserviceaccount.com`
 * (https://cloud.google.com/sql/docs/postgres/add-manage-iam-users#creating-a-database-user:
 * "For a service account, use the service account's email address without the
 * .gserviceaccount.com domain suffix"). */
export function iamDatabaseUser(email: string): string {
  return email.replace(/\.gserviceaccount\.com$/, "");
}

/**
 * `docker run --env-file` format: one `KEY=value` per line, taken literally — docker keeps quotes
 * and backslashes as part of the value and does no variable expansion
 * (https://docs.docker.com/reference/cli/docker/container/run/#env: "…the value is passed as-is").
 * Values must be one line.
 */
export function renderDockerEnvFile(env: Record<string, string>): string {
  return Object.entries(env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => {
      if (/[\r\n]/.test(v)) throw new RangeError(`${k}: env-file values are one line`);
      return `${k}=${v}\n`;
    })
    .join("");
}

/** Values that are placeholders until the machines' user-data is resolved (`@@brume:<key>@@`). */
export const placeholder = (key: string) => `@@brume:${key}@@`;

/** Replaces every `@@brume:<key>@@` by its value; an unknown key fails (never a placeholder left on a machine). */
export function resolvePlaceholders(text: string, values: Record<string, string>): string {
  return text.replace(/@@brume:([A-Za-z0-9_.:/-]+)@@/g, (_, key: string) => {
    if (!Object.hasOwn(values, key)) throw new RangeError(`no value for placeholder ${key}`);
    const v = values[key]!;
    if (/[\r\n]/.test(v)) throw new RangeError(`placeholder ${key}: one line expected`);
    return v;
  });
}
