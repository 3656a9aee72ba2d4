/**
 * Changing a service, a strategy or a machine group must never replace or delete a stateful
 * resource: plan the example before and after such changes and compare every stateful resource
 * (same URN, same inputs).
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { deepMerge } from "../../src/config/merge.js";
import { validateConfig } from "../../src/config/load.js";
import { statefulTypes } from "../../src/review/policy/rules.js";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, planProgram } from "../harness.js";

const base = parse(readFileSync(examplePath("bro-ai", "brume.yaml"), "utf8"));

function planWith(change: unknown): Promise<Plan> {
  const config = validateConfig(deepMerge(base, change));
  return planProgram(
    async () => {
      const { Project } = await import("../../src/components/project/project.js");
      // The example's Slack channel takes its token from brume:secrets (the stack's secret config).
      const pulumi = await import("@pulumi/pulumi");
      new Project("bro-ai", { config, environment: "prod", baseDir: examplePath("bro-ai"), secretValues: { "slack-token": pulumi.secret("xoxb-test"), "admin-iap-client": pulumi.secret("iap-test") } });
    },
    { project: "bro-ai", stack: "prod" },
  );
}

const stateful = (plan: Plan) =>
  Object.fromEntries(plan.resources.filter((r) => (statefulTypes as readonly string[]).includes(r.type)).map((r) => [r.urn, r.inputs]));

describe("stateful resources survive application changes", () => {
  const changes: [string, unknown][] = [
    ["a new image and scaling for a service", { services: { api: { image: "us-docker.pkg.dev/bro-ai-shared/apps/api:1.15.0", scaling: { min: 4, max: 40 } } } }],
    ["a service removed and another added", { services: { worker: null, api: { dependsOn: [] }, indexer: { image: "us-docker.pkg.dev/bro-ai-shared/apps/indexer:0.1.0" } } }],
    [
      "a strategy change to canary",
      {
        services: {
          api: {
            image: null,
            strategy: {
              type: "canary",
              stable: { version: "v1-14-2", image: "us-docker.pkg.dev/bro-ai-shared/apps/api:1.14.2" },
              canary: { version: "v1-15-0", image: "us-docker.pkg.dev/bro-ai-shared/apps/api:1.15.0" },
              weight: 25,
            },
          },
        },
      },
    ],
    ["a machine group added", { machines: { edge: { machineType: "e2-standard-2", size: 3, runners: ["container"] } } }],
  ];

  it.each(changes)("%s", async (_name, change) => {
    const before = stateful(await planWith({}));
    const after = stateful(await planWith(change));
    expect(Object.keys(before).length).toBeGreaterThan(10);
    // Every stateful resource of before is still there, with the same inputs (new ones may appear).
    expect(Object.fromEntries(Object.keys(before).map((urn) => [urn, after[urn]]))).toEqual(before);
  });
});
