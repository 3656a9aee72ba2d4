/**
 * The CI identities and who may do what (issue 17, gcp-review 7, 8, 17–20): planned by
 * `brume bootstrap` for examples/bro-ai (pool in prod), never by the environment stacks the deploy
 * identity deploys. One table lists, per identity, its roles and conditions; the assertions run
 * on that table. Permissions of predefined roles come from the dated snapshot
 * test/fixtures/predefined-role-permissions.json (source URL inside).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { environmentFacts, planBootstrap } from "../../src/cli/commands/bootstrap.js";
import { projectRoles } from "../../src/components/security/access.js";
import { principalSet } from "../../src/components/security/ci-identity.js";
import { delegatedRoles, deployRolesFor, grantLimitCondition, privilegedRoles, roleForResourceType } from "../../src/components/security/deploy-roles.js";
import { isDataPermission, metadataReaderRole } from "../../src/components/security/read-only-roles.js";
import { validateConfig } from "../../src/config/load.js";
import { runProgram, type Plan } from "../../src/plan/run.js";
import { planStack } from "../../src/plan/stack.js";
import { bootstrapProgram, type EnvironmentFacts } from "../../src/program/bootstrap.js";
import { issuesOf, validBase } from "../config/fixtures.js";
import { examplePath, ofType, one, repoRoot } from "../harness.js";

/** examples/bro-ai/brume.yaml `ci.github`. */
const poolNumber = "804519203417";
const repositoryId = "734120958";
const ownerId = "98120455";

const snapshot = JSON.parse(readFileSync(join(repoRoot, "test/fixtures/predefined-role-permissions.json"), "utf8")) as {
  date: string;
  source: string;
  roles: Record<string, string[]>;
};

interface Planned {
  env: Plan;
  facts: EnvironmentFacts;
  boot: Plan;
}
const planned: Record<"prod" | "stage", Planned> = {} as never;

beforeAll(async () => {
  for (const stack of ["prod", "stage"] as const) {
    const { plan: env, loaded } = await planStack({ stack, configFile: join(examplePath("bro-ai"), "brume.yaml") });
    const facts = environmentFacts(env);
    const boot = await planBootstrap(runProgram, bootstrapProgram, loaded.config, stack, stack, facts, loaded.environment.gcpProject, loaded.environment.region);
    planned[stack] = { env, facts, boot };
  }
}, 120_000);

/** Per identity (project member): its project roles, each with its condition expression or "". */
function identityTable(plan: Plan): Record<string, { role: string; condition: string }[]> {
  const out: Record<string, { role: string; condition: string }[]> = {};
  for (const r of ofType(plan, "gcp:projects/iAMMember:IAMMember")) {
    const member = String(r.inputs.member);
    const condition = (r.inputs.condition as { expression?: string } | undefined)?.expression ?? "";
    (out[member] ??= []).push({ role: String(r.inputs.role), condition });
  }
  for (const list of Object.values(out)) list.sort((a, b) => a.role.localeCompare(b.role));
  return out;
}

/** Permissions of a role: a custom role's list, or the snapshot's data permissions of a predefined one. */
function dataPermissionsOf(role: string): string[] {
  if (role.endsWith(`/roles/${metadataReaderRole.roleId}`)) return metadataReaderRole.permissions.filter(isDataPermission);
  if (!Object.hasOwn(snapshot.roles, role)) throw new Error(`${role} is not in the snapshot of ${snapshot.date}: add it with its documented permissions`);
  return snapshot.roles[role]!;
}

const sa = (env: string, part: string) => `serviceAccount:bro-ai-${env}-${part}@bro-ai-${env}.iam.gserviceaccount.com`;

