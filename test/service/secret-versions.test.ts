/**
 * One secret version across replicas (issue 14 item 7, k8s-review 19; docs/secrets.md): a version
 * pinned per stack (`brume:secretVersions`) is what every replica mounts; a new pin changes the pod
 * template (annotation and SecretProviderClass name), so the Deployment rolls; a signing key mounts
 * its current and previous versions; an unpinned secret keeps `latest` with rotation, and
 * production warns. Rendered objects are validated against the SecretProviderClass schema written
 * from the documentation (test/service/schemas) and the upstream Deployment model.
 */
import { Ajv } from "ajv";
import { copyFileSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Deployment } from "kubernetes-models/apps/v1";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { deploymentManifest, secretProviderClassManifest, type DeploymentSpec, type SecretFile } from "../../src/components/service/manifests.js";
import { secretProviderClassNameFor, secretVersionsAnnotation } from "../../src/components/service/secret-mounts.js";
import { ConfigError } from "../../src/config/errors.js";
import { loadStack } from "../../src/config/load.js";
import { brumeConfigSchema } from "../../src/config/schema.js";
import { mountedVersions, parseSecretVersions, pinSecretCommand, secretPinWarnings } from "../../src/config/secret-versions.js";
import type { Plan, PlannedResource } from "../../src/plan/run.js";
import { planStack } from "../../src/plan/stack.js";
import { examplePath, ofType } from "../harness.js";

const ajv = new Ajv({ allErrors: true, strict: true });
const spcSchema = JSON.parse(readFileSync(join(__dirname, "schemas", "secret-provider-class.schema.json"), "utf8")) as Record<string, any>;
const validSpc = ajv.compile(spcSchema);
const validGkeSecrets = ajv.compile(spcSchema.definitions.gkeSecrets);

const project = "projects/shop-prod/secrets";
const files = (jwt: number | undefined): SecretFile[] => [
  { env: "JWT_KEY", secretResource: `${project}/shop-prod-jwt`, ...(jwt !== undefined ? { version: jwt, previousVersion: mountedVersions({ version: jwt, mount: "current-and-previous" }).previous } : {}) },
  { env: "STRIPE_KEY", secretResource: `${project}/shop-prod-stripe`, version: 7 },
  { env: "REDIS_AUTH", secretResource: `${project}/shop-prod-sessions-auth` },
];
const spec = (secretFiles: SecretFile[]): DeploymentSpec => ({
  name: "api",
  namespace: "shop-prod",
  app: "api",
  version: "v2",
  image: "europe-docker.pkg.dev/shop/apps/api:2.0.0",
  serviceAccountName: "api",
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
  env: {},
  secretFiles,
  secretProviderClass: secretProviderClassNameFor("api-secrets", secretFiles),
  resources: { cpu: "500m", memory: "512Mi" },
  health: {},
  rolling: { maxSurge: 1, minReadySeconds: 10, progressDeadlineSeconds: 600 },
  labels: {},
});
const spcOf = (f: SecretFile[]) => secretProviderClassManifest({ name: secretProviderClassNameFor("api-secrets", f), namespace: "shop-prod", files: f, labels: {} });
const secretsOf = (m: { spec?: Record<string, unknown> }) => parseYaml((m.spec as any).parameters.secrets) as { resourceName: string; path: string }[];
const deployment = (f: SecretFile[]) => deploymentManifest(spec(f), { versionInSelector: false });
const template = (f: SecretFile[]) => (deployment(f).spec as any).template;

/** Paths (a.b[0].c) where two JSON values differ. */
function differences(a: unknown, b: unknown, path = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences((a as any)[k], (b as any)[k], Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k));
  }
  return [path];
}

