/** The GitHub Actions identity: one pool in the hosting environment, least-privilege service accounts per environment. */
import { beforeAll, describe, expect, it } from "vitest";
import { deployRoles, previewRoles, principalSet } from "../../components/security/ci-identity.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import type { Plan } from "../../src/plan/run.js";
import { examplePath, one, ofType, planDir } from "../harness.js";

let prod: Plan;
let stage: Plan;
beforeAll(async () => {
  prod = await planDir(examplePath("bro-ai"), "prod");
  stage = await planDir(examplePath("bro-ai"), "stage");
});

describe("CI identity (bro-ai: ci.github.repository bro-ai/platform, pool in prod)", () => {
  it("prod hosts the pool and a GitHub provider restricted to the repository", () => {
    expect(one(prod, "gcp:iam/workloadIdentityPool:WorkloadIdentityPool", "bro-ai-prod-ci-pool").inputs).toMatchObject({
      project: "bro-ai-prod",
      workloadIdentityPoolId: "github",
    });
    expect(one(prod, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "bro-ai-prod-ci-provider").inputs).toMatchObject({
      workloadIdentityPoolProviderId: "github-actions",
      attributeCondition: 'assertion.repository == "bro-ai/platform"',
      attributeMapping: { "google.subject": "assertion.sub", "attribute.repository": "assertion.repository", "attribute.ref": "assertion.ref" },
      oidc: { issuerUri: "https://token.actions.githubusercontent.com" },
    });
    expect(ofType(stage, "gcp:iam/workloadIdentityPool:WorkloadIdentityPool")).toEqual([]);
  });

  it("deploys only from main, previews from the repository, through the prod pool", () => {
    const poolNumber = mockProjectNumber("bro-ai-prod");
    for (const [plan, env] of [[prod, "prod"], [stage, "stage"]] as const) {
      const deploy = one(plan, "gcp:serviceaccount/iAMMember:IAMMember", `bro-ai-${env}-ci-deploy-wif`);
      expect(deploy.inputs).toMatchObject({
        role: "roles/iam.workloadIdentityUser",
        member: principalSet(poolNumber, "github", "attribute.ref", "refs/heads/main"),
        serviceAccountId: `projects/bro-ai-${env}/serviceAccounts/bro-ai-${env}-deploy@bro-ai-${env}.iam.gserviceaccount.com`,
      });
      const preview = one(plan, "gcp:serviceaccount/iAMMember:IAMMember", `bro-ai-${env}-ci-preview-wif`);
      expect(preview.inputs.member).toBe(principalSet(poolNumber, "github", "attribute.repository", "bro-ai/platform"));
    }
  });

  it("grants exactly the predefined deploy and preview roles, never a basic role", () => {
    const grants = ofType(stage, "gcp:projects/iAMMember:IAMMember").filter((r) => r.name.startsWith("bro-ai-stage-ci-"));
    const byAccount = (part: string) =>
      grants.filter((g) => g.inputs.member === `serviceAccount:bro-ai-stage-${part}@bro-ai-stage.iam.gserviceaccount.com`).map((g) => g.inputs.role).sort();
    expect(byAccount("deploy")).toEqual([...deployRoles].sort());
    expect(byAccount("preview")).toEqual([...previewRoles].sort());
    expect(grants.every((g) => !["roles/owner", "roles/editor", "roles/viewer"].includes(String(g.inputs.role)))).toBe(true);
    expect(grants.every((g) => g.inputs.project === "bro-ai-stage")).toBe(true);
  });
});