describe("the pool admits one repository by id, never pull_request_target (gcp-review 19)", () => {
  it("prod's bootstrap hosts the pool; its provider conditions on repository_id and repository_owner_id and maps environment and event_name", () => {
    const provider = one(planned.prod.boot, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "bro-ai-prod-bootstrap-ci-provider");
    expect(provider.inputs).toMatchObject({
      project: "bro-ai-prod",
      workloadIdentityPoolProviderId: "github-actions",
      attributeCondition: `assertion.repository_id == "${repositoryId}" && assertion.repository_owner_id == "${ownerId}" && assertion.event_name != "pull_request_target"`,
      attributeMapping: {
        "google.subject": "assertion.sub",
        "attribute.environment": "assertion.environment",
        "attribute.event_name": "assertion.event_name",
        "attribute.repository_id": "assertion.repository_id",
      },
      oidc: { issuerUri: "https://token.actions.githubusercontent.com" },
    });
    expect(String(provider.inputs.attributeCondition)).not.toContain("bro-ai/platform");
    expect(ofType(planned.stage.boot, "gcp:iam/workloadIdentityPool:WorkloadIdentityPool")).toEqual([]);
  });

  it("the environment stacks hold no pool, provider, CI account or impersonation (the deploy identity does not administer its trust)", () => {
    for (const { env } of Object.values(planned)) {
      expect(ofType(env, "gcp:iam/workloadIdentityPool:WorkloadIdentityPool")).toEqual([]);
      expect(ofType(env, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")).toEqual([]);
      expect(env.resources.filter((r) => r.type.startsWith("gcp:") && /-ci-|deploy|preview/.test(r.name)).map((r) => r.name)).toEqual([]);
      expect(env.resources.filter((r) => String(r.inputs.member ?? "").includes("principalSet://"))).toEqual([]);
    }
  });
});

describe("who may impersonate (gcp-review 7, 17, 18)", () => {
  it.each([
    ["prod", "production"],
    ["stage", "staging"],
  ] as const)("%s: deploy only from jobs of the GitHub environment %s; preview only from pull_request runs; one preview account per environment", (env, githubEnv) => {
    const boot = planned[env].boot;
    expect(one(boot, "gcp:serviceaccount/iAMMember:IAMMember", `bro-ai-${env}-bootstrap-ci-deploy-wif`).inputs).toEqual({
      role: "roles/iam.workloadIdentityUser",
      member: principalSet(poolNumber, "github", "attribute.environment", githubEnv),
      serviceAccountId: `projects/bro-ai-${env}/serviceAccounts/bro-ai-${env}-deploy@bro-ai-${env}.iam.gserviceaccount.com`,
    });
    expect(one(boot, "gcp:serviceaccount/iAMMember:IAMMember", `bro-ai-${env}-bootstrap-ci-preview-wif`).inputs).toEqual({
      role: "roles/iam.workloadIdentityUser",
      member: principalSet(poolNumber, "github", "attribute.event_name", "pull_request"),
      serviceAccountId: `projects/bro-ai-${env}/serviceAccounts/bro-ai-${env}-preview@bro-ai-${env}.iam.gserviceaccount.com`,
    });
    expect(boot.outputs).toMatchObject({
      workloadIdentityProvider: `projects/${poolNumber}/locations/global/workloadIdentityPools/github/providers/github-actions`,
      deployServiceAccount: `bro-ai-${env}-deploy@bro-ai-${env}.iam.gserviceaccount.com`,
      previewServiceAccount: `bro-ai-${env}-preview@bro-ai-${env}.iam.gserviceaccount.com`,
    });
  });
});

describe("least privilege that holds (gcp-review 8, 17, 20): the identity table of examples/bro-ai", () => {
  it("prod: the roles and conditions of each CI identity, exactly", () => {
    const table = identityTable(planned.prod.boot);
    const delegated = delegatedRoles(planned.prod.facts.grantedRoles);
    expect(table[sa("prod", "deploy")]).toEqual(
      [
        ...[
          "roles/artifactregistry.admin",
          "roles/bigquery.dataOwner",
          "roles/binaryauthorization.policyEditor",
          "roles/certificatemanager.editor",
          "roles/cloudkms.admin",
          "roles/cloudscheduler.admin",
          "roles/cloudsql.admin",
          "roles/compute.admin",
          "roles/container.admin",
          "roles/dns.admin",
          "roles/iam.serviceAccountAdmin",
          // actAs on the accounts the stack attaches (node pools, export job, push subscriptions): project-wide for now.
          "roles/iam.serviceAccountUser",
          "roles/logging.configWriter",
          "roles/monitoring.editor",
          "roles/pubsub.admin",
          "roles/redis.admin",
          "roles/secretmanager.admin",
          "roles/servicenetworking.networksAdmin",
          "roles/serviceusage.serviceUsageAdmin",
          "roles/storage.admin",
        ].map((role) => ({ role, condition: "" })),
        { role: "roles/resourcemanager.projectIamAdmin", condition: grantLimitCondition(delegated).expression },
      ].sort((a, b) => a.role.localeCompare(b.role)),
    );
    expect(table[sa("prod", "preview")]!.map((g) => g.role)).toEqual([
      "projects/bro-ai-prod/roles/brumeMetadataReader",
      "roles/browser",
      "roles/cloudkms.viewer",
      "roles/compute.viewer",
      "roles/container.viewer",
      "roles/dns.reader",
      "roles/iam.securityReviewer",
      "roles/iam.serviceAccountViewer",
      "roles/monitoring.viewer",
      "roles/pubsub.viewer",
      "roles/redis.viewer",
      "roles/secretmanager.viewer",
      "roles/serviceusage.serviceUsageViewer",
      "roles/storage.bucketViewer",
    ]);
  });

  it.each(["prod", "stage"] as const)("%s: no basic role and no unconditioned projectIamAdmin, for any identity of either stack", (env) => {
    for (const plan of [planned[env].boot, planned[env].env]) {
      for (const [member, grants] of Object.entries(identityTable(plan))) {
        for (const g of grants) {
          expect(["roles/owner", "roles/editor", "roles/viewer"], `${member} ${g.role}`).not.toContain(g.role);
          if (g.role === "roles/resourcemanager.projectIamAdmin" && member.startsWith("serviceAccount:")) {
            expect(g.condition, member).toMatch(/^api\.getAttribute\('iam\.googleapis\.com\/modifiedGrantsByRole', \[\]\)\.hasOnly\(\[/);
          }
        }
      }
    }
  });

  it.each(["prod", "stage"] as const)("%s: the delegated roles are exactly what the environment stack grants, and none is privileged", (env) => {
    const { env: envPlan, boot } = planned[env];
    const granted = [...new Set(ofType(envPlan, "gcp:projects/iAMMember:IAMMember").map((r) => String(r.inputs.role)))].sort();
    const condition = String((one(boot, "gcp:projects/iAMMember:IAMMember", `bro-ai-${env}-bootstrap-ci-deploy-resourcemanager-projectIamAdmin`).inputs.condition as { expression: string }).expression);
    const listed = [...condition.matchAll(/'([^']+)'/g)].map((m) => m[1]!).filter((r) => r !== "iam.googleapis.com/modifiedGrantsByRole");
    expect(listed).toEqual(granted);
    expect(listed.filter((r) => (privilegedRoles as readonly string[]).includes(r))).toEqual([]);
    // The owner tier is granted by bootstrap, run by a project owner.
    expect(ofType(boot, "gcp:projects/iAMMember:IAMMember").filter((r) => r.name.includes("-bootstrap-owner-")).map((r) => r.inputs.role).sort()).toEqual([
      "roles/billing.projectManager",
      "roles/cloudkms.admin",
      "roles/iam.serviceAccountAdmin",
      "roles/resourcemanager.projectIamAdmin",
    ]);
  });

  it("a privileged role in the stack's grants is refused (it could be granted to CI itself)", () => {
    expect(() => delegatedRoles(["roles/pubsub.viewer", "roles/owner"])).toThrow(/CI may not delegate a privileged role/);
    expect(() => grantLimitCondition([])).toThrow(/no roles to delegate/);
  });

  it.each(["prod", "stage"] as const)("%s: every resource type of the environment has its deploy role, and the deploy account holds it (budgets: the billing account's grant)", (env) => {
    const { facts, boot } = planned[env];
    const held = new Set(identityTable(boot)[sa(env, "deploy")]!.map((g) => g.role));
    for (const type of facts.resourceTypes) {
      const role = roleForResourceType(type);
      if (role === undefined || role === "roles/billing.costsManager") continue;
      expect(held.has(role), `${type} needs ${role}`).toBe(true);
    }
    expect(deployRolesFor(facts.resourceTypes)).toContain("roles/bigquery.dataOwner");
    expect(deployRolesFor(facts.resourceTypes)).toContain("roles/cloudscheduler.admin");
    expect(() => roleForResourceType("gcp:bigtable/instance:Instance")).toThrow(/no deploy role is known for resource type "gcp:bigtable\/instance:Instance"/);
  });

  it.each(["prod", "stage"] as const)("%s: no preview role and no viewer role holds an export or payload permission (predefined roles: the dated snapshot)", (env) => {
    const table = identityTable(planned[env].boot);
    for (const g of table[sa(env, "preview")]!) expect(dataPermissionsOf(g.role), g.role).toEqual([]);
    // Read-only humans: viewers everywhere, developers in production.
    for (const role of [...projectRoles("viewer", true), ...projectRoles("developer", true)]) {
      const name = role === "brume:metadataReader" ? `projects/bro-ai-${env}/roles/${metadataReaderRole.roleId}` : role;
      expect(dataPermissionsOf(name), role).toEqual([]);
    }
    const humans = Object.entries(identityTable(planned[env].env)).filter(([m]) => m.startsWith("group:platform-viewers") || m.startsWith("group:"));
    expect(humans.length).toBeGreaterThan(0);
  });

  it("the snapshot is live: the roles it replaces do carry what the review found", () => {
    expect(snapshot.source).toMatch(/^https:\/\/cloud\.google\.com\/iam\/docs\/roles-permissions/);
    expect(dataPermissionsOf("roles/cloudsql.viewer")).toEqual(["cloudsql.instances.export"]);
    expect(dataPermissionsOf("roles/logging.viewer")).toEqual(["logging.logEntries.list"]);
    expect(metadataReaderRole.permissions.some((p) => p.startsWith("cloudsql.instances."))).toBe(true);
  });
});

describe("state: bucket and secrets key (item 4)", () => {
  it.each(["prod", "stage"] as const)("%s: a versioned, uniform, public-access-prevented, protected state bucket and a protected rotating key", (env) => {
    const boot = planned[env].boot;
    const bucket = one(boot, "gcp:storage/bucket:Bucket", `bro-ai-${env}-bootstrap-state`);
    expect(bucket.inputs).toMatchObject({
      name: `bro-ai-${env}-pulumi-state`,
      project: `bro-ai-${env}`,
      location: "us-central1",
      versioning: { enabled: true },
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      forceDestroy: false,
    });
    expect(bucket.protect).toBe(true);
    const key = one(boot, "gcp:kms/cryptoKey:CryptoKey", `bro-ai-${env}-bootstrap-secrets-key`);
    expect(key.protect).toBe(true);
    expect(key.inputs).toMatchObject({ purpose: "ENCRYPT_DECRYPT", rotationPeriod: "7776000s" });
    expect(boot.outputs).toMatchObject({
      backendUrl: `gs://bro-ai-${env}-pulumi-state`,
      secretsProvider: `gcpkms://projects/bro-ai-${env}/locations/us-central1/keyRings/bro-ai-${env}-pulumi/cryptoKeys/pulumi-secrets`,
    });
  });

  it("the deploy account encrypts and decrypts; the preview account decrypts staging state only, never production's", () => {
    const keyGrants = (env: "prod" | "stage") =>
      ofType(planned[env].boot, "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember").map((r) => `${String(r.inputs.member)} ${String(r.inputs.role)}`).sort();
    expect(keyGrants("prod")).toEqual([`${sa("prod", "deploy")} roles/cloudkms.cryptoKeyEncrypterDecrypter`]);
    expect(keyGrants("stage")).toEqual([`${sa("stage", "deploy")} roles/cloudkms.cryptoKeyEncrypterDecrypter`, `${sa("stage", "preview")} roles/cloudkms.cryptoKeyDecrypter`].sort());
  });

  it("the preview account reads state and writes only Pulumi's lock objects", () => {
    const grants = ofType(planned.prod.boot, "gcp:storage/bucketIAMMember:BucketIAMMember").map((r) => ({
      member: r.inputs.member,
      role: r.inputs.role,
      condition: (r.inputs.condition as { expression?: string } | undefined)?.expression,
    }));
    expect(grants).toHaveLength(3);
    expect(grants).toEqual(expect.arrayContaining([
      { member: sa("prod", "deploy"), role: "roles/storage.objectUser", condition: undefined },
      { member: sa("prod", "preview"), role: "roles/storage.objectViewer", condition: undefined },
      { member: sa("prod", "preview"), role: "roles/storage.objectUser", condition: 'resource.name.startsWith("projects/_/buckets/bro-ai-prod-pulumi-state/objects/.pulumi/locks/")' },
    ]));
  });
});

describe("config: ids, not names; the pool project's number (gcp-review 6, 19)", () => {
  const withCi = (github: Record<string, unknown>): Record<string, any> => ({
    ...validBase(),
    ci: { github: { repository: "shop/platform", repositoryId: "812345678", ownerId: "1234567", poolProjectNumber: "123456789012", ...github } },
  });

  it("repositoryId and ownerId are required, digits only, and name what to run", () => {
    const missing = withCi({});
    delete missing.ci.github.repositoryId;
    expect(issuesOf(missing).map((i) => i.path)).toEqual(["ci.github.repositoryId"]);
    expect(issuesOf(withCi({ ownerId: "shop" })).map((i) => [i.path, i.message])).toEqual([
      ["ci.github.ownerId", `expected the repository owner's numeric id (digits only, e.g. "812345678"), not its name, got "shop"`],
    ]);
    expect(() => validateConfig(withCi({}))).not.toThrow();
  });

  it("property: any id of 1 to 20 digits without a leading zero is accepted; one with a non-digit is refused", () => {
    const digits = fc.integer({ min: 0, max: 19 }).chain((n) =>
      fc.tuple(fc.constantFrom(..."123456789"), fc.array(fc.constantFrom(..."0123456789"), { minLength: n, maxLength: n })).map(([first, rest]) => first + rest.join("")),
    );
    fc.assert(fc.property(digits, (id) => void expect(() => validateConfig(withCi({ repositoryId: id }))).not.toThrow()), { numRuns: 50 });
    fc.assert(
      fc.property(digits, fc.constantFrom(..."abz-_ ./"), (id, ch) => {
        expect(issuesOf(withCi({ repositoryId: id + ch })).map((i) => i.path)).toEqual(["ci.github.repositoryId"]);
      }),
      { numRuns: 50 },
    );
  });

  it("the pool number is required when environments live outside the pool project, with the gcloud command", () => {
    const config = withCi({});
    delete config.ci.github.poolProjectNumber;
    expect(issuesOf(config)).toEqual([
      {
        path: "ci.github.poolProjectNumber",
        message:
          'environments dev live outside the pool project "shop-prod-1234" and cannot look its number up; ' +
          "set ci.github.poolProjectNumber to the output of: gcloud projects describe shop-prod-1234 --format='value(projectNumber)'",
        value: undefined,
      },
    ]);
    for (const bad of ["shop-prod-1234", "0123456789", "12345"]) {
      expect(issuesOf(withCi({ poolProjectNumber: bad })).map((i) => [i.path, i.message])).toEqual([
        ["ci.github.poolProjectNumber", `expected the pool project's number (digits only, e.g. "193746405319"), not its id, got "${bad}"`],
      ]);
    }
  });

  it("ci.github.environments names an unknown environment: refused with the known ones", () => {
    expect(issuesOf(withCi({ environments: { prd: "production" } })).map((i) => i.path)).toEqual(["ci.github.environments.prd"]);
  });
});
