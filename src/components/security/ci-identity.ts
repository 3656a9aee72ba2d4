/**
 * `brume:security:CiIdentity` — keyless deploys from GitHub Actions (issue 17). Created by
 * `brume bootstrap` (run by a project owner), never by the stacks the deploy identity deploys: an
 * identity that deployed its own pool, provider and bindings could widen its own trust.
 *
 * - The pool's provider admits only tokens of one repository, by numeric `repository_id` and
 *   `repository_owner_id` (names can be re-registered by someone else, gcp-review 19), and never
 *   a `pull_request_target` run (it runs the base branch's workflow with secrets for code of a fork).
 * - The deploy account is impersonable only by jobs of the GitHub environment gating that brume
 *   environment (`attribute.environment`, mapped from the token's `environment` claim): the
 *   environment's required reviewers become an IAM control (gcp-review 18).
 * - The preview account (one per environment, gcp-review 7) only by `pull_request` runs
 *   (`attribute.event_name`); fork pull requests get no OIDC token at all
 *   (docs.github.com, "Automatic token authentication": `id-token` is never granted to forks).
 * - Deploy roles come from what the environment contains (deploy-roles.ts); projectIamAdmin is
 *   conditioned to the roles the stack grants; preview roles read no data (read-only-roles.ts).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { grantLimitCondition } from "./deploy-roles.js";
import { metadataReaderRole, previewPredefinedRoles } from "./read-only-roles.js";

/** GitHub's OIDC issuer for Actions tokens. */
export const githubIssuer = "https://token.actions.githubusercontent.com";

/**
 * The provider's attribute condition: the repository and its owner by id, no `pull_request_target`.
 * CEL on the token's claims (https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#conditions).
 */
export function githubAttributeCondition(repositoryId: string, ownerId: string): string {
  return `assertion.repository_id == "${repositoryId}" && assertion.repository_owner_id == "${ownerId}" && assertion.event_name != "pull_request_target"`;
}

/** Claims of GitHub's token mapped to attributes the bindings name. */
export const githubAttributeMapping = {
  "google.subject": "assertion.sub",
  "attribute.repository_id": "assertion.repository_id",
  "attribute.repository": "assertion.repository",
  "attribute.environment": "assertion.environment",
  "attribute.event_name": "assertion.event_name",
  "attribute.ref": "assertion.ref",
  "attribute.actor": "assertion.actor",
} as const;

export interface CiIdentityArgs {
  /** GCP project of this environment (service accounts and their roles). */
  project: string;
  naming: Naming;
  /** GitHub repository `owner/name` (descriptions; the ids decide). */
  repository: string;
  /** `ci.github.repositoryId`. */
  repositoryId: string;
  /** `ci.github.ownerId`. */
  ownerId: string;
  /** GitHub environment whose jobs may deploy (the token's `environment` claim). */
  githubEnvironment: string;
  /** Project roles of the deploy account (`deployRolesFor` of the environment's resource types). */
  deployRoles: readonly string[];
  /** Roles the deploy account may grant and revoke (`delegatedRoles`); none: no projectIamAdmin. */
  delegatedRoles: readonly string[];
  /** Create the pool and provider here (one environment hosts them). */
  hostPool: boolean;
  /** GCP project hosting the pool (this one when `hostPool`). */
  poolProject: string;
  /** Name of the metadata reader custom role (`projects/<p>/roles/brumeMetadataReader`, created by Bootstrap). */
  metadataReaderRole: pulumi.Input<string>;
  /** Number of `poolProject` (`ci.github.poolProjectNumber`, or the host's number output). */
  poolProjectNumber: pulumi.Input<string>;
  /** Pool id. @default "github" */
  poolId?: string;
  /** Provider id. @default "github-actions" */
  providerId?: string;
  transform?: {
    pool?: Transform<gcp.iam.WorkloadIdentityPoolArgs>;
    provider?: Transform<gcp.iam.WorkloadIdentityPoolProviderArgs>;
    serviceAccount?: Transform<gcp.serviceaccount.AccountArgs>;
    role?: Transform<gcp.projects.IAMMemberArgs>;
    impersonation?: Transform<gcp.serviceaccount.IAMMemberArgs>;
  };
}

/** The principal set of a pool attribute: who may impersonate a service account. */
export function principalSet(projectNumber: string, poolId: string, attribute: string, value: string): string {
  return `principalSet://iam.googleapis.com/projects/${projectNumber}/locations/global/workloadIdentityPools/${poolId}/${attribute}/${value}`;
}

/** One project role binding of a CI account, as planned: the identity test lists these. */
export interface CiGrant {
  account: "deploy" | "preview";
  role: string;
  condition?: { title: string; expression: string };
}

/** Every project binding a CiIdentity makes, in creation order (pure: the component and the tests share it). */
export function ciGrants(args: Pick<CiIdentityArgs, "deployRoles" | "delegatedRoles" | "project">): CiGrant[] {
  const grants: CiGrant[] = args.deployRoles.map((role) => ({ account: "deploy", role }));
  if (args.delegatedRoles.length > 0) {
    const { title, expression } = grantLimitCondition(args.delegatedRoles);
    grants.push({ account: "deploy", role: "roles/resourcemanager.projectIamAdmin", condition: { title, expression } });
  }
  for (const role of previewPredefinedRoles) grants.push({ account: "preview", role });
  grants.push({ account: "preview", role: `projects/${args.project}/roles/${metadataReaderRole.roleId}` });
  return grants;
}

