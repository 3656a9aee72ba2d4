/**
 * The readiness waits' runtime: what runs inside `pulumi up`, in the dynamic provider process.
 *
 * Pulumi ships a dynamic provider to its provider process by closure serialization
 * (`@pulumi/pulumi/dynamic` → `runtime/closure/serializeClosure`): the code of the provider object
 * and of every function it reaches is copied as source text and re-evaluated there with
 * `require-from-string`, in a CommonJS context. Imports are where that breaks (a captured module
 * object drags Node internals along: pulumi/pulumi#8090, #13960, #18977, #5294 with ESM), so this
 * module has NO imports and no import-time side effects: it uses globals only (`fetch`,
 * `setTimeout`, `AbortSignal`, `process`) and loads Node built-ins at call time with
 * `process.getBuiltinModule` (Node ≥ 20.16), which exists both where the package is loaded as ESM
 * and where the serialized text runs as CommonJS. Everything it needs is a function of this file.
 *
 * What the Google provider already retries, and therefore what is left to wait for here
 * (hashicorp/terraform-provider-google, google/transport/error_retry_predicates.go):
 * - its default retry predicates cover network errors, 429/500/502/503, 409 `operationInProgress`,
 *   GCE `resourceNotReady` subnetworks and 403 per-minute quota; NOT 403 `SERVICE_DISABLED`
 *   ("… has not been used in project … If you enabled this API recently, wait a few minutes"),
 *   which surfaces as a failed create right after `gcp.projects.Service` returns
 *   (`google_project_service` itself waits only until serviceusage lists the service as enabled).
 * - `IamMemberMissing` (400 mentioning "permission") is opted into by a few resources only;
 *   `google_secret_manager_secret` does not retry `cloudkms.cryptoKeyVersions.useToEncrypt`
 *   denied, the first-apply CMEK race of hashicorp/terraform-provider-google#5103 and #15415.
 * - `IamServiceAccountNotFound` (400 "Service account … does not exist") is retried in the IAM
 *   read-modify-write (google/tpgiamresource/iam.go) only when the policy's etag changed meanwhile
 *   ("current and old etag matched …, not retrying"), so a just-created identity that IAM does not
 *   resolve yet fails the grant.
 * - The provider's configuration has no retry knobs (`@pulumi/gcp` config: `requestTimeout`,
 *   `batching`, no retry count), so provider settings cannot cover these.
 * Google documents no readiness signal for IAM propagation ("typically … within 2 minutes, can take
 * 7 minutes or longer", https://cloud.google.com/iam/docs/access-change-propagation); the waits
 * therefore observe the effect itself: the API answering, the CMEK operation succeeding.
 *
 * The CRD wait is not Google's: pulumi-kubernetes has no await for a CRD's Established condition
 * and retries "no matches for kind" a few times only, while GKE installs the Gateway API and
 * Secret Manager add-on CRDs after the cluster update that turns them on returns (k8s-review 28).
 * It asks the cluster's API server itself (a Google access token is a valid bearer token there),
 * over TLS verified with the cluster CA only (node:https `ca`).
 */

