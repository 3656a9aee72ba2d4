/**
 * The cluster's config decisions: Dataplane V2 by default (gcp-review 36), Google Groups for RBAC
 * required by group principals (31), the node image grants derived from the config (3).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nodeImageRepositories } from "../../src/components/project/project.js";
import { resolveEnvironment, validateConfig } from "../../src/config/load.js";
import { ConfigError, type ConfigIssue } from "../../src/config/errors.js";
import { validBase } from "../config/fixtures.js";

/** The issues of a document, [] when it is valid. */
function issuesOf(doc: unknown): ConfigIssue[] {
  try {
    validateConfig(doc);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
}

describe("cluster.networkPolicy", () => {
  it("defaults to Dataplane V2 when absent, with or without a cluster section; Calico stays selectable", () => {
    const base = validBase();
    base.environments.prod.cluster = { masterAuthorizedNetworks: [] };
    const config = validateConfig(base);
    expect(config.environments.prod!.cluster.networkPolicy).toBe("dataplane-v2");
    expect(config.environments.dev!.cluster).toEqual({ masterAuthorizedNetworks: [], kubeconfigEndpoint: "dns", privateEndpoint: false, networkPolicy: "dataplane-v2", readableRegistries: [] });
    const pinned = validBase();
    pinned.environments.prod.cluster = { networkPolicy: "calico" };
    expect(validateConfig(pinned).environments.prod!.cluster.networkPolicy).toBe("calico");
  });
});

describe("access.rbacSecurityGroup", () => {
  const withGroups = (groups: Record<string, string[]>, rbacSecurityGroup?: string) => ({
    ...validBase(),
    access: { groups, ...(rbacSecurityGroup ? { rbacSecurityGroup } : {}) },
  });

  it("is required as soon as a group principal is listed, with the path, value and fix", () => {
    expect(issuesOf(withGroups({ admin: ["user:ops@shop.example.com"], viewer: ["user:a@shop.example.com", "group:support@shop.example.com"] }))).toEqual([
      {
        path: "access.groups.viewer[1]",
        message: expect.stringContaining('set access.rbacSecurityGroup to "gke-security-groups@<your domain>"'),
        value: "group:support@shop.example.com",
      },
    ]);
    expect(issuesOf(withGroups({ viewer: ["group:support@shop.example.com"] }, "gke-security-groups@shop.example.com"))).toEqual([]);
    expect(issuesOf(withGroups({ admin: ["user:ops@shop.example.com"] }))).toEqual([]);
  });

  it("must be named gke-security-groups@<domain>, the name GKE requires", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), (local) => {
        const issues = issuesOf(withGroups({ viewer: ["group:support@shop.example.com"] }, `${local}@shop.example.com`));
        expect(issues.length > 0).toBe(local !== "gke-security-groups");
      }),
    );
  });
});

describe("nodeImageRepositories (the node SA's reader grants outside the environment)", () => {
  const config = (readableRegistries: string[] = []) => {
    const base = validBase();
    base.services.api.strategy = {
      type: "canary",
      stable: { version: "v1", image: "europe-docker.pkg.dev/shop-shared/apps/api:1" },
      canary: { version: "v2", image: "europe-docker.pkg.dev/shop-shared/canary/api:2@sha256:" + "a".repeat(64) },
      weight: 10,
    };
    base.services.worker.image = "docker.io/library/busybox:1.36";
    base.environments.prod.cluster = { readableRegistries };
    base.observability = { notifications: { emails: ["oncall@shop.example.com"] }, tracing: {} };
    return validateConfig(base);
  };

  it("grants every Artifact Registry repository the cluster's images name, except public and machine-only ones", () => {
    const c = config();
    expect(nodeImageRepositories(c, resolveEnvironment(c, "prod"))).toEqual([
      { project: "shop-shared", location: "europe", repositoryId: "apps" },
      { project: "shop-shared", location: "europe", repositoryId: "canary" },
      { project: "shop", location: "europe", repositoryId: "apps" },
    ]);
  });

  it("leaves out what cluster.readableRegistries says a platform team grants (a repository or a whole project)", () => {
    const c = config(["europe-docker.pkg.dev/shop-shared", "europe-docker.pkg.dev/shop/apps"]);
    expect(nodeImageRepositories(c, resolveEnvironment(c, "prod"))).toEqual([]);
  });
});

describe("an existing Calico environment and the new default", () => {
  it("brume diff shows the move to Dataplane V2 as a dangerous cluster replacement; pinning calico keeps the cluster", async () => {
    const { mkdtempSync, copyFileSync, cpSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { planStack } = await import("../../src/plan/stack.js");
    const { diffPlans } = await import("../../src/review/diff/diff.js");
    const { examplePath } = await import("../harness.js");
    const plan = async (overrides: unknown) => {
      const dir = mkdtempSync(join(tmpdir(), "brume-dataplane-"));
      copyFileSync(examplePath("bro-ai", "brume.yaml"), join(dir, "brume.yaml"));
      cpSync(examplePath("bro-ai", "services"), join(dir, "services"), { recursive: true }); // admin is built from services/admin
      writeFileSync(join(dir, "Pulumi.yaml"), "name: bro-ai\nruntime: nodejs\n");
      writeFileSync(join(dir, "Pulumi.stage.yaml"), `config:\n  brume:environment: stage\n  brume:overrides: ${JSON.stringify(overrides)}\n  brume:secrets: { slack-token: { secure: "v1:dGVzdA==" }, admin-iap-client: { secure: "v1:dGVzdA==" } } # the example's Slack channel and admin's IAP client need their secrets\n`);
      return (await planStack({ stack: "stage", configFile: join(dir, "brume.yaml"), projectDir: dir })).plan;
    };
    const calico = await plan({ environments: { stage: { cluster: { networkPolicy: "calico" } } } });
    const dataplane = await plan({});
    const moved = diffPlans(calico, dataplane).changes.find((c) => c.type === "gcp:container/cluster:Cluster");
    expect(moved).toMatchObject({ kind: "replace", replaceReasons: expect.arrayContaining([expect.stringContaining("datapathProvider")]) });
    const pinned = await plan({ environments: { stage: { cluster: { networkPolicy: "calico" } } } });
    expect(diffPlans(calico, pinned).changes.filter((c) => c.type === "gcp:container/cluster:Cluster")).toEqual([]);
  });
});

describe("Artifact Registry image references", () => {
  it("must name a repository (<location>-docker.pkg.dev/<project>/<repository>/<image>)", () => {
    const base = validBase();
    base.services.worker.image = "europe-docker.pkg.dev/shop/worker:1.0.0";
    expect(issuesOf(base)).toEqual([
      { path: "services.worker.image", message: expect.stringContaining("names no repository"), value: "europe-docker.pkg.dev/shop/worker:1.0.0" },
    ]);
    base.services.worker.image = "europe-docker.pkg.dev/shop/apps/worker:1.0.0";
    expect(issuesOf(base)).toEqual([]);
  });
});
