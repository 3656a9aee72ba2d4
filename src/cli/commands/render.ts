import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../../config/errors.js";
import { stackOptions, type Command } from "../command.js";

export const renderCommand: Command = {
  summary: "Render a gitops environment's Kubernetes objects into the GitOps repository (Argo CD syncs them)",
  usage: `brume render --stack <env> --out <dir> [--outputs <file>] [--config <file>] [--project-dir <dir>]
  --stack <env>         Stack of a gitops environment (environments.<env>.delivery: gitops)
  --out <dir>           Root of the GitOps repository's checkout; <gitops.path>/<env>/ is replaced
  --outputs <file>      pulumi stack output --json of the stack: deployed values (image digests,
                        project numbers, addresses) replace the offline plan's stand-ins
  --config <file>       brume.yaml or brume.toml (default: found in the current directory)
  --project-dir <dir>   Directory of Pulumi.yaml and Pulumi.<env>.yaml (default: the config's directory)

Per service <gitops.path>/<env>/<service>/<kind>-<name>.yaml and a kustomization.yaml; the shared
namespace objects in <gitops.path>/<env>/_namespace/. No Kubernetes Secret is ever written.`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { ...stackOptions, out: { type: "string" }, outputs: { type: "string" } },
      strict: true,
    });
    if (!values.out) throw new ConfigError([{ path: "--out", message: "give the directory of the GitOps repository's checkout: --out <dir>" }]);
    const outputs = values.outputs ? readOutputs(values.outputs) : undefined;
    const { renderGitops } = await import("../../plan/gitops-render.js");
    const rendering = await renderGitops({
      stack: values.stack as string,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
      ...(outputs ? { outputs } : {}),
    });
    const out = resolve(values.out);
    // The environment's directory is the render's own: objects that left the config leave Git (Argo CD prunes them).
    rmSync(join(out, rendering.root), { recursive: true, force: true });
    for (const [path, text] of rendering.files) {
      mkdirSync(dirname(join(out, path)), { recursive: true });
      writeFileSync(join(out, path), text);
    }
    if (!outputs) io.stderr("warning: no --outputs: values that exist only after pulumi up (image digests) are the offline plan's stand-ins\n");
    const services = new Set(rendering.objects.map((o) => o.directory));
    io.stdout(`${rendering.root}: ${rendering.objects.length} objects in ${services.size} directories, ${rendering.files.size} files${outputs ? `, ${rendering.substituted.length} deployed values` : ""}\n`);
    return 0;
  },
};

function readOutputs(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ path: "--outputs", message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}; write it with pulumi stack output --json > ${file}`, value: file }]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError([{ path: "--outputs", message: `${file} is not JSON; write it with pulumi stack output --json > ${file}`, value: file }]);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new ConfigError([{ path: "--outputs", message: `${file} is not an object of stack outputs (pulumi stack output --json)`, value: file }]);
  }
  return value as Record<string, unknown>;
}
