/**
 * MachineGroup under the offline plan: the example (3 VMs, a container and a process service
 * behind Caddy), its hardened template, group and IAM; the bootstrap token never in metadata or
 * template inputs; and each machine rollout step planned, with what it changes counted.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, one, ofType, planDir, planProgram } from "../harness.js";
import type { MachineStrategy } from "../../components/machine/releases.js";
import { machineSpec } from "./fixtures.js";

const T = {
  template: "gcp:compute/instanceTemplate:InstanceTemplate",
  mig: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
  backend: "gcp:compute/backendService:BackendService",
  secretIam: "gcp:secretmanager/secretIamMember:SecretIamMember",
};

describe("examples/machines", async () => {
  const plan = await planDir(examplePath("machines"), "prod");
  const template = one(plan, T.template, "tiles-prod-machines-edge-template");
  const mig = one(plan, T.mig, "tiles-prod-machines-edge-group");

  it("plans one group of 3 machines with a hardened template", () => {
    expect(ofType(plan, "brume:machine:MachineGroup").map((r) => r.name)).toEqual(["tiles-prod-machines-edge"]);
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

  it("opens health checks to the group's tag and serves through one backend service", () => {
    const fw = one(plan, "gcp:compute/firewall:Firewall", "tiles-prod-machines-edge-health-firewall");
    expect(fw.inputs).toMatchObject({ sourceRanges: ["35.191.0.0/16", "130.211.0.0/22"], targetTags: ["tiles-prod-vm-edge"], allows: [{ protocol: "tcp", ports: ["443", "9000"] }] });
    const backend = one(plan, T.backend, "tiles-prod-machines-edge-backend");
    expect(backend.inputs).toMatchObject({ protocol: "HTTPS", portName: "p443", loadBalancingScheme: "EXTERNAL_MANAGED" });
    expect(backend.inputs.backends).toEqual([
      { balancingMode: "UTILIZATION", capacityScaler: 1, group: "https://www.googleapis.com/compute/v1/projects/tiles-prod-7310/regions/europe-west1/instanceGroups/tiles-prod-edge" },
    ]);
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

  it("exports the group's service account and instance groups", () => {
    expect(plan.outputs.machines).toEqual({
      edge: {
        serviceAccount: "tiles-prod-edge-vm@tiles-prod-7310.iam.gserviceaccount.com",
        instanceGroups: { default: "https://www.googleapis.com/compute/v1/projects/tiles-prod-7310/regions/europe-west1/instanceGroups/tiles-prod-edge" },
        backendService: "tiles-prod-edge-backend-id",
      },
    });
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

describe("blueGreen: two groups behind one backend service", async () => {
  const blue = await planGroup({ type: "blueGreen", active: "blue", blue: v1, green: v2 });
  const green = await planGroup({ type: "blueGreen", active: "green", blue: v1, green: v2 });

  it("sends traffic to the active group only (capacity scaler 1 / 0), both groups UPDATED first", () => {
    const backend = one(blue, T.backend, "web-backend");
    expect((backend.inputs.backends as any[]).map((b) => [b.group.split("/").pop(), b.capacityScaler])).toEqual([
      ["shop-prod-web-blue", 1],
      ["shop-prod-web-green", 0],
    ]);
    expect(backend.dependencies).toEqual(expect.arrayContaining([one(blue, T.mig, "web-blue").urn, one(blue, T.mig, "web-green").urn]));
    for (const slot of ["web-blue", "web-green"]) expect(one(blue, T.mig, slot).inputs.waitForInstancesStatus).toBe("UPDATED");
  });
  it("switching changes only the backend service; rolling back restores it exactly", () => {
    expect(diff(blue, green)).toEqual({ added: [], removed: [], changed: ["web-backend"] });
    expect(diff(green, blue)).toEqual({ added: [], removed: [], changed: ["web-backend"] });
  });
});

describe("rolling", async () => {
  const plan = await planGroup({ type: "rolling" });
  it("uses one template and surges one instance per zone", () => {
    expect(ofType(plan, T.template).map((r) => r.name)).toEqual(["web-template"]);
    expect((one(plan, T.mig, "web-group").inputs.updatePolicy as any).maxSurgeFixed).toBe(3);
  });
});
