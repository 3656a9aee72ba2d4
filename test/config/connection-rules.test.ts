/**
 * Config rules of the connection contract (src/config/rules-connections.ts): each refuses with
 * the config path, the value and the fix; the budget uses Cloud SQL's max_connections by memory.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ConfigError } from "../../src/config/errors.js";
import { validateConfig } from "../../src/config/load.js";
import { connectionBudgetIssues, defaultMaxConnections, tierMemoryGb } from "../../src/config/rules-connections.js";
import { examplePath } from "../harness.js";

const example = (name: string) => parse(readFileSync(examplePath(name, "brume.yaml"), "utf8"));
function issues(doc: unknown): { path: string; message: string; value?: unknown }[] {
  try {
    validateConfig(doc);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
}

describe("connection rules", () => {
  it("password mode needs the service's built-in user", () => {
    const doc = example("bro-ai");
    doc.databases.main.users = ["api"];
    expect(issues(doc)).toEqual([
      {
        path: "services.worker.uses.databaseAuth",
        message: 'password mode logs in as the built-in user "worker", which databases.main.users does not list; add "worker" to databases.main.users, or use databaseAuth: iam',
        value: "password",
      },
    ]);
  });

  it("a machine group whose service uses a database pins the proxy's SHA-256", () => {
    const doc = example("machines");
    delete doc.machines.edge.cloudSqlProxy;
    expect(issues(doc).map((i) => i.path)).toEqual(["machines.edge.cloudSqlProxy"]);
    expect(issues(doc)[0]!.message).toContain("set machines.edge.cloudSqlProxy.sha256");
  });

  it("the contract's variable names are reserved", () => {
    const doc = example("bro-ai");
    doc.services.api.env.DB_HOST = "elsewhere";
    expect(issues(doc)).toEqual([{ path: "services.api.env.DB_HOST", message: "DB_HOST is a variable of the connection contract (docs/connections.md), set from uses; rename it", value: "DB_HOST" }]);
  });

  it("the budget: Σ max replicas × pool size under max_connections − 10, for the stack's environment", () => {
    expect([tierMemoryGb("db-custom-1-3840"), tierMemoryGb("db-custom-2-7680"), tierMemoryGb("db-g1-small"), tierMemoryGb("db-unknown")]).toEqual([3.75, 7.5, 1.7, undefined]);
    expect([0.6, 1.7, 3.75, 6, 7.5, 15, 30, 60, 120].map(defaultMaxConnections)).toEqual([25, 50, 100, 200, 400, 500, 600, 800, 1000]);
    const config = validateConfig(example("bro-ai"));
    // 30 × 2 + 20 × 1 = 80 ≤ 90 in stage (db-custom-1-3840), and in prod (db-custom-2-7680, 390).
    expect(connectionBudgetIssues(config, "stage")).toEqual([]);
    expect(connectionBudgetIssues(config, "prod")).toEqual([]);
    config.services.api!.uses.databasePoolSize = 3;
    expect(connectionBudgetIssues(config, "stage")).toEqual([
      {
        path: "databases.main",
        message:
          'in environment "stage", services can open 110 connections (api 30 × 3 + worker 20 × 1) but tier db-custom-1-3840 (3.75 GB) allows 100, 10 of them reserved: lower uses.databasePoolSize or scaling.max, or choose a larger tier',
        value: 110,
      },
    ]);
    expect(connectionBudgetIssues(config, "prod")).toEqual([]);
  });
});
