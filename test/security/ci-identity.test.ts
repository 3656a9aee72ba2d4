/** The GitHub Actions identity: one pool in the hosting environment, least-privilege service accounts per environment. */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { deployRoles, previewRoles, principalSet } from "../../src/components/security/ci-identity.js";
import { mockProjectNumber } from "../../src/plan/mocks.js";
import { PlanError, type Plan } from "../../src/plan/run.js";
import { validateConfig } from "../../src/config/load.js";
import { issuesOf, validBase } from "../config/fixtures.js";
import { examplePath, one, ofType, planDir, planProgram } from "../harness.js";

/** examples/bro-ai/brume.yaml `ci.github.poolProjectNumber`. */
const poolNumber = "804519203417";

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

  it("deploys only from main, previews from the repository, through the prod pool, its number from config", () => {
    expect(poolNumber).not.toBe(mockProjectNumber("bro-ai-prod"));
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

describe("the pool project's number (gcp-review 6: no cross-project getProject)", () => {
  const withCi = (github: Record<string, unknown>): Record<string, any> => ({ ...validBase(), ci: { github: { repository: "shop/platform", ...github } } });

  it("is a config error with the gcloud command when environments live outside the pool project", () => {
    expect(issuesOf(withCi({}))).toEqual([
      {
        path: "ci.github.poolProjectNumber",
        message:
          'environments dev live outside the pool project "shop-prod-1234" and cannot look its number up; ' +
          "set ci.github.poolProjectNumber to the output of: gcloud projects describe shop-prod-1234 --format='value(projectNumber)'",
        value: undefined,
      },
    ]);
    expect(() => validateConfig(withCi({ poolProjectNumber: "123456789012" }))).not.toThrow();
  });

  it("accepts digits only: a project id or a leading zero is refused with what is expected", () => {
    for (const bad of ["shop-prod-1234", "0123456789", "12345", "12345678901234567890"]) {
      expect(issuesOf(withCi({ poolProjectNumber: bad })).map((i) => [i.path, i.message])).toEqual([
        ["ci.github.poolProjectNumber", `expected the pool project's number (digits only, e.g. "193746405319"), not its id, got "${bad}"`],
      ]);
    }
  });

  it("property: any decimal int64 without a leading zero (6 to 19 digits) is accepted, anything with a non-digit refused", () => {
    const digits = fc.integer({ min: 5, max: 18 }).chain((n) =>
      fc.tuple(fc.constantFrom(..."123456789"), fc.array(fc.constantFrom(..."0123456789"), { minLength: n, maxLength: n })).map(([first, rest]) => first + rest.join("")),
    );
    fc.assert(
      fc.property(digits, (n) => {
        expect(() => validateConfig(withCi({ poolProjectNumber: n }))).not.toThrow();
      }),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(digits, fc.nat(), fc.constantFrom(..."abz-_ ."), (n, at, ch) => {
        const i = at % (n.length + 1);
        const bad = n.slice(0, i) + ch + n.slice(i);
        expect(issuesOf(withCi({ poolProjectNumber: bad })).map((issue) => issue.path)).toEqual(["ci.github.poolProjectNumber"]);
      }),
      { numRuns: 50 },
    );
  });

  it("is not needed when every environment shares the pool project: the lookup runs through that project's own provider", async () => {
    const config = withCi({});
    config.environments.dev.gcpProject = "shop-prod-1234";
    expect(() => validateConfig(config)).not.toThrow();
    const plan = await planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        const { Naming } = await import("../../src/config/naming.js");
        const { CiIdentity } = await import("../../src/components/security/ci-identity.js");
        const provider = new gcp.Provider("gcp", { project: "shop-prod-1234" });
        new CiIdentity("ci", { project: "shop-prod-1234", naming: Naming.of("shop", "dev"), repository: "shop/platform", hostPool: false, poolProject: "shop-prod-1234" }, { provider });
      },
      { defaultProject: "shop-prod-1234" },
    );
    expect(one(plan, "gcp:serviceaccount/iAMMember:IAMMember", "ci-deploy-wif").inputs.member).toBe(
      principalSet(mockProjectNumber("shop-prod-1234"), "github", "attribute.ref", "refs/heads/main"),
    );
  });

  it("the offline plan refuses getProject of another project, as the real 403 would", async () => {
    const run = planProgram(
      async () => {
        const gcp = await import("@pulumi/gcp");
        const { projectNumberOf } = await import("../../src/components/apis/apis.js");
        const provider = new gcp.Provider("gcp", { project: "shop-dev-1234" });
        const box = new gcp.compute.Network("n", { name: "n" }, { provider });
        new gcp.compute.Network("m", { name: "m", description: projectNumberOf("shop-prod-1234", box) }, { provider });
      },
      { defaultProject: "shop-dev-1234" },
    );
    await expect(run).rejects.toBeInstanceOf(PlanError);
    await expect(run).rejects.toThrow(
      'getProject("shop-prod-1234") runs with the credentials of project "shop-dev-1234", which cannot read another project ' +
        "(resourcemanager.projects.get on shop-prod-1234); the plan cannot know its number: take the project number from config " +
        "(e.g. ci.github.poolProjectNumber) instead of looking it up",
    );
  });

  it("the component refuses a foreign pool project without its number, naming the config key", async () => {
    const run = planProgram(
      async () => {
        const { Naming } = await import("../../src/config/naming.js");
        const { CiIdentity } = await import("../../src/components/security/ci-identity.js");
        new CiIdentity("ci", { project: "shop-dev-1234", naming: Naming.of("shop", "dev"), repository: "shop/platform", hostPool: false, poolProject: "shop-prod-1234" });
      },
      { defaultProject: "shop-dev-1234" },
    );
    await expect(run).rejects.toThrow(/pass poolProjectNumber \(ci\.github\.poolProjectNumber\)/);
  });
});
