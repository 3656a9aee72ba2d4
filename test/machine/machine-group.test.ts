/**
 * MachineGroup under the offline plan: the example (a Debian group of 3 VMs with a container and a
 * process service, a COS group of 2 with a container service, each behind Caddy, both backends of
 * the environment's one global external Application Load Balancer), its hardened templates,
 * groups, IAM, backend service and firewall; the shared frontend and DNS records in the public
 * zone; the bootstrap token never in metadata or template inputs; and each machine rollout step
 * planned, with what it changes counted.
 */
import { describe, expect, it } from "vitest";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, one, ofType, planDir, planProgram } from "../harness.js";
import type { MachineStrategy } from "../../src/components/machine/releases.js";
import { machineSpec } from "./fixtures.js";

const T = {
  template: "gcp:compute/instanceTemplate:InstanceTemplate",
  mig: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
  backend: "gcp:compute/backendService:BackendService",
  globalAddress: "gcp:compute/globalAddress:GlobalAddress",
  urlMap: "gcp:compute/uRLMap:URLMap",
  globalRule: "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  certificate: "gcp:compute/managedSslCertificate:ManagedSslCertificate",
  healthCheck: "gcp:compute/healthCheck:HealthCheck",
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
    // GCE's Debian 12 image runs `startup-script` (google-guest-agent) and has no cloud-init.
    expect(i.metadata["user-data"]).toBeUndefined();
    expect(i.metadata["startup-script"]).toMatch(/^#!\/bin\/bash\n/);
    expect(i.metadata["startup-script"]).toContain("put 0644 '/etc/systemd/system/brume-api.service' <<'BRUME_FILE_EOF'");
    expect(i.metadata["startup-script"]).toContain("brume-renderer.service");
    expect(i.metadata["startup-script"]).toContain("api.tiles.example.com {");
    expect(i.metadata["startup-script"]).toContain("systemctl start brume-converge.service");
    // Journals through the Ops Agent (installed without blocking the services), not COS's agent key.
    expect(i.metadata["startup-script"]).toContain("systemctl start --no-block brume-ops-agent.service");
    expect(i.metadata["startup-script"]).toContain("put 0644 '/etc/google-cloud-ops-agent/config.yaml' <<'BRUME_FILE_EOF'");
    expect(i.metadata["google-logging-enabled"]).toBeUndefined();
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
    // The renderer uses the tiles database in password mode: cloudsql.client on that instance only, no IAM login.
    expect(roles.sort()).toEqual(["roles/cloudsql.client", "roles/logging.logWriter", "roles/monitoring.metricWriter"]);
    const client = ofType(plan, "gcp:projects/iAMMember:IAMMember").find((r) => r.inputs.role === "roles/cloudsql.client")!;
    expect((client.inputs.condition as any).expression).toBe('resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/tiles-prod-7310/instances/tiles-prod-tiles"');
    const accessors = ofType(plan, T.secretIam).filter((r) => r.name.startsWith("tiles-prod-machines-edge"));
    // One identity serves the group: the union of its services' secrets, then the contract's (the renderer's password, the cache's AUTH and CA).
    expect(accessors.map((r) => [r.inputs.role, r.inputs.secretId])).toEqual([
      ["roles/secretmanager.secretAccessor", "tiles-prod-secret-agent-bootstrap-token-secret-id"],
      ["roles/secretmanager.secretAccessor", "tiles-prod-secret-maps-api-key-secret-id"],
      ["roles/secretmanager.secretAccessor", "tiles-prod-db-tiles-renderer-password-secret-id"],
      ["roles/secretmanager.secretAccessor", "tiles-prod-cache-tiles-auth-secret-id"],
      ["roles/secretmanager.secretAccessor", "tiles-prod-cache-tiles-ca-secret-id"],
    ]);
    const reader = one(plan, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "tiles-prod-machines-edge-registry-reader");
    expect(reader.inputs.role).toBe("roles/artifactregistry.reader");
  });

  it("opens the health port and 443 to Google's health-check and load-balancer ranges only, on the group's tag", () => {
    const fw = one(plan, T.firewall, "tiles-prod-machines-edge-health-firewall");
    expect(fw.inputs).toMatchObject({
      direction: "INGRESS",
      sourceRanges: ["35.191.0.0/16", "130.211.0.0/22"],
      targetTags: ["tiles-prod-vm-edge"],
      allows: [{ protocol: "tcp", ports: ["443", "9000"] }],
    });
    // Autohealing keeps its global health check on Caddy's /healthz.
    const autohealing = one(plan, T.healthCheck, "tiles-prod-machines-edge-health");
    expect(autohealing.inputs.httpHealthCheck).toEqual({ port: 9000, requestPath: "/healthz" });
    expect((mig.inputs as any).autoHealingPolicies.healthCheck).toBe("tiles-prod-edge-health-id");
    // No allow rule is open to the internet (only the environment's baseline deny names 0.0.0.0/0):
    // the Application Load Balancer is a proxy, its traffic comes from Google's ranges.
    for (const rule of ofType(plan, T.firewall).filter((r) => r.inputs.allows)) expect(rule.inputs.sourceRanges).not.toContain("0.0.0.0/0");
    expect(ofType(plan, T.firewall).filter((r) => r.name.startsWith("tiles-prod-machines-")).map((r) => r.name)).toEqual([
      "tiles-prod-machines-edge-health-firewall",
      "tiles-prod-machines-web-health-firewall",
    ]);
  });

  it("makes each serving group a global backend service: HTTPS to Caddy on the named port, its global health check", () => {
    const backend = one(plan, T.backend, "tiles-prod-machines-edge-backend");
    expect(backend.inputs).toMatchObject({
      name: "tiles-prod-edge-backend",
      loadBalancingScheme: "EXTERNAL_MANAGED",
      protocol: "HTTPS",
      portName: "p443",
      // The load balancer asks /ready (each routed service's own check, through Caddy), not /healthz.
      healthChecks: "tiles-prod-edge-ready-id",
      timeoutSec: 30,
      connectionDrainingTimeoutSec: 60,
      logConfig: { enable: true, sampleRate: 1 },
    });
    expect(backend.inputs.region).toBeUndefined();
    expect(backend.inputs.backends).toEqual([{ balancingMode: "UTILIZATION", capacityScaler: 1, group: edgeGroupUrl, maxUtilization: 0.8 }]);
    const ready = one(plan, T.healthCheck, "tiles-prod-machines-edge-ready");
    expect(ready.inputs.httpHealthCheck).toEqual({ port: 9000, requestPath: "/ready" });
    expect(backend.dependencies).toEqual(expect.arrayContaining([mig.urn, ready.urn]));
    // The shared frontend routes the group's domains to it; no passthrough piece is left.
    const map = one(plan, T.urlMap, "tiles-prod-machines-url-map");
    expect(map.inputs.hostRules).toEqual([
      { hosts: ["api.tiles.example.com", "tiles.example.com"], pathMatcher: "edge" },
      { hosts: ["www.tiles.example.com"], pathMatcher: "web" },
    ]);
    expect(map.inputs.pathMatchers).toEqual([
      { name: "edge", defaultService: "tiles-prod-edge-backend-id" },
      { name: "web", defaultService: "tiles-prod-web-backend-id" },
    ]);
    expect(one(plan, T.certificate, "tiles-prod-machines-certificate").inputs.managed).toEqual({
      domains: ["api.tiles.example.com", "tiles.example.com", "www.tiles.example.com"],
    });
    expect(ofType(plan, T.globalRule).map((r) => [r.inputs.portRange, r.inputs.loadBalancingScheme])).toEqual([
      ["80", "EXTERNAL_MANAGED"],
      ["443", "EXTERNAL_MANAGED"],
    ]);
    for (const type of [
      "gcp:compute/address:Address",
      "gcp:compute/regionBackendService:RegionBackendService",
      "gcp:compute/regionHealthCheck:RegionHealthCheck",
      "gcp:compute/forwardingRule:ForwardingRule",
    ]) {
      expect(ofType(plan, type)).toEqual([]);
    }
    // The environment's domain is the public zone: every service domain in it points at the one address.
    const ip = one(plan, T.globalRule, "tiles-prod-machines-https-rule").inputs.ipAddress;
    expect(ip).toMatch(/^203\.0\.113\.\d+$/);
    // (The googleapis.com zone's two records are the VPC's, docs/domains.md "Egress".)
    expect(ofType(plan, T.record).filter((r) => r.inputs.managedZone === "tiles-prod-public-zone").map((r) => r.inputs)).toEqual([
      { managedZone: "tiles-prod-public-zone", name: "api.tiles.example.com.", project: "tiles-prod-7310", rrdatas: [ip], ttl: 300, type: "A" },
      { managedZone: "tiles-prod-public-zone", name: "tiles.example.com.", project: "tiles-prod-7310", rrdatas: [ip], ttl: 300, type: "A" },
      { managedZone: "tiles-prod-public-zone", name: "www.tiles.example.com.", project: "tiles-prod-7310", rrdatas: [ip], ttl: 300, type: "A" },
    ]);
    // The record points at the address output (a dependency, not a copied value).
    expect(one(plan, T.record, "tiles-prod-machines-dns-www.tiles.example.com").dependencies).toContain(
      one(plan, T.globalAddress, "tiles-prod-machines-address").urn,
    );
  });

  it("alerts on a deterministic install failure of each group (checksum mismatch), from the startup script's log", () => {
    const alerts = ofType(plan, "gcp:monitoring/alertPolicy:AlertPolicy").filter((r) => r.name.endsWith("-install-alert"));
    expect(alerts.map((a) => a.name)).toEqual(["tiles-prod-machines-edge-install-alert", "tiles-prod-machines-web-install-alert"]);
    const edge = alerts[0]!.inputs as Record<string, any>;
    expect(edge.severity).toBe("CRITICAL");
    expect(edge.alertStrategy.notificationRateLimit).toEqual({ period: "3600s" });
    expect(edge.conditions[0].conditionMatchedLog.filter).toBe(
      'resource.type="gce_instance" AND logName="projects/tiles-prod-7310/logs/google_metadata_script_runner" AND ' +
        'labels."compute.googleapis.com/resource_name"=~"^tiles-prod-edge-" AND "brume-converge: error:" AND ("checksum mismatch" OR "the release archive is not usable")',
    );
  });

  it("plans the Container-Optimized OS group: COS image, executables under /var/lib/google, Caddy as a container", () => {
    const cos = one(plan, T.template, "tiles-prod-machines-web-template");
    const i = cos.inputs as Record<string, any>;
    expect(i.disks[0].sourceImage).toBe("cos-cloud/cos-stable");
    // COS's own logging agent ships the journal and the containers' output once this key is set.
    expect(i.metadata["google-logging-enabled"]).toBe("true");
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
    expect(userData).toContain("tls internal");
    expect(one(plan, T.backend, "tiles-prod-machines-web-backend").inputs).toMatchObject({ protocol: "HTTPS", portName: "p443" });
  });

  it("never puts the bootstrap token in metadata or template inputs (plan JSON scan)", () => {
    const json = JSON.stringify(plan);
    // No version of the token secret is created by the program: its value never passes through Pulumi.
    const versions = ofType(plan, "gcp:secretmanager/secretVersion:SecretVersion").filter((r) => String(r.inputs.secret).includes("bootstrap"));
    expect(versions).toEqual([]);
    for (const t of ofType(plan, T.template)) {
      // JSON escapes the script's newlines: one word per line again.
      const text = JSON.stringify(t.inputs).replaceAll("\\n", " ");
      expect(text).not.toContain("[secret]");
      // The only mentions: the secret's resource name (read at boot) and the 0600 file it lands in.
      const mentions = [...text.matchAll(/[^\s"']*bootstrap[^\s"'\\]*/g)].map((m) => m[0]);
      expect(new Set(mentions)).toEqual(
        new Set([
          "$ROOT/var/lib/dployrd/bootstrap-token",
          "/var/lib/dployrd/bootstrap-token",
          "/etc/systemd/system/dployrd-bootstrap-token.service",
          "Wants=dployrd-bootstrap-token.service",
          "dployrd-bootstrap-token.service",
          "bootstrap",
          "bootstrap_token_file",
          "projects/tiles-prod-7310/secrets/tiles-prod-agent-bootstrap-token/versions/latest",
        ]),
      );
    }
    expect(json).not.toMatch(/token\s*[:=]\s*"[A-Za-z0-9+/]{16,}/);
  });

  it("exports each group's service account, instance groups and backend service, and the shared load-balancer address", () => {
    const address = plan.outputs.machinesAddress;
    expect(address).toMatch(/^203\.0\.113\.\d+$/);
    expect(address).toBe(one(plan, T.globalRule, "tiles-prod-machines-https-rule").inputs.ipAddress);
    expect(plan.outputs.machines).toEqual({
      edge: {
        serviceAccount: "tiles-prod-edge-vm@tiles-prod-7310.iam.gserviceaccount.com",
        instanceGroups: { default: edgeGroupUrl },
        backendService: "tiles-prod-edge-backend-id",
        address,
      },
      web: {
        serviceAccount: "tiles-prod-web-vm@tiles-prod-7310.iam.gserviceaccount.com",
        instanceGroups: { default: "https://www.googleapis.com/compute/v1/projects/tiles-prod-7310/regions/europe-west1/instanceGroups/tiles-prod-web" },
        backendService: "tiles-prod-web-backend-id",
        address,
      },
    });
  });
});

/** Plans one MachineGroup with a strategy. */
async function planGroup(strategy: MachineStrategy): Promise<Plan> {
  return planProgram(async () => {
    const { MachineGroup } = await import("../../src/components/machine/machine-group.js");
    const { Naming } = await import("../../src/config/naming.js");
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
      serves: [443],
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
    const canaryData = String((one(started, T.template, "web-template-v2").inputs.metadata as any)["startup-script"]);
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

describe("blueGreen: two groups, both backends, capacityScaler 1 on the live one and 0 on the other", async () => {
  const blue = await planGroup({ type: "blueGreen", active: "blue", blue: v1, green: v2 });
  const green = await planGroup({ type: "blueGreen", active: "green", blue: v1, green: v2 });
  const backends = (plan: Plan) =>
    (one(plan, T.backend, "web-backend").inputs.backends as any[]).map((b) => [b.group.split("/").pop(), b.balancingMode, b.capacityScaler]);

  it("sends traffic to the active group only; the standby one is drained (capacity 0) and kept UPDATED", () => {
    expect(backends(blue)).toEqual([
      ["shop-prod-web-blue", "UTILIZATION", 1],
      ["shop-prod-web-green", "UTILIZATION", 0],
    ]);
    expect(backends(green)).toEqual([
      ["shop-prod-web-blue", "UTILIZATION", 0],
      ["shop-prod-web-green", "UTILIZATION", 1],
    ]);
    for (const plan of [blue, green]) {
      expect(one(plan, T.backend, "web-backend").inputs).toMatchObject({ loadBalancingScheme: "EXTERNAL_MANAGED", protocol: "HTTPS", portName: "p443" });
      for (const slot of ["web-blue", "web-green"]) {
        expect(one(plan, T.mig, slot).inputs.waitForInstancesStatus).toBe("UPDATED");
        expect(one(plan, T.mig, slot).inputs.namedPorts).toEqual([{ name: "p443", port: 443 }]);
      }
    }
    expect(one(blue, T.backend, "web-backend").dependencies).toEqual(expect.arrayContaining([one(blue, T.mig, "web-blue").urn, one(blue, T.mig, "web-green").urn]));
  });
  it("switching changes only the backend service (nothing replaced); rolling back restores it exactly", async () => {
    expect(diff(blue, green)).toEqual({ added: [], removed: [], changed: ["web-backend"] });
    expect(diff(green, blue)).toEqual({ added: [], removed: [], changed: ["web-backend"] });
    const rolledBack = await planGroup({ type: "blueGreen", active: "blue", blue: v1, green: v2 });
    expect(diff(blue, rolledBack)).toEqual({ added: [], removed: [], changed: [] });
  });
  it("the health check, firewall rule and groups do not move on a switch", () => {
    for (const [type, name] of [[T.healthCheck, "web-health"], [T.firewall, "web-health-firewall"], [T.mig, "web-blue"], [T.mig, "web-green"]] as const) {
      expect(JSON.stringify(one(green, type, name).inputs)).toBe(JSON.stringify(one(blue, type, name).inputs));
    }
  });
  it("a blue/green group with only its live slot has one backend at capacity 1 (GCP refuses 0 on a lone backend)", async () => {
    const single = await planGroup({ type: "blueGreen", active: "blue", blue: v1 });
    expect(backends(single)).toEqual([["shop-prod-web-blue", "UTILIZATION", 1]]);
  });
});

describe("canary and rolling keep one backend at capacity 1", async () => {
  const canary = await planGroup({ type: "canary", stable: v1, canary: v2, percent: 10 });
  it("the canary's two versions share the one group behind the backend service", () => {
    expect((one(canary, T.backend, "web-backend").inputs.backends as any[]).map((b) => [b.group.split("/").pop(), b.capacityScaler])).toEqual([["shop-prod-web", 1]]);
  });
});

describe("rolling", async () => {
  const plan = await planGroup({ type: "rolling" });
  it("uses one template and surges one instance per zone", () => {
    expect(ofType(plan, T.template).map((r) => r.name)).toEqual(["web-template"]);
    expect((one(plan, T.mig, "web-group").inputs.updatePolicy as any).maxSurgeFixed).toBe(3);
  });
});

describe("specForRelease", () => {
  it("moves what each service's source is: an image, a git ref or an archive; the rest stays the group's", async () => {
    const { specForRelease } = await import("../../src/components/machine/releases.js");
    const archiveSpec = {
      ...machineSpec,
      services: [
        ...machineSpec.services!,
        { name: "tiles", runner: "process" as const, source: { artifact: { url: "https://r.example.com/tiles-1.tar.gz", sha256: "a".repeat(64) }, runtime: "nodejs@20.11.1" }, command: ["node", "s.js"], ports: [{ name: "http", port: 3100 }] },
      ],
    };
    const next = specForRelease(archiveSpec, {
      version: "v2",
      services: { api: { image: "europe-west1-docker.pkg.dev/shop-prod-1234/apps/api:1.5.0" }, docs: { ref: "v2.0.0" }, tiles: { artifact: { url: "https://r.example.com/tiles-2.tar.gz", sha256: "b".repeat(64) } } },
    });
    const byName = Object.fromEntries(next.services!.map((s) => [s.name, s]));
    expect(byName.api!.image).toBe("europe-west1-docker.pkg.dev/shop-prod-1234/apps/api:1.5.0");
    expect(byName.docs!.source).toEqual({ ...machineSpec.services![1]!.source, ref: "v2.0.0" });
    expect(byName.tiles!.source).toEqual({ artifact: { url: "https://r.example.com/tiles-2.tar.gz", sha256: "b".repeat(64) }, runtime: "nodejs@20.11.1" });
    expect(next.agent).toEqual(archiveSpec.agent);
  });
});
