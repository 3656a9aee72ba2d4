/**
 * `brume env <service> --stack <env>` (src/cli/commands/env.ts): the contract's variables for
 * local development, the files to fetch and the Cloud SQL Auth Proxy command, for the examples.
 */
import { describe, expect, it } from "vitest";
import { brume, examplePath } from "../harness.js";

describe("brume env", () => {
  it("api in bro-ai prod: iam mode, the proxy impersonating its GSA, the cache's files", async () => {
    const r = await brume("env", "api", "--stack", "prod", "--config", examplePath("bro-ai", "brume.yaml"));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("export DB_USER='bro-ai-prod-api@bro-ai-prod.iam'\n");
    expect(r.stdout).toContain("export DB_INSTANCE_CONNECTION_NAME='bro-ai-prod:us-central1:bro-ai-prod-main'\n");
    expect(r.stdout).toContain("gcloud secrets versions access latest --secret=bro-ai-prod-sessions-ca --project=bro-ai-prod > ./.brume/api/REDIS_CA\n");
    expect(r.stdout).toContain(
      "cloud-sql-proxy --private-ip --auto-iam-authn --address=127.0.0.1 --port=5432 --structured-logs --exit-zero-on-sigterm bro-ai-prod:us-central1:bro-ai-prod-main --impersonate-service-account=bro-ai-prod-api@bro-ai-prod.iam.gserviceaccount.com\n",
    );
  });

  it("worker in stage: password mode, its own password file, the stage overrides' pool budget", async () => {
    const r = await brume("env", "worker", "--stack", "stage", "--config", examplePath("bro-ai", "brume.yaml"));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("export DB_USER='worker'\n");
    expect(r.stdout).toContain("export DB_PASSWORD_FILE='./.brume/worker/DB_PASSWORD'\n");
    expect(r.stdout).toContain("--secret=bro-ai-stage-main-worker-password");
    expect(r.stdout).not.toContain("--auto-iam-authn");
  });

  it("refuses an unknown service with the declared ones, and a missing --stack", async () => {
    const r = await brume("env", "nope", "--stack", "prod", "--config", examplePath("bro-ai", "brume.yaml"));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown service "nope"');
    const u = await brume("env", "api", "--config", examplePath("bro-ai", "brume.yaml"));
    expect(u.code).toBe(2);
    expect(u.stderr).toContain("env needs --stack <env>");
  });
});
