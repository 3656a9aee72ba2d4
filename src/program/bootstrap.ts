/**
 * The bootstrap program of one environment (`brume bootstrap --stack <env>`): what must exist
 * before the environment's first `pulumi up` and what its CI identities may not create themselves
 * (issue 17). What the deploy identity may do is derived from the environment's own plan: the
 * resource types it contains (deploy roles) and the project roles it grants (the roles its
 * conditioned projectIamAdmin may grant). `brume bootstrap` computes both from the offline plan
 * and passes them here; a real `pulumi up` of this program reads them from the stack config key
 * `brume:bootstrap` that `brume bootstrap --write` stores.
 */
import * as pulumi from "@pulumi/pulumi";
import { Bootstrap } from "../components/bootstrap/bootstrap.js";
import * as gcp from "@pulumi/gcp";
import { splitAccessGrants } from "../components/security/access.js";
import { grantedRestoreTestRoles } from "../components/database/restore-test.js";
import { delegatedRoles, deployRolesFor } from "../components/security/deploy-roles.js";
import { githubEnvironmentOf } from "../config/schema-ci.js";
import { Naming, workloadIdentityPoolId } from "../config/naming.js";
import { resolveEnvironment } from "../config/load.js";
import type { BrumeConfig } from "../config/schema.js";

/** What the environment's plan tells bootstrap. */
export interface EnvironmentFacts {
  /** Resource types of the environment's plan. */
  resourceTypes: string[];
  /** Roles the environment stack grants with project IAM members. */
  grantedRoles: string[];
}

export interface BootstrapProgramArgs {
  config: BrumeConfig;
  environment: string;
  facts: EnvironmentFacts;
}

/** Expands one environment's bootstrap; returns the stack outputs (what the workflows and `pulumi login` take). */
export function bootstrapProgram({ config, environment, facts }: BootstrapProgramArgs) {
  const env = resolveEnvironment(config, environment);
  const production = env.preset === "production";
  const naming = Naming.of(config.project.name, env.name, env.generation);
  const ci = config.ci;
  const host = ci?.github.identityEnvironment;
  const hostPool = host === env.name;
  const privilegedGrants = config.access ? splitAccessGrants(config.access.groups, production).bootstrap : [];
  const bootstrap = new Bootstrap(`${naming.prefix}-bootstrap`, {
    project: env.gcpProject,
    region: env.region,
    naming,
    production,
    privilegedGrants,
    // The custom roles the environment binds (the restore test's), created by the owner.
    customRoles: grantedRestoreTestRoles(env.gcpProject, facts.grantedRoles),
    ...(ci && host
      ? {
          ci: {
            repository: ci.github.repository,
            repositoryId: ci.github.repositoryId,
            ownerId: ci.github.ownerId,
            githubEnvironment: githubEnvironmentOf(ci, env.name, production),
            deployRoles: deployRolesFor(facts.resourceTypes),
            delegatedRoles: delegatedRoles(facts.grantedRoles),
            hostPool,
            poolProject: config.environments[host]!.gcpProject,
            // The pool project's number: from config, or (own project only) looked up with the owner's credentials.
            poolProjectNumber: ci.github.poolProjectNumber ?? lookUpOwnNumber(env.gcpProject, config.environments[host]!.gcpProject),
            poolId: workloadIdentityPoolId(config.environments[host]!.generation),
          },
        }
      : {}),
  });
  const ciOut = bootstrap.ci;
  return {
    environment: env.name,
    backendUrl: bootstrap.backendUrl,
    secretsProvider: bootstrap.secretsProvider,
    ...(ciOut
      ? {
          workloadIdentityProvider: ciOut.workloadIdentityProvider,
          deployServiceAccount: ciOut.deployServiceAccount.email,
          previewServiceAccount: ciOut.previewServiceAccount.email,
        }
      : {}),
  };
}

function lookUpOwnNumber(project: string, poolProject: string): pulumi.Input<string> {
  if (project !== poolProject) {
    throw new Error(`the pool project "${poolProject}" is not this environment's project "${project}": set ci.github.poolProjectNumber`);
  }
  return gcp.organizations.getProjectOutput({ projectId: project }).apply((p) => {
    if (!p.number) throw new Error(`project ${project} has no project number`);
    return p.number;
  });
}