/** Bounds of a wait: it gives up after `maxPolls` polls or `timeoutSeconds`, whichever comes first. */
export interface WaitBounds {
  /** Longest the wait lasts, from its first poll. */
  timeoutSeconds: number;
  /** Most polls. */
  maxPolls: number;
  /** Delay after the first unready answer; doubles after each one, up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
}

/** The inputs of a readiness wait (the dynamic resource's inputs, as the plan shows them). */
export type WaitInputs = WaitBounds &
  (
    | {
        kind: "api";
        /** What is waited for, in words (the timeout error names it). */
        what: string;
        project: string;
        /** The enabled API, e.g. "secretmanager.googleapis.com". */
        service: string;
        /** A cheap read of that API in the project: ready once it stops answering SERVICE_DISABLED. */
        probeUrl: string;
      }
    | {
        kind: "cmek";
        what: string;
        project: string;
        /** The crypto key the secrets use (`projects/…/cryptoKeys/…`). */
        kmsKeyName: string;
        /** The replica location of the secrets (the key's location). */
        location: string;
        /** Secret Manager's base URL, e.g. "https://secretmanager.googleapis.com/v1". */
        secretManagerUrl: string;
        /** A throwaway secret: created with the key, given a version, deleted. */
        probeSecretId: string;
      }
    | {
        kind: "iam-member";
        what: string;
        project: string;
        /**
         * The resource whose IAM policy gets the grant: a Cloud Storage bucket
         * (`https://storage.googleapis.com/storage/v1/b/<bucket>`, policy at `/iam`) or a resource
         * of an API with `GET :getIamPolicy` / `POST :setIamPolicy` (KMS keys, Pub/Sub topics and
         * subscriptions: `https://cloudkms.googleapis.com/v1/<key id>`).
         */
        resourceUrl: string;
        policyStyle: "storage" | "v1";
        role: string;
        /** The just-created identity (`serviceAccount:service-<n>@…`). */
        member: string;
      }
    | {
        kind: "crd";
        what: string;
        /** The cluster's API server, `https://<endpoint>` (the Cluster's `endpoint` output). */
        server: string;
        /** The cluster CA certificate, base64 PEM as GKE returns it (`masterAuth.clusterCaCertificate`). */
        caCertificate: string;
        /** CRD names (`<plural>.<group>`, e.g. `httproutes.gateway.networking.k8s.io`), all waited for. */
        establishedCrds: string[];
      }
  );

/** What one poll observed. */
export type PollAnswer =
  | { state: "ready"; observed: string }
  | { state: "waiting"; observed: string }
  | { state: "failed"; observed: string };

/** The outputs of a finished wait. */
export interface WaitResult {
  polls: number;
  observed: string;
}

/** Time as the wait sees it; tests inject a fake clock so nothing really sleeps. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export type Fetch = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{ status: number; text(): Promise<string> }>;

/** How the wait reaches Google: HTTP, credentials, the clock. Defaults are the real ones. */
export interface WaitDeps {
  fetch: Fetch;
  clock: Clock;
  /** A bearer token and whether it belongs to a user (then requests name the quota project). */
  token(): Promise<AccessToken>;
  /** How the CRD wait reaches a cluster's API server. @default httpsGetWith(node:https) */
  httpsGet?: HttpsGet;
}

/**
 * A GET over TLS verified with a given CA (the cluster's own CA: a GKE API server's certificate is
 * not signed by a public CA). Network and TLS errors are answered as status 0 (retryable).
 */
export type HttpsGet = (url: string, headers: Record<string, string>, caPem: string) => Promise<{ status: number; body: string }>;

export interface AccessToken {
  token: string;
  user: boolean;
}

export function realClock(): Clock {
  return { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
}

/**
 * Polls `probe` until it answers ready, with exponential backoff (no jitter: one wait per
 * resource). A `failed` answer (an error that waiting does not cure: bad credentials, a wrong
 * project, a missing permission) is thrown at once; running out of polls or time throws an
 * error that names what was waited for, how long and the last answer.
 */
export async function waitUntilReady(
  what: string,
  probe: (poll: number) => Promise<PollAnswer>,
  bounds: WaitBounds,
  clock: Clock,
): Promise<WaitResult> {
  const started = clock.now();
  let delay = Math.min(bounds.maxDelayMs, Math.max(0, bounds.initialDelayMs));
  let last = "no answer";
  for (let poll = 1; ; poll++) {
    const answer = await probe(poll);
    if (answer.state === "ready") return { polls: poll, observed: answer.observed };
    if (answer.state === "failed") throw new Error(`readiness: ${what}: ${answer.observed} (not retried: waiting does not change this answer)`);
    last = answer.observed;
    const elapsedMs = clock.now() - started;
    if (poll >= bounds.maxPolls || elapsedMs + delay > bounds.timeoutSeconds * 1000) {
      throw new Error(
        `readiness: timed out waiting for ${what} after ${poll} polls in ${Math.round(elapsedMs / 1000)}s ` +
          `(bound: ${bounds.maxPolls} polls, ${bounds.timeoutSeconds}s); last answer: ${last}. ` +
          "Run `pulumi up` again once it is ready, or raise the wait's timeoutSeconds.",
      );
    }
    await clock.sleep(delay);
    delay = Math.min(bounds.maxDelayMs, Math.max(1, delay * 2));
  }
}

/** A Google API error body's status, reason and message (both the AIP-193 and the older shape). */
export function googleError(status: number, body: string): { reason: string; message: string; consumer: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { reason: "", message: `HTTP ${status}: ${body.slice(0, 200)}`, consumer: "" };
  }
  const error = (parsed as { error?: Record<string, unknown> } | null)?.error ?? {};
  const details = Array.isArray(error["details"]) ? (error["details"] as Record<string, unknown>[]) : [];
  const info = details.find((d) => typeof d["reason"] === "string");
  const legacy = Array.isArray(error["errors"]) ? (error["errors"] as Record<string, unknown>[]) : [];
  const reason = String(info?.["reason"] ?? legacy.find((e) => typeof e["reason"] === "string")?.["reason"] ?? error["status"] ?? "");
  const metadata = (info?.["metadata"] ?? {}) as Record<string, unknown>;
  return { reason, message: `HTTP ${status} ${reason}: ${String(error["message"] ?? "").slice(0, 300)}`, consumer: String(metadata["consumer"] ?? "") };
}

/**
 * The answer of an API that was just enabled. SERVICE_DISABLED (ErrorInfo reason; Compute's older
 * `accessNotConfigured`; the "has not been used in project … or it is disabled" message) is what
 * the backends answer until enablement has propagated: wait. Any other answer of the API itself
 * — success, or a 403 about the caller's permissions, which the API checks only after the service
 * check passed — means it is on. 429/5xx: wait. 400/401/404: the probe or the credentials are
 * wrong, which waiting does not fix.
 */
export function classifyApiAnswer(status: number, body: string): PollAnswer {
  if (status >= 200 && status < 300) return { state: "ready", observed: `HTTP ${status}` };
  const error = googleError(status, body);
  if (isServiceDisabled(status, error.reason, error.message)) return { state: "waiting", observed: error.message };
  if (status === 429 || status >= 500) return { state: "waiting", observed: error.message };
  if (status === 403) return { state: "ready", observed: `${error.message} (the API answered; the caller's own permissions are checked by the resources)` };
  return { state: "failed", observed: error.message };
}

function isServiceDisabled(status: number, reason: string, message: string): boolean {
  if (status !== 403) return false;
  return reason === "SERVICE_DISABLED" || reason === "accessNotConfigured" || /has not been used in project|it is disabled/i.test(message);
}

/**
 * Secret Manager's answer when its service agent cannot use the key yet: the IAM grant on the key
 * has not propagated (terraform-provider-google#5103, #15415). A message about a key in the wrong
 * location or a missing service identity is not that, and fails at once.
 */
export function isKmsPropagationDenial(status: number, body: string): boolean {
  if (status !== 400 && status !== 403 && status !== 412) return false;
  return /cloudkms\.cryptoKeyVersions\.useTo(En|De)crypt|permission[^.]*(crypto ?key|cloudkms)/i.test(body);
}

/** One authorised request to a Google API. Network errors are answered as status 0 (retryable). */
async function call(deps: WaitDeps, project: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: string }> {
  const token = await deps.token();
  const headers: Record<string, string> = { authorization: `Bearer ${token.token}` };
  // User credentials have no project of their own: name the quota project, or APIs answer
  // SERVICE_DISABLED about gcloud's OAuth client project instead of ours.
  if (token.user) headers["x-goog-user-project"] = project;
  if (body !== undefined) headers["content-type"] = "application/json";
  try {
    const response = await deps.fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { status: 0, body: `request failed: ${(error as Error).message}` };
  }
}

function networkOrServer(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/** Polls a cheap read of a just-enabled API until it stops answering SERVICE_DISABLED. */
async function waitForApi(inputs: Extract<WaitInputs, { kind: "api" }>, deps: WaitDeps): Promise<WaitResult> {
  return waitUntilReady(
    inputs.what,
    async () => {
      const answer = await call(deps, inputs.project, "GET", inputs.probeUrl);
      if (answer.status === 0) return { state: "waiting", observed: answer.body };
      return classifyApiAnswer(answer.status, answer.body);
    },
    inputs,
    deps.clock,
  );
}

/**
 * Makes Secret Manager do what the first CMEK secret will do: create a throwaway secret whose
 * replica uses the key and add a version (which encrypts with the key), retrying while the
 * service agent's grant on the key has not propagated; then deletes the throwaway secret.
 */
async function waitForCmek(inputs: Extract<WaitInputs, { kind: "cmek" }>, deps: WaitDeps): Promise<WaitResult> {
  const secret = `${inputs.secretManagerUrl}/projects/${inputs.project}/secrets/${inputs.probeSecretId}`;
  let created = false;
  const step = (status: number, body: string): PollAnswer | undefined => {
    if (status === 0) return { state: "waiting", observed: body };
    if (isKmsPropagationDenial(status, body)) return { state: "waiting", observed: googleError(status, body).message };
    const error = googleError(status, body);
    if (networkOrServer(status) || isServiceDisabled(status, error.reason, error.message)) return { state: "waiting", observed: error.message };
    return undefined;
  };
  try {
    return await waitUntilReady(
      inputs.what,
      async () => {
        if (!created) {
          const create = await call(deps, inputs.project, "POST", `${inputs.secretManagerUrl}/projects/${inputs.project}/secrets?secretId=${encodeURIComponent(inputs.probeSecretId)}`, {
            replication: { userManaged: { replicas: [{ location: inputs.location, customerManagedEncryption: { kmsKeyName: inputs.kmsKeyName } }] } },
            labels: { "brume-readiness-probe": "cmek" },
          });
          // 409: a probe left by an interrupted run; reuse it.
          if (create.status === 409 || (create.status >= 200 && create.status < 300)) created = true;
          else return step(create.status, create.body) ?? { state: "failed", observed: `creating probe secret: ${googleError(create.status, create.body).message}` };
        }
        const version = await call(deps, inputs.project, "POST", `${secret}:addVersion`, { payload: { data: "cmVhZGluZXNzLXByb2Jl" } });
        if (version.status >= 200 && version.status < 300) return { state: "ready", observed: `a version of ${inputs.probeSecretId} was encrypted with ${inputs.kmsKeyName}` };
        return step(version.status, version.body) ?? { state: "failed", observed: `adding a probe version: ${googleError(version.status, version.body).message}` };
      },
      inputs,
      deps.clock,
    );
  } finally {
    if (created) {
      const removed = await call(deps, inputs.project, "DELETE", secret);
      if (removed.status !== 404 && (removed.status < 200 || removed.status >= 300)) {
        console.warn(`readiness: could not delete the probe secret ${inputs.probeSecretId}: ${googleError(removed.status, removed.body).message}`);
      }
    }
  }
}

/** IAM's answer while a just-created identity is not resolvable yet (see the module comment). */
export function isMemberNotFound(status: number, body: string): boolean {
  return status === 400 && /does not exist/i.test(body) && /service account|principal|member/i.test(body);
}

interface IamPolicy {
  bindings?: { role: string; members?: string[]; condition?: unknown }[];
  etag?: string;
  version?: number;
}

/**
 * Google documents no way to ask whether IAM resolves a just-created identity yet, so this wait
 * makes the grant the IAM member resource owns, on the same policy (read, add the member to the
 * unconditional binding of the role, write with the etag), retrying while IAM answers 400
 * "Service account … does not exist" (or an etag conflict). The member resource created after it
 * then finds its binding present; deleting that resource removes the binding, this wait has
 * nothing to undo. A member already bound is ready without a write.
 */
async function waitForIamMember(inputs: Extract<WaitInputs, { kind: "iam-member" }>, deps: WaitDeps): Promise<WaitResult> {
  const storage = inputs.policyStyle === "storage";
  const retryable = (status: number, body: string): PollAnswer | undefined => {
    const error = googleError(status, body);
    if (status === 0) return { state: "waiting", observed: body };
    if (isMemberNotFound(status, body) || status === 409 || status === 412) return { state: "waiting", observed: error.message };
    if (networkOrServer(status) || isServiceDisabled(status, error.reason, error.message)) return { state: "waiting", observed: error.message };
    return undefined;
  };
  return waitUntilReady(
    inputs.what,
    async () => {
      const read = storage
        ? await call(deps, inputs.project, "GET", `${inputs.resourceUrl}/iam?optionsRequestedPolicyVersion=3`)
        : // KMS, Pub/Sub, Secret Manager: `GET …:getIamPolicy` (cloud.google.com/kms/docs/reference/rest/v1/projects.locations.keyRings.cryptoKeys/getIamPolicy).
          await call(deps, inputs.project, "GET", `${inputs.resourceUrl}:getIamPolicy?options.requestedPolicyVersion=3`);
      if (read.status !== 200) return retryable(read.status, read.body) ?? { state: "failed", observed: `reading the IAM policy: ${googleError(read.status, read.body).message}` };
      const policy = JSON.parse(read.body) as IamPolicy;
      const bindings = policy.bindings ?? [];
      const binding = bindings.find((b) => b.role === inputs.role && b.condition === undefined);
      if (binding?.members?.includes(inputs.member)) return { state: "ready", observed: `${inputs.member} holds ${inputs.role}` };
      const updated: IamPolicy = {
        ...policy,
        bindings: binding
          ? bindings.map((b) => (b === binding ? { ...b, members: [...(b.members ?? []), inputs.member] } : b))
          : [...bindings, { role: inputs.role, members: [inputs.member] }],
      };
      const write = storage
        ? await call(deps, inputs.project, "PUT", `${inputs.resourceUrl}/iam`, updated)
        : await call(deps, inputs.project, "POST", `${inputs.resourceUrl}:setIamPolicy`, { policy: updated });
      if (write.status === 200) return { state: "ready", observed: `IAM accepted ${inputs.member} for ${inputs.role}` };
      return retryable(write.status, write.body) ?? { state: "failed", observed: `writing the IAM policy: ${googleError(write.status, write.body).message}` };
    },
    inputs,
    deps.clock,
  );
}

/** The subset of node:https the CRD wait uses (injectable so a test can see the request options). */
export interface HttpsModule {
  request(
    url: string,
    options: { method: string; headers: Record<string, string>; ca: string; timeout: number },
    callback: (response: { statusCode?: number; setEncoding(e: string): void; on(event: string, listener: (chunk?: unknown) => void): void }) => void,
  ): { on(event: string, listener: (error: Error) => void): void; destroy(error?: Error): void; end(): void };
}

/** A GET verified with `caPem` only (not the public roots): node:https's `ca` option. */
export function httpsGetWith(https: HttpsModule): HttpsGet {
  return (url, headers, caPem) =>
    new Promise((resolve) => {
      try {
        const request = https.request(url, { method: "GET", headers, ca: caPem, timeout: 30_000 }, (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk) => (body += String(chunk)));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
          response.on("error", (error) => resolve({ status: 0, body: `request failed: ${(error as Error).message}` }));
        });
        request.on("timeout", () => request.destroy(new Error("timed out after 30s")));
        request.on("error", (error) => resolve({ status: 0, body: `request failed: ${error.message}` }));
        request.end();
      } catch (error) {
        resolve({ status: 0, body: `request failed: ${(error as Error).message}` });
      }
    });
}

