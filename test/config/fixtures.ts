/**
 * Shared inputs of the config-model tests: a small valid config that touches most of the schema
 * (every kind of data service, a machine group, strategies, probes, CIDR overrides), so mutations
 * of it reach every rule. Each call returns a fresh copy.
 */
import { ConfigError, type ConfigIssue } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";

export function validBase(): Record<string, any> {
  return {
    project: { name: "shop", region: "europe-west1", drRegion: "europe-west4", labels: { team: "platform" } },
    environments: {
      prod: { gcpProject: "shop-prod-1234", domain: "shop.example.com" },
      dev: { gcpProject: "shop-dev-1234", index: 3, network: { nodesCidr: "10.48.0.0/20" } },
    },
    services: {
      api: {
        image: "europe-docker.pkg.dev/shop/apps/api:1.0.0",
        ports: [{ name: "http", port: 8080 }],
        env: { LOG_LEVEL: "info" },
        secrets: { STRIPE_KEY: "stripe-key" },
        resources: { cpu: "500m", memory: "512Mi" },
        health: { readiness: { path: "/readyz", port: "http" } },
        scaling: { min: 1, max: 3, targetCpu: 65 },
        dependsOn: ["worker"],
        expose: { domains: ["api.shop.example.com"] },
        strategy: { type: "canary", stable: { version: "v1", image: "api:1" }, canary: { version: "v2", image: "api:2" }, weight: 10 },
        uses: { database: "main", cache: "sessions", topics: ["orders"], buckets: ["uploads"], secrets: ["stripe-key"] },
      },
      worker: {
        image: "europe-docker.pkg.dev/shop/apps/worker:1.0.0",
        uses: { subscriptions: ["orders/fulfil"] },
      },
      batch: {
        runner: "container",
        machines: "vms",
        image: "europe-docker.pkg.dev/shop/apps/batch:1.0.0",
      },
    },
    machines: {
      vms: { machineType: "e2-standard-2", autoscaling: { min: 1, max: 3 }, runners: ["container", "process"] },
    },
    databases: { main: { databases: ["shop"], users: ["api"] } },
    caches: { sessions: { memoryGb: 1 } },
    topics: { orders: { subscriptions: { fulfil: { ackDeadlineSeconds: 60 } } } },
    buckets: { uploads: { location: "multi-region" } },
    secrets: { "stripe-key": { description: "Stripe API key" } },
  };
}

/** The issues of an invalid document; fails when it is valid or throws anything but ConfigError. */
export function issuesOf(doc: unknown): ConfigIssue[] {
  try {
    validateConfig(doc);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error("expected the config to be invalid, but it validated");
}
