/**
 * The analysis of one canary step, pure: what the new version's load-balancer metrics over a window
 * say about it. Flagger and Argo Rollouts judge a step the same way (a request-success ratio and a
 * latency percentile over an interval, with a minimum of traffic below which nothing is concluded).
 */

/** The new version's traffic over one window, as the load balancer counted it. */
export interface Measurement {
  /** Requests the version's backends answered in the window. */
  requests: number;
  /** Of those, answers with a 5xx status (`response_code_class` 500). */
  errors: number;
  /** 95th percentile of the total latency in milliseconds, when the window had traffic. */
  latencyP95Ms?: number;
}

export interface Thresholds {
  /** Largest tolerated share of 5xx answers (0.01 = 1 %). */
  maxErrorRatio: number;
  /** Largest tolerated p95 total latency, in milliseconds; unchecked when absent. */
  maxLatencyP95Ms?: number;
  /** Fewer requests than this in a window conclude nothing. */
  minRequests: number;
}

export type Verdict =
  | { outcome: "pass"; summary: string }
  | { outcome: "fail"; summary: string }
  | { outcome: "inconclusive"; summary: string };

export function evaluate(m: Measurement, t: Thresholds): Verdict {
  const ratio = m.requests === 0 ? 0 : m.errors / m.requests;
  const latency = m.latencyP95Ms === undefined ? "" : `, p95 ${Math.round(m.latencyP95Ms)} ms`;
  const seen = `${m.requests} requests, ${m.errors} 5xx (${(ratio * 100).toFixed(2)} %)${latency}`;
  if (m.requests < t.minRequests) return { outcome: "inconclusive", summary: `${seen}: fewer than the ${t.minRequests} requests a verdict needs` };
  if (ratio > t.maxErrorRatio) return { outcome: "fail", summary: `${seen}: error ratio above ${(t.maxErrorRatio * 100).toFixed(2)} %` };
  if (t.maxLatencyP95Ms !== undefined && m.latencyP95Ms !== undefined && m.latencyP95Ms > t.maxLatencyP95Ms) {
    return { outcome: "fail", summary: `${seen}: p95 latency above ${t.maxLatencyP95Ms} ms` };
  }
  return { outcome: "pass", summary: seen };
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `800ms`, `30s`, `5m`, `1h` → milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  return m ? Number(m[1]) * units[m[2]!]! : undefined;
}

/** `10,25,50,100` → [10, 25, 50, 100]: whole percentages, strictly increasing, ending at most at 100. */
export function parseSteps(text: string): number[] | string {
  const parts = text.split(",").map((p) => p.trim());
  const steps = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p))) return `--steps takes whole percentages separated by commas (10,25,50,100), got "${text}"`;
  if (steps.some((s) => s < 1 || s > 100)) return `--steps: each step is a share of traffic from 1 to 100, got "${text}"`;
  for (let i = 1; i < steps.length; i++) if (steps[i]! <= steps[i - 1]!) return `--steps must increase (each step gives the new version more traffic), got "${text}"`;
  return steps;
}
