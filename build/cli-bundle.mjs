/**
 * The `brume` command as users run it (package.json `bin`): src/cli/main.ts bundled by esbuild into
 * dist/cli/ — one ES module per command (code splitting keeps each command loading only its own
 * modules, as src/cli/main.ts's lazy imports intend) plus shared chunks. A bundle loads a few dozen
 * files instead of ~400 (brume's own modules, zod's and yaml's), so `brume plan` spends its CPU
 * planning, not resolving and compiling modules (bench/whole-process.ts measures it).
 *
 * The Pulumi SDKs and Google's clients stay external: the package and a user's stack share one
 * @pulumi/pulumi (two copies break the runtime's state), and the providers' SDKs are large CommonJS
 * trees that Node loads as they are. The library entry points (`@brume/infra`, `/components`, …)
 * stay tsc's output (dist/src), so importers get one copy of each module and their own bundler's
 * choices; only the command-line process is bundled.
 *
 * Usage: node build/cli-bundle.mjs [outdir]   (default dist/cli; BRUME_BUNDLE_META=<file> also
 * writes esbuild's metafile: which source went into which chunk)
 */
import { build } from "esbuild";
import { writeFileSync } from "node:fs";
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

await build({
  entryPoints: { main: join(root, "src", "cli", "main.ts") },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "bundle",
  external: ["@pulumi/*", "@google-cloud/*"],
  // CommonJS dependencies bundled into an ES module (yaml) call `require` for Node's built-ins.
  banner: { js: "import { createRequire as __brumeCreateRequire } from 'node:module'; const require = __brumeCreateRequire(import.meta.url);" },
  chunkNames: "chunks/[name]-[hash]",
  entryNames: "[name]",
  // Maps name the source file and line of an internal error's stack (node --enable-source-maps);
  // without the sources' text, which the package does not ship.
  sourcemap: "linked",
  sourcesContent: false,
  legalComments: "none",
  logLevel: "warning",
  plugins: [englishOnly],
  metafile: Boolean(process.env.BRUME_BUNDLE_META),
}).then((result) => {
  if (result.metafile) writeFileSync(process.env.BRUME_BUNDLE_META, JSON.stringify(result.metafile));
});
