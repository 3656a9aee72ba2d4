/**
 * Declared secrets get values (newcomer 15) and the Slack token comes from the same place
 * (gcp-review 9): `brume:secrets` in the stack config, each value set with
 * `pulumi config set --secret --path 'brume:secrets.<name>' <value>`. Pulumi.<env>.yaml then holds
 * `brume:secrets: { <name>: { secure: v1:… } }`; the tests write such files (the ciphertext is
 * opaque offline: the plan only knows that a value exists and is secret).
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { secretValuesKey, setSecretCommand } from "../../src/config/secret-values.js";
import { ConfigError } from "../../src/config/errors.js";
import { PlanError, runProgram } from "../../src/plan/run.js";
import { secretsWithoutValue } from "../../src/plan/secret-values.js";
import { planStack, readStackConfig } from "../../src/plan/stack.js";
import { brume, byUrn, examplePath, one, ofType, repoRoot } from "../harness.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * A copy of examples/bro-ai with this Pulumi.prod.yaml `config`. The example's Slack channel needs
 * its token, so `brume:secrets` gets one unless `slackToken` is false.
 */
function broAi(config: Record<string, unknown>, { slackToken = true } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "brume-secret-values-"));
  dirs.push(dir);
  for (const file of ["brume.yaml", "Pulumi.yaml"]) copyFileSync(examplePath("bro-ai", file), join(dir, file));
  cpSync(examplePath("bro-ai", "services"), join(dir, "services"), { recursive: true });
  const secrets = { ...(slackToken ? { "slack-token": secure("xoxb"), "admin-iap-client": secure("iap") } : {}), ...((config["brume:secrets"] as Record<string, unknown> | undefined) ?? {}) };
  writeFileSync(join(dir, "Pulumi.prod.yaml"), stringify({ config: { "brume:environment": "prod", ...config, ...(Object.keys(secrets).length > 0 ? { "brume:secrets": secrets } : {}) } }));
  return dir;
}

const secure = (tag: string) => ({ secure: `v1:${Buffer.from(tag).toString("base64")}` });
const plan = (dir: string) => planStack({ stack: "prod", configFile: join(dir, "brume.yaml"), projectDir: dir });
const slackOverrides = {
  secrets: { "slack-token": { description: "Slack app token" } },
  observability: { notifications: { slack: { channel: "#alerts", tokenSecret: "slack-token" } } },
};

/** The ConfigError message of a plan that must fail before any resource exists. */
async function configErrorOf(dir: string): Promise<string> {
  const err = await plan(dir).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message;
}

