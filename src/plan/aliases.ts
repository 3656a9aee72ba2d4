/**
 * Aliases resolved to URNs, as the Pulumi engine resolves them: a resource's own aliases (URNs, or
 * specs whose missing parts default to the resource's own name, type, parent, stack and project),
 * and one alias per alias of its parent, the child's name re-prefixed when it starts with the
 * parent's name (`${name}-<part>` children follow a renamed component). The engine does this since
 * alias specs (pulumi/pulumi pkg/resource/deploy/step_generator.go, `generateAliases` /
 * `inheritedChildAlias`); the Node SDK does the same for engines without alias specs
 * (`allAliases` / `inheritedChildAlias` in @pulumi/pulumi resource.js). Under the mocks the monitor
 * claims alias specs, so no one else computes them: the plan does, to show where state moves.
 * https://www.pulumi.com/docs/iac/concepts/options/aliases/
 */

/** One alias as the SDK sends it: a URN, or a spec (empty strings: "the resource's own"). */
export interface AliasRequest {
  urn?: string;
  spec?: { name: string; type: string; stack: string; project: string; parentUrn?: string; noParent?: boolean };
}

/** What a resource's aliases resolve against. */
export interface AliasGoal {
  stack: string;
  project: string;
  type: string;
  name: string;
  /** Parent URN, "" at the top. */
  parent: string;
}

/** `urn:pulumi:<stack>::<project>::<qualified type>::<name>` split into its parts. */
function urnParts(urn: string): { stack: string; project: string; qualifiedType: string; name: string } {
  const [head = "", project = "", qualifiedType = "", ...rest] = urn.split("::");
  return { stack: head.replace(/^urn:pulumi:/, ""), project, qualifiedType, name: rest.join("::") };
}

/** A URN as the engine makes it: the parent's whole type chain, the root stack's type left out. */
export function makeUrn(stack: string, project: string, parentQualifiedType: string, type: string, name: string): string {
  const qualified = parentQualifiedType && parentQualifiedType !== "pulumi:pulumi:Stack" ? `${parentQualifiedType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

const lastType = (qualifiedType: string) => qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1);

function collapse(goal: AliasGoal, alias: AliasRequest): string {
  if (alias.urn) return alias.urn;
  const spec = alias.spec ?? { name: "", type: "", stack: "", project: "" };
  const parent = spec.noParent ? "" : (spec.parentUrn ?? goal.parent);
  return makeUrn(
    spec.stack || goal.stack,
    spec.project || goal.project,
    parent ? urnParts(parent).qualifiedType : "",
    spec.type || goal.type,
    spec.name || goal.name,
  );
}

/** The alias a child inherits from one alias of its parent. */
function inherited(childType: string, childName: string, parentName: string, parentAlias: string): string {
  const alias = urnParts(parentAlias);
  const name = childName.startsWith(parentName) ? alias.name + childName.slice(parentName.length) : childName;
  return makeUrn(alias.stack, alias.project, alias.qualifiedType, childType, name);
}

/**
 * The URNs a resource answers to besides its own, in the engine's order, deduplicated.
 * `parentAliases` are the already resolved aliases of the parent (its own and inherited).
 */
export function resolveAliases(goal: AliasGoal, aliases: readonly AliasRequest[], parentAliases: readonly string[]): string[] {
  const out = new Set<string>();
  const own = aliases.map((a) => collapse(goal, a));
  own.forEach((urn) => out.add(urn));
  if (goal.parent) {
    const parentName = urnParts(goal.parent).name;
    for (const parentAlias of parentAliases) {
      out.add(inherited(goal.type, goal.name, parentName, parentAlias));
      for (const urn of own) {
        const child = urnParts(urn);
        out.add(inherited(lastType(child.qualifiedType), child.name, parentName, parentAlias));
      }
    }
  }
  return [...out];
}
