import { describe, expect, it } from "vitest";
import { evaluate, parseDuration, parseSteps } from "../../src/cli/release-run/analysis.js";
import { ReleaseRunError, runRelease, type RunOptions } from "../../src/cli/release-run/driver.js";
import { collaborators, FakeClock, FakeEditor, scriptedMetrics } from "./fakes.js";

const healthy = { requests: 1000, errors: 2, latencyP95Ms: 300 };
const burst = { requests: 1000, errors: 80, latencyP95Ms: 300 };
const options: RunOptions = {
  service: "api",
  stack: "prod",
  steps: [10, 25, 50, 100],
  pauseMs: 300_000,
  ingestionDelayMs: 210_000,
  maxInconclusive: 2,
  thresholds: { maxErrorRatio: 0.01, minRequests: 200, maxLatencyP95Ms: 800 },
};

describe("release run: the analysis loop", () => {
  it("healthy metrics promote through every step, each applied before it is judged", async () => {
    const editor = new FakeEditor({ stable: "v1", canary: "v2", weight: 0 });
    const clock = new FakeClock();
    const metrics = scriptedMetrics([healthy]);
    const { c, applied, events, locked } = collaborators(editor, metrics, clock);
    const outcome = await runRelease(options, c);
    expect(outcome).toEqual({ outcome: "promoted", steps: [10, 25, 50, 100] });
    expect(editor.edits).toEqual(["weight 10", "weight 25", "weight 50", "weight 100", "promote"]);
    expect(applied.map((a) => a.description)).toEqual(["weight 10", "weight 25", "weight 50", "weight 100", "promote"]);
    // Each window is judged once its end is an ingestion delay old: pause + delay after the apply.
    expect(clock.sleeps).toEqual([510_000, 510_000, 510_000, 510_000]);
    expect(metrics.windows[0]).toEqual({ version: "v2", start: new Date("2026-12-02T10:00:00Z"), end: new Date("2026-12-02T10:05:00Z") });
    expect(events.map((e) => e.kind)).toEqual(["started", ...Array(4).fill(["step", "analysis"]).flat(), "promoted"]);
    expect(locked()).toBe(0);
  });

  it("a 5xx burst at step 2 aborts and applies the abort; nothing is promoted", async () => {
    const editor = new FakeEditor({ stable: "v1", canary: "v2", weight: 0 });
    const { c, applied, events } = collaborators(editor, scriptedMetrics([healthy, burst]), new FakeClock());
    const outcome = await runRelease(options, c);
    expect(outcome.outcome).toBe("aborted");
    expect(outcome).toMatchObject({ step: 25, steps: [10, 25], verdict: { outcome: "fail" } });
    expect(editor.edits).toEqual(["weight 10", "weight 25", "abort"]);
    expect(applied.map((a) => a.description)).toEqual(["weight 10", "weight 25", "abort"]);
    expect(events.at(-1)).toMatchObject({ kind: "aborted", service: "api", stack: "prod" });
    expect(events.at(-1)!.message).toContain("80 5xx (8.00 %)");
    expect(events.at(-1)!.message).toContain("traffic is back on v1");
  });

  it("a latency regression aborts too", async () => {
    const editor = new FakeEditor({ stable: "v1", canary: "v2", weight: 0 });
    const { c } = collaborators(editor, scriptedMetrics([{ requests: 900, errors: 0, latencyP95Ms: 1500 }]), new FakeClock());
    const outcome = await runRelease(options, c);
    expect(outcome).toMatchObject({ outcome: "aborted", step: 10 });
    expect(editor.edits).toEqual(["weight 10", "abort"]);
  });

  it("resumes from the step the stack file holds: re-applies it (all of the service) and goes on", async () => {
    const editor = new FakeEditor({ stable: "v1", canary: "v2", weight: 25 });
    const { c, applied } = collaborators(editor, scriptedMetrics([healthy]), new FakeClock());
    const outcome = await runRelease(options, c);
    expect(outcome).toEqual({ outcome: "promoted", steps: [25, 50, 100] });
    expect(applied[0]).toEqual({ description: "re-apply 25 %", targets: ["urn:all"] });
    expect(editor.edits).toEqual(["weight 50", "weight 100", "promote"]);
  });

  it("too little traffic waits more windows; still too little aborts rather than promote unseen", async () => {
    const quiet = { requests: 50, errors: 0 };
    const a = new FakeEditor({ stable: "v1", canary: "v2", weight: 0 });
    const clock = new FakeClock();
    const first = collaborators(a, scriptedMetrics([quiet, quiet, healthy]), clock);
    const ok = await runRelease({ ...options, steps: [10] }, first.c);
    expect(ok.outcome).toBe("promoted");
    expect(clock.sleeps).toEqual([510_000, 300_000, 300_000]);
    const b = new FakeEditor({ stable: "v1", canary: "v2", weight: 0 });
    const second = collaborators(b, scriptedMetrics([quiet]), new FakeClock());
    const stopped = await runRelease({ ...options, steps: [10] }, second.c);
    expect(stopped).toMatchObject({ outcome: "aborted", step: 10 });
    expect((stopped as { verdict: { summary: string } }).verdict.summary).toContain("3 windows in a row");
    expect(b.edits).toEqual(["weight 10", "abort"]);
  });

  it("refuses without a canary in progress, and releases the lock", async () => {
    const { c, locked } = collaborators(new FakeEditor({ stable: "v1", weight: 0 }), scriptedMetrics([healthy]), new FakeClock());
    await expect(runRelease(options, c)).rejects.toThrow(ReleaseRunError);
    await expect(runRelease(options, c)).rejects.toThrow("brume release start api --image <ref> --stack prod");
    expect(locked()).toBe(0);
  });

  it("a lock held by another driver stops the run before any edit", async () => {
    const editor = new FakeEditor({ stable: "v1", canary: "v2", weight: 0 });
    const { c } = collaborators(editor, scriptedMetrics([healthy]), new FakeClock());
    c.lock = { acquire: async () => Promise.reject(new ReleaseRunError("api (stack prod) is being released by ci since …")) };
    await expect(runRelease(options, c)).rejects.toThrow("is being released by ci");
    expect(editor.edits).toEqual([]);
  });
});

describe("release run: verdicts and arguments", () => {
  const t = { maxErrorRatio: 0.01, minRequests: 200 };
  it("judges error ratio, latency and traffic", () => {
    expect(evaluate({ requests: 1000, errors: 10 }, t).outcome).toBe("pass");
    expect(evaluate({ requests: 1000, errors: 11 }, t).outcome).toBe("fail");
    expect(evaluate({ requests: 199, errors: 199 }, t).outcome).toBe("inconclusive");
    expect(evaluate({ requests: 500, errors: 0, latencyP95Ms: 900 }, { ...t, maxLatencyP95Ms: 800 }).outcome).toBe("fail");
  });
  it("parses steps and durations, and says what is wrong", () => {
    expect(parseSteps("10,25,50,100")).toEqual([10, 25, 50, 100]);
    expect(parseSteps("10,5")).toContain("must increase");
    expect(parseSteps("0,50")).toContain("from 1 to 100");
    expect(parseSteps("ten")).toContain("whole percentages");
    expect([parseDuration("800ms"), parseDuration("5m"), parseDuration("30s"), parseDuration("1h"), parseDuration("5 minutes")]).toEqual([800, 300_000, 30_000, 3_600_000, undefined]);
  });
});
