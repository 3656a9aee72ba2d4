import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const workers = Math.max(2, availableParallelism() - 1);

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // Plans run the Pulumi runtime, which is process-global: one file at a time per fork.
    // At least two forks, also on a 2-core machine (vitest's default there is one, cores − 1): the
    // longest files mostly wait on their child processes (npm pack/install and tsc of the consumer
    // stacks, debootstrap and systemd-nspawn boots, PostgreSQL and Redis servers), so a second fork
    // runs other files in those waits. On the 2-core CI machine: 1,077–1,179 s → 701 s, the same 1,373 tests passing.
    poolOptions: { forks: { singleFork: false, minForks: workers, maxForks: workers } },
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
