/**
 * The creation-order check: every precondition Google Cloud or Kubernetes has for creating a
 * resource must be among what the Pulumi engine makes that resource wait for, or a first
 * `pulumi up` on a fresh project races and fails. The preconditions are the rule table in
 * ./creation-order-rules.ts; this module holds the plan index the rules read and the wait graph.
 *
 * What a resource waits for (checked in @pulumi/pulumi 3.248, runtime/resource.js
 * `prepareResource` and runtime/dependsOn.js):
 * - its `dependencies`: the explicit `dependsOn` and every resource its inputs reference, with
 *   components expanded to their custom descendants (`getAllTransitivelyReferencedResourceURNs`);
 *   the SDK awaits each one's URN, and a custom resource's URN resolves only when the engine
 *   answers its RegisterResource, i.e. once it is created;
 * - its provider (`ProviderResource.register` awaits the provider's URN and id), and through it
 *   whatever the provider waits for (the kubeconfig's cluster and node pools);
 * - its parent: `prepareResource` awaits `parent.urn` before registering. A component parent
 *   registers once its own dependencies are created, so a child does wait for its component's
 *   `dependsOn` when the program creates it — but the engine never records that as a dependency of
 *   the child (not in state, not in the plan's `dependencies`), and a custom parent is waited for
 *   itself. The check models exactly this: the closure over dependencies, provider and parent.
 *
 * The closure is memoised per resource, so a check costs one walk of the graph plus the rules.
 */
import { creationOrderRules } from "./creation-order-rules.js";
import type { Plan, PlannedResource } from "./run.js";

export interface CreationOrderViolation {
  /** Rule id (see creationOrderRules). */
  rule: string;
  /** The resource created too early. */
  urn: string;
  /** What it must wait for and does not. */
  missing: string;
  /** How to fix it. */
  fix: string;
}

/**
 * One precondition of one resource: `dependent` must wait for (at least) one of `required`.
 * `required` is empty when the plan lacks what the precondition needs altogether (for example an
 * API the plan never enables); then the requirement is unsatisfiable and always a violation.
 */
export interface CreationOrderRequirement {
  rule: string;
  dependent: PlannedResource;
  required: PlannedResource[];
  missing: string;
  fix: string;
}

export interface CreationOrderRule {
  /** Stable id, shown in violations. */
  id: string;
  /** The documented first-apply failure the rule prevents. */
  summary: string;
  /** Where the failure is documented (GCP docs, upstream issue, review finding). */
  source: string;
  requirements(index: PlanIndex): Iterable<CreationOrderRequirement>;
}

/** A Kubernetes object's identity, from the resource's type token and `metadata`. */
export interface KubernetesObject {
  group: string;
  version: string;
  kind: string;
  name: string;
  /** "" for cluster-scoped objects and objects that name no namespace. */
  namespace: string;
  /** The provider (cluster) it is sent to: "" for the default provider. */
  cluster: string;
}

/** Lookups over a plan the rules share (built lazily, once per check). */
export class PlanIndex {
  readonly byUrn = new Map<string, PlannedResource>();
  private readonly typeIndex = new Map<string, PlannedResource[]>();
  private readonly k8sCache = new Map<string, KubernetesObject | undefined>();
  private readonly projectCache = new Map<string, string | undefined>();

  constructor(readonly plan: Plan) {
    for (const r of plan.resources) {
      this.byUrn.set(r.urn, r);
      let list = this.typeIndex.get(r.type);
      if (!list) this.typeIndex.set(r.type, (list = []));
      list.push(r);
    }
  }

  get resources(): PlannedResource[] {
    return this.plan.resources;
  }

  ofType(type: string): PlannedResource[] {
    return this.typeIndex.get(type) ?? [];
  }

  /** Custom resources of a provider package ("gcp", "kubernetes"), providers excluded. */
  *ofPackage(pkg: string): Iterable<PlannedResource> {
    for (const r of this.plan.resources) if (r.custom && r.type.startsWith(`${pkg}:`)) yield r;
  }

  /** `kubernetes:<group>/<version>:<Kind>` → its object identity; undefined for other types. */
  kubernetes(r: PlannedResource): KubernetesObject | undefined {
    if (this.k8sCache.has(r.urn)) return this.k8sCache.get(r.urn);
    let out: KubernetesObject | undefined;
    const m = /^kubernetes:([^:]+):([^:]+)$/.exec(r.type);
    if (m && r.custom) {
      const [gv, kind] = [m[1]!, m[2]!];
      const slash = gv.lastIndexOf("/");
      const group = slash < 0 ? "" : gv.slice(0, slash);
      const metadata = (r.inputs.metadata ?? {}) as { name?: unknown; namespace?: unknown };
      out = {
        group: group === "core" ? "" : group,
        version: slash < 0 ? gv : gv.slice(slash + 1),
        kind,
        name: typeof metadata.name === "string" ? metadata.name : "",
        namespace: typeof metadata.namespace === "string" ? metadata.namespace : "",
        cluster: r.provider,
      };
    }
    this.k8sCache.set(r.urn, out);
    return out;
  }

  /** Kubernetes objects of a kind (group "" = core) sent to `cluster`. */
  kubernetesObjects(group: string, kind: string, cluster: string): Array<{ resource: PlannedResource; object: KubernetesObject }> {
    const out: Array<{ resource: PlannedResource; object: KubernetesObject }> = [];
    for (const r of this.plan.resources) {
      if (!r.type.startsWith("kubernetes:") || !r.type.endsWith(`:${kind}`)) continue;
      const object = this.kubernetes(r);
      if (object && object.group === group && object.kind === kind && object.cluster === cluster) out.push({ resource: r, object });
    }
    return out;
  }

