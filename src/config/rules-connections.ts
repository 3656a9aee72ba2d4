/**
 * Cross-field rules of the connection contract (docs/connections.md): password mode names an
 * existing built-in user, the services of one machine group agree on how they log in to a
 * database (they share its proxy), a machine group whose services use a database pins the proxy's
 * SHA-256, Container-Optimized OS groups do not run the contract, the contract's variable names
 * are not taken by `env`/`secrets`, and the connection budget of every database.
 */
import { defaultPresetFor, presets } from "./presets.js";
import type { BrumeConfig, ServiceConfig } from "./schema.js";

type Add = (path: string, message: string, value?: unknown) => void;

/**
 * Memory (GB) of a Cloud SQL tier: shared-core tiers by name, `db-custom-<vCPU>-<MB>`, and
 * `db-perf-optimized-N-<vCPU>` (Enterprise Plus, 8 GB per vCPU); undefined when unknown.
 */
export function tierMemoryGb(tier: string): number | undefined {
  if (tier === "db-f1-micro") return 0.6;
  if (tier === "db-g1-small") return 1.7;
  const custom = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  if (custom) return Number(custom[2]) / 1024;
  const perf = /^db-perf-optimized-n-(\d+)$/i.exec(tier);
  if (perf) return Number(perf[1]) * 8;
  return undefined;
}

/**
 * Cloud SQL for PostgreSQL's default `max_connections` by instance memory ("Quotas and limits",
 * Maximum concurrent connections: https://cloud.google.com/sql/docs/postgres/quotas#maximum_concurrent_connections —
 * tiny 25, small 50, 3.75–6 GB 100, 6–7.5 GB 200, 7.5–15 GB 400, 15–30 GB 500, 30–60 GB 600,
 * 60–120 GB 800, ≥ 120 GB 1,000; transcribed from that page, check it when it changes).
 */
export function defaultMaxConnections(memoryGb: number): number {
  if (memoryGb < 1) return 25;
  if (memoryGb < 3.75) return 50;
  if (memoryGb < 6) return 100;
  if (memoryGb < 7.5) return 200;
  if (memoryGb < 15) return 400;
  if (memoryGb < 30) return 500;
  if (memoryGb < 60) return 600;
  if (memoryGb < 120) return 800;
  return 1000;
}

/**
 * Connections kept out of the services' budget: `superuser_reserved_connections` (3 on
 * PostgreSQL, Cloud SQL's internal sessions use them) plus the brume jobs (pgAudit, grants) and an
 * operator's psql.
 */
export const reservedConnections = 10;

/**
 * The built-in database user a password-mode service logs in as: its name, or the name it had
 * before a rename (`renamedFrom:`). A login is not renamed with the service: a Cloud SQL user's name
 * is its identity (renaming it is delete + create, https://cloud.google.com/sql/docs/postgres/create-manage-users),
 * and PostgreSQL refuses to drop a role that still owns objects or holds privileges
 * (https://www.postgresql.org/docs/15/sql-droprole.html), so the renamed service keeps the old login.
 */
export function passwordLogin(name: string, svc: Pick<ServiceConfig, "renamedFrom">): string {
  return svc.renamedFrom ?? name;
}

const contractNames = /^(DB_|REDIS_|PUBSUB_TOPIC_|PUBSUB_SUBSCRIPTION_|BUCKET_|GOOGLE_CLOUD_PROJECT$)/;

