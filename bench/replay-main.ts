/**
 * The whole-process baseline (bench/whole-process.ts): a Node process that registers the custom
 * resources of a saved plan with their SDK classes under the same offline runner, as a hand-written
 * Pulumi program of the same resources would, and nothing else: `node replay-main.js <plan.json>`.
 */
import { readFileSync } from "node:fs";
import type { Plan } from "../src/plan/run.js";
import { replay } from "./replay.js";

const plan = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Plan;
const replayed = await replay(plan, "sdk-classes");
process.stdout.write(`${replayed.resources.length}\n`);
