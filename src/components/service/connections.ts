/**
 * The connection contract on Kubernetes (src/render/connections.ts, docs/connections.md): what a
 * Service's pods get for the resources it `uses` — the variables in the app container's env, the
 * files through the Secret Manager add-on's CSI volume, and the Cloud SQL Auth Proxy as a native
 * sidecar. Small functions the Service component calls; the contract itself is the render layer's.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { connectionContract, kubernetesPlace, type CacheFacts, type Contract, type DatabaseFacts } from "../../render/connections.js";
import { sqlProxySidecar } from "../../render/sql-proxy.js";
import type { SecretFile } from "./manifests.js";

type In = pulumi.Input<string>;

/** What the environment knows about the resources a service uses (all but the login name, which the Service derives from its identity). */
export interface ServiceConnections {
  database?: Omit<DatabaseFacts<In>, "user"> & {
    /** Physical instance name (IAM conditions, the IAM user). */
    instanceName: string;
    /** The instance's name as its output (what the IAM user is created in). */
    instance?: pulumi.Input<string>;
    /** Password mode: the built-in user's name. */
    passwordUser?: string;
  };
  cache?: CacheFacts<In>;
  topics?: Record<string, In>;
  subscriptions?: Record<string, In>;
  buckets?: Record<string, In>;
}

/** The contract of a pod: `user` is the IAM login name (iam mode), ignored in password mode. */
export function podContract(project: string, c: ServiceConnections | undefined, user: In): Contract<In> {
  const db = c?.database;
  return connectionContract<In>(
    {
      project,
      ...(db ? { database: { ...db, user: db.auth === "password" ? db.passwordUser ?? "" : user } } : {}),
      ...(c?.cache ? { cache: c.cache } : {}),
      ...(c?.topics ? { topics: c.topics } : {}),
      ...(c?.subscriptions ? { subscriptions: c.subscriptions } : {}),
      ...(c?.buckets ? { buckets: c.buckets } : {}),
    },
    kubernetesPlace,
  );
}

/** The contract's files as the Secret Manager add-on mounts them (same directory and `<NAME>_FILE` convention as `secrets`). */
export function contractSecretFiles(project: string, contract: Contract<In>): SecretFile[] {
  return contract.files.map((f) => ({ env: f.name, secretResource: `projects/${project}/secrets/${f.secretId}` }));
}

/**
 * Adds the contract to a Deployment built from our manifest: its variables to the app container
 * (a name the manifest already sets — the `_FILE` variables of mounted files — is left alone) and
 * the proxy sidecar when the service uses a database.
 */
export function withConnections(args: k8s.apps.v1.DeploymentArgs, contract: Contract<In>): void {
  type Env = { name: string; value?: pulumi.Input<string> };
  const pod = (args.spec as { template: { spec: { containers: { env?: Env[] }[]; initContainers?: unknown[] } } }).template.spec;
  const app = pod.containers[0]!;
  const env = (app.env ?? []) as Env[];
  const present = new Set(env.map((e) => e.name));
  for (const [name, value] of Object.entries(contract.env)) if (!present.has(name)) env.push({ name, value });
  env.sort((a, b) => a.name.localeCompare(b.name));
  app.env = env;
  if (contract.proxy) {
    const p = contract.proxy;
    const sidecar = sqlProxySidecar({ connectionName: "CONNECTION_NAME", port: p.port, autoIamAuthn: p.autoIamAuthn });
    // The connection name is the instance's output (a real dependency), not a string we assemble.
    pod.initContainers = [...(pod.initContainers ?? []), { ...sidecar, args: [...sidecar.args.slice(0, -1), p.connectionName] }];
  }
}