describe("rendered SecretProviderClass and pod template", () => {
  it("a pinned secret mounts versions/<n>, a signing key also versions/<n-1> as <VAR>_PREVIOUS, an unpinned one latest; valid against the documented schema", () => {
    const spc = spcOf(files(4));
    expect(validSpc(spc), JSON.stringify(validSpc.errors)).toBe(true);
    expect(validGkeSecrets(secretsOf(spc)), JSON.stringify(validGkeSecrets.errors)).toBe(true);
    expect(secretsOf(spc)).toEqual([
      { resourceName: `${project}/shop-prod-jwt/versions/4`, path: "JWT_KEY" },
      { resourceName: `${project}/shop-prod-jwt/versions/3`, path: "JWT_KEY_PREVIOUS" },
      { resourceName: `${project}/shop-prod-stripe/versions/7`, path: "STRIPE_KEY" },
      { resourceName: `${project}/shop-prod-sessions-auth/versions/latest`, path: "REDIS_AUTH" },
    ]);
  });

  it("the pod template names the pins' SecretProviderClass, annotates the pinned versions and points <VAR>_FILE / <VAR>_PREVIOUS_FILE at the files", () => {
    const d = deployment(files(4));
    new Deployment(d as any).validate();
    const t = (d.spec as any).template;
    expect(t.metadata.annotations[secretVersionsAnnotation]).toBe("JWT_KEY=4,JWT_KEY_PREVIOUS=3,STRIPE_KEY=7");
    expect(t.spec.volumes.find((v: any) => v.name === "secrets").csi.volumeAttributes.secretProviderClass).toBe(spcOf(files(4)).metadata.name);
    expect(spcOf(files(4)).metadata.name).toMatch(/^api-secrets-[0-9a-f]{8}$/);
    expect(t.spec.containers[0].env.filter((e: any) => e.name.endsWith("_FILE"))).toEqual([
      { name: "JWT_KEY_FILE", value: "/var/run/secrets/brume/JWT_KEY" },
      { name: "JWT_KEY_PREVIOUS_FILE", value: "/var/run/secrets/brume/JWT_KEY_PREVIOUS" },
      { name: "REDIS_AUTH_FILE", value: "/var/run/secrets/brume/REDIS_AUTH" },
      { name: "STRIPE_KEY_FILE", value: "/var/run/secrets/brume/STRIPE_KEY" },
    ]);
  });

  it("nothing pinned: the class keeps its name, the template has no annotation (no roll on upgrade), every file is latest", () => {
    const unpinned: SecretFile[] = [{ env: "REDIS_AUTH", secretResource: `${project}/shop-prod-sessions-auth` }];
    expect(spcOf(unpinned).metadata.name).toBe("api-secrets");
    expect(template(unpinned).metadata.annotations).not.toHaveProperty(secretVersionsAnnotation);
    expect(secretsOf(spcOf(unpinned))).toEqual([{ resourceName: `${project}/shop-prod-sessions-auth/versions/latest`, path: "REDIS_AUTH" }]);
  });

  it("a version bump changes the pod template's annotation and SecretProviderClass name and nothing else; the class only its name and versions", () => {
    expect(differences(template(files(4)), template(files(5)))).toEqual([`metadata.annotations.${secretVersionsAnnotation}`, "spec.volumes[1].csi.volumeAttributes.secretProviderClass"]);
    expect(template(files(5)).metadata.annotations[secretVersionsAnnotation]).toBe("JWT_KEY=5,JWT_KEY_PREVIOUS=4,STRIPE_KEY=7");
    // The Deployment: its template (rolls) and the template's hash, nothing else.
    expect(differences(deployment(files(4)), deployment(files(5)))).toEqual([
      "metadata.annotations.brume.dev/config-hash",
      `spec.template.metadata.annotations.${secretVersionsAnnotation}`,
      "spec.template.spec.volumes[1].csi.volumeAttributes.secretProviderClass",
    ]);
    expect(differences(spcOf(files(4)), spcOf(files(5)))).toEqual(["metadata.name", "spec.parameters.secrets"]);
  });

  it("version 1 of a signing key has no predecessor: both files hold version 1", () => {
    expect(mountedVersions({ version: 1, mount: "current-and-previous" })).toEqual({ current: 1, previous: 1 });
    expect(mountedVersions({ version: 9, mount: "current" })).toEqual({ current: 9 });
    expect(mountedVersions({ mount: "current-and-previous" })).toEqual({ current: "latest" });
  });
});

describe("brume:secretVersions", () => {
  const raw = { secrets: { "jwt-signing-key": { mount: "current-and-previous" }, "openai-api-key": {} } };

  it("pins declared secrets; refuses an undeclared name (with a did-you-mean), a non-integer, and a version written in brume.yaml", () => {
    expect(parseSecretVersions({ "jwt-signing-key": 4 }, raw, raw)).toEqual({ "jwt-signing-key": 4 });
    const issues = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
        throw err;
      }
      return [];
    };
    expect(issues(() => parseSecretVersions({ "jwt-signing-kee": 4 }, raw, raw))).toEqual([
      'brume:secretVersions.jwt-signing-kee: no secret "jwt-signing-kee" is declared (did you mean "jwt-signing-key"?); declared secrets: jwt-signing-key, openai-api-key',
    ]);
    expect(issues(() => parseSecretVersions({ "jwt-signing-key": 0 }, raw, raw))[0]).toMatch(/^brume:secretVersions: expected secret name → version number/);
    expect(issues(() => parseSecretVersions({ "jwt-signing-key": "latest" }, raw, raw))).toHaveLength(1);
    const inFile = { secrets: { "jwt-signing-key": { version: 3 } } };
    expect(issues(() => parseSecretVersions(undefined, inFile, inFile))).toEqual([
      `secrets.jwt-signing-key.version: a secret's version differs per environment: pin it in Pulumi.<env>.yaml (${pinSecretCommand("jwt-signing-key", "3")}) and remove it from brume.yaml`,
    ]);
  });

  it("loads into the config as each secret's version; the mount defaults to current", () => {
    const loaded = loadStack({ configFile: examplePath("bro-ai", "brume.yaml"), environment: "prod", secretVersions: { "jwt-signing-key": 4 } });
    expect(loaded.config.secrets["jwt-signing-key"]).toMatchObject({ version: 4, mount: "current-and-previous" });
    expect(loaded.config.secrets["openai-api-key"]).toMatchObject({ mount: "current" });
    expect(loaded.config.secrets["openai-api-key"]!.version).toBeUndefined();
    expect(brumeConfigSchema.safeParse({ project: { name: "x", region: "europe-west1" }, secrets: { k: { mount: "both" } } }).success).toBe(false);
  });

  it("warns: production multi-replica services on an unpinned secret, and a signing key without a pin anywhere", () => {
    const config = loadStack({ configFile: examplePath("bro-ai", "brume.yaml"), environment: "prod" }).config;
    expect(secretPinWarnings(config, { name: "prod", preset: "production" })).toEqual([
      `secret "jwt-signing-key" mounts current-and-previous, but stack prod pins no version: only its latest version is mounted and <VAR>_PREVIOUS_FILE is absent; pin it: ${pinSecretCommand("jwt-signing-key", "<n>", "prod")}`,
      `secret "openai-api-key" is mounted as its latest version by api (several replicas): a new version reaches each pod at the add-on's next rotation, so replicas disagree for up to 2 minutes; pin it so a new version rolls out instead: ${pinSecretCommand("openai-api-key", "<n>", "prod")}`,
    ]);
    expect(secretPinWarnings(config, { name: "stage", preset: "staging" })).toHaveLength(1);
    const pinned = loadStack({ configFile: examplePath("bro-ai", "brume.yaml"), environment: "prod", secretVersions: { "jwt-signing-key": 4, "openai-api-key": 2 } }).config;
    expect(secretPinWarnings(pinned, { name: "prod", preset: "production" })).toEqual([]);
  });
});

