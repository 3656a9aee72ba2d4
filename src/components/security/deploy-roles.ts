/**
 * What the deploy identity of an environment may do, derived from what the environment contains
 * (gcp-review 8, 20): each resource type of the environment's plan needs one predefined role, and
 * the deploy identity holds exactly the roles its resource types need. A type without an entry is
 * an error, so a new resource type cannot apply-fail on a missing permission unnoticed.
 *
 * Project IAM is delegated, never owned (Fabric's "iam-delegated-role-grants" blueprint):
 * `roles/resourcemanager.projectIamAdmin` is bound with a condition on
 * `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', [])` limited to the roles the stack
 * itself grants — "You can set limits on the roles that a principal can grant and revoke with IAM
 * Conditions and the iam.googleapis.com/modifiedGrantsByRole API attribute"
 * (https://cloud.google.com/iam/docs/setting-limits-on-granting-roles). Privileged roles are never
 * in that list: whoever may grant them could grant them to itself.
 */

/** Roles that would let their holder administer identities or trust: never delegated to CI. */
export const privilegedRoles = [
  "roles/owner",
  "roles/editor",
  "roles/viewer",
  "roles/resourcemanager.projectIamAdmin",
  "roles/iam.securityAdmin",
  "roles/iam.roleAdmin",
  "roles/iam.serviceAccountAdmin",
  "roles/iam.serviceAccountTokenCreator",
  "roles/iam.serviceAccountUser",
  "roles/iam.serviceAccountKeyAdmin",
  "roles/iam.workloadIdentityUser",
  "roles/iam.workloadIdentityPoolAdmin",
  "roles/cloudkms.admin",
  "roles/billing.projectManager",
  "roles/billing.admin",
] as const;

/**
 * The role each GCP resource type needs to be created, updated and deleted, by type token prefix
 * (the longest matching prefix wins). Kubernetes objects go through RBAC: `roles/container.admin`
 * maps to cluster-admin in GKE (https://cloud.google.com/kubernetes-engine/docs/how-to/iam).
 */
export const roleByResourceType: Readonly<Record<string, string>> = {
  "gcp:artifactregistry/": "roles/artifactregistry.admin",
  "gcp:bigquery/": "roles/bigquery.dataOwner",
  // Budgets are billing-account resources: a project binding cannot carry billing.budgets.create;
  // the billing account grants roles/billing.costsManager to the deploy account (docs/pipeline.md).
  "gcp:billing/budget:": "roles/billing.costsManager",
  "gcp:binaryauthorization/": "roles/binaryauthorization.policyEditor",
  "gcp:certificatemanager/": "roles/certificatemanager.editor",
  "gcp:cloudscheduler/": "roles/cloudscheduler.admin",
  "gcp:compute/": "roles/compute.admin",
  "gcp:container/": "roles/container.admin",
  "gcp:dns/": "roles/dns.admin",
  // Key rings, keys and their IAM (CryptoKeyIAMMember needs cloudkms.cryptoKeys.setIamPolicy, which
  // only cloudkms.admin carries). Held by the deploy identity, never delegated (privilegedRoles).
  "gcp:kms/": "roles/cloudkms.admin",
  "gcp:logging/": "roles/logging.configWriter",
  "gcp:monitoring/": "roles/monitoring.editor",
  "gcp:projects/iAMMember:": "roles/resourcemanager.projectIamAdmin",
  "gcp:projects/iAMAuditConfig:": "roles/resourcemanager.projectIamAdmin",
  "gcp:projects/iAMCustomRole:": "roles/iam.roleAdmin",
  "gcp:projects/service:": "roles/serviceusage.serviceUsageAdmin",
  "gcp:projects/serviceIdentity:": "roles/serviceusage.serviceUsageAdmin",
  "gcp:pubsub/": "roles/pubsub.admin",
  "gcp:redis/": "roles/redis.admin",
  "gcp:secretmanager/": "roles/secretmanager.admin",
  "gcp:serviceaccount/": "roles/iam.serviceAccountAdmin",
  "gcp:servicenetworking/": "roles/servicenetworking.networksAdmin",
  "gcp:sql/": "roles/cloudsql.admin",
  "gcp:storage/": "roles/storage.admin",
  "kubernetes:": "roles/container.admin",
};

