/** Cross-field rules of the `ci` section (issue 17). */
import type { BrumeConfig } from "./schema.js";

/** `ci.github.environments` keys must be environments; the message lists the declared ones. */
export function checkCi(config: BrumeConfig, add: (path: string, message: string, value?: unknown) => void): void {
  if (!config.ci) return;
  const declared = Object.keys(config.environments);
  for (const [env, githubEnvironment] of Object.entries(config.ci.github.environments)) {
    if (!Object.hasOwn(config.environments, env)) {
      add(`ci.github.environments.${env}`, `unknown environment "${env}"; declared environments: ${declared.join(", ")}`, githubEnvironment);
    }
  }
}
