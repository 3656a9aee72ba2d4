/**
 * GitOps config (issue 18, item 1): `environments.<env>.delivery`, the `gitops` section, its defaults
 * (sync policy per preset, admin login) and the invalid combinations, each a config error naming the
 * path and the fix.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";
import { adminLoginFor, kubernetesObjectsFor, syncPolicyFor } from "../../src/config/rules-gitops.js";

const base = () => ({
  project: { name: "acme", region: "us-central1", drRegion: "us-east1" },
  environments: {
    prod: { gcpProject: "acme-prod", domain: "acme.dev", delivery: "gitops" },
    stage: { gcpProject: "acme-stage", domain: "stage.acme.dev", delivery: "gitops" },
  } as Record<string, Record<string, unknown>>,
  secrets: { "deploy-key": {}, "oauth-secret": {} } as Record<string, object>,
  gitops: {
    repository: "git@github.com:acme/deploy.git",
    credentials: { type: "deployKey", secret: "deploy-key" },
    argocd: { sso: { clientId: "id.apps.googleusercontent.com", clientSecret: "oauth-secret" } },
  } as Record<string, unknown>,
});

function issues(doc: unknown): { path: string; message: string }[] {
  try {
    validateConfig(doc);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues.map((i) => ({ path: i.path, message: i.message }));
  }
}

describe("gitops config", () => {
  it("defaults: pulumi delivery; staging automated with prune and self-heal; production manual; admin login off in production", () => {
    const c = validateConfig(base());
    expect(c.gitops?.branch).toBe("main");
    expect(c.gitops?.path).toBe("environments");
    expect(syncPolicyFor(c, "stage")).toEqual({ automated: true, prune: true, selfHeal: true });
    expect(syncPolicyFor(c, "prod")).toEqual({ automated: false, prune: true, selfHeal: true });
    expect(adminLoginFor(c, "prod")).toBe(false);
    expect(adminLoginFor(c, "stage")).toBe(true);
    expect(kubernetesObjectsFor(c, "prod")).toBe("none");
    const plain = base();
    delete plain.environments.prod!.delivery;
    const p = validateConfig(plain);
    expect(p.environments.prod!.delivery).toBe("pulumi");
    expect(kubernetesObjectsFor(p, "prod")).toBe("apply");
  });

  it("a handover environment keeps its objects (retainOnDelete) until the name is removed", () => {
    const doc = base();
    doc.gitops!.handover = ["stage"];
    const c = validateConfig(doc);
    expect(kubernetesObjectsFor(c, "stage")).toBe("handover");
    expect(kubernetesObjectsFor(c, "prod")).toBe("none");
  });

  it("an explicit sync policy wins over the preset's", () => {
    const doc = base();
    doc.gitops!.sync = { prod: { automated: true, selfHeal: false } };
    expect(syncPolicyFor(validateConfig(doc), "prod")).toEqual({ automated: true, prune: true, selfHeal: false });
  });

  const cases: [string, (d: ReturnType<typeof base>) => void, string, RegExp][] = [
    ["gitops delivery without a gitops section", (d) => delete (d as { gitops?: unknown }).gitops, "environments.prod.delivery", /needs a top-level gitops section/],
    ["an undeclared credentials secret", (d) => ((d.gitops!.credentials as Record<string, unknown>).secret = "nope"), "gitops.credentials.secret", /declare it under secrets/],
    ["a deploy key over HTTPS", (d) => (d.gitops!.repository = "https://github.com/acme/deploy.git"), "gitops.repository", /deploy key authenticates over SSH/],
    ["a GitHub App without its ids", (d) => (d.gitops!.credentials = { type: "githubApp", secret: "deploy-key" }), "gitops.credentials.appId", /needs appId/],
    ["a sync policy of an unknown environment", (d) => (d.gitops!.sync = { qa: { automated: true } }), "gitops.sync.qa", /unknown environment "qa"/],
    ["a handover of a pulumi environment", (d) => { d.environments.stage!.delivery = "pulumi"; d.gitops!.handover = ["stage"]; }, "gitops.handover[0]", /delivered by pulumi/],
    ["production without admin login and without SSO", (d) => (d.gitops!.argocd = {}), "gitops.argocd.sso", /nobody can log in/],
    ["an undeclared OAuth client secret", (d) => (d.gitops!.argocd = { sso: { clientId: "x", clientSecret: "missing" } }), "gitops.argocd.sso.clientSecret", /unknown secret "missing"/],
    ["no host for Argo CD's UI", (d) => delete d.environments.stage!.domain, "environments.stage.domain", /Argo CD's UI needs a host/],
    ["a delivery that does not exist", (d) => (d.environments.prod!.delivery = "flux"), "environments.prod.delivery", /pulumi|gitops/],
  ];
  for (const [title, mutate, path, message] of cases) {
    it(`refuses ${title} at ${path}`, () => {
      const doc = base();
      mutate(doc);
      const found = issues(doc);
      expect(found.map((i) => i.path)).toContain(path);
      expect(found.find((i) => i.path === path)!.message).toMatch(message);
    });
  }

  it("property: every environment gets exactly one sync policy, manual only where production and not overridden", () => {
    fc.assert(
      fc.property(fc.constantFrom("production", "staging", "development"), fc.option(fc.boolean(), { nil: undefined }), (preset, automated) => {
        const doc = base();
        doc.environments.stage!.preset = preset;
        if (automated !== undefined) doc.gitops!.sync = { stage: { automated } };
        const policy = syncPolicyFor(validateConfig(doc), "stage");
        expect(policy.automated).toBe(automated ?? preset !== "production");
      }),
      { numRuns: 30 },
    );
  });
});

describe("gitops.path stays inside the repository", () => {
  for (const path of ["../elsewhere", "environments/../..", "./environments"]) {
    it(`refuses ${path}`, () => {
      const doc = base();
      doc.gitops!.path = path;
      const found = issues(doc);
      expect(found.map((i) => i.path)).toContain("gitops.path");
    });
  }
});
