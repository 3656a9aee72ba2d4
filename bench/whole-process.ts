/**
 * Whole-process CPU of `brume plan` against a program that registers the same resources with their
 * SDK classes (./replay-main.ts), each a fresh `node` process, measured in turn A B A B … so a busy
 * moment of the machine falls on both alike. A is the command as the package ships it (the bundle
 * build/cli-bundle.mjs makes, into bench/.build/cli); B is tsc's build of the replay (bench/.build).
 * CPU is user + sys of the child from its own `process.cpuUsage()` at exit (./cpu-at-exit.mjs).
 *
 * A runs `brume plan` as users run it: bro-ai prod, creation-order check and policy on (production),
 * JSON to a file, the bin's compile cache (src/cli/compile-cache.ts) in a directory of its own that
 * the warm-up run fills, as any earlier `brume plan` of the same version fills it. A0 is the same
 * command with the cache off (NODE_DISABLE_COMPILE_CACHE=1): the first run after an install or an
 * upgrade. B replays that very plan's resources. Only brume's own bundle is cached: the SDKs load in
 * A as in B.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WholeProcess {
  runs: number;
  plan: { cpuMs: number; wallMs: number; rssMb: number };
  /** The plan with the compile cache off (the first run of a version). */
  firstRun: { cpuMs: number; wallMs: number; rssMb: number };
  baseline: { cpuMs: number; wallMs: number; rssMb: number };
  resources: number;
  ratio: number;
  /** firstRun over baseline. */
  ratioFirstRun: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function wholeProcess(root: string, runs: number, stack = "prod"): WholeProcess {
  const bench = join(root, "bench");
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(bench, "tsconfig.whole.json")], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, [join(root, "build", "cli-bundle.mjs"), join(bench, ".build", "cli")], { cwd: root, stdio: "inherit" });
  const work = mkdtempSync(join(tmpdir(), "brume-whole-"));
  const planFile = join(work, "plan.json");
  const broAi = join(root, "examples", "bro-ai");
  const cacheDir = join(work, "compile-cache");
  const measure = (args: string[], cache: "on" | "off" = "on") => {
    const cpuFile = join(work, "cpu.json");
    const start = process.hrtime.bigint();
    const { NODE_DISABLE_COMPILE_CACHE: _, ...env } = process.env;
    execFileSync(process.execPath, ["--import", join(bench, "cpu-at-exit.mjs"), ...args], {
      cwd: root,
      env: { ...env, BENCH_CPU_FILE: cpuFile, NODE_COMPILE_CACHE: cacheDir, ...(cache === "off" ? { NODE_DISABLE_COMPILE_CACHE: "1" } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 1 << 26,
    });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = JSON.parse(readFileSync(cpuFile, "utf8")) as { user: number; system: number; maxRssKb: number };
    return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rssMb: cpu.maxRssKb / 1024 };
  };
  const planArgs = [join(bench, ".build", "cli", "main.js"), "plan", "--stack", stack, "--config", join(broAi, "brume.yaml"), "--format", "json", "--out", planFile];
  const replayArgs = [join(bench, ".build", "bench", "replay-main.js"), planFile];
  // Warm-up: the OS file cache, the compile cache, and the plan file B replays.
  measure(planArgs);
  measure(replayArgs);
  const a: ReturnType<typeof measure>[] = [];
  const a0: ReturnType<typeof measure>[] = [];
  const b: ReturnType<typeof measure>[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(measure(planArgs));
    b.push(measure(replayArgs));
    a0.push(measure(planArgs, "off"));
  }
  const resources = (JSON.parse(readFileSync(planFile, "utf8")) as { resources: unknown[] }).resources.length;
  rmSync(work, { recursive: true, force: true });
  const summary = (xs: typeof a) => ({ cpuMs: median(xs.map((x) => x.cpuMs)), wallMs: median(xs.map((x) => x.wallMs)), rssMb: median(xs.map((x) => x.rssMb)) });
  const plan = summary(a);
  const firstRun = summary(a0);
  const baseline = summary(b);
  return { runs, plan, firstRun, baseline, resources, ratio: plan.cpuMs / baseline.cpuMs, ratioFirstRun: firstRun.cpuMs / baseline.cpuMs };
}

if (process.argv[1]?.endsWith("whole-process.ts")) {
  const runs = Number(process.argv[2] ?? 5);
  console.log(JSON.stringify(wholeProcess(join(import.meta.dirname, ".."), runs), null, 2));
}
