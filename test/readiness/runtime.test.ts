/**
 * The readiness waits against loopback fakes of the APIs they poll: ready after N polls, the
 * timeout error naming what was waited for, errors that waiting cannot cure surfacing at once.
 * The clock is fake (it advances by each backoff delay), so nothing sleeps.
 */
import { generateKeyPairSync, createVerify } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { adcToken, processTokenEnv, runWait, waitUntilReady, type WaitDeps, type WaitInputs } from "../../src/components/readiness/runtime.js";
import { fakeClock, fakeGoogle, googleErrorAnswer, serviceDisabled, type FakeGoogle } from "./fake-google.js";

const bounds = { timeoutSeconds: 600, maxPolls: 10, initialDelayMs: 2000, maxDelayMs: 30_000 };
let fake: FakeGoogle | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function deps(clock = fakeClock(), user = false): WaitDeps & { clock: ReturnType<typeof fakeClock> } {
  return { fetch: (url, init) => fetch(url, init), clock, token: async () => ({ token: "test-token", user }) };
}

function apiWait(url: string, over: Partial<typeof bounds> = {}): WaitInputs {
  return {
    kind: "api",
    what: "secretmanager.googleapis.com to answer in project p",
    project: "p",
    service: "secretmanager.googleapis.com",
    probeUrl: `${url}/v1/projects/p/secrets?pageSize=1`,
    ...bounds,
    ...over,
  };
}

describe("waitUntilReady (bounded exponential backoff)", () => {
  test("doubles the delay up to the cap and stops at the first ready answer", async () => {
    const clock = fakeClock();
    const answers = ["waiting", "waiting", "waiting", "waiting", "waiting", "ready"] as const;
    const result = await waitUntilReady("x", async (poll) => ({ state: answers[poll - 1]!, observed: `poll ${poll}` }), { ...bounds, maxDelayMs: 10_000 }, clock);
    expect(result).toEqual({ polls: 6, observed: "poll 6" });
    expect(clock.sleeps).toEqual([2000, 4000, 8000, 10_000, 10_000]);
  });

  test("gives up at the time bound before sleeping past it", async () => {
    const clock = fakeClock();
    const error = await waitUntilReady("the thing", async () => ({ state: "waiting", observed: "not yet" }), { timeoutSeconds: 30, maxPolls: 100, initialDelayMs: 2000, maxDelayMs: 30_000 }, clock).catch((e: Error) => e);
    // 2 + 4 + 8 + 16 = 30 s slept; the next delay (30 s) would end past the 30 s bound.
    expect(clock.sleeps).toEqual([2000, 4000, 8000, 16_000]);
    expect((error as Error).message).toBe(
      "readiness: timed out waiting for the thing after 5 polls in 30s (bound: 100 polls, 30s); last answer: not yet. Run `pulumi up` again once it is ready, or raise the wait's timeoutSeconds.",
    );
  });
});

