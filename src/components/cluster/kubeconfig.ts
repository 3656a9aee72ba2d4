/**
 * The kubeconfig of a GKE cluster, as a pure function of the cluster's name, endpoint and CA. It
 * holds no credential: kubectl and the Pulumi Kubernetes provider get a short-lived token from
 * `gke-gcloud-auth-plugin` (the only supported auth since GKE 1.26), using whatever Google
 * credentials the caller has. It is still handled as a secret because it names a private endpoint.
 */
import { stringify } from "yaml";

export interface KubeconfigInput {
  /** Name of the cluster, context and user entries. */
  name: string;
  /** Control-plane endpoint: an IP address or host name, without a scheme. */
  endpoint: string;
  /** Base64 PEM of the cluster CA (`masterAuth.clusterCaCertificate`). */
  caCertificate: string;
}

/** The exec plugin entry: what `gcloud container clusters get-credentials` writes. */
export const gkeAuthPlugin = {
  apiVersion: "client.authentication.k8s.io/v1beta1",
  command: "gke-gcloud-auth-plugin",
  installHint:
    "Install gke-gcloud-auth-plugin for kubectl: https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin",
  provideClusterInfo: true,
} as const;

/** Renders a kubeconfig (YAML) with one cluster, one context and one exec-plugin user. */
export function renderKubeconfig({ name, endpoint, caCertificate }: KubeconfigInput): string {
  const server = /^https:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server, "certificate-authority-data": caCertificate } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
    users: [{ name, user: { exec: { ...gkeAuthPlugin } } }],
  };
  // lineWidth 0: never fold long values (the install hint) over two lines.
  return stringify(config, { lineWidth: 0 });
}
