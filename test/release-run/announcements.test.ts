/**
 * `brume release run` announces steps in the project's `brume-release` log; the environment turns
 * those entries into notifications on its channels. Planned for examples/bro-ai prod, whose `api`
 * is a canary: both policies exist, match that log, and notify every channel of the environment.
 */
import { describe, expect, it } from "vitest";
import { releaseLogId } from "../../src/cli/release-run/notifier.js";
import { planStack } from "../../src/plan/stack.js";
import { examplePath } from "../harness.js";

describe("release announcements", () => {
  it("bro-ai prod: a step policy and an abort policy on the release log, to every channel", async () => {
    const { plan } = await planStack({ stack: "prod", configFile: examplePath("bro-ai", "brume.yaml") });
    const policies = plan.resources.filter((r) => r.type === "gcp:monitoring/alertPolicy:AlertPolicy" && /-alert-release-/.test(r.name));
    const channels = plan.resources.filter((r) => r.type === "gcp:monitoring/notificationChannel:NotificationChannel").map((r) => r.urn);
    expect(policies.map((p) => p.name).sort()).toEqual(["bro-ai-prod-observability-alert-release-aborted", "bro-ai-prod-observability-alert-release-steps"]);
    for (const p of policies) {
      const filter = (p.inputs.conditions as { conditionMatchedLog: { filter: string } }[])[0]!.conditionMatchedLog.filter;
      expect(filter).toContain(`logName = "projects/bro-ai-prod/logs/${releaseLogId}"`);
      expect(p.inputs.alertStrategy).toMatchObject({ notificationRateLimit: { period: "300s" } });
      expect((p.inputs.notificationChannels as string[]).length).toBe(channels.length);
      expect(p.dependencies).toEqual(expect.arrayContaining(channels));
    }
    expect(channels.length).toBeGreaterThan(0);
  });
});