describe("ApiReadiness: polls a cheap read until it stops answering SERVICE_DISABLED", () => {
  test("ready after 3 polls: two SERVICE_DISABLED answers, then 200", async () => {
    fake = await fakeGoogle({ "GET /v1/projects/p/secrets": [serviceDisabled("secretmanager.googleapis.com"), serviceDisabled("secretmanager.googleapis.com"), { status: 200, body: {} }] });
    const d = deps();
    const result = await runWait(apiWait(fake.url), d);
    expect(result.polls).toBe(3);
    expect(result.observed).toBe("HTTP 200");
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(Array(3).fill("GET /v1/projects/p/secrets?pageSize=1"));
    expect(fake.requests[0]!.headers.authorization).toBe("Bearer test-token");
    // Service-account tokens carry their own project: no quota-project header.
    expect(fake.requests[0]!.headers["x-goog-user-project"]).toBeUndefined();
    expect(d.clock.sleeps).toEqual([2000, 4000]);
  });

  test("Compute's older accessNotConfigured answer, 429 and 503 are waited out too", async () => {
    const legacy = { status: 403, body: { error: { code: 403, message: "Access Not Configured. Compute Engine API has not been used in project 1 before or it is disabled.", errors: [{ reason: "accessNotConfigured" }] } } };
    fake = await fakeGoogle({ "GET /v1/projects/p/secrets": [legacy, googleErrorAnswer(429, "RESOURCE_EXHAUSTED", "slow down"), googleErrorAnswer(503, "UNAVAILABLE", "try again"), { status: 200, body: {} }] });
    expect((await runWait(apiWait(fake.url), deps())).polls).toBe(4);
  });

  test("a 403 about the caller's permissions means the API answered: ready, with the answer kept", async () => {
    fake = await fakeGoogle({ "GET /v1/projects/p/secrets": [googleErrorAnswer(403, "PERMISSION_DENIED", "Permission 'secretmanager.secrets.list' denied", "IAM_PERMISSION_DENIED")] });
    const result = await runWait(apiWait(fake.url), deps());
    expect(result.polls).toBe(1);
    expect(result.observed).toMatch(/^HTTP 403 IAM_PERMISSION_DENIED: Permission 'secretmanager.secrets.list' denied \(the API answered/);
  });

  test("times out with an error naming the API, the bound and the last answer", async () => {
    fake = await fakeGoogle({ "GET /v1/projects/p/secrets": [serviceDisabled("secretmanager.googleapis.com")] });
    const error = await runWait(apiWait(fake.url, { maxPolls: 3 }), deps()).catch((e: Error) => e);
    expect(fake.requests).toHaveLength(3);
    expect((error as Error).message).toMatch(
      /^readiness: timed out waiting for secretmanager\.googleapis\.com to answer in project p after 3 polls in 6s \(bound: 3 polls, 600s\); last answer: HTTP 403 SERVICE_DISABLED: secretmanager\.googleapis\.com has not been used in project 123456789012/,
    );
  });

  test.each([
    [401, "UNAUTHENTICATED", "Request had invalid authentication credentials."],
    [404, "NOT_FOUND", "Project 'p' not found or deleted."],
    [400, "INVALID_ARGUMENT", "Invalid resource field value in the request."],
  ])("HTTP %i surfaces at once, without retrying", async (status, name, message) => {
    fake = await fakeGoogle({ "GET /v1/projects/p/secrets": [googleErrorAnswer(status, name, message), { status: 200, body: {} }] });
    const d = deps();
    const error = await runWait(apiWait(fake.url), d).catch((e: Error) => e);
    expect(fake.requests).toHaveLength(1);
    expect(d.clock.sleeps).toEqual([]);
    expect((error as Error).message).toBe(
      `readiness: secretmanager.googleapis.com to answer in project p: HTTP ${status} ${name}: ${message} (not retried: waiting does not change this answer)`,
    );
  });

  test("user credentials name the environment's project as quota project", async () => {
    fake = await fakeGoogle({ "GET /v1/projects/p/secrets": [{ status: 200, body: {} }] });
    await runWait(apiWait(fake.url), deps(fakeClock(), true));
    expect(fake.requests[0]!.headers["x-goog-user-project"]).toBe("p");
  });
});

describe("CmekReadiness: a throwaway CMEK secret until Secret Manager's agent can use the key", () => {
  const key = "projects/p/locations/us-central1/keyRings/r/cryptoKeys/secrets";
  const cmekWait = (url: string, over: Partial<typeof bounds> = {}): WaitInputs => ({
    kind: "cmek",
    what: "Secret Manager's agent to encrypt with the key in us-central1 (project p)",
    project: "p",
    kmsKeyName: key,
    location: "us-central1",
    secretManagerUrl: `${url}/v1`,
    probeSecretId: "probe",
    ...bounds,
    ...over,
  });
  const denied = googleErrorAnswer(400, "FAILED_PRECONDITION", `Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource '${key}' (or it may not exist).`);

  test("ready once a version is encrypted; the probe secret is created once with the key, then deleted", async () => {
    fake = await fakeGoogle({
      "POST /v1/projects/p/secrets": [{ status: 200, body: { name: "projects/p/secrets/probe" } }],
      "POST /v1/projects/p/secrets/probe:addVersion": [denied, denied, { status: 200, body: { name: "projects/p/secrets/probe/versions/1" } }],
      "DELETE /v1/projects/p/secrets/probe": [{ status: 200, body: {} }],
    });
    const result = await runWait(cmekWait(fake.url), deps());
    expect(result).toEqual({ polls: 3, observed: `a version of probe was encrypted with ${key}` });
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/projects/p/secrets?secretId=probe",
      "POST /v1/projects/p/secrets/probe:addVersion",
      "POST /v1/projects/p/secrets/probe:addVersion",
      "POST /v1/projects/p/secrets/probe:addVersion",
      "DELETE /v1/projects/p/secrets/probe",
    ]);
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({
      replication: { userManaged: { replicas: [{ location: "us-central1", customerManagedEncryption: { kmsKeyName: key } }] } },
      labels: { "brume-readiness-probe": "cmek" },
    });
  });

  test("the denial at secret creation is waited out too; a probe left by an interrupted run (409) is reused", async () => {
    fake = await fakeGoogle({
      "POST /v1/projects/p/secrets": [denied, googleErrorAnswer(409, "ALREADY_EXISTS", "Secret [probe] already exists.")],
      "POST /v1/projects/p/secrets/probe:addVersion": [{ status: 200, body: {} }],
      "DELETE /v1/projects/p/secrets/probe": [{ status: 200, body: {} }],
    });
    expect((await runWait(cmekWait(fake.url), deps())).polls).toBe(2);
    expect(fake.requests.at(-1)!.method).toBe("DELETE");
  });

  test("times out naming the key's location, and still deletes the probe", async () => {
    fake = await fakeGoogle({
      "POST /v1/projects/p/secrets": [{ status: 200, body: {} }],
      "POST /v1/projects/p/secrets/probe:addVersion": [denied],
      "DELETE /v1/projects/p/secrets/probe": [{ status: 200, body: {} }],
    });
    const error = await runWait(cmekWait(fake.url, { maxPolls: 2 }), deps()).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/^readiness: timed out waiting for Secret Manager's agent to encrypt with the key in us-central1 \(project p\) after 2 polls .*useToEncrypt' denied/);
    expect(fake.requests.at(-1)!.method).toBe("DELETE");
  });

  test("a key in the wrong location is not a propagation delay: fails at once", async () => {
    fake = await fakeGoogle({
      "POST /v1/projects/p/secrets": [googleErrorAnswer(400, "INVALID_ARGUMENT", "Replica location [us-central1] does not match the location of the Cloud KMS key [us-east1].")],
    });
    const error = await runWait(cmekWait(fake.url), deps()).catch((e: Error) => e);
    expect(fake.requests).toHaveLength(1);
    expect((error as Error).message).toContain("creating probe secret: HTTP 400 INVALID_ARGUMENT: Replica location [us-central1] does not match");
  });
});