/**
 * `brume:security:CiIdentity` — keyless deploys from GitHub Actions: a Workload Identity pool and a GitHub
 * OIDC provider that admit one repository, and deploy and preview service accounts that only the matching
 * jobs may impersonate, with their project roles. Created by `brume bootstrap`; see `docs/pipeline.md`.
 */
export class CiIdentity extends pulumi.ComponentResource {
  readonly pool?: gcp.iam.WorkloadIdentityPool;
  readonly provider?: gcp.iam.WorkloadIdentityPoolProvider;
  readonly deployServiceAccount: gcp.serviceaccount.Account;
  readonly previewServiceAccount: gcp.serviceaccount.Account;
  readonly roleBindings: gcp.projects.IAMMember[];
  /** `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>` (the workflows' variable). */
  readonly workloadIdentityProvider: pulumi.Output<string>;

  constructor(name: string, args: CiIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:security:CiIdentity", name, {}, opts);
    const poolId = args.poolId ?? "github";
    const providerId = args.providerId ?? "github-actions";
    const poolNumber = pulumi.output(args.poolProjectNumber);

    if (args.hostPool) {
      this.pool = this.createPool(name, args, poolId, opts);
      this.provider = this.createProvider(name, args, providerId, this.pool, opts);
    }
    this.deployServiceAccount = this.createServiceAccount(name, "deploy", args, `Deploys ${args.naming.prefix} from ${args.repository} (GitHub environment ${args.githubEnvironment})`, opts);
    this.previewServiceAccount = this.createServiceAccount(name, "preview", args, `Previews ${args.naming.prefix} for pull requests of ${args.repository}`, opts);
    this.roleBindings = ciGrants(args).map((grant) => this.createRole(name, grant, args, opts));
    // Deploys: only jobs of the gating GitHub environment; previews: only pull_request runs.
    this.createImpersonation(name, "deploy", this.deployServiceAccount, poolNumber.apply((n) => principalSet(n, poolId, "attribute.environment", args.githubEnvironment)), args, opts);
    this.createImpersonation(name, "preview", this.previewServiceAccount, poolNumber.apply((n) => principalSet(n, poolId, "attribute.event_name", "pull_request")), args, opts);

    this.workloadIdentityProvider = poolNumber.apply((n) => `projects/${n}/locations/global/workloadIdentityPools/${poolId}/providers/${providerId}`);
    this.registerOutputs({
      workloadIdentityProvider: this.workloadIdentityProvider,
      deployServiceAccount: this.deployServiceAccount.email,
      previewServiceAccount: this.previewServiceAccount.email,
    });
  }

  private createPool(name: string, args: CiIdentityArgs, poolId: string, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.iam.WorkloadIdentityPool(
      ...transformed(
        args.transform?.pool,
        `${name}-pool`,
        { project: args.poolProject, workloadIdentityPoolId: poolId, displayName: "GitHub Actions", description: `CI of ${args.repository}` },
        childOptions(this, opts),
      ),
    );
  }

  private createProvider(name: string, args: CiIdentityArgs, providerId: string, pool: gcp.iam.WorkloadIdentityPool, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.iam.WorkloadIdentityPoolProvider(
      ...transformed(
        args.transform?.provider,
        `${name}-provider`,
        {
          project: args.poolProject,
          workloadIdentityPoolId: pool.workloadIdentityPoolId,
          workloadIdentityPoolProviderId: providerId,
          displayName: "GitHub Actions OIDC",
          // Tokens of any other repository are rejected before any role is even considered.
          attributeCondition: githubAttributeCondition(args.repositoryId, args.ownerId),
          attributeMapping: { ...githubAttributeMapping },
          oidc: { issuerUri: githubIssuer },
        },
        childOptions(this, opts),
      ),
    );
  }

  private createServiceAccount(name: string, part: string, args: CiIdentityArgs, description: string, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.serviceaccount.Account(
      ...transformed(
        args.transform?.serviceAccount,
        `${name}-${part}`,
        { project: args.project, accountId: args.naming.name(part, "serviceAccountId"), displayName: `CI ${part}`, description },
        childOptions(this, opts),
      ),
    );
  }

  private createRole(name: string, grant: CiGrant, args: CiIdentityArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    const account = grant.account === "deploy" ? this.deployServiceAccount : this.previewServiceAccount;
    const custom = grant.role.startsWith("projects/");
    const key = custom ? "metadata-reader" : grant.role.replace(/^roles\//, "").replace(/\./g, "-");
    return new gcp.projects.IAMMember(
      ...transformed(
        args.transform?.role,
        `${name}-${grant.account}-${key}`,
        {
          project: args.project,
          // The custom role's name comes from its output, so the binding waits for the role.
          role: custom ? args.metadataReaderRole : grant.role,
          member: account.member,
          ...(grant.condition ? { condition: { ...grant.condition, description: "May grant and revoke only the roles the brume stack grants" } } : {}),
        },
        childOptions(this, opts),
      ),
    );
  }

  private createImpersonation(
    name: string,
    part: string,
    account: gcp.serviceaccount.Account,
    member: pulumi.Input<string>,
    args: CiIdentityArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ) {
    return new gcp.serviceaccount.IAMMember(
      ...transformed(
        args.transform?.impersonation,
        `${name}-${part}-wif`,
        { serviceAccountId: account.name, role: "roles/iam.workloadIdentityUser", member },
        childOptions(this, opts),
      ),
    );
  }
}
