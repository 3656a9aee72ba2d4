/**
 * The Pulumi program as `Pulumi.yaml` names it: a module whose ONLY export is the default one.
 * Pulumi's Node.js runtime refuses an entry module with both a default export and named exports
 * ("expected entrypoint module to have either a default export or named exports but not both",
 * @pulumi/pulumi cmd/run/run.js; pulumi/pulumi#8766), and ./index.ts has named helpers too.
 *
 * A product repository names it in Pulumi.yaml, either directly:
 *   main: node_modules/@brume/infra/dist/src/program/main.js
 * or through a one-line index.ts of its own: `export { default } from "@brume/infra/program";`
 */
export { default } from "./index.js";
