/**
 * What a service's Google service account may do: exactly what its `uses` (and `secrets`) imply,
 * each grant scoped to the one resource. Pure: the Service component creates one IAM member per
 * grant, and tests compare the two.
 */
import type { ServiceConfig } from "../../config/schema.js";

export type GrantKind = "secret" | "topic" | "subscription" | "bucket" | "database" | "databaseLogin" | "databasePassword" | "cacheSecret";

export interface Grant {
  kind: GrantKind;
  /** Name in the config: secret, topic, "<topic>/<subscription>", bucket, database, cache. */
  target: string;
  role: string;
  /** Logical-name suffix of the IAM member. */
  key: string;
}

export const grantRoles = {
  secret: "roles/secretmanager.secretAccessor",
  topic: "roles/pubsub.publisher",
  subscription: "roles/pubsub.subscriber",
  bucket: "roles/storage.objectUser",
  // Cloud SQL has no instance-level IAM: project-level binding with an IAM condition on the instance.
  database: "roles/cloudsql.client",
  // IAM database authentication (uses.databaseAuth iam): the login permission, also conditioned on the instance.
  databaseLogin: "roles/cloudsql.instanceUser",
  // Password mode: read the service's own user's password secret.
  databasePassword: "roles/secretmanager.secretAccessor",
  cacheSecret: "roles/secretmanager.secretAccessor",
} as const;

export function grantsOf(svc: Pick<ServiceConfig, "uses" | "secrets">): Grant[] {
  const u = svc.uses;
  const grants: Grant[] = [];
  const secrets = [...new Set([...u.secrets, ...Object.values(svc.secrets)])].sort();
  for (const s of secrets) grants.push({ kind: "secret", target: s, role: grantRoles.secret, key: `secret-${s}` });
  for (const t of [...new Set(u.topics)].sort()) grants.push({ kind: "topic", target: t, role: grantRoles.topic, key: `topic-${t}` });
  for (const s of [...new Set(u.subscriptions)].sort()) {
    grants.push({ kind: "subscription", target: s, role: grantRoles.subscription, key: `sub-${s.replace("/", "-")}` });
  }
  for (const b of [...new Set(u.buckets)].sort()) grants.push({ kind: "bucket", target: b, role: grantRoles.bucket, key: `bucket-${b}` });
  if (u.database) {
    grants.push({ kind: "database", target: u.database, role: grantRoles.database, key: `db-${u.database}` });
    if ((u.databaseAuth ?? "iam") === "iam") grants.push({ kind: "databaseLogin", target: u.database, role: grantRoles.databaseLogin, key: `db-${u.database}-login` });
    else grants.push({ kind: "databasePassword", target: u.database, role: grantRoles.databasePassword, key: `db-${u.database}-password` });
  }
  if (u.cache) {
    grants.push({ kind: "cacheSecret", target: `${u.cache}/auth`, role: grantRoles.cacheSecret, key: `cache-${u.cache}-auth` });
    grants.push({ kind: "cacheSecret", target: `${u.cache}/ca`, role: grantRoles.cacheSecret, key: `cache-${u.cache}-ca` });
  }
  return grants;
}

/** IAM condition limiting a project-level Cloud SQL grant to one instance. */
export function cloudSqlCondition(project: string, instance: string): { title: string; description: string; expression: string } {
  return {
    title: `only-${instance}`.slice(0, 100),
    description: `Cloud SQL client on instance ${instance} only`,
    expression: `resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/${project}/instances/${instance}"`,
  };
}
