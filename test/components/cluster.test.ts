import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { ClusterArgs } from "../../src/components/cluster/cluster.js";
import { renderKubeconfig } from "../../src/components/cluster/kubeconfig.js";
import { presetNodePools } from "../../src/components/cluster/node-pools.js";
import { presets } from "../../src/config/presets.js";
import { clusterProblems, maintenanceHoursPer32Days } from "../../src/components/cluster/validate.js";
import type { Plan } from "../../src/plan/run.js";
import { one, ofType, planProgram } from "../harness.js";

const project = "shop-prod-7781";
const nodeSaEmail = `shop-prod-gke-nodes@${project}.iam.gserviceaccount.com`;
const T = {
  cluster: "gcp:container/cluster:Cluster",
  pool: "gcp:container/nodePool:NodePool",
  account: "gcp:serviceaccount/account:Account",
  projectMember: "gcp:projects/iAMMember:IAMMember",
  repoMember: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  policy: "gcp:binaryauthorization/policy:Policy",
  k8s: "pulumi:providers:kubernetes",
} as const;

type Overrides = Partial<Omit<ClusterArgs, "naming">>;

/** Plans one cluster; returns the plan and the kubeconfig text (awaited inside the program). */
async function planCluster(overrides: Overrides = {}): Promise<{ plan: Plan; kubeconfig: string }> {
  let kubeconfig = "";
  const plan = await planProgram(
    async () => {
      const { Cluster } = await import("../../src/components/cluster/cluster.js");
      const { Naming } = await import("../../src/config/naming.js");
      const cluster = new Cluster("gke", {
        project,
        region: "europe-west1",
        naming: Naming.of("shop", "prod"),
        network: `projects/${project}/global/networks/shop-prod-vpc`,
        subnetwork: `projects/${project}/regions/europe-west1/subnetworks/shop-prod-nodes`,
        masterCidr: "172.16.0.0/28",
        masterAuthorizedNetworks: [{ cidr: "198.51.100.0/24", name: "office" }],
        allowedImagePatterns: [`europe-west1-docker.pkg.dev/${project}/apps/*`],
        labels: { team: "platform" },
        ...overrides,
      });
      kubeconfig = await new Promise<string>((resolve) => cluster.kubeconfig.apply(resolve));
      return { kubeconfig: cluster.kubeconfig, clusterName: cluster.clusterName, workloadPool: cluster.workloadPool };
    },
    { defaultProject: project },
  );
  return { plan, kubeconfig };
}

describe("renderKubeconfig", () => {
  const text = renderKubeconfig({ name: "shop-prod-gke", endpoint: "172.16.0.2", caCertificate: "Q0E=" });

  it("renders exactly one cluster, context and exec-plugin user", () => {
    expect(text).toBe(
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "  - name: shop-prod-gke",
        "    cluster:",
        "      server: https://172.16.0.2",
        "      certificate-authority-data: Q0E=",
        "contexts:",
        "  - name: shop-prod-gke",
        "    context:",
        "      cluster: shop-prod-gke",
        "      user: shop-prod-gke",
        "current-context: shop-prod-gke",
        "preferences: {}",
        "users:",
        "  - name: shop-prod-gke",
        "    user:",
        "      exec:",
        "        apiVersion: client.authentication.k8s.io/v1beta1",
        "        command: gke-gcloud-auth-plugin",
        '        installHint: "Install gke-gcloud-auth-plugin for kubectl: https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin"',
        "        provideClusterInfo: true",
        "",
      ].join("\n"),
    );
  });

  it("parses to the fields kubectl reads, with no static credential", () => {
    const config = parse(text);
    expect(config.clusters[0].cluster).toEqual({ server: "https://172.16.0.2", "certificate-authority-data": "Q0E=" });
    expect(config["current-context"]).toBe("shop-prod-gke");
    expect(config.users[0].user.exec).toMatchObject({
      apiVersion: "client.authentication.k8s.io/v1beta1",
      command: "gke-gcloud-auth-plugin",
      provideClusterInfo: true,
    });
    expect(Object.keys(config.users[0].user)).toEqual(["exec"]);
    expect(renderKubeconfig({ name: "x", endpoint: "https://10.0.0.1", caCertificate: "" })).toContain("server: https://10.0.0.1\n");
  });
});

