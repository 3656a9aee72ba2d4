/**
 * `brume init` (issue 17 item 5): writes into a product repository the workflows (PR, deploy,
 * release, drift), a starter brume.yaml, Pulumi.yaml (the installed package's program), a
 * package.json depending on this package, and one stack file per environment. Never overwrites a
 * file unless --force. Services built from source (`--build`) get the image steps of
 * src/render/workflows/images.ts (build, Trivy, push, digest to the stack).
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { UsageError, type Command } from "../command.js";
import { packageManifest } from "../version.js";
import { renderDeployWorkflow, renderDriftWorkflow, renderPrWorkflow, renderReleaseWorkflow, workflowImages, type WorkflowStack } from "../../render/workflows/workflows.js";

export interface InitOptions {
  /** Project name (a DNS label): prefixes every resource. */
  name: string;
  region: string;
  /** `owner/name` of the repository. */
  repository: string;
  /** GitHub's numeric ids of the repository and its owner; absent: the ci section is left to fill in. */
  repositoryId?: string;
  ownerId?: string;
  /** Number of the prod project (hosts the pool; stage's credentials cannot look it up). */
  poolProjectNumber?: string;
  /** Region of the DR replica and backups. */
  drRegion: string;
  /** GCP project per environment (`prod`, `stage`). */
  projects: { prod: string; stage: string };
  /**
   * Services built from source in CI, by name: their build context (relative to the repository).
   * The workflows build, scan (Trivy) and push them, and pin the digests (docs/pipeline.md).
   */
  builds?: Record<string, string>;
}

const ciReady = (o: InitOptions) => Boolean(o.repositoryId && o.ownerId && o.poolProjectNumber);

/** Every file `brume init` writes, by path relative to the repository (pure). */
export function initFiles(o: InitOptions): Record<string, string> {
  const stacks: WorkflowStack[] = [
    { stack: "stage", githubEnvironment: "staging", production: false },
    { stack: "prod", githubEnvironment: "production", production: true },
  ];
  const config = {
    project: { name: o.name, region: o.region, drRegion: o.drRegion },
    ...(ciReady(o) ? { ci: { github: { repository: o.repository, repositoryId: o.repositoryId, ownerId: o.ownerId, poolProjectNumber: o.poolProjectNumber } } } : {}),
    environments: { prod: { gcpProject: o.projects.prod }, stage: { gcpProject: o.projects.stage } },
    services: {
      web: { image: `${o.region}-docker.pkg.dev/${o.projects.prod}/${o.name}-prod-images/web:1.0.0` },
      ...Object.fromEntries(Object.entries(o.builds ?? {}).map(([service, context]) => [service, { build: { context } }])),
    } as Record<string, { image?: string; build?: { context: string } }>,
  };
  const images = workflowImages(config.services);
  const brumeYaml =
    "# yaml-language-server: $schema=node_modules/@brume/infra/schema/brume.schema.json\n" +
    "# Written by brume init (docs/pipeline.md).\n" +
    (ciReady(o)
      ? ""
      : `# Keyless CI: add ci.github { repository: ${o.repository}, repositoryId, ownerId, poolProjectNumber } (gh api repos/${o.repository} --jq '.id, .owner.id'; gcloud projects describe ${o.projects.prod} --format='value(projectNumber)').\n`) +
    stringify(config, { lineWidth: 0 });
  const pulumiYaml = stringify({
    name: o.name,
    description: `${o.name} on Google Cloud, from brume.yaml`,
    runtime: { name: "nodejs", options: { typescript: false } },
    main: "node_modules/@brume/infra/dist/src/program/main.js", // only a default export, as Pulumi requires (src/program/main.ts)
  });
  const stackFile = (env: string) => stringify({ config: { "brume:environment": env, "gcp:project": o.projects[env as "prod" | "stage"], "gcp:region": o.region } });
  // The workflows' `npm ci` installs these (commit the package-lock.json `npm install` writes).
  const manifest = packageManifest();
  const packageJson = `${JSON.stringify(
    {
      name: o.name,
      private: true,
      description: `${o.name} on Google Cloud, from brume.yaml (written by brume init)`,
      engines: { node: ">=20" },
      dependencies: { "@brume/infra": `^${manifest.version}`, "@pulumi/pulumi": manifest.peerDependencies["@pulumi/pulumi"] ?? "^3" },
    },
    null,
    2,
  )}\n`;
  return {
    ".github/workflows/pr.yml": renderPrWorkflow(stacks, images),
    ".github/workflows/deploy.yml": renderDeployWorkflow(stacks, "main", images),
    ".github/workflows/release.yml": renderReleaseWorkflow(stacks, images),
    ".github/workflows/drift.yml": renderDriftWorkflow(stacks, images),
    "brume.yaml": brumeYaml,
    "Pulumi.yaml": pulumiYaml,
    "package.json": packageJson,
    "Pulumi.prod.yaml": stackFile("prod"),
    "Pulumi.stage.yaml": stackFile("stage"),
  };
}

