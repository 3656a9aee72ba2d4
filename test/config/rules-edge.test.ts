/**
 * The edge's config rules (src/config/rules-edge.ts): each invalid input is refused before any
 * resource exists, at its config path, with the fix.
 */
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../src/config/load.js";
import { issuesOf, validBase } from "./fixtures.js";

describe("edge rules", () => {
  it("accepts the base config with the edge defaults (timeout 30 s, shutdown 10 + 30 + 10 s, no egress)", () => {
    const c = validateConfig(validBase());
    expect(c.services.api!.expose).toMatchObject({ timeoutSeconds: 30 });
    expect(c.services.api!.shutdown).toEqual({ preStopSeconds: 10, drainingSeconds: 30, appSeconds: 10 });
    expect(c.services.api!.egress).toEqual([]);
    expect(c.services.api!.resources.pool).toBeUndefined();
  });

  it("refuses an exposed service without a readiness probe, with the fix", () => {
    const c = validBase();
    delete c.services.api.health.readiness;
    const issues = issuesOf(c);
    expect(issues.map((i) => i.path)).toEqual(["services.api.health.readiness"]);
    expect(issues[0]!.message).toContain("health.readiness: { path: /healthz }");
  });

  it("refuses iap: true without the OAuth client, and a client secret that is not declared", () => {
    const c = validBase();
    c.services.api.expose.iap = true;
    const issues = issuesOf(c);
    expect(issues.map((i) => i.path)).toEqual(["services.api.expose.iapClient"]);
    expect(issues[0]!.message).toContain("expose.iapClient: { clientId:");
    c.services.api.expose.iapClient = { clientId: "1234-abc.apps.googleusercontent.com", secret: "iap-oauth" };
    expect(issuesOf(c).map((i) => [i.path, i.value])).toEqual([["services.api.expose.iapClient.secret", "iap-oauth"]]);
    c.secrets["iap-oauth"] = { description: "IAP OAuth client secret" };
    expect(() => validateConfig(c)).not.toThrow();
  });

  it("refuses an OAuth client ID that is not one", () => {
    const c = validBase();
    c.services.api.expose.iap = true;
    c.services.api.expose.iapClient = { clientId: "not-a-client", secret: "stripe-key" };
    expect(issuesOf(c).map((i) => i.path)).toEqual(["services.api.expose.iapClient.clientId"]);
  });

  it("refuses egress that is not host:port", () => {
    const c = validBase();
    c.services.api.egress = ["api.openai.com"];
    const issues = issuesOf(c);
    expect(issues.map((i) => i.path)).toEqual(["services.api.egress[0]"]);
    expect(issues[0]!.message).toContain('"<host>:<port>"');
  });

  it("refuses a pool an environment does not have (development has no spot or highmem pool)", () => {
    const c = validBase();
    c.services.worker.resources = { pool: "highmem" };
    const issues = issuesOf(c);
    // dev runs the development preset (highMemoryPool: false); prod has the pool.
    expect(issues.map((i) => [i.path, i.value])).toEqual([["services.worker.resources.pool", "highmem"]]);
    expect(issues[0]!.message).toContain("environments.dev.settings.highMemoryPool: true");
    c.environments.dev.settings = { highMemoryPool: true };
    expect(() => validateConfig(c)).not.toThrow();
  });

  it("refuses FQDN network policies on a Calico cluster", () => {
    const c = validBase();
    c.environments.prod.cluster = { networkPolicy: "calico", fqdnNetworkPolicy: true };
    expect(issuesOf(c).map((i) => i.path)).toEqual(["environments.prod.cluster.fqdnNetworkPolicy"]);
  });
});
