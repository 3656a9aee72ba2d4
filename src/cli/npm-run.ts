/**
 * `npm run <script>` runs the script in the package's own directory and keeps the directory the
 * user typed it in as INIT_CWD (https://docs.npmjs.com/cli/v10/commands/npm-run-script: "scripts
 * are run from the root of the package folder"). `cd examples/minimal && npm run brume -- plan
 * --config brume.yaml` therefore planned the root example, silently (newcomer 5): the CLI says so.
 */
import { resolve } from "node:path";

/** The warning for a `npm run brume` typed in another directory than the package's; else undefined. */
export function npmRunWarning(env: Readonly<Record<string, string | undefined>>, cwd: string): string | undefined {
  const typedIn = env.INIT_CWD;
  if (env.npm_lifecycle_event !== "brume" || !typedIn || resolve(typedIn) === resolve(cwd)) return undefined;
  return (
    `warning: \`npm run brume\` runs in the package's directory ${resolve(cwd)}, not in ${resolve(typedIn)} where you typed it: ` +
    "relative paths and the brume.yaml it finds are the package's; pass absolute paths, or run `npx brume …` in your project\n"
  );
}
