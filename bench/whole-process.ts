/**
 * Whole-process CPU of `brume plan` against a program that registers the same resources with their
 * SDK classes (./replay-main.ts), each a fresh `node` process, measured in turn A B A B … so a busy
 * moment of the machine falls on both alike. A is the command as the package ships it (the bundle
 * build/cli-bundle.mjs makes, into bench/.build/cli); B is tsc's build of the replay (bench/.build).
 * CPU is user + sys of the child from its own `process.cpuUsage()` at exit (./cpu-at-exit.mjs).
 *
 * A runs `brume plan` as users run it: bro-ai prod, creation-order check and policy on (production),
 * JSON to a file. B replays that very plan's custom resources.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WholeProcess {
  runs: number;
  plan: { cpuMs: number; wallMs: number; rssMb: number };
  baseline: { cpuMs: number; wallMs: number; rssMb: number };
  resources: number;
  ratio: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function wholeProcess(root: string, runs: number, stack = "prod"): WholeProcess {
  const bench = join(root, "bench");
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(bench, "tsconfig.whole.json")], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [join(root, "build", "cli-bundle.mjs"), join(bench, ".build", "cli")], { cwd: root, stdio: "inherit" });
  const work = mkdtempSync(join(tmpdir(), "brume-whole-"));
  const planFile = join(work, "plan.json");
  const broAi = join(root, "examples", "bro-ai");
  const measure = (args: string[]) => {
    const cpuFile = join(work, "cpu.json");
    const start = process.hrtime.bigint();
    execFileSync(process.execPath, ["--import", join(bench, "cpu-at-exit.mjs"), ...args], {
      cwd: root,
      env: { ...process.env, BENCH_CPU_FILE: cpuFile },
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 1 << 26,
    });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = JSON.parse(readFileSync(cpuFile, "utf8")) as { user: number; system: number; maxRssKb: number };
    return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rssMb: cpu.maxRssKb / 1024 };
  };
  const planArgs = [join(bench, ".build", "cli", "main.js"), "plan", "--stack", stack, "--config", join(broAi, "brume.yaml"), "--format", "json", "--out", planFile];
  const replayArgs = [join(bench, ".build", "bench", "replay-main.js"), planFile];
  // Warm-up: the OS file cache, and the plan file B replays.
  measure(planArgs);
  measure(replayArgs);
  const a: ReturnType<typeof measure>[] = [];
  const b: ReturnType<typeof measure>[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(measure(planArgs));
    b.push(measure(replayArgs));
  }
  const resources = (JSON.parse(readFileSync(planFile, "utf8")) as { resources: unknown[] }).resources.length;
  rmSync(work, { recursive: true, force: true });
  const summary = (xs: typeof a) => ({ cpuMs: median(xs.map((x) => x.cpuMs)), wallMs: median(xs.map((x) => x.wallMs)), rssMb: median(xs.map((x) => x.rssMb)) });
  const plan = summary(a);
  const baseline = summary(b);
  return { runs, plan, baseline, resources, ratio: plan.cpuMs / baseline.cpuMs };
}

if (process.argv[1]?.endsWith("whole-process.ts")) {
  const runs = Number(process.argv[2] ?? 5);
  console.log(JSON.stringify(wholeProcess(join(import.meta.dirname, ".."), runs), null, 2));
}