describe("presetNodePools", () => {
  it("sizes the general pool from the preset and adds the high-memory and spot pools only when asked", () => {
    expect(presetNodePools(presets.production)).toEqual([
      { name: "general", machineType: "e2-standard-4", min: 1, max: 5, labels: { workload: "general" } },
      // Tainted: only `resources.pool: highmem` workloads land there (k8s-review 31).
      { name: "highmem", machineType: "e2-highmem-4", min: 0, max: 3, taints: [{ key: "workload", value: "highmem", effect: "NO_SCHEDULE" }], labels: { workload: "highmem" } },
      {
        name: "spot",
        machineType: "e2-standard-4",
        min: 0,
        max: 5,
        spot: true,
        taints: [{ key: "workload", value: "spot", effect: "NO_SCHEDULE" }],
        labels: { workload: "spot" },
      },
    ]);
    expect(presetNodePools(presets.development).map((p) => [p.name, p.machineType, p.min, p.max])).toEqual([
      ["general", "e2-standard-2", 0, 2],
    ]);
    expect(presetNodePools({ ...presets.development, highMemoryPool: true }).map((p) => p.name)).toEqual(["general", "highmem"]);
    expect(presetNodePools(presets.staging).map((p) => p.name)).toEqual(["general", "spot"]);
  });
});

describe("cluster validation", () => {
  const valid = {
    masterCidr: "172.16.0.0/28",
    masterAuthorizedNetworks: [],
    nodePools: [{ name: "general", machineType: "e2-standard-4", min: 1, max: 3 }],
    maintenanceWindow: { startTime: "2024-01-06T00:00:00Z", endTime: "2024-01-06T08:00:00Z", recurrence: "FREQ=WEEKLY;BYDAY=SA,SU" },
    allowedImagePatterns: [],
  };

  it("accepts the defaults and reports each mistake", () => {
    expect(clusterProblems(valid)).toEqual([]);
    expect(clusterProblems({ ...valid, masterCidr: "172.16.0.0/24" })).toEqual([
      'masterCidr must be an IPv4 /28 for the control plane (e.g. "172.16.0.0/28"), got "172.16.0.0/24"',
    ]);
    expect(
      clusterProblems({
        ...valid,
        nodePools: [
          { name: "general", machineType: "e2-standard-4", min: 3, max: 1 },
          { name: "general", machineType: "e2-standard-4", min: 0, max: 1 },
        ],
      }),
    ).toEqual([
      'nodePools "general": expected integers 0 <= min <= max and max >= 1, got min 3, max 1',
      'nodePools "general": duplicate pool name',
    ]);
    expect(clusterProblems({ ...valid, allowedImagePatterns: ["europe-west1-docker.pkg.dev/shop-prod/*"] })).toEqual([
      'allowedImagePatterns: "europe-west1-docker.pkg.dev/shop-prod/*" admits no Artifact Registry image (`*` does not match "/", and images sit below a repository); use "europe-west1-docker.pkg.dev/shop-prod/<repository>/*" or "europe-west1-docker.pkg.dev/shop-prod/**"',
    ]);
    expect(clusterProblems({ ...valid, allowedImagePatterns: ["europe-west1-docker.pkg.dev/shop-prod/**", "europe-west1-docker.pkg.dev/shop-prod/apps/*"] })).toEqual([]);
    expect(clusterProblems({ ...valid, allowedImagePatterns: ["*"] })).toEqual([
      'allowedImagePatterns: "*" must name a registry and path ("<registry>/<path>/*"), a bare wildcard would allow every image',
    ]);
  });

  it("counts maintenance hours the way GKE's 48 h in 32 days rule does", () => {
    expect(maintenanceHoursPer32Days(valid.maintenanceWindow)).toBe(64);
    const shortWeekend = { ...valid.maintenanceWindow, startTime: "2024-01-06T02:00:00Z", endTime: "2024-01-06T06:00:00Z" };
    expect(maintenanceHoursPer32Days(shortWeekend)).toBe(32);
    expect(clusterProblems({ ...valid, maintenanceWindow: shortWeekend })).toEqual([
      "maintenanceWindow gives 32 h of maintenance in some 32-day period; GKE requires at least 48 h (make the window longer or more frequent)",
    ]);
    expect(maintenanceHoursPer32Days({ ...shortWeekend, recurrence: "FREQ=DAILY" })).toBe(124);
    expect(maintenanceHoursPer32Days({ ...shortWeekend, recurrence: "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH" })).toBe(68);
  });

  it("rejects 0.0.0.0/0 in authorized networks when the component is built", async () => {
    await expect(
      planCluster({ masterAuthorizedNetworks: [{ cidr: "0.0.0.0/0", name: "anywhere" }] }),
    ).rejects.toThrow(
      'Cluster "gke": masterAuthorizedNetworks must not contain 0.0.0.0/0 ("anywhere"): it opens the control plane to the whole internet',
    );
  });
});