describe("secret values from Pulumi secret config", () => {
  it("reads an object with encrypted leaves as one secret key, each leaf a placeholder", () => {
    const dir = broAi({ "brume:secrets": { "openai-api-key": secure("sk-1"), "jwt-signing-key": secure("jwt") } });
    const stack = readStackConfig(dir, "prod");
    expect(stack.config["brume:secrets"]).toEqual({ "slack-token": "offline-secret-placeholder", "admin-iap-client": "offline-secret-placeholder", "openai-api-key": "offline-secret-placeholder", "jwt-signing-key": "offline-secret-placeholder" });
    expect(stack.secretKeys).toEqual(["brume:secrets"]);
  });

  it("writes each value as the secret's version, secret in the plan, and then warns about nothing", async () => {
    // The values are the secrets' first versions, pinned as prod pins its secrets (docs/secrets.md).
    const dir = broAi({ "brume:secrets": { "openai-api-key": secure("sk-1"), "jwt-signing-key": secure("jwt") }, "brume:secretVersions": { "openai-api-key": 1, "jwt-signing-key": 1 } });
    const { plan: p, warnings } = await plan(dir);
    for (const name of ["openai-api-key", "jwt-signing-key"]) {
      const secret = one(p, "gcp:secretmanager/secret:Secret", `bro-ai-prod-secret-${name}-secret`);
      const version = one(p, "gcp:secretmanager/secretVersion:SecretVersion", `bro-ai-prod-secret-${name}-version`);
      expect(version.inputs).toEqual({ secret: `bro-ai-prod-secret-${name}-secret-id`, secretData: "[secret]" });
      expect(version.dependencies).toContain(secret.urn);
      expect(byUrn(p, version.parent).type).toBe("brume:security:Secret");
    }
    // (api's declared egress is the plan's other warning, docs/domains.md "Egress".)
    expect(warnings.filter((w) => w.startsWith("secret "))).toEqual([]);
    expect(JSON.stringify(p)).not.toContain("offline-secret-placeholder");
  });

  it("warns, naming the readers and both ways to set it, for every read secret without a value", async () => {
    const { warnings } = await planStack({ stack: "prod", configFile: examplePath("bro-ai", "brume.yaml"), projectDir: examplePath("bro-ai") });
    expect(warnings.filter((w) => w.startsWith("secret "))).toEqual(
      ["jwt-signing-key", "openai-api-key"].map(
        (name) =>
          `secret "bro-ai-prod-${name}" is read by bro-ai-prod-svc-api-secret-${name}, bro-ai-prod-svc-api-secrets but nothing in the stack gives it a value: ` +
          `whatever mounts or reads it fails until it has a version; set it with pulumi config set --secret --path 'brume:secrets.${name}' <value> --stack prod, ` +
          `or add one out of band: gcloud secrets versions add bro-ai-prod-${name} --project bro-ai-prod --data-file=-`,
      ),
    );
  });

  it("brume plan prints the warnings on stderr and still succeeds", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "brume-plan-out-")), "plan.json");
    dirs.push(join(out, ".."));
    const run = await brume("plan", "--config", examplePath("bro-ai", "brume.yaml"), "--stack", "prod", "--format", "json", "--out", out);
    expect(run.code).toBe(0);
    const lines = run.stderr.split("\n").filter((l) => l.startsWith("warning: secret "));
    expect(lines.map((l) => /secret "([^"]+)"/.exec(l)?.[1])).toEqual(["bro-ai-prod-jwt-signing-key", "bro-ai-prod-openai-api-key"]);
  });

  it("refuses a name that is no declared secret (did you mean) and a plaintext value, with the command", async () => {
    const message = await configErrorOf(broAi({ "brume:secrets": { "opneai-api-key": secure("x"), "jwt-signing-key": "plain-text" } }));
    expect(message).toContain('brume:secrets.opneai-api-key: no secret "opneai-api-key" is declared (did you mean "openai-api-key"?); declared secrets: openai-api-key, jwt-signing-key');
    expect(message).toContain(
      "brume:secrets.jwt-signing-key: the value is stored in plaintext; set it encrypted: pulumi config set --secret --path 'brume:secrets.jwt-signing-key' <value> --stack prod",
    );
    expect(message).not.toContain("plain-text");
  });

  it("secretsWithoutValue reads any plan: a SecretVersion on the secret gives it a value, a grant or a SecretProviderClass reads it", () => {
    const urn = (type: string, name: string) => `urn:pulumi:s::p::${type}::${name}`;
    const resource = (type: string, name: string, inputs: Record<string, unknown>, dependencies: string[] = []) => ({
      urn: urn(type, name),
      type,
      name,
      parent: "",
      inputs,
      dependencies,
      provider: "",
      protect: false,
      custom: true,
    });
    const S = "gcp:secretmanager/secret:Secret";
    const resources = [
      resource(S, "a", { secretId: "a", project: "p" }),
      resource(S, "b", { secretId: "b", project: "p" }),
      resource(S, "c", { secretId: "c", project: "p" }),
      resource("gcp:secretmanager/secretVersion:SecretVersion", "b-v", { secret: "b-id" }, [urn(S, "b")]),
      resource("gcp:secretmanager/secretIamMember:SecretIamMember", "read-a", { secretId: "projects/p/secrets/a", role: "roles/secretmanager.secretAccessor" }),
      resource("gcp:secretmanager/secretIamMember:SecretIamMember", "read-b", { secretId: "b", role: "roles/secretmanager.secretAccessor" }),
      resource("gcp:secretmanager/secretIamMember:SecretIamMember", "admin-c", { secretId: "c", role: "roles/secretmanager.admin" }),
      resource("kubernetes:secrets-store.csi.x-k8s.io/v1:SecretProviderClass", "mount", {
        spec: { parameters: { secrets: '- resourceName: "projects/p/secrets/a/versions/latest"\n' } },
      }),
    ];
    const found = secretsWithoutValue({ project: "p", stack: "s", resources, outputs: {} });
    expect(found.map((f) => [f.secretId, f.readers])).toEqual([["a", ["mount", "read-a"]]]);
    expect(found[0]!.message).toContain("add one: gcloud secrets versions add a --project p --data-file=-");
  });
});

