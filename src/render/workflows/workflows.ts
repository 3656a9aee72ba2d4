/**
 * The GitHub Actions workflows `brume init` writes into a product repository (issue 17 item 5), as
 * pure functions of the repository's stacks. They run the installed package (`npx brume`), never
 * brume's sources; state lives in each environment's Cloud Storage bucket (`brume bootstrap`);
 * every job that reaches a cloud identity authenticates with Workload Identity Federation and
 * installs gke-gcloud-auth-plugin. No `${{ }}` ever reaches a shell script: expressions go
 * through `env:` (GitHub, "Security hardening for GitHub Actions", script injections).
 */
import { stringify } from "yaml";
import { imagesStep, setupTrivyStep, type WorkflowImage } from "./images.js";

export { imagesScript, shellWord, trivyPins, workflowImages, type WorkflowImage } from "./images.js";

export interface WorkflowStack {
  /** Pulumi stack name (`Pulumi.<stack>.yaml`). */
  stack: string;
  /** GitHub environment whose jobs may deploy it (the deploy account's `attribute.environment`). */
  githubEnvironment: string;
  /** Production: no cloud preview from pull requests (its preview account decrypts nothing). */
  production: boolean;
}

/** `GCP_<STACK>_DEPLOY_SERVICE_ACCOUNT` and friends, as `brume bootstrap` prints them. */
export function stackVariable(stack: string, what: "DEPLOY_SERVICE_ACCOUNT" | "PREVIEW_SERVICE_ACCOUNT" | "BACKEND_URL"): string {
  const key = stack.toUpperCase().replace(/-/g, "_");
  return what === "BACKEND_URL" ? `PULUMI_BACKEND_URL_${key}` : `GCP_${key}_${what}`;
}

const pins = {
  checkout: "actions/checkout@v4.2.2",
  node: "actions/setup-node@v4.4.0",
  auth: "google-github-actions/auth@v2.1.10",
  gcloud: "google-github-actions/setup-gcloud@v2.1.2",
  pulumi: "pulumi/actions@v6.2.0",
  script: "actions/github-script@v7.0.1",
} as const;

const vars = (name: string) => `\${{ vars.${name} }}`;

function setupSteps(fetchDepth?: number) {
  return [
    { uses: pins.checkout, with: { "persist-credentials": false, ...(fetchDepth !== undefined ? { "fetch-depth": fetchDepth } : {}) } },
    { uses: pins.node, with: { "node-version": 20, cache: "npm" } },
    { run: "npm ci" },
  ];
}

/** Authenticate as one service account, then the gcloud components kubectl and Pulumi's Kubernetes provider need. */
function cloudSteps(serviceAccountVariable: string) {
  return [
    { uses: pins.auth, with: { workload_identity_provider: vars("GCP_WORKLOAD_IDENTITY_PROVIDER"), service_account: vars(serviceAccountVariable) } },
    { uses: pins.gcloud, with: { install_components: "gke-gcloud-auth-plugin" } },
    { name: "Install the Pulumi CLI", uses: pins.pulumi, with: { command: "version" } },
  ];
}

const header = (comment: string) => `${comment.split("\n").map((l) => `# ${l}`.trimEnd()).join("\n")}\n`;
const render = (comment: string, doc: unknown) => header(comment) + stringify(doc, { lineWidth: 0 });

/** The shell step that diffs every stack against the base branch (stacks from Pulumi.<stack>.yaml). */
export const diffScript = [
  "stacks=()",
  "for file in Pulumi.*.yaml; do",
  '  stack="${file#Pulumi.}"',
  '  stacks+=(--stack "${stack%.yaml}")',
  "done",
  'npx brume diff "${stacks[@]}" --base "origin/$BASE_REF" --format md --out brume-diff.md',
  "",
].join("\n");

const commentScript = `const fs = require("node:fs");
const marker = "<!-- brume-diff -->";
const body = \`\${marker}\\n\${fs.readFileSync("brume-diff.md", "utf8")}\`;
const { owner, repo } = context.repo;
const issue_number = context.payload.pull_request.number;
const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
const mine = comments.find((c) => c.user?.type === "Bot" && c.body?.startsWith(marker));
if (mine) await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
else await github.rest.issues.createComment({ owner, repo, issue_number, body });
`;

