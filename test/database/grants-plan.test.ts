/**
 * The grants Job in the plans (docs/connections.md, "Database privileges"): bro-ai prod grants
 * the exact logins of database bro — owner the api service's IAM user (it runs the migrations),
 * user the worker's built-in user (password mode) — from the users' resources (dependencies by
 * URN), through the pgAudit Job's identity, namespace, images and login; examples/machines grants
 * the renderer (password mode, the only user) and, in iam mode, the edge group's VM identity. And
 * the owner rule: the default, the declared owner, and ambiguity refused with the fix.
 */
import { describe, expect, it } from "vitest";
import { databaseLogins, databaseOwner } from "../../src/config/database-owners.js";
import { validateConfig } from "../../src/config/load.js";
import { databaseGrantsSql, grantsJobScript } from "../../src/render/database-grants.js";
import { cloudSqlProxyImage, databaseJobName, psqlImage } from "../../src/render/pgaudit.js";
import { issuesOf, validBase } from "../config/fixtures.js";
import { ofType, one } from "../harness.js";
import { grantsOf, planBroAi, planMachines, userName } from "./grants-plans.js";

describe("in the plan of examples/bro-ai prod", () => {
  it("one grants Job for database bro: owner api's IAM user, user worker's built-in user, after both exist", async () => {
    const plan = await planBroAi();
    const g = grantsOf(plan, "bro-ai-prod-db-main");
    const iamApi = one(plan, "gcp:sql/user:User", "bro-ai-prod-svc-api-db-main-user");
    const worker = one(plan, "gcp:sql/user:User", "bro-ai-prod-db-main-user-worker");
    // Cloud SQL's name for an IAM service account user: the email without ".gserviceaccount.com".
    expect(iamApi.inputs).toMatchObject({ name: "bro-ai-prod-api@bro-ai-prod.iam", type: "CLOUD_IAM_SERVICE_ACCOUNT", instance: "bro-ai-prod-main" });
    expect(worker.inputs).toMatchObject({ name: "worker", type: "BUILT_IN" });
    const sql = databaseGrantsSql({ database: "bro", owner: userName(iamApi), users: [userName(worker)] });
    expect(g.files).toEqual({ "bro.sql": sql });
    expect(g.script).toBe(grantsJobScript(["bro"]));
    // Named by what it runs: changes exactly when a login, the owner or the SQL does.
    const name = databaseJobName("grants", `bro.sql\n${sql}`, g.script, "bro-ai-prod-main");
    expect(g.job.inputs).toMatchObject({ metadata: { name, namespace: "bro-ai-prod-main-audit" } });
    expect(g.configMap.inputs).toMatchObject({ metadata: { name, namespace: "bro-ai-prod-main-audit" }, immutable: true });
    expect(g.pod.volumes).toEqual([{ name: "sql", configMap: { name, items: [{ key: "bro.sql", path: "bro.sql" }] } }]);
    // Ordered after the users it grants, the pgAudit Job, the instance; through the activation's identity and login.
    const audit = one(plan, "kubernetes:batch/v1:Job", "bro-ai-prod-db-main-audit-job");
    for (const r of [iamApi, worker, audit, g.configMap, one(plan, "gcp:sql/databaseInstance:DatabaseInstance", "bro-ai-prod-db-main-instance")]) {
      expect(g.job.dependencies, r.name).toContain(r.urn);
    }
    for (const r of ["bro-ai-prod-db-main-audit-client", "bro-ai-prod-db-main-audit-workload-identity"]) {
      expect(g.job.dependencies).toContain(plan.resources.find((x) => x.name === r)!.urn);
    }
    expect(g.job.provider).toBe(one(plan, "pulumi:providers:kubernetes", "bro-ai-prod-cluster-k8s").urn);
    expect(g.pod.serviceAccountName).toBe("pgaudit");
    expect(g.user).toBe("api");
    expect(g.pod.containers[0].env).toContainEqual({ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "pgaudit-login", key: "password" } } });
    expect(g.pod.initContainers[0].args).toEqual(expect.arrayContaining(["--private-ip", "bro-ai-prod:us-central1:bro-ai-prod-main"]));
    // Binary Authorization: the same two digests the pgAudit Job runs, already admitted.
    expect([g.pod.initContainers[0].image, g.pod.containers[0].image]).toEqual([cloudSqlProxyImage, psqlImage]);
    const policy = ofType(plan, "gcp:binaryauthorization/policy:Policy")[0]!;
    const patterns = (policy.inputs.admissionWhitelistPatterns as { namePattern: string }[]).map((p) => p.namePattern);
    expect(patterns).toEqual(expect.arrayContaining([cloudSqlProxyImage, psqlImage]));
    // One grants Job per instance, nothing else.
    expect(ofType(plan, "kubernetes:batch/v1:Job").filter((j) => j.name.includes("-grants-")).map((j) => j.name)).toEqual(["bro-ai-prod-db-main-audit-grants-job"]);
  }, 60_000);
});

