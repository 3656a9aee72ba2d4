/**
 * Images of `build:` services in CI (issue 17 item 8, seed 002 "Image scanning: Trivy"): built,
 * scanned by Trivy and only then pushed to the environment's Artifact Registry, the pushed digest
 * handed to the stack. Pure functions: the steps and the one bash script every workflow runs.
 *
 * How the stack receives the image: a `build:` service is built by the stack itself otherwise
 * (`brume:service:Image`, @pulumi/docker, pushed during `pulumi up`: unscanned). The script turns
 * each built service into an image service for this run, through the stack's ordinary override
 * key: `brume:overrides.services.<svc> = { image: "<registry>/<svc>@sha256:…", build: null }`
 * (`null` removes `build`, src/config/merge.ts), written with `pulumi config set` into the job's
 * checkout of Pulumi.<stack>.yaml (never committed). `--path` cannot write `null`, so the whole
 * object is set; a top-level value is a string and the program reads it with `getObject`, which
 * parses JSON (https://www.pulumi.com/docs/iac/cli/commands/pulumi_config_set/: "Top level entries
 * are always treated as strings").
 *
 * The tag is content-addressed: `src-` + sha256 of the context's git tree, the Dockerfile and the
 * build args. The same source is built, scanned and pushed once; deploy, release and drift runs of
 * any later commit look the tag up (`gcloud artifacts docker images describe`) and pin the same
 * digest, so no job ever lets the stack build an unscanned image. Artifact Registry's continuous
 * scanning covers what Trivy cannot: CVEs published after the push (src/components/storage/registry.ts).
 *
 * Modes: `scan` (pull requests: build and scan, no registry, no identity: forks too), `push`
 * (deploy: reuse the tag's digest or build, scan, push), `resolve` (release, drift: the digest of
 * the tag must exist; a source never deployed fails instead of building).
 */

export interface WorkflowImage {
  /** Service name (a DNS label, from brume.yaml `services`). */
  service: string;
  /** Build context, relative to the repository root (the directory of brume.yaml). */
  context: string;
  /** Dockerfile, relative to the context. */
  dockerfile: string;
  /** Build arguments. */
  args: Record<string, string>;
}

/**
 * setup-trivy, pinned by commit: on 2026-03-19 the tags of aquasecurity/trivy-action and
 * setup-trivy were force-pushed to a credential stealer (GHSA-69fq-xp46-6x23;
 * https://github.com/aquasecurity/trivy-action/issues/541), and a tag is only a name. v0.3.1 is
 * 81e514348e19b6112ce2a7e3ecbafe19c1e1f567 (2026-06-03). Trivy itself is pinned too: v0.70.0, the
 * version trivy-action v0.36.0 (ed142fd0673e97e23eac54620cfb913e5ce36c25) installs by default,
 * released after the incident (v0.69.4 was the malicious release). The scan runs as a `run:`
 * step, the trivy CLI with trivy-action's inputs as flags (severity CRITICAL, ignore-unfixed,
 * exit-code 1), so that the tests execute it against a stand-in.
 */
export const trivyPins = {
  setupTrivy: "aquasecurity/setup-trivy@81e514348e19b6112ce2a7e3ecbafe19c1e1f567",
  setupTrivyTag: "v0.3.1",
  trivyVersion: "v0.70.0",
} as const;

/** The services built in CI, from a brume config's `services` (those with `build:`), sorted by name. */
export function workflowImages(services: Record<string, { build?: { context: string; dockerfile?: string; args?: Record<string, string> } | undefined }>): WorkflowImage[] {
  return Object.entries(services)
    .filter(([, s]) => s.build)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([service, s]) => ({ service, context: s.build!.context, dockerfile: s.build!.dockerfile ?? "Dockerfile", args: s.build!.args ?? {} }));
}

/** A word for bash: single-quoted, `'` escaped. */
export function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