export function checkConnectionRules(config: BrumeConfig, add: Add): void {
  for (const [name, svc] of Object.entries(config.services)) {
    const at = `services.${name}`;
    const u = svc.uses;
    const db = u.database ? config.databases[u.database] : undefined;
    const login = passwordLogin(name, svc);
    if (db && u.databaseAuth === "password" && !db.users.includes(login)) {
      add(
        `${at}.uses.databaseAuth`,
        `password mode logs in as the built-in user "${login}"${login !== name ? " (the login keeps the name the service is renamed from)" : ""}, which databases.${u.database}.users does not list; add "${login}" to databases.${u.database}.users, or use databaseAuth: iam`,
        u.databaseAuth,
      );
    }
    if (db && u.databaseAuth === "iam" && !db.iamAuthentication) {
      add(`${at}.uses.databaseAuth`, `iam mode needs IAM database authentication; set databases.${u.database}.iamAuthentication: true, or use databaseAuth: password`, u.databaseAuth);
    }
    for (const key of [...Object.keys(svc.env), ...Object.keys(svc.secrets).flatMap((k) => [k, `${k}_FILE`])]) {
      if (contractNames.test(key) && (u.database || u.cache || u.topics.length || u.subscriptions.length || u.buckets.length)) {
        add(`${at}.env.${key}`, `${key} is a variable of the connection contract (docs/connections.md), set from uses; rename it`, key);
      }
    }
  }
  for (const [group, g] of Object.entries(config.machines)) {
    const services = Object.entries(config.services).filter(([, s]) => s.runner !== "kubernetes" && s.machines === group);
    const usesDb = services.filter(([, s]) => s.uses.database);
    if ((g.image ?? "debian-12") === "cos-stable") {
      for (const [name, s] of services) {
        // A process service there is refused already (no process runner on COS).
        if (s.runner === "container" && (s.uses.database || s.uses.cache)) {
          add(`services.${name}.uses`, `machine group "${group}" runs Container-Optimized OS, which does not run the connection contract (proxy, secret files) yet; use image debian-12 for services that use a database or cache`);
        }
      }
      continue;
    }
    if (usesDb.length > 0 && !g.cloudSqlProxy) {
      add(
        `machines.${group}.cloudSqlProxy`,
        `services ${usesDb.map(([n]) => n).join(", ")} use a database: set machines.${group}.cloudSqlProxy.sha256 to the SHA-256 of cloud-sql-proxy.linux.amd64 from the release page (https://github.com/GoogleCloudPlatform/cloud-sql-proxy/releases)`,
      );
    }
    const byDb = new Map<string, Set<string>>();
    for (const [, s] of usesDb) byDb.set(s.uses.database!, (byDb.get(s.uses.database!) ?? new Set()).add(s.uses.databaseAuth));
    for (const [dbName, modes] of byDb) {
      if (modes.size > 1) {
        add(
          `machines.${group}`,
          `the services of group "${group}" share one Cloud SQL Auth Proxy per database and log in to "${dbName}" both with iam and with password; use one databaseAuth for all of them`,
        );
      }
    }
  }
}

/** The connection budget of the stack's environment (loadStack: after its overrides are merged). */
export function connectionBudgetIssues(config: BrumeConfig, environment: string): { path: string; message: string; value?: unknown }[] {
  const issues: { path: string; message: string; value?: unknown }[] = [];
  checkConnectionBudget(config, (path, message, value) => issues.push({ path, message, value }), environment);
  return issues;
}

/** Σ over the services of a database of (max replicas × pool size) ≤ max_connections − reserved, in every environment. */
function checkConnectionBudget(config: BrumeConfig, add: Add, only: string): void {
  for (const [envName, env] of Object.entries(config.environments)) {
    if (envName !== only) continue;
    const settings = { ...presets[env.preset ?? defaultPresetFor(envName)], ...env.settings };
    for (const [dbName, db] of Object.entries(config.databases)) {
      const tier = db.tier ?? settings.databaseTier;
      const memory = tierMemoryGb(tier);
      if (memory === undefined) continue;
      const max = defaultMaxConnections(memory);
      const users = Object.entries(config.services).filter(([, s]) => s.uses.database === dbName);
      const parts = users.map(([name, s]) => {
        const group = s.machines ? config.machines[s.machines] : undefined;
        // Kubernetes: the HPA's maximum; machines: one process per VM, the group's largest size.
        const replicas = s.runner === "kubernetes" ? s.scaling.max : (group?.autoscaling?.max ?? group?.size ?? 1);
        return { name, replicas, pool: s.uses.databasePoolSize, total: replicas * s.uses.databasePoolSize };
      });
      const sum = parts.reduce((a, p) => a + p.total, 0);
      if (sum > max - reservedConnections) {
        const detail = parts.map((p) => `${p.name} ${p.replicas} × ${p.pool}`).join(" + ");
        add(
          `databases.${dbName}`,
          `in environment "${envName}", services can open ${sum} connections (${detail}) but tier ${tier} (${memory} GB) allows ${max}, ${reservedConnections} of them reserved: lower uses.databasePoolSize or scaling.max, or choose a larger tier`,
          sum,
        );
      }
    }
  }
}

