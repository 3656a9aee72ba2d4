/** Stand-ins for the driver's collaborators that record what the driver did, in order. */
import type { Measurement } from "../../src/cli/release-run/analysis.js";
import type { Clock, Collaborators, Deployer, MetricsSource, ReleaseEvent, ReleasePosition, StepChange, StepEditor } from "../../src/cli/release-run/driver.js";

export class FakeEditor implements StepEditor {
  readonly edits: string[] = [];
  constructor(public state: ReleasePosition) {}
  async position() {
    return { ...this.state };
  }
  async weight(n: number): Promise<StepChange> {
    this.edits.push(`weight ${n}`);
    this.state.weight = n;
    return { description: `weight ${n}`, targets: [`urn:route`, `urn:canary-hpa`] };
  }
  async promote(): Promise<StepChange> {
    this.edits.push("promote");
    this.state = { stable: this.state.canary!, weight: 0 };
    return { description: "promote", targets: ["urn:route", "urn:stable"] };
  }
  async abort(): Promise<StepChange> {
    this.edits.push("abort");
    this.state.weight = 0;
    return { description: "abort", targets: ["urn:route"] };
  }
  async serviceTargets() {
    return ["urn:all"];
  }
}

/** A clock that advances when the driver sleeps; `now` starts at 2026-12-02T10:00:00Z. */
export class FakeClock implements Clock {
  t = Date.parse("2026-12-02T10:00:00Z");
  readonly sleeps: number[] = [];
  now() {
    return new Date(this.t);
  }
  async sleep(ms: number) {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

export function collaborators(editor: StepEditor, metrics: MetricsSource, clock: Clock, deployer?: Deployer) {
  const applied: StepChange[] = [];
  const events: ReleaseEvent[] = [];
  const lines: string[] = [];
  let locked = 0;
  const c: Collaborators = {
    editor,
    deployer: deployer ?? { apply: async (change) => void applied.push(change) },
    metrics,
    clock,
    lock: { acquire: async () => (locked++, { release: async () => void locked-- }) },
    notifier: { announce: async (e) => void events.push(e) },
    log: (l) => lines.push(l),
  };
  return { c, applied, events, lines, locked: () => locked };
}

/** Metrics by step: the canary's measurement for the window that starts after the nth apply. */
export function scriptedMetrics(byWindow: Measurement[]): MetricsSource & { windows: { version: string; start: Date; end: Date }[] } {
  const windows: { version: string; start: Date; end: Date }[] = [];
  return {
    windows,
    async measure(w) {
      windows.push(w);
      return byWindow[Math.min(windows.length - 1, byWindow.length - 1)]!;
    },
  };
}
