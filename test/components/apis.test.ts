import { describe, expect, it } from "vitest";
import { apiShortName, defaultApis, normalizeServices, serviceAgentEmail } from "../../src/components/apis/apis.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import { one, ofType, planProgram } from "../harness.js";

const project = "shop-prod-7781";
const T = { service: "gcp:projects/service:Service", identity: "gcp:projects/serviceIdentity:ServiceIdentity" } as const;

describe("API helpers", () => {
  it("lists the APIs every environment needs", () => {
    expect([...defaultApis].map(apiShortName)).toEqual([
      "compute",
      "container",
      "sqladmin",
      "storage",
      "servicenetworking",
      "redis",
      "pubsub",
      "secretmanager",
      "artifactregistry",
      "containerscanning",
      "dns",
      "cloudkms",
      "binaryauthorization",
      "monitoring",
      "logging",
      "iap",
      "certificatemanager",
      "cloudresourcemanager",
      "iam",
      "iamcredentials",
      "sts",
    ]);
  });

  it("dedupes and validates service names", () => {
    expect(normalizeServices(["dns.googleapis.com", "iam.googleapis.com"], ["dns.googleapis.com", "run.googleapis.com"])).toEqual([
      "dns.googleapis.com",
      "iam.googleapis.com",
      "run.googleapis.com",
    ]);
    expect(() => normalizeServices(["compute"])).toThrow('invalid API "compute": expected a service name such as "compute.googleapis.com"');
  });

  it("builds service agent emails", () => {
    expect(serviceAgentEmail("123", "pubsub")).toBe("service-123@gcp-sa-pubsub.iam.gserviceaccount.com");
    expect(serviceAgentEmail("123", "cdnFill")).toBe("service-123@cloud-cdn-fill.iam.gserviceaccount.com");
  });
});

describe("brume:project:Apis", () => {
  it("enables every default API, never disabling it on destroy", async () => {
    const plan = await planProgram(
      async () => {
        const { Apis } = await import("../../src/components/apis/apis.js");
        const apis = new Apis("apis", { project, extraServices: ["run.googleapis.com"] });
        return { count: apis.all.length, names: Object.keys(apis.services) };
      },
      { defaultProject: project },
    );
    const services = ofType(plan, T.service);
    expect(services).toHaveLength(defaultApis.length + 1);
    expect(plan.outputs).toEqual({ count: defaultApis.length + 1, names: [...defaultApis, "run.googleapis.com"] });
    for (const s of services) {
      expect(s.inputs, s.name).toEqual({
        project,
        service: s.inputs.service,
        disableOnDestroy: false,
        disableDependentServices: false,
      });
      expect(s.name).toBe(`apis-${apiShortName(String(s.inputs.service))}`);
      expect(s.protect).toBe(false);
    }
    expect(one(plan, T.service, "apis-containerscanning").inputs.service).toBe("containerscanning.googleapis.com");
  });

  it("generates the Pub/Sub and Secret Manager service agents after their APIs", async () => {
    const plan = await planProgram(
      async () => {
        const { Apis } = await import("../../src/components/apis/apis.js");
        const apis = new Apis("apis", { project });
        return { agents: apis.agentEmails };
      },
      { defaultProject: project },
    );
    const identities = ofType(plan, T.identity);
    expect(identities.map((i) => i.name).sort()).toEqual(["apis-pubsub-agent", "apis-secretmanager-agent"]);
    const sm = one(plan, T.identity, "apis-secretmanager-agent");
    expect(sm.inputs).toEqual({ project, service: "secretmanager.googleapis.com" });
    expect(sm.dependencies).toEqual([one(plan, T.service, "apis-secretmanager").urn]);
    const n = mockProjectNumber(project);
    expect(plan.outputs).toEqual({
      agents: {
        "pubsub.googleapis.com": `service-${n}@gcp-sa-pubsub.iam.gserviceaccount.com`,
        "secretmanager.googleapis.com": `service-${n}@gcp-sa-secretmanager.iam.gserviceaccount.com`,
      },
    });
  });

  it("lets callers wait for all APIs", async () => {
    const plan = await planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        const { Apis } = await import("../../src/components/apis/apis.js");
        const apis = new Apis("apis", { project, services: ["dns.googleapis.com", "iam.googleapis.com"], serviceIdentities: [] });
        new gcp.dns.ManagedZone("zone", { dnsName: "shop.test.", visibility: "public" }, { dependsOn: apis.all });
      },
      { defaultProject: project },
    );
    expect(ofType(plan, T.service)).toHaveLength(2);
    expect(ofType(plan, T.identity)).toHaveLength(0);
    expect(one(plan, "gcp:dns/managedZone:ManagedZone", "zone").dependencies).toEqual(
      [one(plan, T.service, "apis-dns").urn, one(plan, T.service, "apis-iam").urn].sort(),
    );
  });

  it("refuses an identity for an API it does not enable", async () => {
    await expect(
      planProgram(async () => {
        const { Apis } = await import("../../src/components/apis/apis.js");
        new Apis("apis", { project, services: ["dns.googleapis.com"] });
      }),
    ).rejects.toThrow('service identity "pubsub.googleapis.com" needs the API enabled: add it to services or extraServices');
  });
});
