/**
 * "Images are admitted and pullable" (issue 12 decision): every container image a plan runs on a
 * GKE cluster must (1) match a Binary Authorization admission pattern of the cluster's project
 * policy, else admission denies the pod ("denied by Binary Authorization", the Deployment never
 * becomes available), and (2) be readable by the identity that pulls it — kubelet pulls as the
 * node service account, so without `artifactregistry.repositories.downloadArtifacts` on the
 * repository the pod sits in ImagePullBackOff (gcp-review findings 3 and 4).
 *
 * Pure over a plan: it reads the clusters, their node pools, the project's policy, the IAM grants
 * and every pod template (Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods;
 * containers, init containers and ephemeral containers), whoever created them — so images later
 * issues add (sidecars, jobs, add-ons) are held to the same rule. `planStack` runs it on every plan.
 *
 * What it cannot know offline, and therefore does not judge: a policy the plan does not manage
 * (`manageBinaryAuthorizationPolicy: false`), attestations (`REQUIRE_ATTESTATION` may admit an
 * image no pattern names), grants made outside the plan other than those declared readable, and
 * images whose reference is unknown until apply.
 */
import { admits, artifactRepositoryOf, artifactRepositoryPath, publicRepositories, repositoryPathOf, within } from "../components/cluster/images.js";
import { UNKNOWN_MASK, type Plan, type PlannedResource } from "./run.js";

export interface ImageCheckOptions {
  /**
   * Repositories (or whole registry projects) the pulling identity can read without a grant in the
   * plan: a platform team's grant, or a public repository (brume config: `cluster.readableRegistries`).
   * @default []
   */
  readableRegistries?: readonly string[];
}

export interface ImageViolation {
  /** `not-admitted` (no admission pattern matches) or `not-readable` (no grant lets the nodes pull it). */
  rule: "not-admitted" | "not-readable";
  /** URN of the workload that runs the image. */
  urn: string;
  /** `spec.template.spec.containers[0]` and the like. */
  container: string;
  image: string;
  /** What is wrong and the fix. */
  message: string;
}

/** Roles that include `artifactregistry.repositories.downloadArtifacts`. */
const readerRoles = new Set(["roles/artifactregistry.reader", "roles/artifactregistry.writer", "roles/artifactregistry.repoAdmin", "roles/artifactregistry.admin"]);

/** Where the pod spec sits in each workload kind. */
const podSpecPaths: Record<string, string[]> = {
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
  Pod: ["spec"],
};

interface ClusterView {
  urn: string;
  project: string;
  nodeMembers: Set<string>;
  /** Undefined: admission not enforced by a policy this plan knows. */
  policy?: { patterns: string[]; denyOthers: boolean };
}

/** The images every workload of the plan runs, with where they are. */
export function plannedImages(plan: Plan): { resource: PlannedResource; container: string; image: string }[] {
  const out: { resource: PlannedResource; container: string; image: string }[] = [];
  for (const resource of plan.resources) {
    const kind = workloadKind(resource.type);
    if (!kind) continue;
    const path = podSpecPaths[kind]!;
    let spec: unknown = resource.inputs;
    for (const key of path) spec = (spec as Record<string, unknown> | undefined)?.[key];
    if (!spec || typeof spec !== "object") continue;
    for (const list of ["initContainers", "containers", "ephemeralContainers"]) {
      const containers = (spec as Record<string, unknown>)[list];
      if (!Array.isArray(containers)) continue;
      containers.forEach((c, i) => {
        const image = (c as { image?: unknown })?.image;
        if (typeof image === "string") out.push({ resource, container: `${path.join(".")}.${list}[${i}]`, image });
      });
    }
  }
  return out;
}

