// Preloaded (`node --import`) into each measured process: writes its own CPU time (user + sys, µs,
// since the process started) and peak RSS to $BENCH_CPU_FILE when it exits.
import { writeFileSync } from "node:fs";
process.on("exit", () => {
  const { user, system } = process.cpuUsage();
  writeFileSync(process.env.BENCH_CPU_FILE, JSON.stringify({ user, system, maxRssKb: process.resourceUsage().maxRSS }));
});
