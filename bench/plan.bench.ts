/**
 * Plan and diff speed and memory, measured in one run on this machine and printed as ratios to
 * baselines from the same run (never asserted; `npm run bench`, not part of `npm test`).
 *
 * - components' overhead: the example stack vs a baseline program that registers the same
 *   resources directly (same URNs, SDK classes, inputs and options, replayed from the plan; its
 *   components as plain ComponentResources without brume's logic; ./replay.ts), and the same
 *   replayed as bare CustomResources as a lower bound;
 * - the example stacks' plan time and `brume diff` time (two plans + diff + render) vs that baseline;
 * - synthetic environments of 200 and 2,000 services: plan time ratio and peak RSS (each in its
 *   own process, so RSS is its own), and `brume diff` time (two plans, the head bumping one image
 *   in ten, diff, Markdown).
 *
 * - whole processes: `brume plan` of bro-ai prod (the bundled bin, creation-order check and policy
 *   on, as users run it) vs a fresh process registering the same resources with their SDK classes, CPU
 *   user + sys of each child, A B A B … (./whole-process.ts), next to the in-process ratio.
 *
 *   npm run bench [-- --runs 5] [-- --services 200,2000] [-- --whole-runs 5]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { planStack } from "../src/plan/stack.js";
import { replay } from "./replay.js";
import { wholeProcess } from "./whole-process.js";
import type { Plan } from "../src/plan/run.js";
import { buildReport, renderReport } from "../src/review/diff/report.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "11" },
    services: { type: "string", default: "200,2000" },
    child: { type: "string" },
    "whole-runs": { type: "string", default: "5" },
  },
});
const runs = Math.max(1, Number(values.runs));
const root = resolve(import.meta.dirname, "..");

/**
 * Median times of several functions measured in turn (A B C A B C …, after one warm-up call each:
 * module imports and JIT are not part of the figure), so a slow moment of the machine falls on all
 * of them alike rather than on whichever ran then.
 */
async function timeEach<T extends unknown[]>(fns: { [K in keyof T]: () => Promise<T[K]> }, n = runs): Promise<{ [K in keyof T]: { ms: number; result: T[K] } }> {
  const results: unknown[] = [];
  for (const fn of fns) results.push(await fn());
  const times: number[][] = fns.map(() => []);
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = process.hrtime.bigint();
      results[k] = await fn();
      times[k]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return fns.map((_, k) => {
    const sorted = times[k]!.sort((a, b) => a - b);
    return { ms: sorted[Math.floor(sorted.length / 2)]!, result: results[k] };
  }) as { [K in keyof T]: { ms: number; result: T[K] } };
}

/**
 * Median CPU time (user + sys, ms) of functions measured in turn (A B A B …, after one warm-up call
 * each), so a busy moment of the machine falls on all of them alike.
 */