  /** The GCP module of a `gcp:<module>/<type>:<Type>` token ("sql", "storage"); undefined otherwise. */
  gcpModule(r: PlannedResource): string | undefined {
    const m = /^gcp:([^/:]+)\//.exec(r.type);
    return m ? m[1] : undefined;
  }

  /** The project a Google resource is created in: its `project` input, else its provider's. */
  project(r: PlannedResource): string | undefined {
    if (this.projectCache.has(r.urn)) return this.projectCache.get(r.urn);
    let project = typeof r.inputs.project === "string" ? r.inputs.project : undefined;
    if (project === undefined && r.provider) {
      const provider = this.byUrn.get(r.provider);
      if (provider && typeof provider.inputs.project === "string") project = provider.inputs.project;
    }
    this.projectCache.set(r.urn, project);
    return project;
  }
}

/** What each resource waits for before the engine creates it: memoised transitive closures. */
export class WaitGraph {
  private readonly closures = new Map<string, ReadonlySet<string>>();
  private readonly inProgress = new Set<string>();

  constructor(private readonly index: PlanIndex) {}

  /** Resources a resource waits for directly: dependencies, provider, parent. */
  directWaits(r: PlannedResource): string[] {
    const out = [...r.dependencies];
    if (r.provider) out.push(r.provider);
    if (r.parent && this.index.byUrn.has(r.parent)) out.push(r.parent);
    return out;
  }

  /** Every URN `urn` transitively waits for (custom resources and the components on the way). */
  waitsFor(urn: string): ReadonlySet<string> {
    const memo = this.closures.get(urn);
    if (memo) return memo;
    const r = this.index.byUrn.get(urn);
    if (!r || this.inProgress.has(urn)) return new Set();
    this.inProgress.add(urn);
    const direct = this.directWaits(r);
    let out: Set<string>;
    if (direct.length === 1) {
      // A chain (a child of one component): share nothing, but avoid re-adding a big set twice.
      out = new Set(this.waitsFor(direct[0]!));
      out.add(direct[0]!);
    } else {
      out = new Set<string>();
      for (const d of direct) {
        out.add(d);
        for (const t of this.waitsFor(d)) out.add(t);
      }
    }
    this.inProgress.delete(urn);
    this.closures.set(urn, out);
    return out;
  }

  waits(dependent: string, required: string): boolean {
    return this.waitsFor(dependent).has(required);
  }
}

export interface CheckCreationOrderOptions {
  /** The rules to check. @default creationOrderRules */
  rules?: readonly CreationOrderRule[];
}

/** Every requirement the rules find in a plan, with the required resources the dependent already waits for. */
export function creationOrderRequirements(
  plan: Plan,
  rules: readonly CreationOrderRule[],
): Array<CreationOrderRequirement & { satisfiedBy: PlannedResource[] }> {
  const index = new PlanIndex(plan);
  const graph = new WaitGraph(index);
  const out: Array<CreationOrderRequirement & { satisfiedBy: PlannedResource[] }> = [];
  for (const rule of rules) {
    for (const req of rule.requirements(index)) {
      const waits = graph.waitsFor(req.dependent.urn);
      out.push({ ...req, satisfiedBy: req.required.filter((r) => waits.has(r.urn)) });
    }
  }
  return out;
}

/** Violations of `rules` (default: all of creationOrderRules) in a plan, sorted by resource and rule. */
export function checkCreationOrderWith(plan: Plan, rules: readonly CreationOrderRule[]): CreationOrderViolation[] {
  const seen = new Set<string>();
  const out: CreationOrderViolation[] = [];
  for (const req of creationOrderRequirements(plan, rules)) {
    if (req.satisfiedBy.length > 0) continue;
    const violation = { rule: req.rule, urn: req.dependent.urn, missing: req.missing, fix: req.fix };
    const key = JSON.stringify(violation);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(violation);
  }
  return out.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : a.missing < b.missing ? -1 : 1));
}

/** The plan failed the creation-order check: each violation with its rule, resource, what is missing, the fix. */
export class CreationOrderError extends Error {
  override readonly name = "CreationOrderError";
  constructor(readonly violations: CreationOrderViolation[]) {
    super(formatViolations(violations));
  }
}

/** Human-readable violations, one block each. */
export function formatViolations(violations: readonly CreationOrderViolation[]): string {
  const lines = [`creation order: ${violations.length} resource${violations.length === 1 ? "" : "s"} would be created before what they need (a first \`pulumi up\` races and fails):`];
  for (const v of violations) {
    lines.push(`  - [${v.rule}] ${v.urn}`, `      missing: ${v.missing}`, `      fix: ${v.fix}`);
  }
  lines.push("  (turn the check off with `creationOrder: false` only if something outside the plan orders these)");
  return lines.join("\n");
}

/** The short logical name of a URN, for messages. */
export function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/**
 * Checks a plan against the creation-order rules (creationOrderRules unless `options.rules`):
 * every violation, sorted; [] when a first `pulumi up` creates everything after what it needs.
 */
export function checkCreationOrder(plan: Plan, options: CheckCreationOrderOptions = {}): CreationOrderViolation[] {
  return checkCreationOrderWith(plan, options.rules ?? creationOrderRules);
}
