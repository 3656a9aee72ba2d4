/**
 * `brume:security:CiIdentity` — keyless deploys from GitHub Actions: a Workload Identity pool with
 * a GitHub OIDC provider restricted to one repository (in the environment that hosts it), and per
 * environment a deploy service account (pushes to the deploy branch only) and a read-only preview
 * service account (pull requests of the repository). Only predefined roles: no basic roles, no keys.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { projectNumberOf } from "../apis/apis.js";

/** What `pulumi up` of a brume environment needs: admin of each service we manage, nothing basic. */
export const deployRoles = [
  "roles/compute.admin",
  "roles/container.admin",
  "roles/cloudsql.admin",
  "roles/redis.admin",
  "roles/pubsub.admin",
  "roles/secretmanager.admin",
  "roles/storage.admin",
  "roles/artifactregistry.admin",
  "roles/dns.admin",
  "roles/cloudkms.admin",
  "roles/binaryauthorization.policyEditor",
  "roles/servicenetworking.networksAdmin",
  "roles/monitoring.editor",
  "roles/logging.configWriter",
  "roles/iam.serviceAccountAdmin",
  "roles/iam.serviceAccountUser",
  "roles/resourcemanager.projectIamAdmin",
  "roles/serviceusage.serviceUsageAdmin",
] as const;

/** What `pulumi preview` needs: read metadata everywhere, read no secret payload, change nothing. */
export const previewRoles = [
  "roles/browser",
  "roles/compute.viewer",
  "roles/container.viewer",
  "roles/cloudsql.viewer",
  "roles/redis.viewer",
  "roles/pubsub.viewer",
  "roles/secretmanager.viewer",
  "roles/storage.bucketViewer",
  "roles/artifactregistry.reader",
  "roles/dns.reader",
  "roles/cloudkms.viewer",
  "roles/iam.serviceAccountViewer",
  "roles/iam.securityReviewer",
  "roles/serviceusage.serviceUsageViewer",
  "roles/monitoring.viewer",
  "roles/logging.viewer",
] as const;

/** GitHub's OIDC issuer for Actions tokens. */
export const githubIssuer = "https://token.actions.githubusercontent.com";

export interface CiIdentityArgs {
  /** GCP project of this environment (service accounts and their roles). */
  project: string;
  naming: Naming;
  /** GitHub repository allowed to impersonate, `owner/name`. */
  repository: string;
  /** Branch whose pushes may deploy. @default "main" */
  deployBranch?: string;
  /** Create the pool and provider here (one environment hosts them). */
  hostPool: boolean;
  /** GCP project hosting the pool (this one when `hostPool`). */
  poolProject: string;
  /**
   * Number of `poolProject`. Required when `poolProject` is not `project`: this environment's
   * credentials cannot read another project (gcp-review 6). When absent, it is looked up through
   * this environment's provider (only for its own project).
   */
  poolProjectNumber?: string;
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
    const branch = args.deployBranch ?? "main";
    if (args.poolProjectNumber === undefined && args.poolProject !== args.project) {
      throw new Error(
        `CiIdentity ${name}: the pool project "${args.poolProject}" is not this environment's project "${args.project}", whose credentials cannot look its number up; pass poolProjectNumber (ci.github.poolProjectNumber)`,
      );
    }
    const poolNumber = args.poolProjectNumber !== undefined ? pulumi.output(args.poolProjectNumber) : projectNumberOf(args.poolProject, this, opts?.dependsOn);

    if (args.hostPool) {
      this.pool = this.createPool(name, args, poolId, opts);
      this.provider = this.createProvider(name, args, poolId, providerId, this.pool, opts);
    }
    this.deployServiceAccount = this.createServiceAccount(name, "deploy", args, `Deploys ${args.naming.prefix} from ${args.repository}@${branch}`, opts);
    this.previewServiceAccount = this.createServiceAccount(name, "preview", args, `Previews ${args.naming.prefix} for pull requests of ${args.repository}`, opts);
    this.roleBindings = [
      ...deployRoles.map((role) => this.createRole(name, "deploy", role, this.deployServiceAccount, args, opts)),
      ...previewRoles.map((role) => this.createRole(name, "preview", role, this.previewServiceAccount, args, opts)),
    ];
    // Deploys: only workflows running on the deploy branch; previews: any workflow of the repository.
    this.createImpersonation(name, "deploy", this.deployServiceAccount, poolNumber.apply((n) => principalSet(n, poolId, "attribute.ref", `refs/heads/${branch}`)), args, opts);
    this.createImpersonation(name, "preview", this.previewServiceAccount, poolNumber.apply((n) => principalSet(n, poolId, "attribute.repository", args.repository)), args, opts);

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

  private createProvider(
    name: string,
    args: CiIdentityArgs,
    poolId: string,
    providerId: string,
    pool: gcp.iam.WorkloadIdentityPool,
    opts: pulumi.ComponentResourceOptions | undefined,
  ) {
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
          attributeCondition: `assertion.repository == "${args.repository}"`,
          attributeMapping: {
            "google.subject": "assertion.sub",
            "attribute.repository": "assertion.repository",
            "attribute.ref": "assertion.ref",
            "attribute.actor": "assertion.actor",
          },
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

  private createRole(
    name: string,
    part: string,
    role: string,
    account: gcp.serviceaccount.Account,
    args: CiIdentityArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ) {
    return new gcp.projects.IAMMember(
      ...transformed(
        args.transform?.role,
        `${name}-${part}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
        { project: args.project, role, member: account.member },
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
