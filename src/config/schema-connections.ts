/**
 * Config fields of the connection contract (docs/connections.md): how a service logs in to the
 * database it `uses` and how many connections each replica opens, and the Cloud SQL Auth Proxy
 * binary of a machine group. Wired into schema.ts with one spread each.
 */
import { z } from "zod";
import { strict } from "./primitives.js";

/** Default connection pool size of a service replica (`DB_POOL_SIZE`). */
export const defaultDatabasePoolSize = 5;

/** Fields of `services.<name>.uses` about the database. */
export const databaseUseFields = {
  databaseAuth: z
    .enum(["iam", "password"])
    .default("iam")
    .meta({
      description:
        "How the service logs in to `uses.database`: iam (default: a CLOUD_IAM_SERVICE_ACCOUNT user for the service's identity, the Cloud SQL Auth Proxy logs in with --auto-iam-authn, no password anywhere) or password (the built-in user named like the service, in `databases.<db>.users`; its password secret is mounted as DB_PASSWORD_FILE).",
    }),
  databasePoolSize: z
    .int()
    .min(1)
    .max(1000)
    .default(defaultDatabasePoolSize)
    .meta({ description: "Connections each replica opens at most (DB_POOL_SIZE): max replicas × this, summed over the services of a database, must stay under the tier's max_connections." }),
};

/** Google's Cloud SQL Auth Proxy v2 release the machines download (it is in no Debian package). */
export const cloudSqlProxyDefaults = { version: "2.14.2" } as const;

export const machineSqlProxySchema = strict({
  version: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/)
    .default(cloudSqlProxyDefaults.version)
    .meta({ description: "Cloud SQL Auth Proxy release (https://github.com/GoogleCloudPlatform/cloud-sql-proxy/releases)." }),
  port: z
    .int()
    .min(1024)
    .max(65000)
    .default(5432)
    .meta({ description: "Port of the first database's proxy on 127.0.0.1 (DB_PORT); the n-th database's is port + n." }),
  sha256: z
    .string()
    .regex(/^[a-f0-9]{64}$/, { error: "expected a 64-character lowercase hex SHA-256" })
    .meta({
      description:
        "SHA-256 of https://storage.googleapis.com/cloud-sql-connectors/cloud-sql-proxy/v<version>/cloud-sql-proxy.linux.amd64, as the release page lists it; the download is refused on a mismatch.",
    }),
}).meta({ description: "Cloud SQL Auth Proxy on the group's machines (required when one of its services uses a database)." });

/** Fields of `machines.<group>`. */
export const machineConnectionFields = {
  cloudSqlProxy: machineSqlProxySchema.optional(),
};