describe("the Slack token (gcp-review 9: never read back from Secret Manager)", () => {
  it("is a config error with the command when Slack is configured and brume:secrets has no token", async () => {
    const message = await configErrorOf(broAi({ "brume:overrides": slackOverrides }, { slackToken: false }));
    expect(message).toContain(
      `brume:secrets.slack-token: the Slack channel needs its token (observability.notifications.slack.tokenSecret "slack-token"), ` +
        `and the plan never reads it back from Secret Manager; set the Slack app's OAuth token: ` +
        `pulumi config set --secret --path 'brume:secrets.slack-token' <value> --stack prod`,
    );
  });

  it("comes from the secret's value: the channel's authToken and the secret's version are both secret, no payload is read", async () => {
    const dir = broAi({ "brume:overrides": slackOverrides, "brume:secrets": { "slack-token": secure("xoxb"), "admin-iap-client": secure("iap") } });
    const { plan: p } = await plan(dir);
    const channel = one(p, "gcp:monitoring/notificationChannel:NotificationChannel", "bro-ai-prod-observability-slack");
    expect(channel.inputs).toMatchObject({ type: "slack", labels: { channel_name: "#alerts" }, sensitiveLabels: { authToken: "[secret]" } });
    expect(one(p, "gcp:secretmanager/secretVersion:SecretVersion", "bro-ai-prod-secret-slack-token-version").inputs.secretData).toBe("[secret]");
    // The channel no longer waits on the secrets: it reads nothing from them.
    const secretUrns = ofType(p, "gcp:secretmanager/secret:Secret").map((s) => s.urn);
    expect(channel.dependencies.filter((d) => secretUrns.includes(d))).toEqual([]);
  });

  it("fails `pulumi up` of the program itself (not only the offline plan) when the token is missing", async () => {
    const configFile = examplePath("bro-ai", "brume.yaml");
    const run = runProgram(async () => (await import("../../src/program/index.js")).default(), {
      project: "bro-ai",
      stack: "prod",
      config: { "brume:configFile": configFile, "brume:environment": "prod", "brume:overrides": slackOverrides },
      defaultProject: "bro-ai-prod",
      defaultRegion: "us-central1",
    });
    await expect(run).rejects.toBeInstanceOf(PlanError);
    await expect(run).rejects.toThrow(/brume:secrets\.slack-token: the Slack channel needs its token/);
  });
});

describe("docs/config.md: Secret values", () => {
  const readme = readFileSync(join(repoRoot, "docs", "config.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Secret values"), readme.indexOf("## CIDR plan"));

  it("shows the command the errors and warnings give, and the stack config it produces", () => {
    const command = /```sh\n(.*)\n```/.exec(section)![1]!;
    expect(command).toBe(setSecretCommand("stripe-key", "prod").replace("<value>", "'sk_live_…'"));
    const yaml = parse(/```yaml\n([\s\S]*?)```/.exec(section)![1]!) as { config: Record<string, unknown> };
    expect(yaml.config[secretValuesKey]).toEqual({ "stripe-key": { secure: "v1:…" } });
  });
});