const functions = `set -euo pipefail
# brume images (docs/pipeline.md "Images of build services"): MODE=scan|push|resolve, STACK.
case "$MODE" in scan|push|resolve) ;; *) echo "unknown mode $MODE" >&2; exit 2 ;; esac
registry=""
overrides="{}"
pinned=()
if [ "$MODE" != scan ]; then
  registry="$(pulumi stack output registry --stack "$STACK" 2>/dev/null || true)"
  if [ -z "$registry" ] && [ "$MODE" = push ]; then
    # First deploy: the stack creates the registry. Everything but the built images and what runs
    # them first (https://www.pulumi.com/docs/iac/guides/basics/targeted-updates/), then the rest.
    echo "stack $STACK has no registry yet: creating everything but the images built from source"
    pulumi up --stack "$STACK" --yes --exclude '**brume:service:Image**' --exclude-dependents
    registry="$(pulumi stack output registry --stack "$STACK")"
  fi
  if [ -z "$registry" ]; then
    echo "stack $STACK has no registry output: deploy it first (deploy.yml)" >&2
    exit 1
  fi
  gcloud auth configure-docker "\${registry%%/*}" --quiet
  overrides="$(pulumi config get --stack "$STACK" brume:overrides 2>/dev/null || echo '{}')"
fi

# image <service> <context> <dockerfile> [--build-arg K=V ...]
image() {
  local service="$1" context="$2" dockerfile="$3" tree tag ref pushlog digest=""
  shift 3
  tree="$(git rev-parse "HEAD:$context")"
  tag="src-$(printf '%s\\n' "$tree" "$dockerfile" "$@" | sha256sum | cut -c1-12)"
  if [ "$MODE" = scan ]; then
    ref="brume-scan/$service:$tag"
  else
    ref="$registry/$service:$tag"
    # "Find the digest for a tag" (gcloud artifacts docker images describe --help).
    digest="$(gcloud artifacts docker images describe "$ref" --format 'value(image_summary.digest)' 2>/dev/null || true)"
  fi
  if [ -n "$digest" ]; then
    echo "$service: $ref was built, scanned and pushed before ($digest)"
  elif [ "$MODE" = resolve ]; then
    echo "$service: $ref is not in the registry; deploy.yml builds, scans and pushes it" >&2
    return 1
  else
    docker build --platform linux/amd64 --file "$context/$dockerfile" --tag "$ref" "$@" "$context"
    # The gate: fixable critical findings fail the job before anything is pushed.
    trivy image --severity CRITICAL --ignore-unfixed --exit-code 1 --no-progress "$ref"
    if [ "$MODE" = scan ]; then return 0; fi
    pushlog="$(mktemp)"
    docker push "$ref" | tee "$pushlog"
    # The manifest digest the registry stored: the "<tag>: digest: sha256:… size: …" line.
    digest="$(sed -n 's/.*digest: \\(sha256:[0-9a-f]\\{64\\}\\).*/\\1/p' "$pushlog" | tail -n 1)"
  fi
  if ! [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then echo "$service: no image digest for $ref (got '$digest')" >&2; return 1; fi
  overrides="$(jq -c --arg s "$service" --arg i "$registry/$service@$digest" '.services[$s] = ((.services[$s] // {}) + {image: $i, build: null})' <<<"$overrides")"
  pinned+=("$service=$registry/$service@$digest")
}
`;

const handOver = `if [ "$MODE" != scan ]; then
  # The digests, to the stack: each built service runs its scanned image by digest in this run.
  pulumi config set --stack "$STACK" brume:overrides "$overrides"
  printf '%s\\n' "images of $STACK:" "\${pinned[@]}" >> "\${GITHUB_STEP_SUMMARY:-/dev/null}"
fi
`;

/** The script of the images step: the functions, one `image` line per built service, the hand-over. */
export function imagesScript(images: readonly WorkflowImage[]): string {
  const lines = images.map((i) =>
    ["image", i.service, shellWord(i.context), shellWord(i.dockerfile), ...Object.keys(i.args).sort().map((k) => `--build-arg ${shellWord(`${k}=${i.args[k]}`)}`)].join(" "),
  );
  return `${functions}${lines.join("\n")}\n${handOver}`;
}

/** setup-trivy (pull requests and deploys: the modes that build). */
export function setupTrivyStep() {
  return { name: `Install Trivy ${trivyPins.trivyVersion} (setup-trivy ${trivyPins.setupTrivyTag}, pinned by commit)`, uses: trivyPins.setupTrivy, with: { version: trivyPins.trivyVersion, cache: true } };
}

/** The images step of a job: its env carries the mode and the stack, never an expression in the script. */
export function imagesStep(images: readonly WorkflowImage[], mode: "scan" | "push" | "resolve", stack?: string, backend?: string) {
  const label = { scan: "build and scan (Trivy, no push)", push: "build, scan (Trivy), push and pin", resolve: "pin the scanned digests" }[mode];
  return {
    name: `Images of build services: ${label}${stack ? ` for ${stack}` : ""}`,
    env: { MODE: mode, ...(stack ? { STACK: stack } : {}), ...(backend ? { PULUMI_BACKEND_URL: backend } : {}) },
    run: imagesScript(images),
  };
}
