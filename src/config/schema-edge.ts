/**
 * Config fields of a service's edge (issue 14 part B): backend timeout and IAP client of its
 * exposure, its shutdown sequence, the third-party hosts it may call, its node pool.
 * Wired into ./schema.ts (serviceSchema / exposureSchema).
 */
import { z } from "zod";
import { dnsLabel, strict } from "./primitives.js";

/** `expose.*` fields. */
export const exposureEdgeFields = {
  timeoutSeconds: z
    .int()
    .min(1)
    .max(86400)
    .default(30)
    .meta({
      description:
        "Backend timeout of the load balancer (GCPBackendPolicy timeoutSec): a response still streaming after it is cut. Raise it for streaming or long-running APIs.",
    }),
  iapClient: strict({
      clientId: z.string().regex(/^[0-9]+-[a-z0-9]+\.apps\.googleusercontent\.com$/, {
        error: "expected an OAuth client ID such as 1234-abcd.apps.googleusercontent.com",
      }),
      secret: dnsLabel.meta({ description: "Secret (from `secrets`) holding the OAuth client secret." }),
    })
    .optional()
    .meta({ description: "OAuth client of Identity-Aware Proxy (required with `iap: true`; the GCPBackendPolicy needs its ID and secret)." }),
};

/** `shutdown` of a service: what happens between SIGTERM's decision and the container's end. */
export const shutdownSchema = strict({
    preStopSeconds: z
      .int()
      .min(0)
      .max(120)
      .default(10)
      .meta({ description: "preStop sleep: the container keeps serving while the load balancer and kube-proxy stop sending it new requests." }),
    drainingSeconds: z
      .int()
      .min(0)
      .max(3600)
      .default(30)
      .meta({ description: "Connection draining of the load balancer (GCPBackendPolicy): in-flight requests of a removed endpoint may finish." }),
    appSeconds: z.int().min(1).max(600).default(10).meta({ description: "Time the application needs to stop after SIGTERM." }),
  })
  .default({ preStopSeconds: 10, drainingSeconds: 30, appSeconds: 10 })
  .meta({ description: "Graceful shutdown: terminationGracePeriodSeconds = preStopSeconds + drainingSeconds + appSeconds." });

/** `host:port` of a third-party API a service calls. */
export const egressHost = z
  .string()
  .regex(/^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z][-a-z0-9]*[a-z0-9]:([1-9][0-9]{0,4})$/, {
    error: 'expected "<host>:<port>", e.g. "api.openai.com:443"',
  });

export const serviceEdgeFields = {
  shutdown: shutdownSchema,
  egress: z
    .array(egressHost)
    .default([])
    .meta({ description: 'Third-party hosts this service calls, as "host:port" (e.g. "api.openai.com:443"); everything else outside the VPC is refused.' }),
};

/** Node pools a workload may ask for (`resources.pool`); absent: the general pool. */
export const workloadPools = ["general", "highmem", "spot"] as const;
export const resourcesPoolField = {
  pool: z
    .enum(workloadPools)
    .optional()
    .meta({ description: "Node pool: highmem (memory-heavy) or spot (interruptible, cheaper); the pods tolerate the pool's taint and select it." }),
};

/** `environments.<env>.cluster.*` fields. */
export const clusterEdgeFields = {
  fqdnNetworkPolicy: z
    .boolean()
    .optional()
    .meta({
      description:
        "FQDN network policies (Dataplane V2; a paid GKE feature; default off): a service's `egress` hosts are enforced by name. Off: its egress ports are open to any address outside the VPC (plan warning).",
    }),
};
