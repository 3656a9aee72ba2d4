/** The observability / access / recovery sections: defaults, and path-located errors. */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";

const base = {
  project: { name: "shop", region: "europe-west1", drRegion: "europe-west4" },
  environments: { prod: { gcpProject: "shop-prod-1234" } },
};

function problems(doc: unknown): { path: string; message: string }[] {
  try {
    validateConfig(doc);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => ({ path: i.path, message: i.message }));
    throw err;
  }
  return [];
}

describe("operations config", () => {
  it("fills defaults: thresholds, log retention, audit logs, RPO 15 min / RTO 4 h", () => {
    const config = validateConfig({ ...base, observability: {}, access: {}, recovery: {} });
    expect(config.observability!.thresholds.sqlCpuPercent).toBe(80);
    // The archive's retention comes from the preset (logArchiveRetentionDays) unless set here.
    expect(config.observability!.logs).toEqual({ bigquery: true, bigqueryRetentionDays: 90, sinkExclusions: ["vpcFlows", "firewall", "dnsQueries"] });
    expect(config.access!.auditLogs).toEqual(["cloudsql.googleapis.com", "secretmanager.googleapis.com", "cloudkms.googleapis.com"]);
    expect(config.access!.dataReadAuditLogs).toEqual(["secretmanager.googleapis.com"]);
    expect(config.recovery).toMatchObject({ rpoMinutes: 15, rtoHours: 4, exports: { schedule: "0 */6 * * *", retentionDays: 30 } });
  });

  it("names the path of each problem", () => {
    const found = problems({
      ...base,
      observability: {
        notifications: { slack: { channel: "#alerts", tokenSecret: "slack-tokn" } },
        budget: { billingAccount: "01ABCD-23EF45-67AB89", amounts: { prdo: 100 } },
      },
      access: { groups: { developer: ["devs@example.com"] } },
      recovery: { enforce: ["production"] },
    });
    expect(found.map((p) => p.path).sort()).toEqual(["access.groups.developer[0]"]);
    const rules = problems({
      ...base,
      observability: { notifications: { slack: { channel: "#alerts", tokenSecret: "slack-tokn" } }, budget: { billingAccount: "01ABCD-23EF45-67AB89", amounts: { prdo: 100 } } },
      recovery: { enforce: ["production"] },
    });
    expect(rules).toEqual([
      { path: "observability.notifications.slack.tokenSecret", message: expect.stringContaining('unknown secret "slack-tokn"') },
      { path: "observability.budget.amounts.prdo", message: expect.stringContaining('unknown environment "prdo" (did you mean "prod"?)') },
      { path: "recovery.enforce[0]", message: expect.stringContaining('unknown environment "production"') },
    ]);
    expect(problems({ ...base, observability: { budget: { billingAccount: "nope", amounts: {} } } })[0]!.path).toBe("observability.budget.billingAccount");
    // DATA_READ needs the service's audit config.
    expect(problems({ ...base, access: { auditLogs: ["cloudsql.googleapis.com"], dataReadAuditLogs: ["secretmanager.googleapis.com"] } })).toEqual([
      {
        path: "access.dataReadAuditLogs[0]",
        message: 'DATA_READ audit logs need the service\'s audit config; add "secretmanager.googleapis.com" to access.auditLogs or remove it here',
      },
    ]);
  });
});
