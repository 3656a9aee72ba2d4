/**
 * Container image references as Binary Authorization and Artifact Registry see them (pure): the
 * repository an image is pulled from, whether an admission pattern admits it, which Artifact
 * Registry repository a reader grant goes on. The plan check `checkImages` (src/plan/images.ts)
 * and the cluster's grants both use these, so what is granted is what is checked.
 */

/** An Artifact Registry repository by plain values. */
export interface ArtifactRegistryRepository {
  project: string;
  location: string;
  repositoryId: string;
}

/** The image without its digest or tag: `us-docker.pkg.dev/p/apps/api:1.2@sha256:…` → `us-docker.pkg.dev/p/apps/api`. */
export function imageName(ref: string): string {
  const noDigest = ref.split("@")[0]!;
  return noDigest.replace(/:[^/:]+$/, "");
}

/**
 * The repository path an image lives in: its name up to the last `/`
 * (`us-docker.pkg.dev/acme/apps/api:1.2` → `us-docker.pkg.dev/acme/apps`); undefined for a bare
 * Docker Hub name (`nginx:1.27`).
 */
export function repositoryPathOf(ref: string): string | undefined {
  const name = imageName(ref);
  const slash = name.lastIndexOf("/");
  return slash < 0 ? undefined : name.slice(0, slash);
}

const artifactRegistryHost = /^([a-z0-9-]+)-docker\.pkg\.dev$/;

/**
 * The Artifact Registry repository of an image or repository path: Docker repositories are
 * addressed `<location>-docker.pkg.dev/<project>/<repository>/<image…>` ("Pushing and pulling
 * images", https://cloud.google.com/artifact-registry/docs/docker/pushing-and-pulling#tag); other
 * hosts (Docker Hub, ghcr.io, gcr.io) are not repositories a `RepositoryIamMember` can name.
 */
export function artifactRepositoryOf(refOrPath: string): ArtifactRegistryRepository | undefined {
  const [host, project, repositoryId] = imageName(refOrPath).split("/");
  const location = host?.match(artifactRegistryHost)?.[1];
  if (!location || !project || !repositoryId) return undefined;
  return { project, location, repositoryId };
}

/** `<location>-docker.pkg.dev/<project>/<repository>` of a repository. */
export function artifactRepositoryPath(r: ArtifactRegistryRepository): string {
  return `${r.location}-docker.pkg.dev/${r.project}/${r.repositoryId}`;
}

/**
 * Whether a Binary Authorization admission allowlist pattern admits an image. From the API
 * reference of `AdmissionWhitelistPattern.name_pattern`: "An image name pattern to allowlist, in
 * the form `registry/path/to/image`. This supports a trailing `*` wildcard, but this is allowed
 * only in text after the `registry/` part. `*` wildcard does not match `/`, i.e., `gcr.io/nginx*`
 * matches `gcr.io/nginx@latest`, but it does not match `gcr.io/nginx/image`. This also supports a
 * trailing `**` wildcard which matches subdirectories, i.e., `gcr.io/nginx**` matches
 * `gcr.io/nginx/image`." (https://cloud.google.com/binary-authorization/docs/reference/rest/v1/projects/getPolicy#admissionwhitelistpattern).
 * Without a wildcard the pattern names one image exactly.
 */
export function admits(pattern: string, image: string): boolean {
  if (pattern.endsWith("**")) return image.startsWith(pattern.slice(0, -2));
  if (pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    return image.startsWith(prefix) && !image.slice(prefix.length).includes("/");
  }
  return image === pattern;
}

/**
 * The admission pattern of a repository: its images, one level below it (`<repository>/*`).
 * Narrower than `<project>/**`: a nested path (`<repository>/team/api`) is not admitted, and
 * nothing brume builds or names is nested (built images are `<registry>/<service>`).
 */
export function repositoryPattern(repositoryPath: string): string {
  return `${repositoryPath}/*`;
}

/**
 * Public repositories of images the stack itself runs (add-ons): anyone can pull them, so no grant
 * is needed or possible. Each one is documented as public by its publisher.
 */
export const publicRepositories: readonly string[] = [
  // Google-Built OpenTelemetry Collector (the trace collector): "The image is publicly available
  // in Artifact Registry" (https://cloud.google.com/stackdriver/google-built-otel#container-image).
  "us-docker.pkg.dev/cloud-ops-agents-artifacts/google-cloud-opentelemetry-collector",
  // Cloud SQL Auth Proxy: "gcr.io/cloud-sql-connectors/cloud-sql-proxy", public
  // (https://github.com/GoogleCloudPlatform/cloud-sql-proxy#container-images).
  "gcr.io/cloud-sql-connectors",
  // Google's cache of Docker Hub's official images (the pgAudit Job's psql): public, "Stored in a
  // repository managed by Google Cloud … Kept in sync with Docker Hub"
  // (https://cloud.google.com/artifact-registry/docs/pull-cached-dockerhub-images).
  "mirror.gcr.io/library",
  // The Google Cloud CLI image (the restore test's gcloud): "pull a specific version of gcloud CLI
  // as a Docker image from Artifact Registry" (https://cloud.google.com/sdk/docs/downloads-docker),
  // public.
  "gcr.io/google.com/cloudsdktool",
];

/**
 * Argo CD's images at the pinned chart (src/components/gitops/chart.ts), admitted exactly (tag
 * names, as the chart pins them) by Binary Authorization in gitops environments. They come from
 * public registries (quay.io/argoproj, ghcr.io/dexidp, AWS ECR Public's Docker official images):
 * the nodes pull them through the environment's Cloud NAT.
 */

/** Whether `repositoryPath` is `listed` or below it. */
export function within(repositoryPath: string, listed: string): boolean {
  return repositoryPath === listed || repositoryPath.startsWith(`${listed}/`);
}
