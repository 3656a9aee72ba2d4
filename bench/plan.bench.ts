/**
 * Plan speed and memory: the example stacks against a raw Pulumi program registering the same
 * number of custom resources, measured in the same run, printed as ratios (never asserted).
 *
 *   npm run bench [-- --runs 5]
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { planStack } from "../src/plan/stack.js";
import { runProgram } from "../src/plan/run.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Math.max(1, Number(values.runs));

async function timeIt(label: string, fn: () => Promise<number>) {
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    count = await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  return { label, count, median, perResource: median / Math.max(1, count) };
}

const root = resolve(import.meta.dirname, "..");
const rows = [];
for (const stack of ["prod", "stage"]) {
  rows.push(await timeIt(`example ${stack}`, async () => (await planStack({ stack, configFile: resolve(root, "brume.yaml"), projectDir: root })).plan.resources.length));
}
const target = rows[0]!.count;
const raw = await timeIt(`raw program (${target} networks)`, async () => {
  const plan = await runProgram(
    async () => {
      const gcp = await import("@pulumi/gcp");
      for (let i = 0; i < target; i++) new gcp.compute.Network(`n${i}`, { name: `n${i}`, autoCreateSubnetworks: false, project: "bench-1234" });
    },
    { project: "bench", stack: "bench" },
  );
  return plan.resources.length;
});

console.log(`runs: ${runs} (median)`);
console.log("| program | resources | ms | ms/resource | ratio to raw |");
console.log("|---|---:|---:|---:|---:|");
for (const row of [...rows, raw]) {
  console.log(`| ${row.label} | ${row.count} | ${row.median.toFixed(1)} | ${row.perResource.toFixed(2)} | ${(row.perResource / raw.perResource).toFixed(2)} |`);
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