/** GKE returns the CA base64-encoded; a PEM passes through. */
export function caPem(caCertificate: string): string {
  return caCertificate.includes("-----BEGIN") ? caCertificate : Buffer.from(caCertificate, "base64").toString("utf8");
}

/** One CRD's answer: Established=True is ready; 404 (not installed yet) and Established≠True wait; 401/403 fail. */
export function classifyCrdAnswer(name: string, status: number, body: string): PollAnswer {
  if (status === 200) {
    let conditions: { type?: string; status?: string; reason?: string }[] = [];
    try {
      conditions = ((JSON.parse(body) as { status?: { conditions?: typeof conditions } }).status?.conditions ?? []) as typeof conditions;
    } catch {
      return { state: "waiting", observed: `${name}: unparsable answer` };
    }
    const established = conditions.find((c) => c.type === "Established");
    if (established?.status === "True") return { state: "ready", observed: `${name} Established` };
    return { state: "waiting", observed: `${name} Established=${established?.status ?? "absent"}${established?.reason ? ` (${established.reason})` : ""}` };
  }
  if (status === 404) return { state: "waiting", observed: `${name} not found (404)` };
  if (status === 401 || status === 403) {
    return {
      state: "failed",
      observed:
        `GET customresourcedefinitions/${name} answered HTTP ${status}: ${body.slice(0, 200)}. ` +
        "The Google identity running `pulumi up` must be able to read CRDs in the cluster (container.customResourceDefinitions.get, e.g. roles/container.viewer), and its access token must be accepted by the API server",
    };
  }
  if (networkOrServer(status)) return { state: "waiting", observed: `${name}: ${status === 0 ? body : `HTTP ${status}`}` };
  return { state: "failed", observed: `GET customresourcedefinitions/${name} answered HTTP ${status}: ${body.slice(0, 200)}` };
}

