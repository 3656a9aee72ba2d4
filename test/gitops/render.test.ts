/**
 * `brume render` (issue 18, item 3): the GitOps repository of examples/bro-ai-gitops. The rendered
 * objects are compared with
 * - the Pulumi delivery's objects of the SAME commit (examples/bro-ai planned now): equal except the
 *   annotations Argo CD needs (`argoAnnotations`: the sync wave) and the deployed values read from
 *   the outputs fixture (listed) — this comparison stays valid as the manifests evolve;
 * - the golden of the Pulumi delivery taken before the GitOps delivery existed (fixtures/
 *   pulumi-delivery-<stack>.json.gz): "unchanged since" (the lead re-takes it when manifests change
 *   on purpose: npx tsx test/gitops/take-golden.ts).
 * Every rendered object validates against the upstream schemas; no Secret is ever written.
 */
import { readFileSync } from "node:fs";
import { Gateway, HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { GCPBackendPolicy, GCPGatewayPolicy, HealthCheckPolicy } from "@kubernetes-models/gke/networking.gke.io/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { LimitRange, ResourceQuota, Service, ServiceAccount } from "kubernetes-models/v1";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import {
  argoAnnotations,
  assertNoSecrets,
  gitopsObjectsOf,
  renderGitops,
  substitute,
  syncWaves,
  type GitopsRendering,
  type KubernetesObject,
} from "../../src/plan/gitops-render.js";
import { planStack } from "../../src/plan/stack.js";
import { readGolden } from "./golden.js";

const config = "examples/bro-ai/brume.yaml";
const projectDir = "examples/bro-ai-gitops";
const outputs = JSON.parse(readFileSync(new URL("./fixtures/outputs-stage.json", import.meta.url), "utf8")) as Record<string, unknown>;

/** The object without what the GitOps delivery adds (the Argo CD annotations). */
function withoutArgo(o: KubernetesObject): KubernetesObject {
  const annotations = Object.fromEntries(Object.entries(o.metadata.annotations ?? {}).filter(([k]) => !(argoAnnotations as readonly string[]).includes(k)));
  const { annotations: _drop, ...metadata } = o.metadata;
  return { ...o, metadata: Object.keys(annotations).length > 0 ? { ...metadata, annotations } : metadata };
}

const byResource = (list: { resource: string; object: KubernetesObject }[]) => Object.fromEntries(list.map((o) => [o.resource, o.object]));

const renderings: Record<string, GitopsRendering> = {};
const pulumiDelivery: Record<string, ReturnType<typeof gitopsObjectsOf>> = {};

beforeAll(async () => {
  for (const stack of ["stage", "prod"]) {
    renderings[stack] = await renderGitops({ stack, configFile: config, projectDir, ...(stack === "stage" ? { outputs } : {}) });
    const { plan } = await planStack({ stack, configFile: config });
    pulumiDelivery[stack] = gitopsObjectsOf(plan.resources, `bro-ai-${stack}-svc-`);
  }
}, 120_000);

