/**
 * Argo CD installed by the stack (issue 18, items 2 and 7), from the plans of examples/bro-ai-gitops:
 * the pinned chart with values checked against its documented keys, AppProject and Applications
 * validated with @kubernetes-models/argo-cd, the sync policy per environment (stage automated,
 * prod manual), the ordering (CRDs Established before Applications), Binary Authorization admitting
 * its images, GKE Secret Sync for the credentials (no secret in values or state), and the HTTPRoute
 * health check executed in Lua 5.1 (Argo CD runs gopher-lua, a Lua 5.1). The chart's own objects
 * are rendered by Helm at apply time and are NOT validated offline.
 */
import { execFileSync } from "node:child_process";
import { Application, AppProject } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";
import { beforeAll, describe, expect, it } from "vitest";
import { argocdChart, argocdImages, argocdValues, httpRouteHealthLua, undocumentedValues } from "../../src/components/gitops/chart.js";
import type { PlannedResource } from "../../src/plan/run.js";
import { planStack } from "../../src/plan/stack.js";

const plans: Record<string, PlannedResource[]> = {};
beforeAll(async () => {
  for (const stack of ["stage", "prod"]) plans[stack] = (await planStack({ stack, configFile: "examples/bro-ai/brume.yaml", projectDir: "examples/bro-ai-gitops" })).plan.resources;
}, 120_000);

const of = (stack: string, type: string) => plans[stack]!.filter((r) => r.type === type);
const one = (stack: string, name: string) => plans[stack]!.find((r) => r.name === name)!;

