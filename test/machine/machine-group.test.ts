/**
 * MachineGroup under the offline plan: the example (a Debian group of 3 VMs with a container and a
 * process service, a COS group of 2 with a container service, each behind Caddy and a passthrough
 * Network Load Balancer), its hardened templates, groups, IAM and load-balancer frontend; the
 * bootstrap token never in metadata or template inputs; DNS records in a public zone; and each
 * machine rollout step planned, with what it changes counted.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, one, ofType, planDir, planProgram } from "../harness.js";
import type { MachineStrategy } from "../../components/machine/releases.js";
import { machineSpec } from "./fixtures.js";

const T = {
  template: "gcp:compute/instanceTemplate:InstanceTemplate",
  mig: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
  backend: "gcp:compute/regionBackendService:RegionBackendService",
  address: "gcp:compute/address:Address",
  lbHealth: "gcp:compute/regionHealthCheck:RegionHealthCheck",
  healthCheck: "gcp:compute/healthCheck:HealthCheck",
  forwardingRule: "gcp:compute/forwardingRule:ForwardingRule",
  firewall: "gcp:compute/firewall:Firewall",
  record: "gcp:dns/recordSet:RecordSet",
  secretIam: "gcp:secretmanager/secretIamMember:SecretIamMember",
};
const edgeGroupUrl = "https://www.googleapis.com/compute/v1/projects/tiles-prod-7310/regions/europe-west1/instanceGroups/tiles-prod-edge";

describe("examples/machines", async () => {
  const plan = await planDir(examplePath("machines"), "prod");
  const template = one(plan, T.template, "tiles-prod-machines-edge-template");
  const mig = one(plan, T.mig, "tiles-prod-machines-edge-group");

  it("plans a Debian group of 3 machines with a hardened template", () => {
    expect(ofType(plan, "brume:machine:MachineGroup").map((r) => r.name)).toEqual(["tiles-prod-machines-edge", "tiles-prod-machines-web"]);
    const i = template.inputs as Record<string, any>;
    expect(i.namePrefix).toBe("tiles-prod-edge");
    expect(i.shieldedInstanceConfig).toEqual({ enableIntegrityMonitoring: true, enableSecureBoot: true, enableVtpm: true });
    expect(i.networkInterfaces).toHaveLength(1);
    expect(i.networkInterfaces[0].accessConfigs).toBeUndefined();
    expect(i.networkInterfaces[0].subnetwork).toContain("subnetworks/tiles-prod-private");
    expect(i.metadata["enable-oslogin"]).toBe("TRUE");
    expect(i.metadata["block-project-ssh-keys"]).toBe("TRUE");
    expect(i.metadata["serial-port-enable"]).toBe("FALSE");
    expect(i.metadata["user-data"]).toMatch(/^#cloud-config\n/);
    expect(i.metadata["user-data"]).toContain("brume-api.service");
    expect(i.metadata["user-data"]).toContain("brume-renderer.service");
    expect(i.metadata["user-data"]).toContain("api.tiles.example.com {");
    expect(i.serviceAccount).toEqual({ email: "tiles-prod-edge-vm@tiles-prod-7310.iam.gserviceaccount.com", scopes: ["cloud-platform"] });
    expect(i.disks[0].sourceImage).toBe("debian-cloud/debian-12");
    expect(template.protect).toBe(false);
  });

  it("rolls out PROACTIVE / REPLACE with no capacity loss and waits for UPDATED instances", () => {
    const i = mig.inputs as Record<string, any>;
    expect(i.targetSize).toBe(3);
    expect(i.distributionPolicyZones).toEqual(["europe-west1-b", "europe-west1-c", "europe-west1-d"]);
    expect(i.updatePolicy).toMatchObject({ type: "PROACTIVE", minimalAction: "REPLACE", maxUnavailableFixed: 0, maxSurgeFixed: 3 });
    expect(i.waitForInstances).toBe(true);
    expect(i.waitForInstancesStatus).toBe("UPDATED");
    expect(i.autoHealingPolicies.initialDelaySec).toBe(300);
    expect(i.versions).toHaveLength(1);
    expect(i.versions[0].instanceTemplate).toContain("/instanceTemplates/tiles-prod-edge");
    expect(i.namedPorts).toEqual([{ name: "p443", port: 443 }]);
    expect(mig.dependencies).toContain(template.urn);
  });

  it("grants the service account only what it needs", () => {
    const roles = ofType(plan, "gcp:projects/iAMMember:IAMMember")
      .filter((r) => String(r.inputs.member).includes("tiles-prod-edge-vm@"))
      .map((r) => r.inputs.role);
    expect(roles.sort()).toEqual(["roles/logging.logWriter", "roles/monitoring.metricWriter"]);
    const accessors = ofType(plan, T.secretIam).filter((r) => r.name.startsWith("tiles-prod-machines-edge"));
    expect(accessors.map((r) => [r.inputs.role, r.inputs.secretId])).toEqual([
      ["roles/secretmanager.secretAccessor", "tiles-prod-secret-agent-bootstrap-token-secret-id"],
      ["roles/secretmanager.secretAccessor", "tiles-prod-secret-maps-api-key-secret-id"],
    ]);
    const reader = one(plan, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "tiles-prod-machines-edge-registry-reader");
    expect(reader.inputs.role).toBe("roles/artifactregistry.reader");
  });

  it("opens only the health port to Google's health-check ranges (autohealing and the passthrough load balancer)", () => {
    const fw = one(plan, T.firewall, "tiles-prod-machines-edge-health-firewall");
    expect(fw.inputs).toMatchObject({
      direction: "INGRESS",
      sourceRanges: ["35.191.0.0/16", "130.211.0.0/22", "209.85.152.0/22", "209.85.204.0/22"],
      targetTags: ["tiles-prod-vm-edge"],
      allows: [{ protocol: "tcp", ports: ["9000"] }],
    });
    // Autohealing keeps its global health check on Caddy's /healthz.
    const autohealing = one(plan, T.healthCheck, "tiles-prod-machines-edge-health");
    expect(autohealing.inputs.httpHealthCheck).toEqual({ port: 9000, requestPath: "/healthz" });
    expect((mig.inputs as any).autoHealingPolicies.healthCheck).toBe("tiles-prod-edge-health-id");
  });

  it("serves through a regional external passthrough Network Load Balancer: address, health check, backend service, forwarding rule, firewall", () => {
    const address = one(plan, T.address, "tiles-prod-machines-edge-address");
    expect(address.inputs).toMatchObject({ name: "tiles-prod-edge-lb", region: "europe-west1", addressType: "EXTERNAL", networkTier: "PREMIUM" });
    const ip = (plan.outputs.machines as any).edge.address;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const lbHealth = one(plan, T.lbHealth, "tiles-prod-machines-edge-lb-health");
    expect(lbHealth.inputs).toMatchObject({ region: "europe-west1", httpHealthCheck: { port: 9000, requestPath: "/healthz" } });

    const backend = one(plan, T.backend, "tiles-prod-machines-edge-backend");
    expect(backend.inputs).toMatchObject({
      region: "europe-west1",
      loadBalancingScheme: "EXTERNAL",
      protocol: "TCP",
      healthChecks: "tiles-prod-edge-lb-health-id",
      connectionDrainingTimeoutSec: 60,
      logConfig: { enable: true, sampleRate: 1 },
    });
    expect(backend.inputs.portName).toBeUndefined();
    expect(backend.inputs.backends).toEqual([{ balancingMode: "CONNECTION", group: edgeGroupUrl }]);
    expect(backend.dependencies).toEqual(expect.arrayContaining([mig.urn, lbHealth.urn]));

    // 443 is served: 80 is forwarded too (ACME HTTP-01, Caddy's redirect to HTTPS).
    const rule = one(plan, T.forwardingRule, "tiles-prod-machines-edge-forwarding-rule");
    expect(rule.inputs).toMatchObject({
      region: "europe-west1",
      loadBalancingScheme: "EXTERNAL",
      ipProtocol: "TCP",
      ports: ["80", "443"],
      ipAddress: ip,
      networkTier: "PREMIUM",
      backendService: "tiles-prod-edge-backend-id",
    });
    expect(rule.dependencies).toEqual(expect.arrayContaining([address.urn, backend.urn]));

    // Client packets keep their source address: the served ports are open to the internet, on this group's tag only.
    const served = one(plan, T.firewall, "tiles-prod-machines-edge-served-firewall");
    expect(served.inputs).toMatchObject({
      direction: "INGRESS",
      sourceRanges: ["0.0.0.0/0"],
      targetTags: ["tiles-prod-vm-edge"],
      allows: [{ protocol: "tcp", ports: ["80", "443"] }],
    });
    // No URL map, proxy or global backend service: nothing but the passthrough path.
    expect(ofType(plan, "gcp:compute/backendService:BackendService")).toEqual([]);
    expect(ofType(plan, "gcp:compute/urlMap:UrlMap")).toEqual([]);
    // The environment's domain is the public zone: each service domain in it points at its group's address.
    expect(ofType(plan, T.record).map((r) => r.inputs)).toEqual([
      { managedZone: "tiles-prod-public-zone", name: "api.tiles.example.com.", project: "tiles-prod-7310", rrdatas: ["203.0.113.44"], ttl: 300, type: "A" },
      { managedZone: "tiles-prod-public-zone", name: "tiles.example.com.", project: "tiles-prod-7310", rrdatas: ["203.0.113.44"], ttl: 300, type: "A" },
      { managedZone: "tiles-prod-public-zone", name: "www.tiles.example.com.", project: "tiles-prod-7310", rrdatas: ["203.0.113.54"], ttl: 300, type: "A" },
    ]);
    // The record points at the group's address output (a dependency, not a copied value).
    expect(one(plan, T.record, "tiles-prod-machines-web-dns-www.tiles.example.com").dependencies).toContain(one(plan, T.address, "tiles-prod-machines-web-address").urn);
  });

  it("plans the Container-Optimized OS group: COS image, executables under /var/lib/google, Caddy as a container", () => {
    const cos = one(plan, T.template, "tiles-prod-machines-web-template");
    const i = cos.inputs as Record<string, any>;
    expect(i.disks[0].sourceImage).toBe("cos-cloud/cos-stable");
    const userData = String(i.metadata["user-data"]);
    expect(userData).toMatch(/^#cloud-config\n/);
    expect(userData).not.toContain("packages:");
    expect(userData).toContain("path: /var/lib/google/brume/lib/install-dployrd");
    expect(userData).toContain('ExecStart=/var/lib/google/brume/bin/dployrd "--config" "/etc/dployrd/config.toml"');
    expect(userData).toContain('"docker.io/library/caddy:2.11.4"');
    expect(userData).toContain('/usr/bin/docker-credential-gcr configure-docker "--registries=europe-west1-docker.pkg.dev"');
    expect(userData).toContain("www.tiles.example.com {");
    expect(userData).not.toContain("brume-renderer");
    const group = one(plan, T.mig, "tiles-prod-machines-web-group");
    expect((group.inputs as any).targetSize).toBe(2);
    expect(one(plan, T.forwardingRule, "tiles-prod-machines-web-forwarding-rule").inputs.ports).toEqual(["80", "443"]);
  });

  it("never puts the bootstrap token in metadata or template inputs (plan JSON scan)", () => {
    const json = JSON.stringify(plan);
    // No version of the token secret is created by the program: its value never passes through Pulumi.
    const versions = ofType(plan, "gcp:secretmanager/secretVersion:SecretVersion").filter((r) => String(r.inputs.secret).includes("bootstrap"));
    expect(versions).toEqual([]);
    for (const t of ofType(plan, T.template)) {
      const text = JSON.stringify(t.inputs);
      expect(text).not.toContain("[secret]");
      // The only mentions: the secret's resource name (read at boot) and the 0600 file it lands in.
      const mentions = [...text.matchAll(/[^\s"']*bootstrap[^\s"'\\]*/g)].map((m) => m[0]);
      expect(new Set(mentions)).toEqual(
        new Set([
          "$ROOT/var/lib/dployrd/bootstrap-token",
          "/var/lib/dployrd/bootstrap-token",
          "/etc/systemd/system/dployrd-bootstrap-token.service",
          "Requires=dployrd-bootstrap-token.service",
          "dployrd-bootstrap-token.service",
          "bootstrap",
          "bootstrap_token_file",
          "projects/tiles-prod-7310/secrets/tiles-prod-agent-bootstrap-token/versions/latest",
        ]),
      );
    }
    expect(json).not.toMatch(/token\s*[:=]\s*"[A-Za-z0-9+/]{16,}/);
  });

  it("exports each group's service account, instance groups, backend service and load-balancer address", () => {
    expect(plan.outputs.machines).toEqual({
      edge: {
        serviceAccount: "tiles-prod-edge-vm@tiles-prod-7310.iam.gserviceaccount.com",
        instanceGroups: { default: edgeGroupUrl },
        backendService: "tiles-prod-edge-backend-id",
        address: expect.stringMatching(/^203\.0\.113\.\d+$/),
      },
      web: {
        serviceAccount: "tiles-prod-web-vm@tiles-prod-7310.iam.gserviceaccount.com",
        instanceGroups: { default: "https://www.googleapis.com/compute/v1/projects/tiles-prod-7310/regions/europe-west1/instanceGroups/tiles-prod-web" },
        backendService: "tiles-prod-web-backend-id",
        address: expect.stringMatching(/^203\.0\.113\.\d+$/),
      },
    });
    const machines = plan.outputs.machines as Record<string, { address: string }>;
    expect(machines.edge!.address).not.toBe(machines.web!.address);
  });
});

