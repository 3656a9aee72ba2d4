/**
 * The layering rule of the house (.dependency-cruiser.cjs): config(1) → render(2) → components(3) →
 * program(4) → plan(5) → review and the test kit(6) → cli(7), imports only downward, no import of the
 * root entry from inside src/, no import cycle between folders, and nothing the root entry imports
 * (transitively) is offline-plan, review, test-kit or CLI code.
 *
 * It runs dependency-cruiser (the CLI, JSON output) over src/, which must be clean, and over the fixture
 * tree test/house/fixtures/upward, which holds ONE upward import per boundary and one cycle between two
 * folders: each must be reported under its rule, so the rule cannot be loosened to allow everything.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../harness.js";

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

function cruise(target: string): Promise<{ violations: Violation[]; modules: number }> {
  const bin = join(repoRoot, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, target, "--config", ".dependency-cruiser.cjs", "--output-type", "json"],
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        // depcruise exits with the number of errors: the JSON is on stdout either way.
        if (!stdout) return reject(new Error(`depcruise ${target} failed: ${stderr || String(err)}`));
        const result = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
        resolve({ violations: result.summary.violations, modules: result.summary.totalCruised });
      },
    );
  });
}

const fixture = "test/house/fixtures/upward/src";

describe("the layering rule", () => {
  it("finds no upward import, no import of the root entry and no cycle between folders in src/", async () => {
    const { violations, modules } = await cruise("src");
    expect(modules).toBeGreaterThan(100);
    expect(violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it("reports each upward import of the fixture tree under its boundary's rule", async () => {
    const { violations } = await cruise(fixture);
    const seen = violations.map((v) => `${v.rule.name}: ${v.from.slice(fixture.length + 1)} → ${v.to.slice(fixture.length + 1)}`).sort();
    expect(seen).toEqual(
      [
        "layer-config-imports-upward: config/naming.ts → render/shell.ts",
        "layer-render-imports-upward: render/shell.ts → components/widget/widget.ts",
        "layer-components-imports-upward: components/widget/widget.ts → program/index.ts",
        "layer-program-imports-upward: program/index.ts → plan/run.ts",
        "layer-plan-imports-upward: plan/run.ts → review/diff/diff.ts",
        "layer-review-imports-upward: review/diff/diff.ts → cli/main.ts",
        "layer-review-imports-upward: testing/plan.ts → cli/main.ts",
        "layer-imports-root-entry: cli/main.ts → index.ts",
        "no-cycle-across-folders: components/gadget → components/widget",
        "no-cycle-across-folders: components/widget → components/gadget",
      ].sort(),
    );
    expect(violations.every((v) => v.rule.severity === "error")).toBe(true);
  });

  it("reports a root entry that reaches a review tool through a component (the component import path loads no plan, review or CLI code)", async () => {
    const root = "test/house/fixtures/root-entry/src";
    const { violations } = await cruise(root);
    expect(violations.map((v) => `${v.rule.name}: ${v.from.slice(root.length + 1)} → ${v.to.slice(root.length + 1)}`).sort()).toEqual([
      "layer-components-imports-upward: components/widget.ts → review/gate.ts",
      "root-entry-reaches-plan-review-or-cli: index.ts → review/gate.ts",
    ]);
  });
});
