/**
 * Pure builders of the objects around a Gateway (issue 14, items 3–4): its TLS policy
 * (`GCPGatewayPolicy`) and the HTTP → HTTPS redirect route of its `http` listener.
 *
 * - GKE "Configure Gateway resources using Policies"
 *   (https://cloud.google.com/kubernetes-engine/docs/how-to/configure-gateway-resources):
 *   a GCPGatewayPolicy targets a `gateway.networking.k8s.io` Gateway in its own namespace;
 *   `spec.default.sslPolicy` names a Compute SSL policy, `allowGlobalAccess` (regional internal
 *   Gateways only) lets clients of other regions reach the internal load balancer.
 * - GKE "Secure a Gateway" / Gateway API `HTTPRequestRedirectFilter`
 *   (https://cloud.google.com/kubernetes-engine/docs/how-to/http-redirect,
 *   https://gateway-api.sigs.k8s.io/guides/http-redirect-rewrite/): an HTTPRoute bound to the
 *   `http` listener by `sectionName`, whose only rule is a `RequestRedirect` filter
 *   `{scheme: https, statusCode: 301}`. The service routes bind to `https` only, so plain HTTP
 *   never reaches a backend.
 */
import type { Labels, Manifest } from "./manifests.js";

/** Listener names of every brume Gateway. */
export const listenerNames = { https: "https", http: "http" } as const;

/** The redirect route of a Gateway: one per Gateway, named after it. */
export function redirectRouteName(gateway: string): string {
  return `${gateway}-https-redirect`;
}

export function gatewayPolicyManifest(o: {
  name: string;
  namespace: string;
  gateway: string;
  /** Name of the Compute SSL policy (global for the external Gateway, regional for the internal one). */
  sslPolicy: string;
  /** Internal (regional) Gateways: reachable from clients in other regions of the VPC. */
  allowGlobalAccess?: boolean;
  labels: Labels;
}): Manifest {
  return {
    apiVersion: "networking.gke.io/v1",
    kind: "GCPGatewayPolicy",
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: {
      default: { sslPolicy: o.sslPolicy, ...(o.allowGlobalAccess !== undefined ? { allowGlobalAccess: o.allowGlobalAccess } : {}) },
      targetRef: { group: "gateway.networking.k8s.io", kind: "Gateway", name: o.gateway },
    },
  };
}

/** The only route of a Gateway's `http` listener: 301 to the same host and path over HTTPS. */
export function httpsRedirectRouteManifest(o: { namespace: string; gateway: string; labels: Labels }): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: redirectRouteName(o.gateway), namespace: o.namespace, labels: o.labels },
    spec: {
      parentRefs: [{ kind: "Gateway", name: o.gateway, sectionName: listenerNames.http }],
      rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
    },
  };
}
