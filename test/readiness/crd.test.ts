/**
 * CrdEstablished's runtime against a loopback HTTPS fake of a cluster API server whose certificate
 * is signed by its own CA (as GKE's is): ready after N polls, 404 then ready, the timeout error
 * naming the CRDs still missing, 401/403 failing at once, TLS verified with the given CA only.
 */
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { caPem, httpsGetWith, runWait, type HttpsModule, type WaitDeps, type WaitInputs } from "../../src/components/readiness/runtime.js";
import { fakeClock, fakeGoogle, selfSigned, type Answer, type FakeGoogle } from "./fake-google.js";

const bounds = { timeoutSeconds: 600, maxPolls: 10, initialDelayMs: 2000, maxDelayMs: 30_000 };
const crdPath = (name: string) => `GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
const routes = "httproutes.gateway.networking.k8s.io";
const spc = "secretproviderclasses.secrets-store.csi.x-k8s.io";

function crd(name: string, established?: "True" | "False"): Answer {
  return {
    status: 200,
    body: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name },
      status: { conditions: established ? [{ type: "NamesAccepted", status: "True" }, { type: "Established", status: established, reason: established === "True" ? "InitialNamesAccepted" : "Installing" }] : [] },
    },
  };
}
const notFound: Answer = { status: 404, body: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 } };

let ca: ReturnType<typeof selfSigned>;
let otherCa: ReturnType<typeof selfSigned>;
let fake: FakeGoogle | undefined;
beforeAll(() => {
  ca = selfSigned("cluster-ca");
  otherCa = selfSigned("other-ca");
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function deps(clock = fakeClock()): WaitDeps & { clock: ReturnType<typeof fakeClock> } {
  // No httpsGet: the real node:https transport.
  return { fetch: () => Promise.reject(new Error("not used")), clock, token: async () => ({ token: "ya29.crd", user: true }) };
}

function crdWait(server: string, names: string[], caBase64 = ca.caBase64, over: Partial<typeof bounds> = {}): WaitInputs {
  return { kind: "crd", what: `the CRDs ${names.join(", ")} to be Established in cluster gke`, server, caCertificate: caBase64, establishedCrds: names, ...bounds, ...over };
}

describe("CrdEstablished: polls the cluster's CRDs until Established, over TLS verified with the cluster CA", () => {
  test("ready after 3 polls (Established absent, then False, then True), with a Google token and no quota-project header", async () => {
    fake = await fakeGoogle({ [crdPath(routes)]: [crd(routes), crd(routes, "False"), crd(routes, "True")] }, ca);
    const d = deps();
    const result = await runWait(crdWait(fake.url, [routes]), d);
    expect(result).toEqual({ polls: 3, observed: "1 CRDs Established" });
    expect(fake.requests.map((r) => r.path)).toEqual(Array(3).fill(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${routes}`));
    expect(fake.requests[0]!.headers.authorization).toBe("Bearer ya29.crd");
    expect(fake.requests[0]!.headers["x-goog-user-project"]).toBeUndefined();
    expect(d.clock.sleeps).toEqual([2000, 4000]);
  });

  test("404 (not installed yet) then ready; a CRD already Established is not asked again", async () => {
    fake = await fakeGoogle({ [crdPath(routes)]: [crd(routes, "True")], [crdPath(spc)]: [notFound, notFound, crd(spc, "True")] }, ca);
    const result = await runWait(crdWait(fake.url, [routes, spc]), deps());
    expect(result.polls).toBe(3);
    expect(fake.requests.filter((r) => r.path.endsWith(routes))).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path.endsWith(spc))).toHaveLength(3);
  });

  test("the timeout error names the CRDs still missing, not the ones Established", async () => {
    fake = await fakeGoogle({ [crdPath(routes)]: [crd(routes, "True")], [crdPath(spc)]: [notFound] }, ca);
    const error = (await runWait(crdWait(fake.url, [routes, spc], ca.caBase64, { maxPolls: 4 }), deps()).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/^readiness: timed out waiting for the CRDs .* to be Established in cluster gke after 4 polls/);
    expect(error.message).toContain(`last answer: still not Established: ${spc} not found (404)`);
    expect(error.message.split("last answer:")[1]).not.toContain(routes);
  });

  test.each([401, 403])("%i fails at once with what the caller needs", async (status) => {
    fake = await fakeGoogle({ [crdPath(routes)]: [{ status, body: { kind: "Status", status: "Failure", reason: status === 401 ? "Unauthorized" : "Forbidden", code: status } }] }, ca);
    const d = deps();
    const error = (await runWait(crdWait(fake.url, [routes]), d).catch((e: Error) => e)) as Error;
    expect(error.message).toContain(`GET customresourcedefinitions/${routes} answered HTTP ${status}`);
    expect(error.message).toContain("container.customResourceDefinitions.get");
    expect(error.message).toContain("not retried");
    expect(fake.requests).toHaveLength(1);
    expect(d.clock.sleeps).toEqual([]);
  });

  test("a server whose certificate the cluster CA did not sign is never trusted (the public roots are not used either)", async () => {
    fake = await fakeGoogle({ [crdPath(routes)]: [crd(routes, "True")] }, ca);
    const error = (await runWait(crdWait(fake.url, [routes], otherCa.caBase64, { maxPolls: 2 }), deps()).catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/timed out .* last answer: still not Established: httproutes\.gateway\.networking\.k8s\.io: request failed: .*(self[- ]signed|certificate|verify)/i);
    expect(fake.requests).toHaveLength(0);
  });

  test("the request is built with the CA as node:https's `ca` option, decoded from GKE's base64", async () => {
    const seen: { url: string; options: Parameters<HttpsModule["request"]>[1] }[] = [];
    const module: HttpsModule = {
      request(url, options, callback) {
        seen.push({ url, options });
        const listeners: Record<string, (chunk?: unknown) => void> = {};
        queueMicrotask(() => {
          callback({ statusCode: 200, setEncoding: () => {}, on: (event, listener) => void (listeners[event] = listener) });
          listeners["data"]?.("{}");
          listeners["end"]?.();
        });
        return { on: () => {}, destroy: () => {}, end: () => {} };
      },
    };
    const answer = await httpsGetWith(module)("https://203.0.113.7/apis/x", { authorization: "Bearer t" }, caPem(ca.caBase64));
    expect(answer).toEqual({ status: 200, body: "{}" });
    expect(seen).toEqual([{ url: "https://203.0.113.7/apis/x", options: { method: "GET", headers: { authorization: "Bearer t" }, ca: ca.cert, timeout: 30_000 } }]);
    expect(caPem(ca.cert)).toBe(ca.cert);
  });
});