/** Types that call no Google API under their own name (providers, random values, local waits, images built on the runner). */
export function needsNoRole(type: string): boolean {
  return /^(pulumi:|pulumi-nodejs:|random:|docker:|brume:|command:)/.test(type);
}

/** The role a resource type needs, or undefined when it calls no Google API. Throws for an unknown type. */
export function roleForResourceType(type: string): string | undefined {
  if (needsNoRole(type)) return undefined;
  const prefix = Object.keys(roleByResourceType)
    .filter((p) => type.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) {
    throw new Error(`no deploy role is known for resource type "${type}": add it to roleByResourceType (src/components/security/deploy-roles.ts)`);
  }
  return roleByResourceType[prefix];
}

/**
 * Roles granted at the project level to the deploy identity: one per resource type the environment
 * contains, except the billing-account role (granted on the billing account, see above) and
 * projectIamAdmin (bound conditionally, see `grantLimitCondition`).
 */
export function deployRolesFor(resourceTypesIn: Iterable<string>): string[] {
  const resourceTypes = [...resourceTypesIn];
  const roles = new Set<string>();
  for (const type of resourceTypes) {
    const role = roleForResourceType(type);
    if (role !== undefined) roles.add(role);
  }
  roles.delete("roles/billing.costsManager");
  roles.delete("roles/resourcemanager.projectIamAdmin");
  // actAs on the accounts the stack attaches. Not yet per account: the accounts are created by the
  // environment stack after bootstrap, and each attaching resource would have to wait for its own
  // grant (issue 17 leaves this open; docs/pipeline.md, "Known limits").
  if (resourceTypes.some((t) => (attachingTypes as readonly string[]).includes(t))) roles.add("roles/iam.serviceAccountUser");
  return [...roles].sort();
}

/**
 * Resource types that attach a service account to what they create, which needs
 * `iam.serviceAccounts.actAs` on that account ("Service account user", attaching service accounts
 * to resources: https://cloud.google.com/iam/docs/attach-service-accounts): node pools and the
 * cluster's default pool, instance templates, Cloud Scheduler jobs with an OIDC token, Pub/Sub push
 * subscriptions with an OIDC token.
 */
export const attachingTypes = [
  "gcp:container/cluster:Cluster",
  "gcp:container/nodePool:NodePool",
  "gcp:compute/instanceTemplate:InstanceTemplate",
  "gcp:cloudscheduler/job:Job",
  "gcp:pubsub/subscription:Subscription",
] as const;

/** Whether the environment needs the billing-account grant (it contains a budget). */
export function needsBillingGrant(resourceTypes: Iterable<string>): boolean {
  return [...resourceTypes].some((t) => roleForResourceType(t) === "roles/billing.costsManager");
}

/**
 * The roles the deploy identity may grant and revoke on the project: every role the stack grants
 * with `gcp:projects/IAMMember`, refusing privileged ones (they are granted by `brume bootstrap`).
 */
export function delegatedRoles(grantedRoles: Iterable<string>): string[] {
  const roles = [...new Set(grantedRoles)].sort();
  const privileged = roles.filter((r) => (privilegedRoles as readonly string[]).includes(r));
  if (privileged.length > 0) {
    throw new Error(
      `the stack grants ${privileged.join(", ")} at the project level: CI may not delegate a privileged role (it could grant it to itself); grant it with brume bootstrap instead`,
    );
  }
  return roles;
}

/** The IAM condition of the deploy identity's projectIamAdmin binding. */
export function grantLimitCondition(roles: readonly string[]): { title: string; description: string; expression: string } {
  if (roles.length === 0) throw new Error("grantLimitCondition: no roles to delegate; bind no projectIamAdmin at all");
  return {
    title: "brume-delegated-grants",
    description: "May grant and revoke only the roles the brume stack grants (iam.googleapis.com/modifiedGrantsByRole)",
    expression: `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${roles.map((r) => `'${r}'`).join(", ")}])`,
  };
}
