/**
 * Every Kubernetes object a service generates, validated against the upstream OpenAPI schemas
 * (kubernetes-models and its Gateway API package): a wrong field type fails here.
 */
import { describe, expect, it } from "vitest";
import { Gateway, HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { LimitRange, Namespace, ResourceQuota, Service, ServiceAccount } from "kubernetes-models/v1";
import {
  backendPolicyManifest,
  defaultDenyPolicy,
  deploymentManifest,
  gatewayManifest,
  healthCheckPolicyManifest,
  hpaManifest,
  httpRouteManifest,
  limitRangeManifest,
  namespaceManifest,
  networkPolicyManifest,
  pdbManifest,
  resourceQuotaManifest,
  secretProviderClassManifest,
  serviceAccountManifest,
  serviceManifest,
  type DeploymentSpec,
  type Manifest,
} from "../../src/components/service/manifests.js";
import { defaultNamespaceLimits } from "../../src/components/service/namespace.js";

const labels = { "app.kubernetes.io/part-of": "shop-prod" };
const ports = [{ name: "http", port: 8080, protocol: "TCP" as const }];
const spec: DeploymentSpec = {
  name: "api-v2",
  namespace: "shop-prod",
  app: "api",
  version: "v2",
  image: "europe-docker.pkg.dev/shop/apps/api@sha256:" + "a".repeat(64),
  serviceAccountName: "api",
  ports,
  env: { LOG_LEVEL: "info" },
  secretFiles: [{ env: "STRIPE_KEY", secretResource: "projects/shop-prod/secrets/shop-prod-stripe-key" }],
  secretProviderClass: "api-secrets",
  resources: { cpu: "500m", memory: "512Mi" },
  health: {
    readiness: { path: "/readyz", port: "http", initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    liveness: { port: 8080, initialDelaySeconds: 5, periodSeconds: 20, timeoutSeconds: 2, failureThreshold: 3 },
  },
  rolling: { maxSurge: "25%", minReadySeconds: 10, progressDeadlineSeconds: 600 },
  labels,
};

/** kubernetes-models throws on the first schema violation. */
const valid = (Model: new (data: any) => { validate(): void }, m: Manifest) => {
  expect(() => new Model(m).validate()).not.toThrow();
};

describe("manifests validate against the upstream schemas", () => {
  const ns = { name: "shop-prod", labels, ...defaultNamespaceLimits };

  it("Namespace with PSA restricted, ResourceQuota, LimitRange, default deny", () => {
    const n = namespaceManifest(ns);
    valid(Namespace, n);
    expect(n.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/warn": "restricted" });
    valid(ResourceQuota, resourceQuotaManifest(ns));
    valid(LimitRange, limitRangeManifest(ns));
    valid(NetworkPolicy, defaultDenyPolicy("shop-prod"));
    expect(defaultDenyPolicy("shop-prod").spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("Deployment: hardened, zone spread, version label in the pod template only for rolling workloads", () => {
    const rolling = deploymentManifest(spec, { versionInSelector: false });
    valid(Deployment, rolling);
    const d = rolling.spec as any;
    expect(d.selector).toEqual({ matchLabels: { "app.kubernetes.io/name": "api" } });
    expect(d.template.metadata.labels).toMatchObject({ "app.kubernetes.io/name": "api", "app.kubernetes.io/version": "v2" });
    expect(d.replicas).toBeUndefined();
    expect(d.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } });
    const c = d.template.spec.containers[0];
    expect(c.securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(d.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(d.template.spec.topologySpreadConstraints[0]).toMatchObject({ topologyKey: "topology.kubernetes.io/zone", maxSkew: 1 });
    expect(c.env).toEqual([
      { name: "LOG_LEVEL", value: "info" },
      { name: "STRIPE_KEY_FILE", value: "/var/run/secrets/brume/STRIPE_KEY" },
    ]);
    expect(d.template.spec.volumes).toContainEqual({
      name: "secrets",
      csi: { driver: "secrets-store-gke.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: "api-secrets" } },
    });
    expect(rolling.metadata.annotations).toMatchObject({
      "brume.dev/version": "v2",
      "brume.dev/image-digest": "sha256:" + "a".repeat(64),
      "brume.dev/config-hash": expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const versioned = deploymentManifest(spec, { versionInSelector: true });
    valid(Deployment, versioned);
    expect((versioned.spec as any).selector.matchLabels).toEqual({ "app.kubernetes.io/name": "api", "app.kubernetes.io/version": "v2" });
  });

  it("a wrong field type fails validation", () => {
    const bad = deploymentManifest(spec, { versionInSelector: false }) as any;
    bad.spec.minReadySeconds = "ten";
    expect(() => new Deployment(bad).validate()).toThrow();
    const route = httpRouteManifest({ name: "api", namespace: "n", gateway: "external", hostnames: ["a.example.com"], paths: ["/"], port: 8080, route: { backends: [{ service: "api-v1", weight: 100 }] }, labels }) as any;
    route.spec.rules[0].backendRefs[0].weight = "100";
    expect(() => new HTTPRoute(route).validate()).toThrow();
  });

  it("Service, HPA (autoscaling/v2), PDB, ServiceAccount", () => {
    valid(Service, serviceManifest({ name: "api", namespace: "n", app: "api", version: "v1", ports, labels }));
    const hpa = hpaManifest({ name: "api", namespace: "n", min: 2, max: 10, targetCpu: 65, targetMemory: 80, labels });
    valid(HorizontalPodAutoscaler, hpa);
    expect((hpa.spec as any).metrics).toHaveLength(2);
    valid(PodDisruptionBudget, pdbManifest({ name: "api", namespace: "n", app: "api", labels }));
    const sa = serviceAccountManifest({ name: "api", namespace: "n", gsaEmail: "shop-prod-api@shop-prod.iam.gserviceaccount.com", labels });
    valid(ServiceAccount, sa);
    expect(sa.metadata.annotations).toEqual({ "iam.gke.io/gcp-service-account": "shop-prod-api@shop-prod.iam.gserviceaccount.com" });
  });

  it("NetworkPolicy", () => {
    const np = networkPolicyManifest({
      name: "api",
      namespace: "n",
      app: "api",
      ports,
      callers: ["web"],
      dependencies: [{ app: "worker", ports }],
      gatewaySources: ["35.191.0.0/16"],
      dataEgress: [{ cidr: "10.0.64.0/20", ports: [5432] }],
      googleApis: true,
      labels,
    });
    valid(NetworkPolicy, np);
  });

  it("Gateway and HTTPRoute (Gateway API v1), route with preview header and weights", () => {
    const gw = gatewayManifest({ name: "external", namespace: "n", external: true, certificates: ["shop-prod-gateway-cert"], labels });
    valid(Gateway, gw);
    valid(Gateway, gatewayManifest({ name: "internal", namespace: "n", external: false, certificates: [], labels }));
    const route = httpRouteManifest({
      name: "api",
      namespace: "n",
      gateway: "external",
      hostnames: ["api.shop.example.com"],
      paths: ["/"],
      port: 8080,
      route: { backends: [{ service: "api-v1", weight: 75 }, { service: "api-v2", weight: 25 }], preview: { header: "x-brume-canary", value: "1", backends: [{ service: "api-v2", weight: 100 }] } },
      labels,
    });
    valid(HTTPRoute, route);
    expect(route.metadata.annotations?.["pulumi.com/waitFor"]).toContain("Accepted");
    expect(route).toMatchSnapshot();
  });

  it("SecretProviderClass (GKE add-on) and GKE policies: shape (no upstream models published)", () => {
    const spc = secretProviderClassManifest({ name: "api-secrets", namespace: "n", files: spec.secretFiles, labels });
    expect(spc).toMatchInlineSnapshot(`
      {
        "apiVersion": "secrets-store.csi.x-k8s.io/v1",
        "kind": "SecretProviderClass",
        "metadata": {
          "labels": {
            "app.kubernetes.io/part-of": "shop-prod",
          },
          "name": "api-secrets",
          "namespace": "n",
        },
        "spec": {
          "parameters": {
            "secrets": "- resourceName: "projects/shop-prod/secrets/shop-prod-stripe-key/versions/latest"
        path: "STRIPE_KEY"
      ",
          },
          "provider": "gke",
        },
      }
    `);
    const bp = backendPolicyManifest({
      name: "api-v1",
      namespace: "n",
      service: "api-v1",
      securityPolicy: "shop-prod-api-armor",
      iap: { clientId: "1234-abc.apps.googleusercontent.com", secretName: "api-iap-oauth" },
      labels,
    });
    // The CRD: with iap.enabled, clientID and oauth2ClientSecret must be non-empty (k8s-review 10).
    expect(bp.spec).toMatchObject({
      default: {
        securityPolicy: "shop-prod-api-armor",
        iap: { enabled: true, clientID: "1234-abc.apps.googleusercontent.com", oauth2ClientSecret: { name: "api-iap-oauth" } },
        timeoutSec: 30,
        connectionDraining: { drainingTimeoutSec: 30 },
      },
      targetRef: { group: "", kind: "Service", name: "api-v1" },
    });
    const hc = healthCheckPolicyManifest({ name: "api-v1", namespace: "n", service: "api-v1", path: "/readyz", port: 8080, labels });
    expect(hc.spec).toMatchObject({ default: { config: { type: "HTTP", httpHealthCheck: { port: 8080, requestPath: "/readyz" } } } });
  });

  it("is deterministic", () => {
    expect(deploymentManifest(spec, { versionInSelector: true })).toEqual(deploymentManifest(structuredClone(spec), { versionInSelector: true }));
  });
});
