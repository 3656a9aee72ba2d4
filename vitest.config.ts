import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // Plans run the Pulumi runtime, which is process-global: one file at a time per fork.
    poolOptions: { forks: { singleFork: false } },
    testTimeout: 60_000,
    // The brume bins the tests run keep their compile cache (src/cli/compile-cache.ts) in the
    // repository, not in the home directory of whoever runs the tests.
    env: { NODE_COMPILE_CACHE: fileURLToPath(new URL("./node_modules/.cache/brume-test-compile-cache", import.meta.url)) },
    hookTimeout: 120_000,
    // `npm test` always leaves a machine-readable report; .ci/run prints its totals.
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
  },
});