/**
 * Polls each CRD (`GET <server>/apis/apiextensions.k8s.io/v1/customresourcedefinitions/<name>`)
 * with a Google access token as the bearer token (GKE accepts them), TLS verified with the
 * cluster's CA, until every one is Established; a CRD already Established is not asked again.
 */
async function waitForCrds(inputs: Extract<WaitInputs, { kind: "crd" }>, deps: WaitDeps): Promise<WaitResult> {
  const get = deps.httpsGet ?? httpsGetWith(process.getBuiltinModule("node:https") as unknown as HttpsModule);
  const ca = caPem(inputs.caCertificate);
  const pending = new Set(inputs.establishedCrds);
  return waitUntilReady(
    inputs.what,
    async () => {
      const token = await deps.token();
      const waiting: string[] = [];
      for (const name of [...pending]) {
        const answer = await get(`${inputs.server}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`, { authorization: `Bearer ${token.token}`, accept: "application/json" }, ca);
        const state = classifyCrdAnswer(name, answer.status, answer.body);
        if (state.state === "failed") return state;
        if (state.state === "ready") pending.delete(name);
        else waiting.push(state.observed);
      }
      if (pending.size === 0) return { state: "ready", observed: `${inputs.establishedCrds.length} CRDs Established` };
      return { state: "waiting", observed: `still not Established: ${waiting.join("; ")}` };
    },
    inputs,
    deps.clock,
  );
}

