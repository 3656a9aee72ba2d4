/**
 * The connection contract (docs/connections.md, src/render/connections.ts) on Kubernetes, per
 * service of examples/bro-ai: each service that uses a database or a cache receives exactly the
 * contract's variables and files, the Cloud SQL Auth Proxy sidecar when it uses a database, and the
 * IAM database user of its identity in iam mode; the pure contract on its own.
 */
import { Deployment } from "kubernetes-models/apps/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { connectionContract, envSuffix, iamDatabaseUser, kubernetesPlace, renderDockerEnvFile, resolvePlaceholders } from "../../src/render/connections.js";
import { cloudSqlProxyImage } from "../../src/render/sql-proxy.js";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, ofType, one, planDir } from "../harness.js";

let prod: Plan;
beforeAll(async () => {
  prod = await planDir(examplePath("bro-ai"), "prod");
});

/** The Deployment of a service's (only) running version: `<svc>-deployment` (rolling) or `<svc>-<version>-deployment`. */
const deployment = (svc: string) => {
  const found = ofType(prod, "kubernetes:apps/v1:Deployment").filter((r) => new RegExp(`^bro-ai-prod-svc-${svc}-(v[0-9-]+-)?deployment$`).test(r.name));
  expect(found).toHaveLength(1);
  return found[0]!;
};
const pod = (svc: string) => (deployment(svc).inputs.spec as any).template.spec;
const envOf = (svc: string): Record<string, string> => Object.fromEntries((pod(svc).containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]));
const contractOnly = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).filter(([k]) => /^(DB_|REDIS_|PUBSUB_|BUCKET_|GOOGLE_CLOUD_PROJECT)/.test(k)));
const mountedFiles = (svc: string): string[] => {
  const spc = ofType(prod, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass").find((r) => r.name === `bro-ai-prod-svc-${svc}-secrets`);
  if (!spc) return [];
  return [...((spc.inputs.spec as any).parameters.secrets as string).matchAll(/resourceName: "([^"]+)"\n  path: "([^"]+)"/g)].map((m) => `${m[2]} ${m[1]}`);
};

describe("bro-ai prod: every service that uses a database or cache gets the contract", () => {
  it("api (iam mode, cache, topic, bucket): variables, files, proxy sidecar with --auto-iam-authn", () => {
    expect(contractOnly(envOf("api"))).toEqual({
      BUCKET_USER_CONTENT: "bro-ai-prod-user-content",
      DB_AUTH: "iam",
      DB_HOST: "127.0.0.1",
      DB_INSTANCE_CONNECTION_NAME: "bro-ai-prod:us-central1:bro-ai-prod-main",
      DB_NAME: "bro",
      DB_POOL_SIZE: "2",
      DB_PORT: "5432",
      DB_SSLMODE: "disable",
      DB_USER: "bro-ai-prod-api@bro-ai-prod.iam",
      GOOGLE_CLOUD_PROJECT: "bro-ai-prod",
      PUBSUB_TOPIC_EVENTS: "projects/bro-ai-prod/topics/bro-ai-prod-events",
      REDIS_AUTH_FILE: "/var/run/secrets/brume/REDIS_AUTH",
      REDIS_CA_FILE: "/var/run/secrets/brume/REDIS_CA",
      REDIS_HOST: expect.any(String),
      REDIS_PORT: expect.stringMatching(/^\d+$/),
      REDIS_TLS: "true",
    });
    expect(envOf("api")).not.toHaveProperty("DB_PASSWORD_FILE");
    expect(mountedFiles("api")).toEqual([
      // Pinned in Pulumi.prod.yaml (brume:secretVersions); the signing key with its previous version.
      "JWT_SIGNING_KEY projects/bro-ai-prod/secrets/bro-ai-prod-jwt-signing-key/versions/4",
      "JWT_SIGNING_KEY_PREVIOUS projects/bro-ai-prod/secrets/bro-ai-prod-jwt-signing-key/versions/3",
      "OPENAI_API_KEY projects/bro-ai-prod/secrets/bro-ai-prod-openai-api-key/versions/2",
      "REDIS_AUTH projects/bro-ai-prod/secrets/bro-ai-prod-sessions-auth/versions/latest",
      "REDIS_CA projects/bro-ai-prod/secrets/bro-ai-prod-sessions-ca/versions/latest",
    ]);
    const init = pod("api").initContainers as any[];
    expect(init).toHaveLength(1);
    expect(init[0]).toMatchObject({ name: "cloud-sql-proxy", image: cloudSqlProxyImage, restartPolicy: "Always" });
    expect(init[0].args).toEqual([
      "--private-ip",
      "--auto-iam-authn",
      "--address=127.0.0.1",
      "--port=5432",
      "--structured-logs",
      "--health-check",
      "--http-address=0.0.0.0",
      "--http-port=9801",
      "--exit-zero-on-sigterm",
      "bro-ai-prod:us-central1:bro-ai-prod-main",
    ]);
  });

  it("api: the CLOUD_IAM_SERVICE_ACCOUNT user of its GSA, created in the instance, and the Deployment waits for it", () => {
    const user = one(prod, "gcp:sql/user:User", "bro-ai-prod-svc-api-db-main-user");
    expect(user.inputs).toMatchObject({ type: "CLOUD_IAM_SERVICE_ACCOUNT", name: "bro-ai-prod-api@bro-ai-prod.iam", instance: "bro-ai-prod-main", project: "bro-ai-prod" });
    const instance = one(prod, "gcp:sql/databaseInstance:DatabaseInstance", "bro-ai-prod-db-main-instance");
    const gsa = one(prod, "gcp:serviceaccount/account:Account", "bro-ai-prod-svc-api-gsa");
    expect(user.dependencies).toEqual(expect.arrayContaining([instance.urn, gsa.urn]));
    expect(deployment("api").dependencies).toContain(user.urn);
    // Exactly one IAM user, the api's: worker logs in with its password, web uses no database.
    expect(ofType(prod, "gcp:sql/user:User").filter((u) => u.inputs.type === "CLOUD_IAM_SERVICE_ACCOUNT").map((u) => u.name)).toEqual(["bro-ai-prod-svc-api-db-main-user"]);
  });

  it("worker (password mode): its built-in user, the password as a file, the proxy without --auto-iam-authn", () => {
    expect(contractOnly(envOf("worker"))).toEqual({
      BUCKET_USER_CONTENT: "bro-ai-prod-user-content",
      DB_AUTH: "password",
      DB_HOST: "127.0.0.1",
      DB_INSTANCE_CONNECTION_NAME: "bro-ai-prod:us-central1:bro-ai-prod-main",
      DB_NAME: "bro",
      DB_PASSWORD_FILE: "/var/run/secrets/brume/DB_PASSWORD",
      DB_POOL_SIZE: "1",
      DB_PORT: "5432",
      DB_SSLMODE: "disable",
      DB_USER: "worker",
      GOOGLE_CLOUD_PROJECT: "bro-ai-prod",
      PUBSUB_SUBSCRIPTION_EVENTS_INDEXER: "projects/bro-ai-prod/subscriptions/bro-ai-prod-events-indexer",
    });
    expect(mountedFiles("worker")).toEqual(["DB_PASSWORD projects/bro-ai-prod/secrets/bro-ai-prod-main-worker-password/versions/latest"]);
    const init = pod("worker").initContainers as any[];
    expect(init.map((c) => c.name)).toEqual(["cloud-sql-proxy"]);
    expect(init[0].args).not.toContain("--auto-iam-authn");
    const user = one(prod, "gcp:sql/user:User", "bro-ai-prod-db-main-user-worker");
    expect(user.inputs).toMatchObject({ type: "BUILT_IN", name: "worker", password: "[secret]" });
  });

  it("web and admin use neither: no database or cache variables, no sidecar", () => {
    for (const svc of ["web", "admin"]) {
      expect(Object.keys(envOf(svc)).filter((k) => /^(DB_|REDIS_)/.test(k))).toEqual([]);
      expect(pod(svc).initContainers).toBeUndefined();
      expect(envOf(svc).GOOGLE_CLOUD_PROJECT).toBe("bro-ai-prod");
    }
  });

  it("the pods validate against the Kubernetes schema (the native sidecar included)", () => {
    for (const svc of ["api", "worker"]) {
      const d = deployment(svc);
      expect(() => new Deployment({ metadata: d.inputs.metadata as any, spec: d.inputs.spec as any }).validate()).not.toThrow();
    }
  });

  it("no password, AUTH string or CA reaches a manifest", () => {
    const text = JSON.stringify(ofType(prod, "kubernetes:apps/v1:Deployment").map((r) => r.inputs));
    expect(text).not.toMatch(/mock-random-password|mock-redis-auth|BEGIN CERTIFICATE/);
  });
});

describe("the contract, pure", () => {
  const facts = {
    project: "p",
    database: { name: "main", connectionName: "p:r:i", database: "app", auth: "password" as const, user: "svc", passwordSecretId: "p-main-svc-password", poolSize: 7 },
    cache: { name: "sessions", host: "10.0.0.3", port: "6378", authSecretId: "p-sessions-auth", caSecretId: "p-sessions-ca" },
    topics: { "user-events": "projects/p/topics/p-user-events" },
    subscriptions: { "user-events/indexer": "projects/p/subscriptions/p-user-events-indexer" },
    buckets: { "user-content": "p-user-content" },
  };

  it("names and files", () => {
    const c = connectionContract(facts, { filesDir: "/run/x/secrets", dbHost: "127.0.0.1", dbPort: 5433 });
    expect(c.env).toEqual({
      GOOGLE_CLOUD_PROJECT: "p",
      DB_HOST: "127.0.0.1",
      DB_PORT: "5433",
      DB_NAME: "app",
      DB_USER: "svc",
      DB_INSTANCE_CONNECTION_NAME: "p:r:i",
      DB_SSLMODE: "disable",
      DB_AUTH: "password",
      DB_POOL_SIZE: "7",
      DB_PASSWORD_FILE: "/run/x/secrets/DB_PASSWORD",
      REDIS_HOST: "10.0.0.3",
      REDIS_PORT: "6378",
      REDIS_TLS: "true",
      REDIS_AUTH_FILE: "/run/x/secrets/REDIS_AUTH",
      REDIS_CA_FILE: "/run/x/secrets/REDIS_CA",
      PUBSUB_TOPIC_USER_EVENTS: "projects/p/topics/p-user-events",
      PUBSUB_SUBSCRIPTION_USER_EVENTS_INDEXER: "projects/p/subscriptions/p-user-events-indexer",
      BUCKET_USER_CONTENT: "p-user-content",
    });
    expect(c.files.map((f) => [f.name, f.secretId, f.path])).toEqual([
      ["DB_PASSWORD", "p-main-svc-password", "/run/x/secrets/DB_PASSWORD"],
      ["REDIS_AUTH", "p-sessions-auth", "/run/x/secrets/REDIS_AUTH"],
      ["REDIS_CA", "p-sessions-ca", "/run/x/secrets/REDIS_CA"],
    ]);
    expect(c.proxy).toEqual({ connectionName: "p:r:i", autoIamAuthn: false, port: 5433 });
  });

  it("iam mode has no password file; the proxy logs in with the identity", () => {
    const c = connectionContract({ project: "p", database: { ...facts.database, auth: "iam", passwordSecretId: undefined } }, kubernetesPlace);
    expect(c.files).toEqual([]);
    expect(c.proxy?.autoIamAuthn).toBe(true);
    expect(() => connectionContract({ project: "p", database: { ...facts.database, passwordSecretId: undefined } }, kubernetesPlace)).toThrow(/password secret/);
  });

  it("IAM user names, env suffixes, env files, placeholders", () => {
    expect(iamDatabaseUser("bro-ai-prod-api@bro-ai-prod.iam.gserviceaccount.com")).toBe("bro-ai-prod-api@bro-ai-prod.iam");
    expect(envSuffix("events/indexer")).toBe("EVENTS_INDEXER");
    expect(renderDockerEnvFile({ B: "2", A: 'x"y' })).toBe('A=x"y\nB=2\n');
    expect(() => renderDockerEnvFile({ A: "1\n2" })).toThrow(/one line/);
    expect(resolvePlaceholders("h=@@brume:cache.sessions.host@@", { "cache.sessions.host": "10.0.0.3" })).toBe("h=10.0.0.3");
    expect(() => resolvePlaceholders("@@brume:nope@@", {})).toThrow(/no value/);
  });
});
