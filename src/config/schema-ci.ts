/**
 * The `ci` section (issue 17): who may reach a cloud identity from GitHub Actions. The pool admits
 * tokens by the repository's and owner's numeric ids, never by name: a deleted repository or
 * organization name can be claimed by someone else (google-github-actions/auth, "Security
 * considerations"; gcp-review 19). GitHub's OIDC token carries `repository_id`,
 * `repository_owner_id`, `environment` and `event_name` (docs.github.com, "About security hardening
 * with OpenID Connect", token claims).
 */
import { z } from "zod";
import { dnsLabel, strict } from "./primitives.js";

/** GitHub's numeric ids (`gh api repos/OWNER/NAME --jq '.id, .owner.id'`): decimal, no leading zero. */
const githubId = (what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,19}$/, { error: `expected the ${what}'s numeric id (digits only, e.g. "812345678"), not its name` })
    .meta({ description: `Numeric id of the ${what} (gh api repos/OWNER/NAME --jq '${what === "repository" ? ".id" : ".owner.id"}').` });

/** A GitHub environment name as the token's `environment` claim carries it. */
const githubEnvironmentName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,255}$/, { error: "expected a GitHub environment name: letters, digits, '_', '.', '-'" });

export const ciSchema = strict({
  github: strict({
    repository: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { error: 'expected a GitHub repository "owner/name"' })
      .meta({ description: "The repository whose Actions may impersonate the CI service accounts (its ids decide; the name labels)." }),
    repositoryId: githubId("repository"),
    ownerId: githubId("repository owner"),
    deployBranch: z
      .string()
      .min(1)
      .default("main")
      .meta({ description: "Branch the deploy workflow runs on; restrict the GitHub environments' deployment branches to it (docs/pipeline.md)." }),
    environments: z
      .record(dnsLabel, githubEnvironmentName)
      .default({})
      .meta({
        description:
          "GitHub environment (the token's `environment` claim) whose jobs may deploy each brume environment. Default: `production` for production environments, `staging` for `stage`, else the environment's name.",
      }),
    identityEnvironment: dnsLabel
      .default("prod")
      .meta({ description: "Environment whose GCP project hosts the Workload Identity pool shared by all environments." }),
    // A project number is an int64 in decimal (Resource Manager `Project.projectNumber`); numbers
    // of current projects have 12 digits, older ones fewer. A project *id* starts with a letter.
    poolProjectNumber: z
      .string()
      .regex(/^[1-9][0-9]{5,18}$/, { error: 'expected the pool project\'s number (digits only, e.g. "193746405319"), not its id' })
      .optional()
      .meta({
        description:
          "Number of the identityEnvironment's GCP project (`gcloud projects describe <id> --format='value(projectNumber)'`). Required when environments live in other projects: their credentials cannot look it up.",
      }),
  }),
}).meta({ description: "Keyless CI: Workload Identity Federation for GitHub Actions, deploy and preview service accounts (created by `brume bootstrap`)." });

export type CiConfig = z.output<typeof ciSchema>;

/** The GitHub environment that gates deploys of a brume environment (`ci.github.environments`, else the default). */
export function githubEnvironmentOf(ci: CiConfig, environment: string, production: boolean): string {
  if (Object.hasOwn(ci.github.environments, environment)) return ci.github.environments[environment]!;
  if (production) return "production";
  return environment === "stage" ? "staging" : environment;
}