/** pr.yml: the offline diff of every stack (forks included), and a cloud preview of each non-production stack. */
export function renderPrWorkflow(stacks: readonly WorkflowStack[], images: readonly WorkflowImage[] = []): string {
  const previewed = stacks.filter((s) => !s.production);
  const jobs: Record<string, unknown> = {
    diff: {
      "runs-on": "ubuntu-24.04",
      "timeout-minutes": 15,
      permissions: { contents: "read", "pull-requests": "write" },
      steps: [
        ...setupSteps(0),
        { name: "brume diff of every stack against the base branch (offline, no credentials)", env: { BASE_REF: "${{ github.base_ref }}" }, run: diffScript },
        { name: "Job summary", run: 'cat brume-diff.md >> "$GITHUB_STEP_SUMMARY"\n' },
        {
          name: "Post or update the PR comment",
          // Forks get a read-only token (and no OIDC token): the job summary is their report.
          if: "github.event.pull_request.head.repo.full_name == github.repository",
          uses: pins.script,
          with: { script: commentScript },
        },
      ],
    },
  };
  if (images.length > 0) {
    // Build services: each image built and scanned the way deploy.yml gates it, no identity, no push.
    jobs.images = {
      "runs-on": "ubuntu-24.04",
      "timeout-minutes": 30,
      permissions: { contents: "read" },
      steps: [{ uses: pins.checkout, with: { "persist-credentials": false } }, setupTrivyStep(), imagesStep(images, "scan")],
    };
  }
  for (const s of previewed) {
    jobs[`preview-${s.stack}`] = {
      if: "vars.GCP_WORKLOAD_IDENTITY_PROVIDER != '' && github.event.pull_request.head.repo.full_name == github.repository",
      "runs-on": "ubuntu-24.04",
      "timeout-minutes": 30,
      permissions: { contents: "read", "id-token": "write" },
      steps: [
        ...setupSteps(),
        ...cloudSteps(stackVariable(s.stack, "PREVIEW_SERVICE_ACCOUNT")),
        { name: `pulumi preview ${s.stack}`, env: { PULUMI_BACKEND_URL: vars(stackVariable(s.stack, "BACKEND_URL")) }, run: `pulumi preview --stack ${s.stack} --diff\n` },
      ],
    };
  }
  return render(
    "On pull requests: brume diff of every stack (offline, against the base branch) as one sticky comment,\nand a real pulumi preview of each non-production stack (pull_request runs of this repository only).\nWritten by `brume init`.",
    { name: "pr", on: { pull_request: null }, permissions: { contents: "read" }, concurrency: { group: "pr-${{ github.event.pull_request.number }}", "cancel-in-progress": true }, jobs },
  );
}

function deployJob(s: WorkflowStack, needs: string | undefined, command: string, images: readonly WorkflowImage[] = [], mode: "push" | "resolve" = "push") {
  const backend = vars(stackVariable(s.stack, "BACKEND_URL"));
  const imageSteps = images.length === 0 ? [] : [...(mode === "push" ? [setupTrivyStep()] : []), imagesStep(images, mode, s.stack, backend)];
  return {
    ...(needs ? { needs } : { if: "vars.GCP_WORKLOAD_IDENTITY_PROVIDER != ''" }),
    "runs-on": "ubuntu-24.04",
    "timeout-minutes": 60,
    environment: s.githubEnvironment,
    // One writer per stack: deploy, release and drift runs of a stack wait for each other.
    concurrency: { group: `pulumi-${s.stack}`, "cancel-in-progress": false },
    permissions: { contents: "read", "id-token": "write" },
    steps: [
      ...setupSteps(),
      ...cloudSteps(stackVariable(s.stack, "DEPLOY_SERVICE_ACCOUNT")),
      ...imageSteps,
      { name: `${command.split(" ")[0]} ${s.stack}`, env: { PULUMI_BACKEND_URL: backend }, run: `${command}\n` },
    ],
  };
}

/** deploy.yml: on push to the deploy branch, `pulumi up` of each stack in order, each gated by its GitHub environment. */
export function renderDeployWorkflow(stacks: readonly WorkflowStack[], branch = "main", images: readonly WorkflowImage[] = []): string {
  const ordered = [...stacks].sort((a, b) => Number(a.production) - Number(b.production));
  const jobs: Record<string, unknown> = {};
  ordered.forEach((s, i) => (jobs[s.stack] = deployJob(s, i > 0 ? ordered[i - 1]!.stack : undefined, `pulumi up --stack ${s.stack} --yes`, images)));
  return render(
    `On push to ${branch}: pulumi up of each stack, non-production first; each job waits for its GitHub\nenvironment's approval (configure required reviewers on production). Written by \`brume init\`.`,
    { name: "deploy", on: { push: { branches: [branch] } }, permissions: { contents: "read" }, jobs },
  );
}

