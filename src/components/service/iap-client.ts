/**
 * The Kubernetes Secret GKE's GCPBackendPolicy reads the IAP OAuth client secret from
 * (`iap.oauth2ClientSecret.name`, key `key`: GKE "Secure a Gateway", Identity-Aware Proxy,
 * https://cloud.google.com/kubernetes-engine/docs/how-to/secure-gateway#configure_iap). Its value
 * is the stack's secret config of the brume secret `expose.iapClient.secret`
 * (`pulumi config set --secret --path 'brume:secrets.<name>' <client secret>`), which the stack also
 * writes as that secret's version: it is never read back from Secret Manager, which a first apply
 * cannot do (the secret it creates has no version yet) and a preview must not (payload reads).
 * A Pulumi secret: encrypted in the state, never in a manifest or the plan.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * Annotation of the Kubernetes objects Pulumi keeps in every delivery (`brume render` writes them
 * to no Git repository): the IAP client's Secret, whose value never leaves the Pulumi state.
 */
export const keptByPulumiAnnotation = "brume.dev/kept-by";

export function iapClientSecretName(service: string): string {
  return `${service}-iap-oauth`;
}

export function createIapClientSecret(
  name: string,
  o: { namespace: string; service: string; value: pulumi.Input<string>; labels: Record<string, string> },
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    `${name}-iap-oauth`,
    {
      metadata: { name: iapClientSecretName(o.service), namespace: o.namespace, labels: o.labels, annotations: { [keptByPulumiAnnotation]: "pulumi" } },
      type: "Opaque",
      stringData: { key: pulumi.secret(o.value) },
    },
    opts,
  );
}