/** Runs the wait its inputs describe. */
export function runWait(inputs: WaitInputs, deps: WaitDeps): Promise<WaitResult> {
  if (inputs.kind === "api") return waitForApi(inputs, deps);
  if (inputs.kind === "cmek") return waitForCmek(inputs, deps);
  if (inputs.kind === "iam-member") return waitForIamMember(inputs, deps);
  if (inputs.kind === "crd") return waitForCrds(inputs, deps);
  throw new Error(`readiness: unknown wait kind ${(inputs as { kind: string }).kind}`);
}

// ---------------------------------------------------------------------------------------------
// Credentials: Application Default Credentials without a client library, in ADC's order
// (https://cloud.google.com/docs/authentication/application-default-credentials):
//   0. GOOGLE_OAUTH_ACCESS_TOKEN, the access token the Google provider itself accepts (its
//      `accessToken` setting's environment variable; google-github-actions/auth can export it);
//   1. the JSON file GOOGLE_APPLICATION_CREDENTIALS names, 2. gcloud's ADC file
//      (`gcloud auth application-default login`): `authorized_user` (refresh-token grant) and
//      `service_account` (signed JWT grant, RFC 7523) are handled here; other types
//      (`external_account`, `impersonated_service_account`) are handed to gcloud;
//   3. the metadata server (GCE, GKE, Cloud Build, Cloud Run), host from GCE_METADATA_HOST.
// ---------------------------------------------------------------------------------------------

