/**
 * CI reaches the control plane (issue 17 item 1, gcp-review 5, k8s-review 1 and 29): the cluster
 * turns on GKE's DNS-based endpoint with IAM authorization, and the kubeconfig of the stack (what
 * the Kubernetes provider uses) points at it, so GitHub-hosted runners reach the API server with
 * their federated identity and no IP allowlist. An environment created before pins
 * `kubeconfigEndpoint: ip`: its kubeconfig is byte-identical to the one 0.1.0 rendered, so the
 * provider (and every Kubernetes object through it) stays.
 */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderKubeconfig } from "../../src/components/cluster/kubeconfig.js";
import { one, planProgram } from "../harness.js";

async function clusterKubeconfig(kubeconfigEndpoint?: "dns" | "ip") {
  let kubeconfig = "";
  let ipEndpoint = "";
  let ca = "";
  const plan = await planProgram(async () => {
    const pulumi = await import("@pulumi/pulumi");
    const { Cluster } = await import("../../src/components/cluster/cluster.js");
    const { Naming } = await import("../../src/config/naming.js");
    const cluster = new Cluster("gke", {
      project: "acme-prod",
      region: "europe-west1",
      naming: Naming.of("acme", "prod"),
      network: "projects/acme-prod/global/networks/vpc",
      subnetwork: "projects/acme-prod/regions/europe-west1/subnetworks/nodes",
      masterCidr: "172.16.0.0/28",
      masterAuthorizedNetworks: [{ name: "office", cidr: "203.0.113.0/24" }],
      artifactRepository: { project: "acme-prod", location: "europe-west1", repositoryId: "acme-prod-images" },
      allowedImagePatterns: ["europe-west1-docker.pkg.dev/acme-prod/acme-prod-images/*"],
      ...(kubeconfigEndpoint ? { kubeconfigEndpoint } : {}),
    });
    pulumi.unsecret(cluster.kubeconfig).apply((k) => (kubeconfig = k));
    cluster.endpoint.apply((e) => (ipEndpoint = e));
    cluster.cluster.masterAuth.apply((a) => (ca = a.clusterCaCertificate ?? ""));
  }, { defaultProject: "acme-prod", defaultRegion: "europe-west1" });
  return { plan, kubeconfig, ipEndpoint, ca };
}

describe("the control plane from CI", () => {
  it("the cluster has the DNS-based endpoint open to IAM-authorized external traffic; the IP endpoint keeps its authorized networks", async () => {
    const { plan } = await clusterKubeconfig();
    const cluster = one(plan, "gcp:container/cluster:Cluster", "gke-cluster");
    expect(cluster.inputs.controlPlaneEndpointsConfig).toEqual({ dnsEndpointConfig: { allowExternalTraffic: true } });
    expect(cluster.inputs.masterAuthorizedNetworksConfig).toEqual({ cidrBlocks: [{ cidrBlock: "203.0.113.0/24", displayName: "office" }], gcpPublicCidrsAccessEnabled: false });
  });

  it("by default the kubeconfig's server is the DNS endpoint, authenticated by gke-gcloud-auth-plugin", async () => {
    const { kubeconfig } = await clusterKubeconfig();
    const doc = parse(kubeconfig) as { clusters: { cluster: { server: string } }[]; users: { user: { exec: { command: string } } }[] };
    expect(doc.clusters[0]!.cluster.server).toMatch(/^https:\/\/gke-[0-9a-f]{32}-\d+\.europe-west1\.gke\.goog$/);
    expect(doc.users[0]!.user.exec.command).toBe("gke-gcloud-auth-plugin");
  });

  it("kubeconfigEndpoint ip (existing environments): the kubeconfig is exactly 0.1.0's, against the IP endpoint", async () => {
    const { kubeconfig, ipEndpoint, ca } = await clusterKubeconfig("ip");
    expect(ipEndpoint).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(kubeconfig).toBe(renderKubeconfig({ name: "acme-prod-gke", endpoint: ipEndpoint, caCertificate: ca }));
  });
});
