/**
 * The layering rule of the house (README "Layout"): imports only go DOWN this list; a file may import
 * from its own layer or a lower one.
 *
 *   1 config  →  2 render  →  3 components  →  4 program  →  5 plan  →  6 review  →  7 cli
 *
 * `src/testing` (the test kit, @brume/infra/testing) sits at 6 beside review: it plans programs
 * (plan) and asserts with the policy rules (review), and nothing but the root entry and cli may import it.
 * The root `src/index.ts` and the subpath entries (`src/<layer>/index.ts`) re-export their layer only.
 * Import cycles across folders are refused too. test/house/layering.test.ts runs this over src/ and over a
 * fixture tree (test/house/fixtures/upward) with one upward import per boundary that must all be reported.
 *
 * Paths are matched relative to the cruised root's parent, so the rule works for `src/...` and for any
 * fixture tree laid out the same way (`<root>/src/...`).
 */
const layers = ["config", "render", "components", "program", "plan", "review|testing", "cli"];

/** A path regex for a folder of layer `i` under any `src/`. */
const layer = (names) => `(^|/)src/(${names})/`;

const upward = layers.slice(0, -1).map((names, i) => ({
  name: `layer-${names.split("|")[0]}-imports-upward`,
  comment: `${names} (layer ${i + 1}) may import only from layers 1–${i + 1} (${layers.slice(0, i + 1).join(", ")}), not from ${layers.slice(i + 1).join(", ")}`,
  severity: "error",
  from: { path: layer(names) },
  to: { path: layer(layers.slice(i + 1).join("|")) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: "layer-imports-root-entry",
      comment: "no module imports the package's root entry (src/index.ts): it re-exports, it is not a layer",
      severity: "error",
      from: { path: "(^|/)src/.+" },
      to: { path: "(^|/)src/index\\.ts$" },
    },
    {
      name: "root-entry-reaches-plan-review-or-cli",
      comment:
        "importing the package (src/index.ts: components, their args, the config) must load no offline plan, review tool, test kit or CLI code, directly or through any module it imports: those are subpaths (@brume/infra/plan, /review, /testing)",
      severity: "error",
      from: { path: "(^|/)src/index\\.ts$" },
      to: { path: "(^|/)src/(plan|review|testing|cli)/", reachable: true },
    },
    {
      name: "no-cycle-across-folders",
      comment: "an import cycle between folders ties two concepts together: cut it (folder scope: the folders' import graph must be acyclic)",
      severity: "error",
      scope: "folder",
      from: { path: "(^|/)src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    moduleSystems: ["es6", "cjs"],
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".cjs", ".mjs", ".json"],
    },
  },
};
