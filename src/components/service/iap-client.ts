/**
 * The Kubernetes Secret GKE's GCPBackendPolicy reads the IAP OAuth client secret from
 * (`iap.oauth2ClientSecret.name`, key `key`: GKE "Secure a Gateway", Identity-Aware Proxy,
 * https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway#configure_iap), filled
 * from the brume secret `expose.iapClient.secret` (Secret Manager: its pinned version, else the latest). The value is a
 * Pulumi secret: encrypted in the state, never in a manifest or the plan. The deployer reads the
 * secret's payload (roles/secretmanager.secretAccessor on that one secret).
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export function iapClientSecretName(service: string): string {
  return `${service}-iap-oauth`;
}

export function createIapClientSecret(
  name: string,
  o: { project: string; namespace: string; service: string; secretId: string; labels: Record<string, string>; version?: number | undefined },
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  // The pinned version when the stack pins one (brume:secretVersions), else the latest.
  const version = gcp.secretmanager.getSecretVersionOutput(
    { project: o.project, secret: o.secretId, ...(o.version !== undefined ? { version: String(o.version) } : {}) },
    { parent: opts.parent },
  );
  return new k8s.core.v1.Secret(
    `${name}-iap-oauth`,
    {
      metadata: { name: iapClientSecretName(o.service), namespace: o.namespace, labels: o.labels },
      type: "Opaque",
      stringData: { key: pulumi.secret(version.secretData) },
    },
    opts,
  );
}