describe("brume render: examples/bro-ai-gitops", () => {
  it("writes per service <path>/<env>/<service>/<kind>-<name>.yaml and a kustomization, the shared objects in _namespace", () => {
    const stage = renderings.stage!;
    expect(stage.root).toBe("environments/stage");
    expect(stage.objects).toHaveLength(53);
    const dirs = [...new Set([...stage.files.keys()].map((p) => p.split("/")[2]))];
    expect(dirs).toEqual(["_namespace", "admin", "api", "otel-collector", "web", "worker"]);
    expect(parse(stage.files.get("environments/stage/api/kustomization.yaml")!).resources).toEqual([
      "deployment-api-v1-14-2.yaml",
      "gcpbackendpolicy-api-v1-14-2.yaml",
      "healthcheckpolicy-api-v1-14-2.yaml",
      "horizontalpodautoscaler-api-v1-14-2.yaml",
      "httproute-api.yaml",
      "job-api-v1-14-2-pre-release.yaml",
      "networkpolicy-api.yaml",
      "poddisruptionbudget-api-v1-14-2.yaml",
      "secretproviderclass-api-secrets-60e65fc2.yaml", // named after stage's pinned versions (docs/secrets.md)
      "service-api-v1-14-2.yaml",
      "service-api.yaml",
      "serviceaccount-api.yaml",
    ]);
    expect([...stage.files.keys()].filter((p) => p.startsWith("environments/stage/_namespace/"))).toEqual([
      "environments/stage/_namespace/gateway-external.yaml",
      "environments/stage/_namespace/gateway-internal.yaml",
      "environments/stage/_namespace/gcpgatewaypolicy-external.yaml",
      "environments/stage/_namespace/gcpgatewaypolicy-internal.yaml",
      "environments/stage/_namespace/httproute-external-https-redirect.yaml",
      "environments/stage/_namespace/httproute-internal-https-redirect.yaml",
      "environments/stage/_namespace/kustomization.yaml",
      "environments/stage/_namespace/limitrange-brume-limits.yaml",
      "environments/stage/_namespace/networkpolicy-default-deny.yaml",
      "environments/stage/_namespace/resourcequota-brume-quota.yaml",
    ]);
    // Every object's file parses back to the object (with its sync wave).
    for (const { directory, object } of stage.objects) {
      const text = stage.files.get(`environments/stage/${directory}/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`)!;
      expect(withoutArgo(parse(text))).toEqual(object);
    }
  });

  it("equals the Pulumi delivery's objects of the same commit, except the sync wave and the deployed values (listed)", () => {
    for (const stack of ["stage", "prod"]) {
      const r = renderings[stack]!;
      const expected = byResource(pulumiDelivery[stack]!.map((o) => ({ ...o, object: substitute(o.object, r.substituted) })));
      const rendered = byResource(r.objects.map((o) => ({ ...o, object: withoutArgo(o.object) })));
      expect(Object.keys(rendered).sort()).toEqual(Object.keys(expected).sort());
      expect(rendered).toEqual(expected);
    }
    // The deployed values the stage render replaced: the built image's digest and the project number.
    const stage = renderings.stage!;
    expect(stage.substituted.map((s) => s.path)).toContain("images.admin");
    const admin = stage.objects.find((o) => o.resource === "bro-ai-stage-svc-admin-deployment")!.object as unknown as { spec: { template: { spec: { containers: { image: string }[] } } } };
    expect(admin.spec.template.spec.containers[0]!.image).toBe((outputs.images as Record<string, string>).admin);
    // Without outputs (prod) nothing is replaced.
    expect(renderings.prod!.substituted).toEqual([]);
  });

  it("is unchanged since the golden of the Pulumi delivery taken before the GitOps delivery", () => {
    for (const stack of ["stage", "prod"]) {
      const r = renderings[stack]!;
      const golden = readGolden(stack).filter((g) => ["brume:service:Service", "brume:service:Namespace"].includes(g.component) && g.object.kind !== "Namespace" && (g.object.metadata as any)?.annotations?.["brume.dev/kept-by"] !== "pulumi"); // the IAP client's Secret stays Pulumi's
      const expected = Object.fromEntries(golden.map((g) => [g.name, substitute(g.object, r.substituted)]));
      expect(byResource(r.objects.map((o) => ({ ...o, object: withoutArgo(o.object) })))).toEqual(expected);
    }
  });

  it("adds only the sync wave: traffic (HTTPRoute) after the backend policies, after the workloads, after identity and policy", () => {
    for (const [path, text] of renderings.stage!.files) {
      if (path.endsWith("kustomization.yaml")) continue;
      const object = parse(text) as KubernetesObject;
      const added = Object.keys(object.metadata.annotations ?? {}).filter((k) => k.startsWith("argocd.argoproj.io/"));
      expect(added, path).toEqual(["argocd.argoproj.io/sync-wave"]);
      expect(object.metadata.annotations!["argocd.argoproj.io/sync-wave"]).toBe(String(syncWaves[object.kind]));
    }
    expect(syncWaves.HTTPRoute).toBeGreaterThan(syncWaves.GCPBackendPolicy!);
    expect(syncWaves.GCPBackendPolicy).toBeGreaterThan(syncWaves.Deployment!);
    expect(syncWaves.Deployment).toBeGreaterThan(syncWaves.ServiceAccount!);
  });

  it("validates every object against the upstream schemas (kubernetes-models, Gateway API, GKE); the SecretProviderClass by apiVersion", () => {
    const models: Record<string, new (data: never) => { validate(): void }> = {
      Deployment,
      Job,
      Service,
      ServiceAccount,
      HorizontalPodAutoscaler,
      PodDisruptionBudget,
      NetworkPolicy,
      ResourceQuota,
      LimitRange,
      Gateway,
      HTTPRoute,
      // GKE's policy CRDs, from @kubernetes-models/gke (generated from GKE's CRD schemas).
      GCPBackendPolicy,
      GCPGatewayPolicy,
      HealthCheckPolicy,
    };
    // SecretProviderClass has no schema package: test/service/egress-schemas.test.ts checks it
    // against the schema written from its documentation; here its API group.
    const byGroup: Record<string, string> = {
      SecretProviderClass: "secrets-store.csi.x-k8s.io/v1",
      // bro-ai prod enforces api's egress by host name; its documented schema is checked in test/service/egress-schemas.test.ts.
      FQDNNetworkPolicy: "networking.gke.io/v1alpha1",
    };
    let validated = 0;
    for (const stack of ["stage", "prod"]) {
      for (const [path, text] of renderings[stack]!.files) {
        const object = parse(text) as KubernetesObject;
        if (path.endsWith("kustomization.yaml")) continue;
        const Model = models[object.kind];
        if (Model) {
          expect(() => new Model(object as never).validate(), path).not.toThrow();
          validated++;
        } else expect(object.apiVersion, path).toBe(byGroup[object.kind]);
      }
    }
    expect(validated).toBe(2 * 51); // every object but the SecretProviderClasses, per stack
  });

  it("never writes a Kubernetes Secret (nor a secret value)", () => {
    for (const stack of ["stage", "prod"]) {
      for (const text of renderings[stack]!.files.values()) {
        expect(parse(text).kind).not.toBe("Secret");
        expect(text).not.toContain("[secret]");
      }
    }
    const secret = { directory: "api", resource: "x", object: { apiVersion: "v1", kind: "Secret", metadata: { name: "x" } } };
    expect(() => assertNoSecrets([secret])).toThrow(/never go to Git/);
    const masked = { directory: "api", resource: "y", object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "y" }, data: { k: "[secret]" } } };
    expect(() => assertNoSecrets([masked])).toThrow(/carries a secret value/);
  });

  it("is deterministic: the same config and outputs give the same files", async () => {
    const again = await renderGitops({ stack: "stage", configFile: config, projectDir, outputs });
    expect([...again.files]).toEqual([...renderings.stage!.files]);
  });
});

