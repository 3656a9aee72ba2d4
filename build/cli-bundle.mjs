/**
 * The `brume` command as users run it (package.json `bin` → dist/cli/main.js): two files.
 * - dist/cli/brume.cjs: src/cli/main.ts and everything it imports, one CommonJS file. CommonJS
 *   because only a classic script can be compiled from a V8 code cache on Node 20 (`vm.Script`'s
 *   `cachedData`; ES modules have none before Node 22's `module.enableCompileCache`), and one file
 *   because esbuild splits ES modules only. Each command's modules stay lazy: a dynamically imported
 *   module is initialised on first use, and V8 compiles a function when it first runs, so
 *   `brume --version` still requires no Pulumi SDK (test/house/cli-bundle.test.ts).
 * - dist/cli/main.js: the bin, src/cli/bin.ts, which runs brume.cjs through the compile cache
 *   (src/cli/compile-cache.ts).
 *
 * A bundle loads two files instead of ~400 (brume's own modules, zod's and yaml's), and the cache
 * spares compiling them again: `brume plan` spends its CPU planning (bench/whole-process.ts).
 *
 * The Pulumi SDKs and Google's clients stay external: the package and a user's stack share one
 * @pulumi/pulumi (two copies break the runtime's state), and the providers' SDKs are large CommonJS
 * trees that Node loads as they are. The library entry points (`@brume/infra`, `/components`, …)
 * stay tsc's output (dist/src), so importers get one copy of each module and their own bundler's
 * choices; only the command-line process is bundled.
 *
 * Usage: node build/cli-bundle.mjs [outdir]   (default dist/cli; BRUME_BUNDLE_META=<file> also
 * writes esbuild's metafile of brume.cjs: which sources went into it)
 */
import { build } from "esbuild";
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outdir = resolve(process.argv[2] ?? join(root, "dist", "cli"));

/**
 * zod's `z.locales` re-exports every language's error messages (≈360 KB of the bundle); brume's
 * messages are its own (src/config/errors.ts) and zod keeps its default English one, so the bundle
 * gets English only (test/house/cli-bundle.test.ts checks the bundle holds no other locale).
 */
const englishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: "js", resolveDir: join(root, "node_modules", "zod", "v4", "locales") }));
  },
};

// A fresh directory: no file of an earlier build (the ES-module chunks of 0.1.0) is packed with this one.
rmSync(outdir, { recursive: true, force: true });

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  // Maps name the source file and line of an internal error's stack (node --enable-source-maps);
  // without the sources' text, which the package does not ship.
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "none",
  logLevel: "warning",
};

const bundle = await build({
  ...common,
  entryPoints: [join(root, "src", "cli", "main.ts")],
  outfile: join(outdir, "brume.cjs"),
  format: "cjs",
  packages: "bundle",
  external: ["@pulumi/*", "@google-cloud/*"],
  // `import()` of an external package becomes `require`: a script run by `vm.Script` has no ES
  // module loader of its own (Node's stand-in for one, USE_MAIN_CONTEXT_DEFAULT_LOADER, is still
  // experimental and warns). The externals are CommonJS packages, so `require` loads them as `import` would.
  supported: { "dynamic-import": false },
  // The four uses of import.meta.url (createRequire, the package.json lookup) get the bundle's own URL.
  define: { "import.meta.url": "__brumeBundleUrl" },
  // "use strict" first, so that it stays the script's directive (esbuild writes its own after the banner).
  banner: { js: `"use strict";\nconst __brumeBundleUrl = require("node:url").pathToFileURL(__filename).href;` },
  plugins: [englishOnly],
  metafile: Boolean(process.env.BRUME_BUNDLE_META),
});
if (bundle.metafile) writeFileSync(process.env.BRUME_BUNDLE_META, JSON.stringify(bundle.metafile));

await build({
  ...common,
  entryPoints: [join(root, "src", "cli", "bin.ts")],
  outfile: join(outdir, "main.js"),
  format: "esm",
  banner: { js: "#!/usr/bin/env node" },
});