/** drift.yml: daily `pulumi preview --refresh --expect-no-changes` per stack; one issue per drifted stack (opened or updated). */
export function renderDriftWorkflow(stacks: readonly WorkflowStack[], images: readonly WorkflowImage[] = []): string {
  const jobs: Record<string, unknown> = {};
  for (const s of stacks) {
    const job = deployJob(s, undefined, "", images, "resolve");
    jobs[`drift-${s.stack}`] = {
      ...job,
      if: undefined,
      permissions: { contents: "read", "id-token": "write", issues: "write" },
      steps: [
        ...(job.steps.slice(0, -1) as unknown[]),
        {
          name: `drift of ${s.stack}`,
          env: { PULUMI_BACKEND_URL: vars(stackVariable(s.stack, "BACKEND_URL")), GH_TOKEN: "${{ github.token }}", STACK: s.stack },
          run: driftScript,
        },
      ],
    };
    delete (jobs[`drift-${s.stack}`] as { if?: unknown }).if;
  }
  return render(
    "Every day: does each stack still match its state? `pulumi preview --refresh --expect-no-changes`;\na drifted stack opens (or updates) one issue labelled drift. Written by `brume init`.",
    { name: "drift", on: { schedule: [{ cron: "17 6 * * *" }], workflow_dispatch: null }, permissions: { contents: "read" }, jobs },
  );
}

/** The drift step: preview, and on drift one issue per stack (found by title), updated rather than duplicated. */
export const driftScript = `set -uo pipefail
title="Drift: stack $STACK differs from its state"
if pulumi preview --stack "$STACK" --refresh --expect-no-changes --diff > drift.txt 2>&1; then
  echo "no drift in $STACK"
  exit 0
fi
body="$(printf 'pulumi preview --refresh found changes in %s:\\n\\n\`\`\`\\n%s\\n\`\`\`\\n' "$STACK" "$(tail -c 60000 drift.txt)")"
existing="$(gh issue list --state open --label drift --search "in:title $title" --json number --jq '.[0].number // empty')"
if [ -n "$existing" ]; then
  gh issue comment "$existing" --body "$body"
else
  gh issue create --title "$title" --label drift --body "$body"
fi
exit 1
`;

/** release.yml: one release step of a service (promote / abort / rollback), under the stack's approval. */
export function renderReleaseWorkflow(stacks: readonly WorkflowStack[], images: readonly WorkflowImage[] = []): string {
  const jobs: Record<string, unknown> = {};
  for (const s of stacks) {
    const job = deployJob(s, undefined, "");
    const env = {
      PULUMI_BACKEND_URL: vars(stackVariable(s.stack, "BACKEND_URL")),
      STEP: "${{ inputs.step }}",
      SERVICE: "${{ inputs.service }}",
      STACK: s.stack,
    };
    jobs[`release-${s.stack}`] = {
      ...job,
      if: `inputs.stack == '${s.stack}'`,
      permissions: { contents: "write", "id-token": "write" },
      steps: [
        ...(job.steps.slice(0, -1) as unknown[]),
        { name: `brume release on ${s.stack}`, env, run: releaseScript },
        // After the commit: the pinned digests stay in this checkout, never in the pushed commit.
        ...(images.length > 0 ? [imagesStep(images, "resolve", s.stack, env.PULUMI_BACKEND_URL)] : []),
        // checkout keeps no credential: the push authenticates with this job's token only.
        { name: `pulumi up ${s.stack} and push the release state`, env: { PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL, STACK: s.stack, GH_TOKEN: "${{ github.token }}" }, run: releaseUpScript },
      ],
    };
  }
  return render(
    "A release step by hand (Actions → release → Run workflow): brume release <step> <service>, then\npulumi up, under the stack's GitHub environment. Break-glass abort: run it with step abort; the\nproduction environment's reviewers approve it (docs/pipeline.md). Written by `brume init`.",
    {
      name: "release",
      on: {
        workflow_dispatch: {
          inputs: {
            stack: { description: "stack", required: true, type: "choice", options: stacks.map((s) => s.stack) },
            service: { description: "service with a blue/green or canary strategy", required: true, type: "string" },
            step: { description: "release step", required: true, type: "choice", options: ["promote", "abort", "rollback"] },
          },
        },
      },
      permissions: { contents: "read" },
      jobs,
    },
  );
}

/** The release step: validated inputs, the stack file edit, committed (pushed after `pulumi up`, {@link releaseUpScript}). */
export const releaseScript = `set -euo pipefail
case "$STEP" in promote|abort|rollback) ;; *) echo "unknown step $STEP" >&2; exit 2 ;; esac
case "$SERVICE" in *[!a-z0-9-]*|"") echo "invalid service name $SERVICE" >&2; exit 2 ;; esac
npx brume release "$STEP" "$SERVICE" --stack "$STACK"
git config user.name "brume release"
git config user.email "brume-release@users.noreply.github.com"
git commit -am "release: $STEP $SERVICE on $STACK"
`;

/** Then `pulumi up`, and the release commit pushed only when it applied. */
export const releaseUpScript = `set -euo pipefail
pulumi up --stack "$STACK" --yes
git push "https://x-access-token:$GH_TOKEN@github.com/$GITHUB_REPOSITORY.git" "HEAD:$GITHUB_REF_NAME"
`;