describe("brume render: the CLI", () => {
  const run = async (argv: string[]) => {
    let out = "";
    let err = "";
    const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
    return { code, out, err };
  };

  it("refuses a pulumi environment, a missing --out and unreadable outputs, with the fix (exit 1)", async () => {
    const pulumiEnv = await run(["render", "--stack", "stage", "--config", config, "--out", "/tmp/brume-render-unused"]);
    expect(pulumiEnv.code).toBe(1);
    expect(pulumiEnv.err).toMatch(/delivered by pulumi: brume render writes gitops environments; set delivery: gitops/);
    const noOut = await run(["render", "--stack", "stage", "--config", config, "--project-dir", projectDir]);
    expect(noOut.code).toBe(1);
    expect(noOut.err).toMatch(/--out: give the directory/);
    const badOutputs = await run(["render", "--stack", "stage", "--config", config, "--project-dir", projectDir, "--out", "/tmp/x", "--outputs", "/nonexistent.json"]);
    expect(badOutputs.code).toBe(1);
    expect(badOutputs.err).toMatch(/cannot read \/nonexistent.json: ENOENT; write it with pulumi stack output --json/);
  }, 60_000);
});

describe("deployed values replace the offline plan's stand-ins", () => {
  it("whole values always; inside longer strings only for paths and references (never a bare address inside a longer one)", () => {
    const pairs = [
      { from: "10.0.0.7", to: "10.0.0.9" },
      { from: "us-docker.pkg.dev/p/r/admin@sha256:aaa", to: "us-docker.pkg.dev/p/r/admin@sha256:bbb" },
      { from: "projects/111/secrets", to: "projects/222/secrets" },
    ];
    expect(substitute({ ip: "10.0.0.7", other: "10.0.0.70", image: "us-docker.pkg.dev/p/r/admin@sha256:aaa", name: "projects/111/secrets/x" }, pairs)).toEqual({
      ip: "10.0.0.9",
      other: "10.0.0.70",
      image: "us-docker.pkg.dev/p/r/admin@sha256:bbb",
      name: "projects/222/secrets/x",
    });
  });
});
