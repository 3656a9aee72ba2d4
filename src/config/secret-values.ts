/**
 * Values of declared secrets, from the Pulumi stack config key `brume:secrets` (an object: secret
 * name → value, each set encrypted with
 * `pulumi config set --secret --path 'brume:secrets.<name>' <value>`). The stack writes each value
 * as the secret's version (so a pod mounting the secret can start) and the Slack channel takes its
 * token from the same value: no payload is ever read back from Secret Manager at deploy time or in
 * a preview (gcp-review 9, newcomer 15); an IAP service's OAuth client secret too (k8s-review 10). The value then lives in the Pulumi state, encrypted with
 * the stack's secrets provider, like SST's `sst secret set`.
 */
import type { ConfigIssue } from "./errors.js";
import { suggestKey } from "./primitives.js";
import type { BrumeConfig } from "./schema.js";

/** The stack config key holding the values (namespace `brume`). */
export const secretValuesKey = "brume:secrets";

/** The command that sets one value: what every message about a missing value says. */
export function setSecretCommand(name: string, stack?: string): string {
  return `pulumi config set --secret --path '${secretValuesKey}.${name}' <value>${stack ? ` --stack ${stack}` : ""}`;
}

/**
 * Problems of the secret values given for a config: names that are no declared secret, a Slack
 * channel whose token secret has no value, a value not stored encrypted. `names` are the keys of
 * `brume:secrets`; `plaintext` the names stored without `--secret` (known offline only).
 */
export function secretValueIssues(config: BrumeConfig, names: readonly string[], plaintext: readonly string[] = [], stack?: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const declared = Object.keys(config.secrets);
  for (const name of names) {
    if (!Object.hasOwn(config.secrets, name)) {
      const hint = suggestKey(name, declared);
      issues.push({
        path: `${secretValuesKey}.${name}`,
        message: `no secret "${name}" is declared${hint ? ` (did you mean "${hint}"?)` : ""}; declared secrets: ${declared.join(", ") || "none"}`,
      });
    }
  }
  for (const name of plaintext) {
    issues.push({
      path: `${secretValuesKey}.${name}`,
      message: `the value is stored in plaintext; set it encrypted: ${setSecretCommand(name, stack)}`,
    });
  }
  const slack = config.observability?.notifications.slack;
  if (slack && Object.hasOwn(config.secrets, slack.tokenSecret) && !names.includes(slack.tokenSecret)) {
    issues.push({
      path: `${secretValuesKey}.${slack.tokenSecret}`,
      message:
        `the Slack channel needs its token (observability.notifications.slack.tokenSecret "${slack.tokenSecret}"), and the plan never reads it back ` +
        `from Secret Manager; set the Slack app's OAuth token: ${setSecretCommand(slack.tokenSecret, stack)}`,
    });
  }
  // IAP's OAuth client secret goes to the Kubernetes Secret the GCPBackendPolicy reads: from the
  // stack's value, never read back from Secret Manager (nothing to read on a first apply).
  for (const [service, svc] of Object.entries(config.services).sort(([a], [b]) => a.localeCompare(b))) {
    const client = svc.expose?.iap ? svc.expose.iapClient : undefined;
    if (!client || !Object.hasOwn(config.secrets, client.secret) || names.includes(client.secret)) continue;
    issues.push({
      path: `${secretValuesKey}.${client.secret}`,
      message:
        `service "${service}" signs users in through IAP with the OAuth client ${client.clientId} (services.${service}.expose.iapClient.secret "${client.secret}"), and the plan never reads it back ` +
        `from Secret Manager; set the OAuth client's secret: ${setSecretCommand(client.secret, stack)}`,
    });
  }
  return issues;
}

/**
 * The names given in a `brume:secrets` config value as the program receives it (a JSON object, its
 * values decrypted); undefined or an empty string means none. Throws on anything but an object of
 * strings (numbers and booleans are accepted: `--path` stores "1234" as a number).
 */
export function parseSecretValues(raw: string | undefined): Record<string, string> {
  if (raw === undefined || raw === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`${secretValuesKey} must be an object of secret name → value; set each with ${setSecretCommand("<name>")}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${secretValuesKey} must be an object of secret name → value; set each with ${setSecretCommand("<name>")}`);
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
      throw new Error(`${secretValuesKey}.${name} must be a single value; set it with ${setSecretCommand(name)}`);
    }
    out[name] = String(value);
  }
  return out;
}