describe("Argo CD in a gitops environment", () => {
  it("is the official chart at a pinned version, values only of its documented keys", () => {
    const [release] = of("prod", "kubernetes:helm.sh/v3:Release");
    expect(release!.inputs).toMatchObject({ chart: "argo-cd", version: "10.1.1", repositoryOpts: { repo: "https://argoproj.github.io/argo-helm" }, namespace: "argocd", atomic: true });
    expect(argocdChart.appVersion).toBe("v3.4.4");
    expect(undocumentedValues(release!.inputs.values as Record<string, unknown>)).toEqual([]);
    expect(undocumentedValues({ ...argocdValues({ hostname: "a", adminLogin: false, ssoSecretName: "s", groups: { sync: [], read: [] } }), serverr: { replicas: 2 } })).toEqual(["serverr.replicas"]);
  });

  it("is hardened: no admin login in production, Google SSO via Dex with the client secret by reference, no exec, limits on every component", () => {
    const values = of("prod", "kubernetes:helm.sh/v3:Release")[0]!.inputs.values as Record<string, Record<string, Record<string, unknown>>>;
    expect(values.configs!.cm!["admin.enabled"]).toBe(false);
    expect(values.configs!.cm!["exec.enabled"]).toBe(false);
    const dex = JSON.parse(values.configs!.cm!["dex.config"] as string);
    expect(dex.connectors[0]).toMatchObject({ type: "google", config: { clientSecret: "$brume-argocd-sso:clientSecret", hostedDomains: ["bro.ai"], redirectURI: "https://argocd.bro.ai/api/dex/callback" } });
    for (const c of ["controller", "server", "repoServer", "applicationSet", "notifications", "dex", "redis"]) {
      const r = (values[c] as unknown as { resources: { limits: Record<string, string>; requests: Record<string, string> } }).resources;
      expect(r.limits, c).toEqual(r.requests);
    }
    // Who may sync: the owner and admin groups; the others read.
    expect(values.configs!.rbac!["policy.csv"]).toContain("g, platform@bro.ai, role:brume-sync");
    expect(values.configs!.rbac!["policy.csv"]).toContain("g, support@bro.ai, role:brume-read");
    expect(values.configs!.rbac!["policy.default"]).toBe("");
    // Staging keeps the admin login (not production): a weaker default outside production only.
    const stage = of("stage", "kubernetes:helm.sh/v3:Release")[0]!.inputs.values as Record<string, Record<string, Record<string, unknown>>>;
    expect(stage.configs!.cm!["admin.enabled"]).toBe(true);
    // No secret value anywhere in the values (they are in Helm's release and Pulumi's state).
    expect(JSON.stringify(values)).not.toMatch(/\[secret\]|BEGIN OPENSSH|PRIVATE KEY/);
  });

  it("AppProject and Applications validate against @kubernetes-models/argo-cd", () => {
    for (const stack of ["stage", "prod"]) {
      for (const r of of(stack, "kubernetes:argoproj.io/v1alpha1:AppProject")) expect(() => new AppProject(r.inputs as never).validate()).not.toThrow();
      const apps = of(stack, "kubernetes:argoproj.io/v1alpha1:Application");
      expect(apps.map((a) => (a.inputs.metadata as { name: string }).name).sort()).toEqual(["_namespace", "admin", "api", "otel-collector", "web", "worker"].map((d) => `${stack}-${d.replace(/^_/, "")}`).sort());
      for (const r of apps) expect(() => new Application(r.inputs as never).validate()).not.toThrow();
    }
    expect(() => new Application({ metadata: { name: "x" }, spec: { destination: {}, project: 3 } } as never).validate()).toThrow();
  });

  it("the AppProject restricts sources to the repository and destinations to the environment's namespace; no cluster-scoped object, no Secret", () => {
    const project = of("prod", "kubernetes:argoproj.io/v1alpha1:AppProject")[0]!.inputs.spec;
    expect(project).toMatchObject({
      sourceRepos: ["git@github.com:bro-ai/platform-deploy.git"],
      destinations: [{ server: "https://kubernetes.default.svc", namespace: "bro-ai-prod" }],
      clusterResourceWhitelist: [],
      namespaceResourceBlacklist: [{ group: "", kind: "Secret" }],
    });
  });

  it("syncs staging automatically (prune, self-heal) and production manually, with retry/backoff, from <path>/<env>/<service>", () => {
    const spec = (stack: string, dir: string) => one(stack, `bro-ai-${stack}-argocd-app-${dir}`).inputs.spec as Record<string, Record<string, unknown>>;
    expect(spec("stage", "api").syncPolicy!.automated).toEqual({ prune: true, selfHeal: true });
    expect(spec("prod", "api").syncPolicy!.automated).toBeUndefined();
    expect(spec("prod", "api").syncPolicy!.retry).toEqual({ limit: 5, backoff: { duration: "10s", factor: 2, maxDuration: "3m" } });
    expect(spec("prod", "api").source).toEqual({ repoURL: "git@github.com:bro-ai/platform-deploy.git", targetRevision: "main", path: "environments/prod/api" });
    expect(spec("stage", "_namespace").source!.path).toBe("environments/stage/_namespace");
    // No resources finalizer: deleting an Application leaves its workloads running (the way back).
    expect((one("prod", "bro-ai-prod-argocd-app-api").inputs.metadata as Record<string, unknown>).finalizers).toBeUndefined();
  });

  it("creates Applications only once Argo CD's CRDs are Established (the release, then the gate)", () => {
    const gate = one("prod", "bro-ai-prod-argocd-crds");
    expect(gate.inputs.establishedCrds).toEqual(["applications.argoproj.io", "appprojects.argoproj.io"]);
    expect(gate.dependencies).toContain(one("prod", "bro-ai-prod-argocd-release").urn);
    for (const r of [...of("prod", "kubernetes:argoproj.io/v1alpha1:Application"), ...of("prod", "kubernetes:argoproj.io/v1alpha1:AppProject")]) expect(r.dependencies).toContain(gate.urn);
  });

  it("admits its images (Binary Authorization) and turns on GKE Secret Sync for the repository credentials", () => {
    const policy = of("prod", "gcp:binaryauthorization/policy:Policy")[0]!.inputs as { admissionWhitelistPatterns: { namePattern: string }[] };
    for (const image of Object.values(argocdImages)) expect(policy.admissionWhitelistPatterns.map((p) => p.namePattern)).toContain(image);
    expect(of("prod", "gcp:container/cluster:Cluster")[0]!.inputs.secretSyncConfig).toEqual({ enabled: true });
    const repo = one("prod", "bro-ai-prod-argocd-sync-repository").inputs as { spec: { secretObject: { labels: Record<string, string>; data: { sourcePath: string }[] } } };
    expect(repo.spec.secretObject.labels).toEqual({ "argocd.argoproj.io/secret-type": "repository" });
    expect(repo.spec.secretObject.data.map((d) => d.sourcePath)).toEqual(["url", "sshPrivateKey"]);
    // The deploy key is read from the declared secret: the sync identity may read only these three.
    const grants = plans.prod!.filter((r) => r.type === "gcp:secretmanager/secretIamMember:SecretIamMember" && r.name.startsWith("bro-ai-prod-argocd-sync-"));
    expect(grants.map((g) => g.inputs.secretId).sort()).toEqual(["bro-ai-prod-argocd-oauth-client-secret", "bro-ai-prod-argocd-repo-url", "bro-ai-prod-gitops-deploy-key"]);
  });

  it("an environment delivered by Pulumi has no Argo CD, no Secret Sync and the same admission policy", async () => {
    const pulumi = (await planStack({ stack: "prod", configFile: "examples/bro-ai/brume.yaml" })).plan.resources;
    expect(pulumi.filter((r) => r.urn.includes("brume:gitops:ArgoCd"))).toEqual([]);
    expect(pulumi.find((r) => r.type === "gcp:container/cluster:Cluster")!.inputs.secretSyncConfig).toBeUndefined();
  }, 60_000);
});

