/**
 * Every example stack (examples/<name>/brume.yaml + Pulumi.<stack>.yaml) plans offline, twice to
 * byte-identical JSON that satisfies the plan contract, and passes the hardening rules.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planContract } from "../../src/plan/contract.js";
import { renderPlan } from "../../src/plan/format.js";
import { checkPlan } from "../../src/review/policy/rules.js";
import { examplePath, planDir } from "../harness.js";

const stacks = readdirSync(examplePath())
  .filter((dir) => existsSync(examplePath(dir, "brume.yaml")))
  .flatMap((dir) =>
    readdirSync(examplePath(dir))
      .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
      .filter((stack): stack is string => stack !== undefined)
      .map((stack) => [dir, stack] as const),
  );

describe("example stacks", () => {
  it("include the minimal and Bro AI stacks", () => {
    expect(stacks).toEqual(expect.arrayContaining([["minimal", "prod"], ["bro-ai", "prod"], ["bro-ai", "stage"]]));
  });

  it.each(stacks)("%s/%s plans deterministically, within the contract, with no policy violation", async (dir, stack) => {
    const first = await planDir(join(examplePath(dir)), stack);
    const second = await planDir(join(examplePath(dir)), stack);
    const text = renderPlan(first, "json");
    expect(renderPlan(second, "json")).toBe(text);
    expect(() => planContract.parse(JSON.parse(text))).not.toThrow();
    expect(first.stack).toBe(stack);
    // No Output was stringified by mistake, no object leaked into a string input.
    expect(text).not.toMatch(/Calling \[toString\] on an \[Output<T>\]|\[object Object\]/);
    expect(checkPlan(first)).toEqual([]);
  });
});
