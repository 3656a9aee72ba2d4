/**
 * The GitOps delivery workflow of examples/bro-ai-gitops (issue 18, item 6, partly): pulumi up, the
 * stack's outputs, brume render, a commit to the GitOps repository; prod behind the `production`
 * GitHub environment. Validated with action-validator (the schema GitHub applies).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const file = "examples/bro-ai-gitops/.github/workflows/deliver.yml";
interface Step { uses?: string; run?: string; with?: Record<string, unknown> }
interface Job { needs?: string; environment?: string; permissions?: Record<string, string>; steps: Step[] }
const wf = parse(readFileSync(file, "utf8")) as { permissions: Record<string, string>; jobs: Record<string, Job> };

describe("examples/bro-ai-gitops deliver workflow", () => {
  it("passes action-validator", () => {
    const result = spawnSync(process.execPath, [join("node_modules/@action-validator/cli/cli.mjs"), file], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("per environment: pulumi up, outputs, render from them, commit only that environment's directory; prod after stage and its approval", () => {
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(wf.jobs.prod!.needs).toBe("stage");
    expect(wf.jobs.prod!.environment).toBe("production");
    for (const env of ["stage", "prod"]) {
      const steps = wf.jobs[env]!.steps;
      const order = steps.map((s) => (s.uses?.startsWith("pulumi/actions") ? "up" : s.run?.startsWith("pulumi stack output") ? "outputs" : s.run?.includes(" render ") ? "render" : s.run?.includes("git push") ? "push" : "")).filter(Boolean);
      expect(order).toEqual(["up", "outputs", "render", "push"]);
      expect(steps.find((s) => s.run?.includes(" render "))!.run).toContain(`--stack ${env} --outputs outputs.json --out gitops`);
      expect(steps.find((s) => s.run?.includes("git push"))!.run).toContain(`git add -A environments/${env}`);
      for (const s of steps) {
        if (s.uses) expect(s.uses).toMatch(/^[\w.-]+\/[\w.-]+@v\d+\.\d+\.\d+$/);
        if (s.run) expect(s.run).not.toContain("${{");
      }
      // Only the GitOps repository's checkout keeps its (write) credential, to push.
      const checkouts = steps.filter((s) => s.uses?.startsWith("actions/checkout"));
      expect(checkouts.map((c) => [c.with?.repository ?? "self", c.with?.["persist-credentials"]])).toEqual([["self", false], ["bro-ai/platform-deploy", true]]);
    }
  });
});