/** bro-ai prod from a copy of the example with its stack file's pins replaced. */
async function planWithPins(pins: string): Promise<Plan> {
  const dir = mkdtempSync(join(tmpdir(), "brume-pins-"));
  for (const f of ["brume.yaml", "Pulumi.yaml"]) copyFileSync(examplePath("bro-ai", f), join(dir, f));
  cpSync(examplePath("bro-ai", "services"), join(dir, "services"), { recursive: true });
  const stack = readFileSync(examplePath("bro-ai", "Pulumi.prod.yaml"), "utf8");
  const replaced = stack.replace(/  brume:secretVersions:\n(    .*\n)+/, `  brume:secretVersions:\n${pins}`);
  expect(replaced).toContain(`  brume:secretVersions:\n${pins}  # Values`);
  writeFileSync(join(dir, "Pulumi.prod.yaml"), replaced);
  return (await planStack({ stack: "prod", configFile: join(dir, "brume.yaml"), projectDir: dir })).plan;
}

describe("bro-ai prod: a new pinned version rolls the Deployments and changes nothing else", () => {
  let before: Plan;
  let after: Plan;
  beforeAll(async () => {
    before = await planWithPins("    jwt-signing-key: 4\n    openai-api-key: 2\n");
    after = await planWithPins("    jwt-signing-key: 5\n    openai-api-key: 2\n");
  }, 120_000);

  it("only api's SecretProviderClass (name, versions) and its version's pod templates (Deployment, pre-release Job) differ", () => {
    const byUrn = new Map(after.resources.map((r) => [r.urn, r]));
    expect(after.resources.map((r) => r.urn).sort()).toEqual(before.resources.map((r) => r.urn).sort());
    const changed = before.resources
      .map((r) => [r, byUrn.get(r.urn)!] as [PlannedResource, PlannedResource])
      // The built image's context is the copy's directory.
      .filter(([a, b]) => a.type !== "docker:index/image:Image" && JSON.stringify(a.inputs) !== JSON.stringify(b.inputs))
      .map(([a, b]) => `${a.name}: ${differences(a.inputs, b.inputs).join(" ")}`)
      .sort();
    const template = `spec.template.metadata.annotations.${secretVersionsAnnotation} spec.template.spec.volumes[1].csi.volumeAttributes.secretProviderClass`;
    expect(changed).toEqual([
      `bro-ai-prod-svc-api-secrets: metadata.name spec.parameters.secrets`,
      `bro-ai-prod-svc-api-v1-14-2-deployment: metadata.annotations.brume.dev/config-hash ${template}`,
      // The version's migration Job has the version's pod template: a Job is immutable, so it is
      // replaced and its hook (expand-only and idempotent, docs/releases.md) runs again.
      `bro-ai-prod-svc-api-v1-14-2-pre-release: ${template}`,
    ]);
    const spc = ofType(after, "kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass").find((r) => r.name === "bro-ai-prod-svc-api-secrets")!;
    expect(validSpc(spc.inputs), JSON.stringify(validSpc.errors)).toBe(true);
    expect(secretsOf(spc.inputs as any).slice(0, 2)).toEqual([
      { resourceName: "projects/bro-ai-prod/secrets/bro-ai-prod-jwt-signing-key/versions/5", path: "JWT_SIGNING_KEY" },
      { resourceName: "projects/bro-ai-prod/secrets/bro-ai-prod-jwt-signing-key/versions/4", path: "JWT_SIGNING_KEY_PREVIOUS" },
    ]);
  });
});