export interface TokenEnv {
  env: Record<string, string | undefined>;
  fetch: Fetch;
  readFile(path: string): string | undefined;
  home: string;
  /** Runs `gcloud auth application-default print-access-token`. */
  gcloudToken(): Promise<string>;
  nowSeconds(): number;
}

function form(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
}

async function tokenGrant(source: TokenEnv, url: string, body: string, what: string): Promise<string> {
  const response = await source.fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body, signal: AbortSignal.timeout(30_000) });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`readiness: ${what}: token endpoint ${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
  const token = (JSON.parse(text) as { access_token?: string }).access_token;
  if (!token) throw new Error(`readiness: ${what}: token endpoint ${url} returned no access_token`);
  return token;
}

function base64url(text: string | Uint8Array): string {
  return Buffer.from(text).toString("base64url");
}

/** An access token from Application Default Credentials (see above). */
export async function adcToken(source: TokenEnv): Promise<AccessToken> {
  const direct = source.env["GOOGLE_OAUTH_ACCESS_TOKEN"];
  if (direct) return { token: direct, user: false };
  const explicit = source.env["GOOGLE_APPLICATION_CREDENTIALS"];
  const wellKnown = source.env["CLOUDSDK_CONFIG"]
    ? `${source.env["CLOUDSDK_CONFIG"]}/application_default_credentials.json`
    : source.env["APPDATA"]
      ? `${source.env["APPDATA"]}/gcloud/application_default_credentials.json`
      : `${source.home}/.config/gcloud/application_default_credentials.json`;
  const path = explicit || wellKnown;
  const text = source.readFile(path);
  if (explicit && text === undefined) throw new Error(`readiness: GOOGLE_APPLICATION_CREDENTIALS names ${explicit}, which cannot be read`);
  if (text !== undefined) {
    const file = JSON.parse(text) as Record<string, string>;
    if (file["type"] === "authorized_user") {
      const token = await tokenGrant(
        source,
        file["token_uri"] ?? "https://oauth2.googleapis.com/token",
        form({ grant_type: "refresh_token", client_id: file["client_id"] ?? "", client_secret: file["client_secret"] ?? "", refresh_token: file["refresh_token"] ?? "" }),
        `user credentials in ${path}`,
      );
      return { token, user: true };
    }
    if (file["type"] === "service_account") {
      const crypto = process.getBuiltinModule("node:crypto");
      const audience = file["token_uri"] ?? "https://oauth2.googleapis.com/token";
      const iat = source.nowSeconds();
      const unsigned = `${base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: file["private_key_id"] }))}.${base64url(
        JSON.stringify({ iss: file["client_email"], scope: "https://www.googleapis.com/auth/cloud-platform", aud: audience, iat, exp: iat + 3600 }),
      )}`;
      const signature = crypto.createSign("RSA-SHA256").update(unsigned).sign(file["private_key"] ?? "", "base64url");
      const token = await tokenGrant(
        source,
        audience,
        form({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion: `${unsigned}.${signature}` }),
        `service account key in ${path}`,
      );
      return { token, user: false };
    }
    // external_account (Workload Identity Federation), impersonation: gcloud implements them.
    return { token: await source.gcloudToken(), user: file["type"] !== "external_account" && file["type"] !== "impersonated_service_account" };
  }
  const host = source.env["GCE_METADATA_HOST"] ?? "metadata.google.internal";
  let response: { status: number; text(): Promise<string> };
  try {
    response = await source.fetch(`http://${host}/computeMetadata/v1/instance/service-accounts/default/token`, {
      headers: { "Metadata-Flavor": "Google" },
      signal: AbortSignal.timeout(3_000),
    });
  } catch (error) {
    throw new Error(
      `readiness: no Google credentials: set GOOGLE_OAUTH_ACCESS_TOKEN or GOOGLE_APPLICATION_CREDENTIALS, run \`gcloud auth application-default login\`, or run on Google Cloud (metadata server ${host}: ${(error as Error).message})`,
    );
  }
  const body = await response.text();
  if (response.status !== 200) throw new Error(`readiness: metadata server ${host} answered HTTP ${response.status}: ${body.slice(0, 200)}`);
  const token = (JSON.parse(body) as { access_token?: string }).access_token;
  if (!token) throw new Error(`readiness: metadata server ${host} returned no access_token`);
  return { token, user: false };
}