describe("the HTTPRoute health check, executed in Lua 5.1", () => {
  const status = (obj: string) => {
    const script = `local obj = ${obj}\nlocal function check()\n${httpRouteHealthLua}\nend\nlocal hs = check()\nprint(hs.status .. "|" .. hs.message)\n`;
    return execFileSync("lua5.1", ["-"], { input: script, encoding: "utf8" }).trim();
  };
  it("is Progressing before the Gateway reported, Healthy once every parent Accepted, Degraded when one refused", () => {
    expect(status("{ metadata = { name = 'api' } }")).toBe("Progressing|Waiting for the Gateway to accept the route");
    expect(status("{ status = { parents = { { conditions = { { type = 'Accepted', status = 'True' }, { type = 'ResolvedRefs', status = 'True' } } } } } }")).toBe("Healthy|Accepted by every parent Gateway");
    expect(status("{ status = { parents = { { conditions = { { type = 'Accepted', status = 'True' }, { type = 'ResolvedRefs', status = 'False', reason = 'BackendNotFound' } } } } } }")).toBe("Degraded|ResolvedRefs: BackendNotFound");
    expect(status("{ status = { parents = { { conditions = { { type = 'Accepted', status = 'True' } } }, { conditions = {} } } } }")).toBe("Progressing|Waiting for every parent Gateway to accept the route");
  });
});

describe("the creation-order check on what Argo CD adds", () => {
  it("refuses an Application that does not wait for Argo CD's CRD gate, and a SecretSync without Secret Sync on the cluster", async () => {
    const { checkCreationOrder } = await import("../../src/plan/creation-order.js");
    const resources = structuredClone(plans.prod!);
    expect(checkCreationOrder({ project: "bro-ai", stack: "prod", resources, outputs: {} })).toEqual([]);
    const gate = resources.find((r) => r.name === "bro-ai-prod-argocd-crds")!;
    // Every Application and the AppProject (which the Applications wait for) lose the gate.
    for (const r of resources.filter((x) => x.type.startsWith("kubernetes:argoproj.io/"))) r.dependencies = r.dependencies.filter((d) => d !== gate.urn);
    const cluster = resources.find((r) => r.type === "gcp:container/cluster:Cluster")!;
    delete cluster.inputs.secretSyncConfig;
    const rules = checkCreationOrder({ project: "bro-ai", stack: "prod", resources, outputs: {} }).map((v) => `${v.rule} ${v.urn.split("::").at(-1)}`);
    expect(rules).toContain("crd-established-gate bro-ai-prod-argocd-app-api");
    expect(rules).toContain("gke-feature-crd bro-ai-prod-argocd-sync-repository");
  });
});