/** Plans one MachineGroup with a strategy. */
async function planGroup(strategy: MachineStrategy): Promise<Plan> {
  return planProgram(async () => {
    const { MachineGroup } = await import("../../components/machine/machine-group.js");
    const { Naming } = await import("../../src/naming.js");
    new MachineGroup("web", {
      project: "shop-prod-1234",
      region: "europe-west1",
      naming: Naming.of("shop", "prod"),
      group: "web",
      size: 4,
      network: "projects/shop-prod-1234/global/networks/shop-prod",
      subnetwork: "projects/shop-prod-1234/regions/europe-west1/subnetworks/shop-prod-private",
      spec: machineSpec,
      strategy,
      serves: [8443],
      secretIds: ["projects/shop-prod-1234/secrets/shop-prod-agent-bootstrap-token"],
    });
  });
}

/** What a step changes: resources added, removed, or with different inputs (by URN). */
function diff(before: Plan, after: Plan) {
  const a = new Map(before.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  const b = new Map(after.resources.map((r) => [r.urn, JSON.stringify(r.inputs)]));
  const name = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
  return {
    added: [...b.keys()].filter((u) => !a.has(u)).map(name),
    removed: [...a.keys()].filter((u) => !b.has(u)).map(name),
    changed: [...b.keys()].filter((u) => a.has(u) && a.get(u) !== b.get(u)).map(name),
  };
}

const v1 = { version: "v1" };
const v2 = { version: "v2", agent: { version: "0.2.0", sha256: "b".repeat(64) }, services: { api: { image: "europe-west1-docker.pkg.dev/shop-prod-1234/apps/api:1.5.0" } } };

describe("canary: two versions in one group", async () => {
  const stable = await planGroup({ type: "canary", stable: v1, percent: 10 });
  const started = await planGroup({ type: "canary", stable: v1, canary: v2, percent: 10 });
  const promoted = await planGroup({ type: "canary", stable: v2, percent: 10 });
  const aborted = stable;

  it("puts the canary template on a share of the instances", () => {
    const versions = one(started, T.mig, "web-group").inputs.versions as any[];
    expect(versions.map((v) => [v.name, v.targetSize])).toEqual([["v1", undefined], ["v2", { percent: 10 }]]);
    expect(versions[1].instanceTemplate).toBe(one(started, T.template, "web-template-v2").inputs && versions[1].instanceTemplate);
    const canaryData = String((one(started, T.template, "web-template-v2").inputs.metadata as any)["user-data"]);
    expect(canaryData).toContain("api:1.5.0");
    expect(canaryData).toContain("dployrd 0.2.0");
  });
  it("starting a canary adds its template and updates the group", () => {
    expect(diff(stable, started)).toEqual({ added: ["web-template-v2"], removed: [], changed: ["web-group"] });
  });
  it("promoting keeps the canary's template (no replacement) and drops the old one: 2 resources", () => {
    expect(diff(started, promoted)).toEqual({ added: [], removed: ["web-template-v1"], changed: ["web-group"] });
  });
  it("aborting drops the canary template and updates the group: 2 resources", () => {
    expect(diff(started, aborted)).toEqual({ added: [], removed: ["web-template-v2"], changed: ["web-group"] });
  });
});

describe("blueGreen: two groups, the backend service lists the live one", async () => {
  const blue = await planGroup({ type: "blueGreen", active: "blue", blue: v1, green: v2 });
  const green = await planGroup({ type: "blueGreen", active: "green", blue: v1, green: v2 });
  const backends = (plan: Plan) => (one(plan, T.backend, "web-backend").inputs.backends as any[]).map((b) => [b.group.split("/").pop(), b.balancingMode]);

  it("sends traffic to the active group only (passthrough NLBs have no capacity scaler), both groups kept UPDATED", () => {
    expect(backends(blue)).toEqual([["shop-prod-web-blue", "CONNECTION"]]);
    expect(backends(green)).toEqual([["shop-prod-web-green", "CONNECTION"]]);
    for (const plan of [blue, green]) {
      for (const b of one(plan, T.backend, "web-backend").inputs.backends as any[]) expect(b.capacityScaler).toBeUndefined();
      for (const slot of ["web-blue", "web-green"]) expect(one(plan, T.mig, slot).inputs.waitForInstancesStatus).toBe("UPDATED");
    }
    expect(one(blue, T.backend, "web-backend").dependencies).toContain(one(blue, T.mig, "web-blue").urn);
  });
  it("switching changes only the backend service (nothing replaced); rolling back restores it exactly", () => {
    expect(diff(blue, green)).toEqual({ added: [], removed: [], changed: ["web-backend"] });
    expect(diff(green, blue)).toEqual({ added: [], removed: [], changed: ["web-backend"] });
  });
  it("the forwarding rule, address and firewall rules do not move on a switch", () => {
    for (const [type, name] of [[T.forwardingRule, "web-forwarding-rule"], [T.address, "web-address"], [T.firewall, "web-served-firewall"], [T.firewall, "web-health-firewall"]] as const) {
      expect(JSON.stringify(one(green, type, name).inputs)).toBe(JSON.stringify(one(blue, type, name).inputs));
    }
  });
});

describe("rolling", async () => {
  const plan = await planGroup({ type: "rolling" });
  it("uses one template and surges one instance per zone", () => {
    expect(ofType(plan, T.template).map((r) => r.name)).toEqual(["web-template"]);
    expect((one(plan, T.mig, "web-group").inputs.updatePolicy as any).maxSurgeFixed).toBe(3);
  });
});
