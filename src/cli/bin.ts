/**
 * The `brume` bin (package.json `bin` → dist/cli/main.js, which build/cli-bundle.mjs makes from
 * this file): runs the bundled CLI next to it (dist/cli/brume.cjs, src/cli/main.ts and everything it
 * imports but the Pulumi SDKs) through the compile cache (./compile-cache.ts).
 */
import { fileURLToPath } from "node:url";
import { commandOf, runBundle } from "./compile-cache.js";

runBundle(fileURLToPath(new URL("./brume.cjs", import.meta.url)), commandOf(process.argv.slice(2)));
