/**
 * The connection contract on a machine group (docs/connections.md): pure, from brume.yaml to what
 * each service of the group receives (variables in its env file, files, proxies) and what the
 * group's one identity must hold. Values only known after deployment (connection names, the
 * cache's host and port, the identity's IAM login) are placeholders (`@@brume:<key>@@`) the
 * MachineGroup resolves in its user-data; `placeholderKeys` says which outputs they need.
 *
 * One identity serves all of a group's services: it holds the union of their grants, and all the
 * group's services using a database share its proxy, so they must use the same `databaseAuth`
 * (a config rule).
 */
import type { BrumeConfig, ServiceConfig } from "../../config/schema.js";
import type { Naming } from "../../config/naming.js";
import { connectionContract, containerHostAlias, dockerBridgeGateway, machineFilesDir, machineProxyPort, placeholder } from "../../render/connections.js";
import type { MachineConnection, MachineSqlProxy } from "../../render/machine-connections.js";
import { sqlProxyUnitName } from "../../render/sql-proxy.js";
import { cloudSqlProxyDefaults } from "../../config/schema-connections.js";
import { passwordLogin } from "../../config/rules-connections.js";

export const placeholderKeys = {
  connectionName: (db: string) => `db.${db}.connectionName`,
  cacheHost: (cache: string) => `cache.${cache}.host`,
  cachePort: (cache: string) => `cache.${cache}.port`,
  /** Full resource names of topics and subscriptions, bucket names. */
  topic: (topic: string) => `topic.${topic}`,
  subscription: (ref: string) => `subscription.${ref}`,
  bucket: (bucket: string) => `bucket.${bucket}`,
  /** The group identity's IAM database user (its email without `.gserviceaccount.com`). */
  identityUser: "identity.user",
} as const;

export interface GroupConnections {
  /** Databases the group's services use, sorted, with their login mode. */
  databases: { name: string; auth: "iam" | "password"; passwordUsers: string[] }[];
  caches: string[];
  proxies: MachineSqlProxy[];
}

type Entry = [string, ServiceConfig];

export function groupConnections(config: BrumeConfig, services: readonly Entry[], group: string): GroupConnections {
  const dbNames = [...new Set(services.flatMap(([, s]) => (s.uses.database ? [s.uses.database] : [])))].sort();
  const databases = dbNames.map((name) => {
    const users = services.filter(([, s]) => s.uses.database === name);
    const auth = users.some(([, s]) => s.uses.databaseAuth === "iam") ? "iam" : "password";
    return { name, auth, passwordUsers: users.filter(([, s]) => s.uses.databaseAuth === "password").map(([n, s]) => passwordLogin(n, s)) } as const;
  });
  const caches = [...new Set(services.flatMap(([, s]) => (s.uses.cache ? [s.uses.cache] : [])))].sort();
  const proxy = config.machines[group]?.cloudSqlProxy;
  const containersUseDb = services.some(([, s]) => s.runner === "container" && s.uses.database);
  const proxies = databases.map((d, i) => ({
    database: d.name,
    connectionName: placeholder(placeholderKeys.connectionName(d.name)),
    port: machineProxyPort(i, proxy?.port),
    autoIamAuthn: d.auth === "iam",
    // A container reaches the host's proxy through docker0 (host-gateway); a process through either.
    address: containersUseDb ? dockerBridgeGateway : "127.0.0.1",
    version: proxy?.version ?? cloudSqlProxyDefaults.version,
    // A config rule requires cloudSqlProxy.sha256 when a service of the group uses a database.
    sha256: proxy?.sha256 ?? "0".repeat(64),
  }));
  return { databases, caches, proxies };
}

/** A machine service's contract: the variables (for its env file) and its files and proxies. */
export function machineServiceContract(
  config: BrumeConfig,
  name: string,
  svc: ServiceConfig,
  group: GroupConnections,
  project: string,
  naming: Naming,
): { env: Record<string, string>; connection?: MachineConnection } {
  const u = svc.uses;
  if (!u.database && !u.cache && u.topics.length + u.subscriptions.length + u.buckets.length === 0) return { env: {} };
  const proxy = u.database ? group.proxies.find((p) => p.database === u.database) : undefined;
  const contract = connectionContract<string>(
    {
      project,
      ...(u.database && proxy
        ? {
            database: {
              name: u.database,
              connectionName: proxy.connectionName,
              database: config.databases[u.database]!.databases[0]!,
              auth: u.databaseAuth,
              user: u.databaseAuth === "iam" ? placeholder(placeholderKeys.identityUser) : passwordLogin(name, svc),
              ...(u.databaseAuth === "password" ? { passwordSecretId: naming.name([u.database, passwordLogin(name, svc), "password"], "secretId") } : {}),
              poolSize: u.databasePoolSize,
            },
          }
        : {}),
      ...(u.cache
        ? {
            cache: {
              name: u.cache,
              host: placeholder(placeholderKeys.cacheHost(u.cache)),
              port: placeholder(placeholderKeys.cachePort(u.cache)),
              authSecretId: naming.name([u.cache, "auth"], "secretId"),
              caSecretId: naming.name([u.cache, "ca"], "secretId"),
            },
          }
        : {}),
      topics: Object.fromEntries(u.topics.map((t) => [t, placeholder(placeholderKeys.topic(t))])),
      subscriptions: Object.fromEntries(u.subscriptions.map((ref) => [ref, placeholder(placeholderKeys.subscription(ref))])),
      buckets: Object.fromEntries(u.buckets.map((b) => [b, placeholder(placeholderKeys.bucket(b))])),
    },
    {
      filesDir: machineFilesDir(name),
      dbHost: svc.runner === "container" ? containerHostAlias : (proxy?.address ?? "127.0.0.1"),
      dbPort: proxy?.port ?? 5432,
    },
  );
  return {
    env: contract.env,
    connection: {
      files: contract.files.map((f) => ({ ...f, project })),
      proxyUnits: proxy ? [sqlProxyUnitName(proxy.database)] : [],
    },
  };
}
