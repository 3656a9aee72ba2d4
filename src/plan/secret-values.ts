/**
 * Secrets a workload mounts or reads that nothing in the stack gives a value (newcomer 15): a
 * Secret Manager secret the stack creates has no version until something adds one, and a pod
 * mounting its `latest` version through the CSI driver never starts
 * (https://cloud.google.com/secret-manager/docs/secret-manager-managed-csi-component). Read from the
 * plan alone, so it holds for any stack: a secret is given a value by a `SecretVersion` depending
 * on it; it is read by a `secretAccessor` grant on it or mounted by a SecretProviderClass naming it.
 */
import type { Plan, PlannedResource } from "./run.js";

const SECRET = "gcp:secretmanager/secret:Secret";
const VERSION = "gcp:secretmanager/secretVersion:SecretVersion";
const SECRET_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember";
const PROVIDER_CLASS = /^kubernetes:secrets-store\.csi\.x-k8s\.io\/v\d+:SecretProviderClass$/;
/** Generic custom resources carry apiVersion / kind in their inputs. */
const isProviderClass = (r: PlannedResource) =>
  PROVIDER_CLASS.test(r.type) || (r.inputs.kind === "SecretProviderClass" && String(r.inputs.apiVersion ?? "").startsWith("secrets-store.csi.x-k8s.io/"));

export interface SecretWithoutValue {
  /** URN of the Secret. */
  urn: string;
  /** Its secret id (physical name). */
  secretId: string;
  project: string;
  /** Logical names of what mounts or reads it, sorted. */
  readers: string[];
  /** One line: what is missing, who needs it and how to give it a value. */
  message: string;
}

export interface SecretValueOptions {
  /**
   * How to set a value in this kind of stack, given the secret id (e.g. brume's
   * `pulumi config set --secret --path 'brume:secrets.<name>' <value>`); the gcloud command is always given.
   */
  setCommand?: (secretId: string) => string | undefined;
}

/** Every secret the plan creates that something mounts or reads and nothing gives a version. */
export function secretsWithoutValue(plan: Plan, options: SecretValueOptions = {}): SecretWithoutValue[] {
  const secrets = plan.resources.filter((r) => r.type === SECRET && r.custom);
  if (secrets.length === 0) return [];
  const valued = new Set(plan.resources.filter((r) => r.type === VERSION).flatMap((r) => r.dependencies));
  const accessors = plan.resources.filter((r) => r.type === SECRET_MEMBER && r.inputs.role === "roles/secretmanager.secretAccessor");
  const classes = plan.resources.filter(isProviderClass).map((r) => ({ name: r.name, text: JSON.stringify(r.inputs) }));
  const out: SecretWithoutValue[] = [];
  for (const secret of secrets) {
    if (valued.has(secret.urn)) continue;
    const secretId = String(secret.inputs.secretId ?? secret.name);
    const project = String(secret.inputs.project ?? "");
    // A grant names its secret by id: the physical id, `projects/<p>/secrets/<id>` (the provider's
    // resource id), or the offline plan's id of the Secret (`<logical name>-id`, src/plan/mocks.ts).
    const names = (v: unknown) => typeof v === "string" && (v === secretId || v.endsWith(`/secrets/${secretId}`) || v === `${secret.name}-id`);
    const readers = [
      ...accessors.filter((r) => names(r.inputs.secretId)).map((r) => r.name),
      ...classes.filter((c) => c.text.includes(`/secrets/${secretId}/versions/`)).map((c) => c.name),
    ].sort();
    if (readers.length === 0) continue;
    const set = options.setCommand?.(secretId);
    const gcloud = `gcloud secrets versions add ${secretId}${project ? ` --project ${project}` : ""} --data-file=-`;
    out.push({
      urn: secret.urn,
      secretId,
      project,
      readers,
      message:
        `secret "${secretId}" is read by ${readers.join(", ")} but nothing in the stack gives it a value: ` +
        `whatever mounts or reads it fails until it has a version; ${set ? `set it with ${set}, or add one out of band: ${gcloud}` : `add one: ${gcloud}`}`,
    });
  }
  return out;
}