/** Every image a workload runs that its cluster would not admit or its nodes could not pull. */
export function checkImages(plan: Plan, options: ImageCheckOptions = {}): ImageViolation[] {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const clusters = plan.resources.filter((r) => r.type === "gcp:container/cluster:Cluster").map((c) => clusterView(plan, c));
  if (clusters.length === 0) return [];
  const readable = [...publicRepositories, ...(options.readableRegistries ?? [])];
  // The few IAM resources that can grant read, found once (plans of thousands of services).
  const grants = plan.resources.filter((r) => r.type.includes("IamMember") || r.type.includes("IamBinding") || r.type.includes("iAMMember") || r.type.includes("iAMBinding")).filter((r) => readerRoles.has(String(r.inputs.role)));
  const violations: ImageViolation[] = [];
  for (const { resource, container, image } of plannedImages(plan)) {
    if (image === UNKNOWN_MASK || image.includes(UNKNOWN_MASK)) continue;
    const cluster = clusterOf(resource, byUrn, clusters);
    if (!cluster) continue;
    const at = { urn: resource.urn, container, image };
    if (cluster.policy?.denyOthers && !cluster.policy.patterns.some((p) => admits(p, image))) {
      const repository = repositoryPathOf(image);
      violations.push({
        ...at,
        rule: "not-admitted",
        message: `image ${image} matches no Binary Authorization admission pattern of project ${cluster.project} (${cluster.policy.patterns.join(", ") || "none"}); admit its repository (${repository ? `${repository}/*` : "name it with its registry"}): \`*\` does not match "/"`,
      });
    }
    const problem = pullProblem(image, cluster, grants, readable);
    if (problem) violations.push({ ...at, rule: "not-readable", message: problem });
  }
  return violations;
}

/** Why the nodes of `cluster` cannot pull `image`, or undefined when they can. */
function pullProblem(image: string, cluster: ClusterView, grants: readonly PlannedResource[], readable: string[]): string | undefined {
  const path = repositoryPathOf(image);
  if (path && readable.some((r) => within(path, r))) return undefined;
  const repository = artifactRepositoryOf(image);
  const nodes = [...cluster.nodeMembers].join(", ") || "the node service account";
  if (!repository) {
    return `image ${image} is not in Artifact Registry, so no grant in the plan can make it pullable; if it is public or the nodes can read it, list ${path ?? image} in cluster.readableRegistries (readableRegistries of checkImages)`;
  }
  const granted = grants.some((r) => grantsRead(r, repository, cluster));
  if (granted) return undefined;
  return `the nodes (${nodes}) cannot pull ${image}: grant roles/artifactregistry.reader on repository ${artifactRepositoryPath(repository)} (project ${repository.project}, location ${repository.location}) to ${nodes}, or, when a platform team grants it, list ${artifactRepositoryPath(repository)} in cluster.readableRegistries`;
}

/** Whether a planned IAM resource lets the cluster's nodes read the repository. */
function grantsRead(r: PlannedResource, repository: { project: string; location: string; repositoryId: string }, cluster: ClusterView): boolean {
  const i = r.inputs as Record<string, unknown>;
  if (!readerRoles.has(String(i.role))) return false;
  const members = Array.isArray(i.members) ? i.members.map(String) : [String(i.member)];
  if (!members.some((m) => cluster.nodeMembers.has(m))) return false;
  const project = String(i.project ?? cluster.project);
  if (r.type === "gcp:projects/iAMMember:IAMMember" || r.type === "gcp:projects/iAMBinding:IAMBinding") return project === repository.project;
  if (r.type !== "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember" && r.type !== "gcp:artifactregistry/repositoryIamBinding:RepositoryIamBinding") return false;
  // `repository` is the id or `projects/<p>/locations/<l>/repositories/<id>`.
  const full = String(i.repository).match(/^projects\/([^/]+)\/locations\/([^/]+)\/repositories\/([^/]+)$/);
  const [p, l, id] = full ? [full[1], full[2], full[3]] : [project, String(i.location), String(i.repository)];
  return p === repository.project && l === repository.location && id === repository.repositoryId;
}

function clusterView(plan: Plan, cluster: PlannedResource): ClusterView {
  const i = cluster.inputs as Record<string, any>;
  const project = String(i.project ?? "");
  const pools = plan.resources.filter((r) => r.type === "gcp:container/nodePool:NodePool" && (r.dependencies.includes(cluster.urn) || r.inputs.cluster === i.name));
  const accounts = pools.map((p) => (p.inputs as Record<string, any>).nodeConfig?.serviceAccount);
  if (!i.removeDefaultNodePool || pools.length === 0) accounts.push(i.nodeConfig?.serviceAccount);
  const nodeMembers = new Set(accounts.filter((a): a is string => typeof a === "string").map((a) => `serviceAccount:${a}`));
  const view: ClusterView = { urn: cluster.urn, project, nodeMembers };
  // The cluster enforces its project's singleton policy only with this mode
  // (https://cloud.google.com/binary-authorization/docs/setting-up#enable_binary_authorization_on_a_cluster).
  if (i.binaryAuthorization?.evaluationMode !== "PROJECT_SINGLETON_POLICY_ENFORCE") return view;
  const policy = plan.resources.find((r) => r.type === "gcp:binaryauthorization/policy:Policy" && String(r.inputs.project ?? project) === project);
  if (!policy) return view;
  const p = policy.inputs as Record<string, any>;
  const rule = p.defaultAdmissionRule ?? {};
  view.policy = {
    patterns: ((p.admissionWhitelistPatterns ?? []) as { namePattern?: string }[]).map((w) => String(w.namePattern)),
    // Dry run only logs; an attestation may admit what no pattern names (not knowable offline).
    denyOthers: rule.evaluationMode === "ALWAYS_DENY" && rule.enforcementMode !== "DRYRUN_AUDIT_LOG_ONLY",
  };
  return view;
}

/** The cluster a Kubernetes resource is applied to: the one its provider depends on, else the only one. */
function clusterOf(resource: PlannedResource, byUrn: Map<string, PlannedResource>, clusters: ClusterView[]): ClusterView | undefined {
  // A provider reference is its URN, or `<urn>::<id>` as the engine writes it.
  const provider = byUrn.get(resource.provider) ?? byUrn.get(resource.provider.replace(/::[^:]*$/, ""));
  const target = provider ? clusters.find((c) => provider.dependencies.includes(c.urn)) : undefined;
  return target ?? (clusters.length === 1 ? clusters[0] : undefined);
}

function workloadKind(type: string): string | undefined {
  const m = type.match(/^kubernetes:(apps|batch|core)\/v1:(\w+)$/);
  return m && podSpecPaths[m[2]!] ? m[2] : undefined;
}

/** The violations as lines of a report (empty when there is none). */
export function renderImageViolations(violations: readonly ImageViolation[]): string[] {
  return violations.map((v) => `[images:${v.rule}] ${v.urn} ${v.container}: ${v.message}`);
}
