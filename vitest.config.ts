import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // Plans run the Pulumi runtime, which is process-global: one file at a time per fork.
    poolOptions: { forks: { singleFork: false } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // `npm test` always leaves a machine-readable report; .ci/run prints its totals.
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
  },
});
