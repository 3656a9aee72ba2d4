/**
 * The Pulumi program (Pulumi.yaml `main`): reads the stack config, loads brume.yaml / brume.toml
 * for the selected environment and expands it into a Project. Stack config keys:
 *
 * - `brume:environment` — environment name; defaults to the stack name;
 * - `brume:configFile` — config file path; defaults to brume.yaml / brume.toml in the project dir;
 * - `brume:release`    — release state written by `brume release` (src/config/schema-release.ts);
 * - `brume:overrides`  — object deep-merged over the file (objects merge, arrays replace, null removes);
 * - `brume:secretVersions` — the version of each secret this stack mounts (src/config/secret-versions.ts);
 * - `brume:secrets`    — values of declared secrets, each set encrypted
 *   (`pulumi config set --secret --path 'brume:secrets.<name>' <value>`; see src/config/secret-values.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { dirname } from "node:path";
import { Project } from "../components/project/project.js";
import { ConfigError } from "../config/errors.js";
import { loadStack, type LoadedStack } from "../config/load.js";
import { stackKeyIssues } from "../config/stack-file.js";
import { parseSecretValues, secretValueIssues, secretValuesKey } from "../config/secret-values.js";

/** Reads the stack config and the brume config; bad input becomes a RunError (no stack trace). */
export function loadStackFromPulumiConfig(): LoadedStack {
  // The same strictness as the CLI (src/config/stack-file.ts): `brume:overides` is an error, not a
  // plan without the overrides.
  const keyIssues = stackKeyIssues(Object.keys(pulumi.runtime.allConfig()), pulumi.getProject());
  if (keyIssues.length > 0) throw new pulumi.RunError(new ConfigError(keyIssues, `Pulumi.${pulumi.getStack()}.yaml`).message);
  const cfg = new pulumi.Config("brume");
  const configFile = cfg.get("configFile");
  const overrides = cfg.getObject<unknown>("overrides");
  const release = cfg.getObject<unknown>("release");
  const secretVersions = cfg.getObject<unknown>("secretVersions");
  try {
    return loadStack({
      environment: cfg.get("environment") ?? pulumi.getStack(),
      ...(configFile ? { configFile } : {}),
      ...(overrides !== undefined ? { overrides, overridesSource: `Pulumi.${pulumi.getStack()}.yaml` } : {}),
      ...(release !== undefined ? { release } : {}),
      ...(secretVersions !== undefined ? { secretVersions } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

/**
 * The values of declared secrets from `brume:secrets`, each a Pulumi secret (never a plain value in
 * the program); names that are no declared secret, or a Slack token without a value, are a RunError
 * saying which command sets it.
 */
export function secretValuesFromPulumiConfig(stack: LoadedStack): Record<string, pulumi.Output<string>> {
  let values: Record<string, string>;
  try {
    values = parseSecretValues(pulumi.runtime.getConfig(secretValuesKey));
  } catch (err) {
    throw new pulumi.RunError(err instanceof Error ? err.message : String(err));
  }
  const issues = secretValueIssues(stack.config, Object.keys(values), [], pulumi.getStack());
  if (issues.length > 0) throw new pulumi.RunError(new ConfigError(issues, `Pulumi.${pulumi.getStack()}.yaml`).message);
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, pulumi.secret(value)]));
}

/** Stack outputs: where things are and how to reach them. Credentials stay in Secret Manager. */
export function stackOutputs(project: Project) {
  const env = project.resolved;
  const e = project.environment;
  const mapOf = <T, R>(record: Record<string, T>, fn: (value: T) => R) =>
    Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
  return {
    environment: env.name,
    gcpProject: env.gcpProject,
    region: env.region,
    preset: env.preset,
    networkId: e.network.networkId,
    subnets: {
      nodes: e.network.nodesSubnet.selfLink,
      private: e.network.privateSubnet.selfLink,
      proxy: e.network.proxySubnet.selfLink,
    },
    ranges: env.network,
    // Delegate the environment's domain to these (docs/domains.md).
    nameServers: e.network.nameServers,
    // Each Gateway's reserved IP, and the served domains outside the zone that must point at it.
    gateways: mapOf(project.namespace?.edges ?? {}, (g) => ({ address: g.address, domainsOutsideZone: g.outsideZone })),
    cluster: { name: e.cluster.clusterName, endpoint: e.cluster.endpoint, workloadPool: e.cluster.workloadPool },
    kubeconfig: e.cluster.kubeconfig,
    registry: e.registry.url,
    databases: mapOf(e.databases, (db) => ({ connectionName: db.connectionName, privateIp: db.privateIp, passwordSecrets: db.userSecretNames })),
    caches: mapOf(e.caches, (c) => ({ host: c.host, port: c.port, authSecret: c.authSecretName, caSecret: c.caSecretName })),
    topics: mapOf(e.topics, (t) => t.topicId),
    buckets: mapOf(e.buckets, (b) => b.url),
    // Each public bucket's CDN on its domain: the address its domain points at (stack-created A record
    // when the domain is in the public zone; domainOutsideZone: point it there yourself).
    ...(Object.keys(project.cdnFrontends).length > 0
      ? { cdn: mapOf(project.cdnFrontends, (f) => ({ domain: f.domain, url: f.url, address: f.address, domainOutsideZone: f.domainOutsideZone })) }
      : {}),
    secrets: mapOf(e.secrets, (s) => s.secretName),
    // Digests of the images the stack builds, by service: `brume render --outputs` writes them into the GitOps repository.
    images: Object.fromEntries(Object.entries(project.services).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([key, svc]) => (svc.builtImage ? [[key, svc.builtImage]] : []))),
    machines: mapOf(project.machines?.groups ?? {}, (g) => ({
      serviceAccount: g.serviceAccountEmail,
      instanceGroups: Object.fromEntries(Object.entries(g.groups).map(([slot, mig]) => [slot || "default", mig.instanceGroup])),
      backendService: g.backendService?.id,
      // The shared load balancer's address, on the groups it serves (the same for each of them).
      address: g.serving ? project.machines?.address : undefined,
    })),
    // The machine groups' one Application Load Balancer address: point their domains here.
    ...(project.machines?.address ? { machinesAddress: project.machines.address } : {}),
  };
}

export interface ProgramOptions {
  /**
   * Instantiate only these Kubernetes services. The offline plan passes it to plan a large
   * environment in groups of services (bounded memory); `pulumi up` calls `main()` without it.
   */
  onlyServices?: readonly string[];
  /**
   * The stack's config, already loaded and validated from the same stack config (the offline plan
   * loads it once for all its runs). @default loaded from the Pulumi stack config
   */
  loaded?: LoadedStack;
}

export default async function main(options: ProgramOptions = {}) {
  const stack = options.loaded ?? loadStackFromPulumiConfig();
  const secretValues = secretValuesFromPulumiConfig(stack);
  const project = new Project(stack.config.project.name, {
    config: stack.config,
    environment: stack.environment.name,
    secretValues,
    baseDir: dirname(stack.file),
    ...(options.onlyServices ? { onlyServices: options.onlyServices } : {}),
  });
  return stackOutputs(project);
}