async function cpuEach(fns: Array<() => Promise<unknown>>, n = runs): Promise<number[]> {
  for (const fn of fns) await fn();
  const times: number[][] = fns.map(() => []);
  for (let i = 0; i < n; i++) {
    for (const [k, fn] of fns.entries()) {
      const start = process.cpuUsage();
      await fn();
      const used = process.cpuUsage(start);
      times[k]!.push((used.user + used.system) / 1000);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

/**
 * A project directory whose brume.yaml has `n` services (copies of the example's worker); `release`
 * bumps the image of every tenth service (the base of the diff is release 0).
 */
function syntheticDir(n: number, release = 0): string {
  const dir = mkdtempSync(join(tmpdir(), `brume-bench-${n}-`));
  const doc = parseYaml(readFileSync(join(root, "brume.yaml"), "utf8"));
  const worker = doc.services.worker;
  for (let i = 0; i < n; i++) {
    const patch = i % 10 === 0 ? release : 0;
    // The copies use the worker's topics and buckets but not its database: 200 more pools would break
    // the instance's connection budget (a config rule), which is not what the bench measures.
    const { database: _database, databaseAuth: _auth, ...uses } = worker.uses ?? {};
    doc.services[`svc-${i}`] = { ...worker, uses, image: `europe-docker.pkg.dev/shop-shared/apps/svc-${i}:1.${patch}.${i}` };
  }
  writeFileSync(join(dir, "brume.yaml"), stringifyYaml(doc, { aliasDuplicateObjects: false }));
  for (const f of ["Pulumi.yaml", "Pulumi.prod.yaml"]) copyFileSync(join(root, f), join(dir, f));
  return dir;
}

/** One measured call (the synthetic sizes are too slow to repeat; imports are warmed separately). */
async function once<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

const planOf = async (dir: string, stack = "prod") => (await planStack({ stack, configFile: join(dir, "brume.yaml"), projectDir: dir })).plan;

if (values.child) {
  // One synthetic size in its own process: prints JSON {resources, planMs, diffMs, diffTotalMs, changed, rssMb}.
  const n = Number(values.child);
  const [baseDir, headDir] = [syntheticDir(n), syntheticDir(n, 1)];
  await planOf(root); // warm-up (imports)
  // Only the figures are kept, not the plan: the diff below holds its own two plans.
  const head = await once(async () => (await planOf(headDir)).resources.length);
  const planRssMb = process.resourceUsage().maxRSS / 1024;
  // `brume diff` as the CLI runs it: plan the base, plan the head, compare, render Markdown.
  const diff = await once(async () => {
    const start = process.hrtime.bigint();
    const [base, headPlan] = [await planOf(baseDir), await planOf(headDir)];
    const plansMs = Number(process.hrtime.bigint() - start) / 1e6;
    const report = buildReport([{ stack: "prod", base, head: headPlan }], { base: "bench" });
    return { plansMs, report, md: renderReport(report, "md") };
  });
  console.log(
    JSON.stringify({
      resources: head.result,
      planMs: head.ms,
      diffTotalMs: diff.ms,
      diffMs: diff.ms - diff.result.plansMs,
      mdChars: diff.result.md.length,
      planRssMb,
      rssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
  process.exit(0);
}

console.log(`runs: ${runs} (median of each)\n`);
const rows: string[] = ["| measurement | resources | ms | ratio | goal |", "|---|---:|---:|---:|---|"];
// The reference stack: examples/bro-ai (the seed's environment, services and data).
const broAi = join(root, "examples", "bro-ai");
for (const stack of ["prod", "stage"]) {
  const planned = await planOf(broAi, stack);
  const [example, baseline, raw, diff] = await timeEach<[Plan, Plan, Plan, string]>([
    () => planOf(broAi, stack),
    () => replay(planned, "sdk-classes"),
    () => replay(planned, "raw"),
    async () => {
      const [base, head] = [await planOf(broAi, stack), await planOf(broAi, stack)];
      return renderReport(buildReport([{ stack, base, head }], { base: "bench" }), "md");
    },
  ]);
  const n = example.result.resources.length;
  rows.push(`| baseline: bro-ai ${stack} resources replayed with their SDK classes (components as plain ComponentResources) | ${baseline.result.resources.length} | ${baseline.ms.toFixed(0)} | 1.00 | |`);
  rows.push(`| (lower bound: the same replayed as bare CustomResource, no declared outputs) | ${raw.result.resources.length} | ${raw.ms.toFixed(0)} | ${(raw.ms / baseline.ms).toFixed(2)} | |`);
  rows.push(`| plan bro-ai ${stack} (components) | ${n} | ${example.ms.toFixed(0)} | ${(example.ms / baseline.ms).toFixed(2)} | ≤ 1.15 |`);
  rows.push(`| brume diff bro-ai ${stack} (2 plans + diff + md) | ${n} | ${diff.ms.toFixed(0)} | ${(diff.ms / baseline.ms).toFixed(2)} | |`);
}
// Whole processes, as users run `brume plan`: module loading, config, plan, checks, policy, output.
{
  const whole = wholeProcess(root, Math.max(1, Number(values["whole-runs"])));
  rows.push(
    `| whole process: brume plan bro-ai prod vs a process registering the same resources with their SDK classes (CPU user + sys, A B A B …, ${whole.runs} runs) | ${whole.resources} | ${whole.plan.cpuMs.toFixed(0)} / ${whole.baseline.cpuMs.toFixed(0)} | ${whole.ratio.toFixed(2)} | ≤ 1.10 |`,
    `| (the same, the first run of a version: compile cache off) | ${whole.resources} | ${whole.firstRun.cpuMs.toFixed(0)} / ${whole.baseline.cpuMs.toFixed(0)} | ${whole.ratioFirstRun.toFixed(2)} | |`,
  );
}
// The creation-order check (src/plan/creation-order.ts) runs on every plan: its cost, as CPU.
{
  const planWith = (creationOrder: boolean) => planStack({ stack: "prod", configFile: join(broAi, "brume.yaml"), projectDir: broAi, creationOrder });
  const [on, off] = await cpuEach([() => planWith(true), () => planWith(false)]);
  rows.push(`| plan bro-ai prod, creation-order check on / off (CPU user + sys, A B A B …) | | ${on!.toFixed(0)} / ${off!.toFixed(0)} | ${(on! / off!).toFixed(2)} | ≤ 1.10 |`);
}
const sizes = values.services.split(",").map(Number).filter((x) => x > 0);
const synthetic = sizes.map((n) => {
  const out = execFileSync(process.execPath, ["--import", "tsx", join(root, "bench", "plan.bench.ts"), "--child", String(n)], { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  return { n, ...(JSON.parse(out.trim().split("\n").pop()!) as { resources: number; planMs: number; diffMs: number; diffTotalMs: number; mdChars: number; planRssMb: number; rssMb: number }) };
});
for (const [k, s] of synthetic.entries()) {
  // Each size against the one before it: time should grow with the size, no faster (goal 1.1 × the size ratio).
  const prev = synthetic[k - 1];
  const ratio = prev ? `${(s.planMs / prev.planMs).toFixed(2)} (vs ${prev.n})` : "";
  const goal = prev ? `≤ ${((s.n / prev.n) * 1.1).toFixed(1)}` : "";
  rows.push(`| plan ${s.n} services (own process) | ${s.resources} | ${s.planMs.toFixed(0)} | ${ratio} | ${goal} |`);
  rows.push(`| brume diff ${s.n} services, 1 in 10 images bumped (2 plans + diff + md, ${s.mdChars} chars) | ${s.resources} | ${s.diffTotalMs.toFixed(0)} | | |`);
  rows.push(`| of which diff + md | | ${s.diffMs.toFixed(0)} | | |`);
  rows.push(`| peak RSS ${s.n} services: plan / plan + brume diff (3 plans in all) | | ${s.planRssMb.toFixed(0)} MB / ${s.rssMb.toFixed(0)} MB | | ≤ 1024 MB |`);
}
console.log(rows.join("\n"));
console.log(`
ratio: plan time over the replayed baseline of the same run (components' overhead; measured in
turn, A B C A B C …, so a slow moment of the machine falls on all alike), or for the synthetic sizes over the size before it
(goal: linear, ≤ 1.1 × the size ratio).`);
