/** `brume bootstrap --stack <env>` (issue 17 item 4): the plan's summary and the lines the owner runs next. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/main.js";
import { examplePath } from "../harness.js";

async function bootstrap(stack: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(["bootstrap", "--stack", stack, "--config", join(examplePath("bro-ai"), "brume.yaml")], { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join(""), err: err.join("") };
}

describe("brume bootstrap", () => {
  it("prod: prints pulumi login gs://…, the gcpkms secrets provider and the GitHub variables, from the bootstrap plan", async () => {
    const { code, out, err } = await bootstrap("prod");
    expect(code, err).toBe(0);
    const key = "gcpkms://projects/bro-ai-prod/locations/us-central1/keyRings/bro-ai-prod-pulumi/cryptoKeys/pulumi-secrets";
    expect(out.split("\n").filter((l) => !l.startsWith("#"))).toEqual([
      "pulumi login gs://bro-ai-prod-pulumi-state",
      `pulumi stack init prod --secrets-provider ${key}`,
      "gh variable set GCP_WORKLOAD_IDENTITY_PROVIDER --body 'projects/804519203417/locations/global/workloadIdentityPools/github/providers/github-actions'",
      "gh variable set PULUMI_BACKEND_URL_PROD --body 'gs://bro-ai-prod-pulumi-state'",
      "gh variable set GCP_PROD_DEPLOY_SERVICE_ACCOUNT --body 'bro-ai-prod-deploy@bro-ai-prod.iam.gserviceaccount.com'",
      "gh variable set GCP_PROD_PREVIEW_SERVICE_ACCOUNT --body 'bro-ai-prod-preview@bro-ai-prod.iam.gserviceaccount.com'",
      "",
    ]);
    expect(err).toMatch(/^bootstrap of prod: \d+ resources \(.*1 WorkloadIdentityPool, 1 WorkloadIdentityPoolProvider.*1 Bucket\)$/m);
  }, 60_000);

  it("an unknown stack is a config error naming the stack file, not a stack trace", async () => {
    const { code, err } = await bootstrap("qa");
    expect(code).toBe(1);
    expect(err).not.toMatch(/\n\s+at /);
  }, 60_000);
});