describe("IamMemberReadiness: the grant to a just-created identity, retried while IAM does not resolve it", () => {
  const member = "serviceAccount:service-123@cloud-cdn-fill.iam.gserviceaccount.com";
  const memberWait = (resourceUrl: string, policyStyle: "storage" | "v1"): WaitInputs => ({
    kind: "iam-member",
    what: `IAM to accept ${member} for roles/storage.objectViewer`,
    project: "p",
    resourceUrl,
    policyStyle,
    role: "roles/storage.objectViewer",
    member,
    ...bounds,
  });
  const notFound = googleErrorAnswer(400, "INVALID_ARGUMENT", `Service account service-123@cloud-cdn-fill.iam.gserviceaccount.com does not exist.`);
  const policy = { bindings: [{ role: "roles/storage.legacyBucketOwner", members: ["projectOwner:p"] }], etag: "CAE=" };

  test("bucket (storage style): reads the policy, adds the member, retries the write until IAM accepts it", async () => {
    fake = await fakeGoogle({
      "GET /storage/v1/b/assets/iam": [{ status: 200, body: policy }],
      "PUT /storage/v1/b/assets/iam": [notFound, notFound, { status: 200, body: {} }],
    });
    const result = await runWait(memberWait(`${fake.url}/storage/v1/b/assets`, "storage"), deps());
    expect(result).toEqual({ polls: 3, observed: `IAM accepted ${member} for roles/storage.objectViewer` });
    expect(JSON.parse(fake.requests[1]!.body)).toEqual({
      bindings: [...policy.bindings, { role: "roles/storage.objectViewer", members: [member] }],
      etag: "CAE=",
    });
  });

  test("a member already bound is ready without a write", async () => {
    fake = await fakeGoogle({ "GET /storage/v1/b/assets/iam": [{ status: 200, body: { bindings: [{ role: "roles/storage.objectViewer", members: ["user:a@b.c", member] }], etag: "x" } }] });
    expect((await runWait(memberWait(`${fake.url}/storage/v1/b/assets`, "storage"), deps())).polls).toBe(1);
    expect(fake.requests.map((r) => r.method)).toEqual(["GET"]);
  });

  test("KMS key (v1 style): getIamPolicy / setIamPolicy, an etag conflict retried", async () => {
    const keyPath = "/v1/projects/p/locations/us-central1/keyRings/r/cryptoKeys/secrets";
    fake = await fakeGoogle({
      [`GET ${keyPath}:getIamPolicy`]: [{ status: 200, body: { etag: "BwY=" } }],
      [`POST ${keyPath}:setIamPolicy`]: [googleErrorAnswer(409, "ABORTED", "There were concurrent policy changes."), { status: 200, body: {} }],
    });
    expect((await runWait(memberWait(`${fake.url}${keyPath}`, "v1"), deps())).polls).toBe(2);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${keyPath}:getIamPolicy?options.requestedPolicyVersion=3`,
      `POST ${keyPath}:setIamPolicy`,
      `GET ${keyPath}:getIamPolicy?options.requestedPolicyVersion=3`,
      `POST ${keyPath}:setIamPolicy`,
    ]);
    expect(JSON.parse(fake.requests[1]!.body)).toEqual({ policy: { etag: "BwY=", bindings: [{ role: "roles/storage.objectViewer", members: [member] }] } });
  });

  test("a denied write (the deployer may not set IAM) surfaces at once", async () => {
    fake = await fakeGoogle({
      "GET /storage/v1/b/assets/iam": [{ status: 200, body: policy }],
      "PUT /storage/v1/b/assets/iam": [googleErrorAnswer(403, "PERMISSION_DENIED", "ci@p.iam.gserviceaccount.com does not have storage.buckets.setIamPolicy access")],
    });
    const error = await runWait(memberWait(`${fake.url}/storage/v1/b/assets`, "storage"), deps()).catch((e: Error) => e);
    expect(fake.requests).toHaveLength(2);
    expect((error as Error).message).toContain("writing the IAM policy: HTTP 403 PERMISSION_DENIED: ci@p.iam.gserviceaccount.com does not have storage.buckets.setIamPolicy");
  });
});

describe("credentials: Application Default Credentials without a client library", () => {
  const source = (env: Record<string, string | undefined>, home = mkdtempSync(join(tmpdir(), "adc-"))) => ({ ...processTokenEnv(), env, home, nowSeconds: () => 1_700_000_000 });

  test("GOOGLE_OAUTH_ACCESS_TOKEN is used as is", async () => {
    expect(await adcToken(source({ GOOGLE_OAUTH_ACCESS_TOKEN: "ya29.direct" }))).toEqual({ token: "ya29.direct", user: false });
  });

  test("gcloud's authorized_user file: refresh-token grant at its token endpoint, a user token", async () => {
    fake = await fakeGoogle({ "POST /token": [{ status: 200, body: { access_token: "ya29.user", expires_in: 3599 } }] });
    const config = mkdtempSync(join(tmpdir(), "gcloud-"));
    writeFileSync(join(config, "application_default_credentials.json"), JSON.stringify({ type: "authorized_user", client_id: "cid", client_secret: "cs", refresh_token: "rt", token_uri: `${fake.url}/token` }));
    expect(await adcToken(source({ CLOUDSDK_CONFIG: config }))).toEqual({ token: "ya29.user", user: true });
    expect(new URLSearchParams(fake.requests[0]!.body).toString()).toBe("grant_type=refresh_token&client_id=cid&client_secret=cs&refresh_token=rt");
  });

  test("a service account key: an RS256 JWT grant the token endpoint can verify with the public key", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    fake = await fakeGoogle({
      "POST /token": (req) => {
        const assertion = new URLSearchParams(req.body).get("assertion")!;
        const [header, claims, signature] = assertion.split(".");
        const valid = createVerify("RSA-SHA256").update(`${header}.${claims}`).verify(publicKey, signature!, "base64url");
        const c = JSON.parse(Buffer.from(claims!, "base64url").toString()) as Record<string, unknown>;
        const ok = valid && c["iss"] === "deployer@p.iam.gserviceaccount.com" && c["aud"] === `${fake!.url}/token` && c["exp"] === 1_700_003_600;
        return ok ? { status: 200, body: { access_token: "ya29.sa" } } : { status: 400, body: { error: "invalid_grant" } };
      },
    });
    const file = join(mkdtempSync(join(tmpdir(), "sa-")), "key.json");
    writeFileSync(file, JSON.stringify({ type: "service_account", client_email: "deployer@p.iam.gserviceaccount.com", private_key_id: "k1", private_key: privateKey.export({ type: "pkcs8", format: "pem" }), token_uri: `${fake.url}/token` }));
    expect(await adcToken(source({ GOOGLE_APPLICATION_CREDENTIALS: file }))).toEqual({ token: "ya29.sa", user: false });
    expect(new URLSearchParams(fake.requests[0]!.body).get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
  });

  test("no file: the metadata server at GCE_METADATA_HOST, with Metadata-Flavor", async () => {
    fake = await fakeGoogle({ "GET /computeMetadata/v1/instance/service-accounts/default/token": [{ status: 200, body: { access_token: "ya29.gce" } }] });
    expect(await adcToken(source({ GCE_METADATA_HOST: fake.host }))).toEqual({ token: "ya29.gce", user: false });
    expect(fake.requests[0]!.headers["metadata-flavor"]).toBe("Google");
  });

  test("a GOOGLE_APPLICATION_CREDENTIALS file that cannot be read fails naming it", async () => {
    await expect(adcToken(source({ GOOGLE_APPLICATION_CREDENTIALS: "/nonexistent/key.json" }))).rejects.toThrow(
      "readiness: GOOGLE_APPLICATION_CREDENTIALS names /nonexistent/key.json, which cannot be read",
    );
  });
});

describe("waitUntilReady bounds (property)", () => {
  test("never polls more than maxPolls, never sleeps past timeoutSeconds, delays never exceed maxDelayMs", async () => {
    const fc = await import("fast-check");
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          timeoutSeconds: fc.integer({ min: 0, max: 3600 }),
          maxPolls: fc.integer({ min: 1, max: 200 }),
          initialDelayMs: fc.integer({ min: 0, max: 10_000 }),
          maxDelayMs: fc.integer({ min: 1, max: 60_000 }),
        }),
        fc.integer({ min: 1, max: 300 }),
        async (b, readyAt) => {
          const clock = fakeClock();
          let polls = 0;
          const outcome = await waitUntilReady("p", async (poll) => {
            polls = poll;
            return poll >= readyAt ? { state: "ready", observed: "" } : { state: "waiting", observed: "" };
          }, b, clock).then(() => "ready", (e: Error) => e.message);
          expect(polls).toBeLessThanOrEqual(b.maxPolls);
          expect(clock.now()).toBeLessThanOrEqual(b.timeoutSeconds * 1000);
          expect(clock.sleeps.every((d) => d <= b.maxDelayMs)).toBe(true);
          // Ready within the bounds means ready; otherwise a timeout naming the bound.
          if (outcome !== "ready") expect(outcome).toMatch(new RegExp(`^readiness: timed out waiting for p after ${polls} polls .*\\(bound: ${b.maxPolls} polls, ${b.timeoutSeconds}s\\)`));
          else expect(polls).toBe(readyAt);
        },
      ),
      { numRuns: 300 },
    );
  });
});