export const initCommand: Command = {
  summary: "Write the workflows, a starter brume.yaml, Pulumi.yaml and stack files into a product repository",
  usage: `brume init --name <project> --repository <owner/name> --prod-project <gcp id> --stage-project <gcp id> [--region <region>] [--dir <dir>] [--force]
  --name <project>         Project name (lowercase, prefixes every resource)
  --repository <o/n>       GitHub repository whose Actions deploy it
  --prod-project <id>      GCP project of prod;  --stage-project <id>: of stage
  --repository-id <n>      gh api repos/OWNER/NAME --jq .id (with --owner-id <n>: .owner.id) — the pool admits these
  --pool-project-number <n>  gcloud projects describe <prod project> --format='value(projectNumber)'
  --region <region>        GCP region (default: europe-west1); --dr-region <region>: of the DR replica (default: europe-west4)
  --build <svc>=<context>  A service built from source (repeatable): CI builds it, scans it with Trivy, pushes it
  --dir <dir>              Repository directory (default: .)
  --force                  Overwrite existing files`,
  run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        name: { type: "string" },
        repository: { type: "string" },
        "prod-project": { type: "string" },
        "stage-project": { type: "string" },
        "repository-id": { type: "string" },
        "owner-id": { type: "string" },
        "pool-project-number": { type: "string" },
        "dr-region": { type: "string", default: "europe-west4" },
        region: { type: "string", default: "europe-west1" },
        build: { type: "string", multiple: true, default: [] },
        dir: { type: "string", default: "." },
        force: { type: "boolean", default: false },
      },
      strict: true,
    });
    for (const key of ["name", "repository", "prod-project", "stage-project"] as const) {
      if (!values[key]) throw new UsageError(`--${key} is required`);
    }
    if (!/^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/.test(values.name!)) throw new UsageError(`--name must be a lowercase name of 1-20 characters, got "${values.name}"`);
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(values.repository!)) throw new UsageError(`--repository must be "owner/name", got "${values.repository}"`);
    const builds: Record<string, string> = {};
    for (const entry of values.build ?? []) {
      const match = /^([a-z]([-a-z0-9]{0,61}[a-z0-9])?)=([A-Za-z0-9_./-]+)$/.exec(entry);
      if (!match || match[1] === "web" || match[3]!.split("/").includes("..") || match[3]!.startsWith("/")) {
        throw new UsageError(`--build must be "<service>=<context>" (a service name other than web, a relative directory without ..), got "${entry}"`);
      }
      builds[match[1]!] = match[3]!;
    }
    const dir = resolve(values.dir!);
    const files = initFiles({
      name: values.name!,
      region: values.region!,
      repository: values.repository!,
      ...(values["repository-id"] ? { repositoryId: values["repository-id"] } : {}),
      ...(values["owner-id"] ? { ownerId: values["owner-id"] } : {}),
      ...(values["pool-project-number"] ? { poolProjectNumber: values["pool-project-number"] } : {}),
      drRegion: values["dr-region"]!,
      ...(Object.keys(builds).length > 0 ? { builds } : {}),
      projects: { prod: values["prod-project"]!, stage: values["stage-project"]! },
    });
    const existing = Object.keys(files).filter((f) => existsSync(join(dir, f)));
    if (existing.length > 0 && !values.force) {
      io.stderr(`brume init: these files exist (pass --force to overwrite): ${existing.join(", ")}\n`);
      return 1;
    }
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
      io.stdout(`wrote ${path}\n`);
    }
    io.stdout("next: brume bootstrap --stack stage and --stack prod, then the GitHub setup of docs/pipeline.md\n");
    return 0;
  },
};
