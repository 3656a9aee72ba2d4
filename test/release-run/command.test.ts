/** `brume release run` refuses bad arguments with one line that says what to pass, before it plans anything. */
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";

async function brume(...args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err: err.split("\n")[0] };
}

describe("brume release run: arguments", () => {
  const base = ["release", "run", "api", "--stack", "prod", "--steps", "10,25,50,100", "--pause", "5m", "--max-error-ratio", "0.01"];
  it.each([
    [["release", "run", "--stack", "prod"], "release run needs exactly one service name"],
    [["release", "run", "api", "--steps", "10"], "release run needs --stack <env>"],
    [["release", "run", "api", "--stack", "prod", "--pause", "5m"], "release run needs --steps, e.g. --steps 10,25,50,100"],
    [[...base.slice(0, 6), "10,5", ...base.slice(7)], "--steps must increase"],
    [[...base.slice(0, 8), "five minutes", ...base.slice(9)], "release run needs --pause <duration> (30s, 5m, 1h), got five minutes"],
    [[...base.slice(0, 10), "2"], "--max-error-ratio takes a share from 0 to 1 (0.01 = 1 %), got 2"],
    [[...base, "--max-latency-p95", "fast"], "--max-latency-p95 takes a duration (800ms), got fast"],
    [[...base, "--min-requests", "0"], "--min-requests takes a whole number ≥ 1, got 0"],
  ])("%j → %s", async (args, message) => {
    const r = await brume(...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it("needs a lock every driver sees (the state bucket), or says how to give one", async () => {
    const backend = process.env.PULUMI_BACKEND_URL;
    delete process.env.PULUMI_BACKEND_URL;
    try {
      const r = await brume(...base, "--config", "examples/bro-ai/brume.yaml");
      expect(r.code).toBe(2);
      expect(r.err).toContain("release run needs a lock every driver sees: --lock gs://<state bucket>");
    } finally {
      if (backend !== undefined) process.env.PULUMI_BACKEND_URL = backend;
    }
  }, 60_000);
});