describe("brume:cluster:Cluster (defaults: Dataplane V2, protected)", () => {
  let plan: Plan;
  let kubeconfig: string;
  beforeAll(async () => {
    ({ plan, kubeconfig } = await planCluster());
  });

  it("is a private regional VPC-native cluster reachable only from the authorized networks", () => {
    const cluster = one(plan, T.cluster, "gke-cluster");
    expect(cluster.inputs).toMatchObject({
      project,
      name: "shop-prod-gke",
      location: "europe-west1",
      network: `projects/${project}/global/networks/shop-prod-vpc`,
      subnetwork: `projects/${project}/regions/europe-west1/subnetworks/shop-prod-nodes`,
      networkingMode: "VPC_NATIVE",
      ipAllocationPolicy: { clusterSecondaryRangeName: "pods", servicesSecondaryRangeName: "services" },
      removeDefaultNodePool: true,
      initialNodeCount: 1,
      enableLegacyAbac: false,
      masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
      resourceLabels: { team: "platform" },
    });
    expect(cluster.inputs.privateClusterConfig).toEqual({
      enablePrivateNodes: true,
      enablePrivateEndpoint: false,
      masterIpv4CidrBlock: "172.16.0.0/28",
      masterGlobalAccessConfig: { enabled: true },
    });
    expect(cluster.inputs.masterAuthorizedNetworksConfig).toEqual({
      cidrBlocks: [{ cidrBlock: "198.51.100.0/24", displayName: "office" }],
      gcpPublicCidrsAccessEnabled: false,
    });
  });

  it("enables Workload Identity, shielded nodes, Dataplane V2, Binary Authorization and observability", () => {
    const cluster = one(plan, T.cluster, "gke-cluster");
    expect(cluster.inputs).toMatchObject({
      workloadIdentityConfig: { workloadPool: `${project}.svc.id.goog` },
      enableShieldedNodes: true,
      enableIntranodeVisibility: true,
      // gcp-review 36: Dataplane V2 by default, without the Calico add-on (mutually exclusive).
      datapathProvider: "ADVANCED_DATAPATH",
      addonsConfig: {
        networkPolicyConfig: { disabled: true },
        httpLoadBalancing: { disabled: false },
        gcpFilestoreCsiDriverConfig: { enabled: false },
        gcsFuseCsiDriverConfig: { enabled: false },
      },
      binaryAuthorization: { evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" },
      gatewayApiConfig: { channel: "CHANNEL_STANDARD" },
      releaseChannel: { channel: "STABLE" },
      // gcp-review 12: VULNERABILITY_BASIC is retired; images are scanned in Artifact Registry.
      securityPostureConfig: { mode: "BASIC", vulnerabilityMode: "VULNERABILITY_DISABLED" },
      secretManagerConfig: { enabled: true },
      monitoringConfig: { enableComponents: ["SYSTEM_COMPONENTS"], managedPrometheus: { enabled: true } },
      loggingConfig: { enableComponents: ["SYSTEM_COMPONENTS", "WORKLOADS"] },
      maintenancePolicy: {
        recurringWindow: {
          startTime: "2024-01-06T00:00:00Z",
          endTime: "2024-01-06T08:00:00Z",
          recurrence: "FREQ=WEEKLY;BYDAY=SA,SU",
        },
      },
    });
    expect(cluster.inputs).not.toHaveProperty("networkPolicy");
    expect(cluster.inputs).not.toHaveProperty("authenticatorGroupsConfig");
    expect(plan.outputs.workloadPool).toBe(`${project}.svc.id.goog`);
    expect(plan.outputs.clusterName).toBe("shop-prod-gke");
  });

  it("protects the cluster in Pulumi and in the provider", () => {
    const cluster = one(plan, T.cluster, "gke-cluster");
    expect(cluster.protect).toBe(true);
    expect(cluster.inputs.deletionProtection).toBe(true);
    for (const pool of ofType(plan, T.pool)) expect(pool.protect, pool.name).toBe(false);
  });

  it("runs even the short-lived default pool as the dedicated node SA", () => {
    const cluster = one(plan, T.cluster, "gke-cluster");
    expect(cluster.inputs.nodeConfig).toEqual({
      imageType: "COS_CONTAINERD",
      serviceAccount: nodeSaEmail,
      oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      workloadMetadataConfig: { mode: "GKE_METADATA" },
      metadata: { "disable-legacy-endpoints": "true" },
    });
  });

  it("grants the node SA exactly the node roles, at project scope", () => {
    const sa = one(plan, T.account, "gke-nodes-sa");
    expect(sa.inputs).toMatchObject({ project, accountId: "shop-prod-gke-nodes" });
    const members = ofType(plan, T.projectMember);
    // gcp-review 37 (CIS GKE 5.2.1): the one least-privilege node role, not the legacy list;
    // image pulls on the project only because no repository was given.
    expect(members.map((m) => m.inputs.role).sort()).toEqual(["roles/artifactregistry.reader", "roles/container.defaultNodeServiceAccount"]);
    for (const m of members) {
      expect(m.inputs).toMatchObject({ project, member: `serviceAccount:${nodeSaEmail}` });
      expect(m.inputs.role).not.toMatch(/roles\/(owner|editor|viewer)$/);
      expect(m.dependencies).toEqual([sa.urn]);
    }
    expect(ofType(plan, T.repoMember)).toHaveLength(0);
  });

  it("builds the default pools with hardened nodes, surge upgrades and per-zone autoscaling", () => {
    const pools = ofType(plan, T.pool);
    expect(pools.map((p) => p.name).sort()).toEqual(["gke-pool-general", "gke-pool-highmem", "gke-pool-spot"]);
    const cluster = one(plan, T.cluster, "gke-cluster");
    const bindings = ofType(plan, T.projectMember).map((m) => m.urn);
    for (const pool of pools) {
      expect(pool.inputs).toMatchObject({
        project,
        location: "europe-west1",
        cluster: "shop-prod-gke",
        management: { autoRepair: true, autoUpgrade: true },
        upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
        nodeConfig: {
          imageType: "COS_CONTAINERD",
          serviceAccount: nodeSaEmail,
          oauthScopes: ["https://www.googleapis.com/auth/cloud-platform"],
          shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
          workloadMetadataConfig: { mode: "GKE_METADATA" },
          metadata: { "disable-legacy-endpoints": "true" },
          diskType: "pd-balanced",
          diskSizeGb: 100,
          resourceLabels: { team: "platform" },
          tags: ["shop-prod-gke-node", "lb-backend"],
        },
      });
      expect(JSON.stringify(pool.inputs)).not.toContain("compute@developer.gserviceaccount.com");
      // Pools wait for the cluster and for every role the nodes need.
      expect(pool.dependencies).toEqual(expect.arrayContaining([cluster.urn, ...bindings]));
    }
    expect(one(plan, T.pool, "gke-pool-general").inputs).toMatchObject({
      name: "general",
      initialNodeCount: 1,
      autoscaling: { minNodeCount: 1, maxNodeCount: 5, locationPolicy: "BALANCED" },
      nodeConfig: { machineType: "e2-standard-4", spot: false, taints: [], labels: { workload: "general" } },
    });
    expect(one(plan, T.pool, "gke-pool-highmem").inputs).toMatchObject({
      autoscaling: { minNodeCount: 0, maxNodeCount: 3 },
      nodeConfig: { machineType: "e2-highmem-4", spot: false },
    });
    expect(one(plan, T.pool, "gke-pool-spot").inputs).toMatchObject({
      autoscaling: { minNodeCount: 0, maxNodeCount: 5, locationPolicy: "ANY" },
      nodeConfig: {
        spot: true,
        taints: [{ key: "workload", value: "spot", effect: "NO_SCHEDULE" }],
        labels: { workload: "spot" },
      },
    });
  });

  it("manages a deny-by-default Binary Authorization policy admitting the project's registry", () => {
    const policy = one(plan, T.policy, "gke-binauthz");
    expect(policy.inputs).toMatchObject({
      project,
      globalPolicyEvaluationMode: "ENABLE",
      admissionWhitelistPatterns: [{ namePattern: `europe-west1-docker.pkg.dev/${project}/apps/*` }],
      defaultAdmissionRule: { evaluationMode: "ALWAYS_DENY", enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG" },
    });
    expect(policy.inputs.defaultAdmissionRule).not.toHaveProperty("requireAttestationsBies");
  });

  it("keeps the kubeconfig secret and hands it to a server-side-apply Kubernetes provider", () => {
    expect(plan.outputs.kubeconfig).toBe("[secret]");
    const provider = one(plan, T.k8s, "gke-k8s");
    expect(provider.inputs.kubeconfig).toBe("[secret]");
    // Provider inputs travel as JSON text.
    expect(provider.inputs.enableServerSideApply).toBe("true");
    const waitsFor = [...ofType(plan, T.pool), one(plan, T.policy, "gke-binauthz"), one(plan, T.cluster, "gke-cluster")];
    expect(provider.dependencies).toEqual(expect.arrayContaining(waitsFor.map((r) => r.urn)));
    const config = parse(kubeconfig);
    expect(config.clusters[0].name).toBe("shop-prod-gke");
    // The DNS-based endpoint (issue 17: reachable from CI with IAM authorization).
    expect(config.clusters[0].cluster.server).toMatch(/^https:\/\/gke-[0-9a-f]{32}-\d+\.[a-z0-9-]+\.gke\.goog$/);
    expect(Buffer.from(config.clusters[0].cluster["certificate-authority-data"], "base64").toString()).toBe("mock-ca:gke-cluster");
    expect(config.users[0].user.exec.command).toBe("gke-gcloud-auth-plugin");
  });

  it("creates exactly the expected resources", () => {
    const counts: Record<string, number> = {};
    for (const r of plan.resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    expect(counts).toEqual({
      "brume:cluster:Cluster": 1,
      [T.account]: 1,
      [T.projectMember]: 2,
      [T.cluster]: 1,
      [T.pool]: 3,
      [T.policy]: 1,
      [T.k8s]: 1,
      "pulumi-nodejs:dynamic/readiness:CrdEstablished": 1,
    });
  });

  it("gates the GKE-installed CRDs on their Established condition, after the node pools, against the cluster endpoint and CA", () => {
    const gate = one(plan, "pulumi-nodejs:dynamic/readiness:CrdEstablished", "gke-crds");
    expect(gate.inputs.kind).toBe("crd");
    expect(gate.inputs.establishedCrds).toEqual([
      "gateways.gateway.networking.k8s.io",
      "httproutes.gateway.networking.k8s.io",
      "gcpbackendpolicies.networking.gke.io",
      "gcpgatewaypolicies.networking.gke.io",
      "healthcheckpolicies.networking.gke.io",
      "secretproviderclasses.secrets-store.csi.x-k8s.io",
    ]);
    expect(gate.inputs.server).toMatch(/^https:\/\/gke-[0-9a-f]{32}-\d+\.[a-z0-9-]+\.gke\.goog$/);
    expect(gate.inputs.caCertificate).toBe(Buffer.from("mock-ca:gke-cluster").toString("base64"));
    const waitsFor = [...ofType(plan, T.pool), one(plan, T.policy, "gke-binauthz"), one(plan, T.cluster, "gke-cluster")];
    expect(gate.dependencies).toEqual(expect.arrayContaining(waitsFor.map((r) => r.urn)));
  });
});

describe("brume:cluster:Cluster variants", () => {
  it("uses Calico when asked, with the add-on and without the advanced datapath; Google Groups for RBAC when given", async () => {
    const { plan } = await planCluster({
      networkPolicy: "calico",
      privateEndpoint: true,
      releaseChannel: "REGULAR",
      rbacSecurityGroup: "gke-security-groups@shop.example",
    });
    const cluster = one(plan, T.cluster, "gke-cluster");
    expect(cluster.inputs).toMatchObject({
      networkPolicy: { enabled: true, provider: "CALICO" },
      addonsConfig: { networkPolicyConfig: { disabled: false } },
      privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true },
      releaseChannel: { channel: "REGULAR" },
      // gcp-review 31: RBAC Group subjects match only with this.
      authenticatorGroupsConfig: { securityGroup: "gke-security-groups@shop.example" },
    });
    expect(cluster.inputs).not.toHaveProperty("datapathProvider");
  });

  it("grants the node SA read on each further image repository, and node pools wait for the grants", async () => {
    const { plan } = await planCluster({
      artifactRepository: { project, location: "europe-west1", repositoryId: "apps" },
      imageRepositories: [{ project: "shop-shared", location: "europe", repositoryId: "base" }],
    });
    const shared = one(plan, T.repoMember, "gke-nodes-reader-europe-shop-shared-base");
    expect(shared.inputs).toEqual({
      project: "shop-shared",
      location: "europe",
      repository: "base",
      role: "roles/artifactregistry.reader",
      member: `serviceAccount:${nodeSaEmail}`,
    });
    expect(ofType(plan, T.repoMember)).toHaveLength(2);
    for (const pool of ofType(plan, T.pool)) expect(pool.dependencies).toContain(shared.urn);
  });

  it("drops protection, scopes image pulls to a repository and requires attestations when asked", async () => {
    const { plan } = await planCluster({
      protect: false,
      artifactRepository: { project, location: "europe-west1", repositoryId: "apps" },
      attestors: [`projects/${project}/attestors/ci`],
      nodePools: [{ name: "web", machineType: "e2-standard-2", min: 2, max: 4, diskGb: 50 }],
      transform: { cluster: { description: "custom" } },
    });
    const cluster = one(plan, T.cluster, "gke-cluster");
    expect(cluster.protect).toBe(false);
    expect(cluster.inputs.deletionProtection).toBe(false);
    expect(cluster.inputs.description).toBe("custom");

    const reader = one(plan, T.repoMember, "gke-nodes-artifactregistry-reader");
    expect(reader.inputs).toEqual({
      project,
      location: "europe-west1",
      repository: "apps",
      role: "roles/artifactregistry.reader",
      member: `serviceAccount:${nodeSaEmail}`,
    });
    expect(ofType(plan, T.projectMember).map((m) => m.inputs.role)).toEqual(["roles/container.defaultNodeServiceAccount"]);

    const pools = ofType(plan, T.pool);
    expect(pools).toHaveLength(1);
    expect(pools[0]!.inputs).toMatchObject({
      name: "web",
      initialNodeCount: 2,
      autoscaling: { minNodeCount: 2, maxNodeCount: 4 },
      nodeConfig: { machineType: "e2-standard-2", diskSizeGb: 50, serviceAccount: nodeSaEmail },
    });
    expect(pools[0]!.dependencies).toContain(reader.urn);

    expect(one(plan, T.policy, "gke-binauthz").inputs.defaultAdmissionRule).toEqual({
      evaluationMode: "REQUIRE_ATTESTATION",
      enforcementMode: "ENFORCED_BLOCK_AND_AUDIT_LOG",
      requireAttestationsBies: [`projects/${project}/attestors/ci`],
    });
  });

  it("leaves the project's policy alone when another stack owns it, and lets deletion protection differ from protect", async () => {
    const { plan } = await planCluster({ manageBinaryAuthorizationPolicy: false, protect: true, deletionProtection: false });
    expect(ofType(plan, T.policy)).toHaveLength(0);
    const cluster = one(plan, T.cluster, "gke-cluster");
    expect(cluster.protect).toBe(true);
    expect(cluster.inputs.deletionProtection).toBe(false);
    expect(cluster.inputs.binaryAuthorization).toEqual({ evaluationMode: "PROJECT_SINGLETON_POLICY_ENFORCE" });
  });
});
