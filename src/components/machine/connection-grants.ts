/**
 * What a machine group's identity needs for the connection contract (docs/connections.md): the
 * union of its services' grants — `roles/cloudsql.client` on each database it uses, the IAM
 * database user of the VM account and `roles/cloudsql.instanceUser` (iam mode), read access to the
 * password secrets of its password-mode services and to the AUTH/CA secrets of its caches — and the
 * values of its user-data's placeholders, from the resources' outputs.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { BrumeConfig } from "../../config/schema.js";
import type { Cache } from "../cache/cache.js";
import type { Database } from "../database/database.js";
import { createIamLogin, instanceCondition, type IamLogin } from "../database/users.js";
import type { Topic } from "../messaging/topic.js";
import type { Bucket } from "../storage/bucket.js";
import { groupConnections, placeholderKeys } from "./connections.js";
import { servicesOnGroup } from "./from-config.js";
import type { MachineGroup } from "./machine-group.js";

export interface MachineDataServices {
  databases: Record<string, Database>;
  caches: Record<string, Cache>;
  topics: Record<string, Topic>;
  buckets: Record<string, Bucket>;
}

/** The placeholders' values of a group's user-data. */
export function groupConnectionValues(config: BrumeConfig, group: string, project: string, data: MachineDataServices): Record<string, pulumi.Input<string>> {
  const services = servicesOnGroup(config, group);
  const c = groupConnections(config, services, group);
  const values: Record<string, pulumi.Input<string>> = {};
  for (const d of c.databases) values[placeholderKeys.connectionName(d.name)] = data.databases[d.name]!.connectionName;
  for (const name of c.caches) {
    values[placeholderKeys.cacheHost(name)] = data.caches[name]!.host;
    values[placeholderKeys.cachePort(name)] = data.caches[name]!.port.apply(String);
  }
  for (const [, s] of services) {
    for (const t of s.uses.topics) values[placeholderKeys.topic(t)] = pulumi.interpolate`projects/${project}/topics/${data.topics[t]!.topicName}`;
    for (const ref of s.uses.subscriptions) {
      const [topic, sub] = ref.split("/") as [string, string];
      values[placeholderKeys.subscription(ref)] = pulumi.interpolate`projects/${project}/subscriptions/${data.topics[topic]!.subscriptions[sub]!.name}`;
    }
    for (const b of s.uses.buckets) values[placeholderKeys.bucket(b)] = data.buckets[b]!.bucketName;
  }
  return values;
}

/** The group identity's grants for the contract: secret ids (the MachineGroup's accessors) and the Cloud SQL grants created by `create`. */
export function groupConnectionGrants(config: BrumeConfig, group: string, data: MachineDataServices | undefined) {
  const c = groupConnections(config, servicesOnGroup(config, group), group);
  const secretIds: pulumi.Input<string>[] = data
    ? [
        ...c.databases.flatMap((d) => d.passwordUsers.map((u) => data.databases[d.name]!.passwordSecrets[u]!.secret.id)),
        ...c.caches.flatMap((name) => [data.caches[name]!.authSecret.secret.id, data.caches[name]!.caSecret.secret.id]),
      ]
    : [];
  return {
    secretIds,
    /** Creates the grants; returns the group identity's IAM database logins by database (the grants Job names them). */
    create(name: string, g: MachineGroup, project: string): Record<string, IamLogin> {
      const logins: Record<string, IamLogin> = {};
      if (!data) return logins;
      for (const d of c.databases) {
        const db = data.databases[d.name]!;
        const opts = { parent: g, dependsOn: [db.instance] };
        new gcp.projects.IAMMember(
          `${name}-db-${d.name}`,
          { project, role: "roles/cloudsql.client", member: g.serviceAccount.member, condition: instanceCondition(project, db.instanceName, "Cloud SQL client") },
          { parent: g },
        );
        if (d.auth === "iam") {
          logins[d.name] = createIamLogin(`${name}-db-${d.name}`, { project, instanceName: db.instanceName, instance: db.instance.name, email: g.serviceAccount.email, member: g.serviceAccount.member }, opts);
        }
      }
      return logins;
    },
  };
}