describe("in the plan of examples/machines prod", () => {
  it("password mode: the renderer's built-in user owns the schema (the only user)", async () => {
    const plan = await planMachines();
    const g = grantsOf(plan, "tiles-prod-db-tiles");
    const renderer = one(plan, "gcp:sql/user:User", "tiles-prod-db-tiles-user-renderer");
    expect(g.files).toEqual({ "tiles.sql": databaseGrantsSql({ database: "tiles", owner: "renderer", users: [] }) });
    expect(g.job.dependencies).toContain(renderer.urn);
  }, 60_000);

  it("iam mode: the edge group's VM identity is the owner, from its Cloud SQL user", async () => {
    const plan = await planMachines({ services: { renderer: { uses: { databaseAuth: "iam" } } } });
    const g = grantsOf(plan, "tiles-prod-db-tiles");
    const vm = ofType(plan, "gcp:sql/user:User").filter((u) => (u.inputs as { type?: string }).type === "CLOUD_IAM_SERVICE_ACCOUNT");
    expect(vm.map((u) => u.name)).toEqual(["tiles-prod-machines-edge-db-tiles-user"]);
    expect(userName(vm[0]!)).toMatch(/^tiles-prod-edge[-a-z0-9]*@tiles-prod-7310\.iam$/);
    expect(g.files).toEqual({ "tiles.sql": databaseGrantsSql({ database: "tiles", owner: userName(vm[0]!), users: [] }) });
    expect(g.job.dependencies).toContain(vm[0]!.urn);
  }, 60_000);
});

describe("who owns the schema (databases.<db>.owner)", () => {
  const base = () => {
    const doc = validBase();
    doc.services.worker.uses = { ...doc.services.worker.uses, database: "main", databaseAuth: "password" };
    doc.databases.main.users = ["api", "worker"];
    return doc;
  };

  it("two users and no migrations: refused with the fix", () => {
    const issues = issuesOf(base());
    expect(issues).toContainEqual(
      expect.objectContaining({
        path: "databases.main",
        message: expect.stringContaining('services api, worker use database "main" and none of them run migrations (preRelease), so which login owns its schema is ambiguous; set databases.main.owner'),
      }),
    );
  });

  it("the declared owner, which must use the database", () => {
    const doc = base();
    doc.databases.main.owner = "worker";
    const config = validateConfig(doc);
    expect(databaseLogins(config, "main")).toEqual({
      database: "shop",
      owner: "worker",
      logins: [
        { service: "api", auth: "iam", runner: "kubernetes" },
        { service: "worker", auth: "password", runner: "kubernetes" },
      ],
    });
    doc.databases.main.owner = "batch";
    expect(issuesOf(doc)).toContainEqual(
      expect.objectContaining({ path: "databases.main.owner", message: expect.stringContaining('"batch" does not use database "main", so it has no login there to own the schema; set it to one of api, worker') }),
    );
  });

  it("default: the one user with a preRelease job, else the only user", () => {
    const doc = base();
    // api is a canary: its preRelease job runs the migrations with api's identity.
    doc.services.api.preRelease = { command: ["/app/migrate", "up"] };
    expect(databaseOwner(validateConfig(doc), "main")).toEqual({ owner: "api" });
    const only = validateConfig(validBase());
    expect(databaseOwner(only, "main")).toEqual({ owner: "api" });
    expect(databaseLogins(only, "main")?.owner).toBe("api");
  });
});