/** The real credential sources of this process. */
export function processTokenEnv(): TokenEnv {
  const fs = process.getBuiltinModule("node:fs");
  const os = process.getBuiltinModule("node:os");
  return {
    env: process.env,
    fetch: (url, init) => fetch(url, init),
    readFile: (path) => {
      try {
        return fs.readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    home: os.homedir(),
    nowSeconds: () => Math.floor(Date.now() / 1000),
    gcloudToken: () =>
      new Promise((resolve, reject) => {
        const childProcess = process.getBuiltinModule("node:child_process");
        childProcess.execFile("gcloud", ["auth", "application-default", "print-access-token"], { timeout: 60_000 }, (error, stdout) => {
          if (error) reject(new Error(`readiness: gcloud auth application-default print-access-token failed: ${error.message}`));
          else resolve(stdout.trim());
        });
      }),
  };
}

/** Real dependencies: global fetch, the wall clock, ADC tokens cached until shortly before expiry. */
export function processDeps(): WaitDeps {
  const source = processTokenEnv();
  let cached: { value: AccessToken; until: number } | undefined;
  return {
    fetch: (url, init) => fetch(url, init),
    clock: realClock(),
    token: async () => {
      if (cached && cached.until > Date.now()) return cached.value;
      const value = await adcToken(source);
      // Tokens live an hour; refresh well before.
      cached = { value, until: Date.now() + 30 * 60_000 };
      return value;
    },
  };
}

/** The properties the provider compares: a change of any of them runs the wait again. */
const identityKeys = ["kind", "project", "service", "probeUrl", "kmsKeyName", "location", "secretManagerUrl", "probeSecretId", "resourceUrl", "policyStyle", "role", "member", "server", "caCertificate", "establishedCrds"];

/**
 * The dynamic provider (`pulumi.dynamic.ResourceProvider`): create and update run the wait; delete
 * has nothing to undo; a changed bound alone does not re-run it.
 */
export const readinessProvider = {
  async create(inputs: WaitInputs): Promise<{ id: string; outs: WaitInputs & WaitResult }> {
    const result = await runWait(inputs, processDeps());
    return { id: `${inputs.kind}:${inputs.what}`, outs: { ...inputs, ...result } };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>): Promise<{ changes: boolean; replaces?: string[] }> {
    const changed = identityKeys.filter((key) => JSON.stringify(olds[key]) !== JSON.stringify(news[key]));
    return { changes: changed.length > 0 };
  },
  async update(_id: string, _olds: unknown, news: WaitInputs): Promise<{ outs: WaitInputs & WaitResult }> {
    const result = await runWait(news, processDeps());
    return { outs: { ...news, ...result } };
  },
  async delete(): Promise<void> {},
};
