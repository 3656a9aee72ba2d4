/**
 * The driver's real collaborators against stand-ins that answer as the real services do:
 * - `pulumi` is a stand-in executable on PATH (this machine has no Pulumi CLI) that records its
 *   arguments and answers the commands the Automation API runs: `version`, `stack select`, `up`,
 *   `stack output --json`, `stack history --json` (shapes from @pulumi/pulumi/automation's
 *   localWorkspace.js / stack.js);
 * - Cloud Monitoring is a fake REST API on loopback, reached through the real MetricServiceClient
 *   with its REST transport (`fallback: true`, `protocol: "http"`), answering `timeSeries.list`
 *   (https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list);
 * - Cloud Storage (the lock) and Cloud Logging (announcements) are fakes of their JSON APIs;
 * - `kubectl` is a stand-in that prints a Service with GKE's `cloud.google.com/neg-status`.
 * Then the whole loop runs with them and an injected clock: healthy metrics promote through every
 * step, a 5xx burst at step 2 aborts and applies the abort.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThroughClient } from "google-auth-library";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubectlBackends } from "../../src/cli/release-run/backends.js";
import { runRelease } from "../../src/cli/release-run/driver.js";
import { FileLock, GcsLock } from "../../src/cli/release-run/lock.js";
import { backendFilter, MonitoringMetrics } from "../../src/cli/release-run/monitoring-metrics.js";
import { CloudLoggingNotifier } from "../../src/cli/release-run/notifier.js";
import { PulumiDeployer } from "../../src/cli/release-run/pulumi-deployer.js";
import { FakeClock, FakeEditor } from "./fakes.js";

const dir = mkdtempSync(join(tmpdir(), "brume-release-run-"));
const bin = join(dir, "bin");
const pulumiLog = join(dir, "pulumi.log");
const kubectlLog = join(dir, "kubectl.log");

/** The stand-in `pulumi`: one JSON line of argv per call in $BRUME_STANDIN_LOG. */
const pulumiStandIn = `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.BRUME_STANDIN_LOG, JSON.stringify(args) + "\\n");
const has = (...words) => words.every((w) => args.includes(w));
if (args[0] === "version") { console.log("v3.248.0"); process.exit(0); }
if (has("stack", "select")) process.exit(0);
if (args[0] === "up") {
  if (process.env.BRUME_STANDIN_UP_FAILS) { console.error("error: update failed"); process.exit(255); }
  const targets = args.filter((a, i) => args[i - 1] === "--target");
  console.log("Updating (" + args[args.indexOf("--stack") + 1] + ")");
  console.log("Resources:\\n    ~ " + targets.length + " updated");
  process.exit(0);
}
if (has("stack", "output", "--json")) { console.log("{}"); process.exit(0); }
if (has("stack", "history", "--json")) {
  console.log(JSON.stringify([{ version: 7, kind: "update", startTime: "2026-12-02T10:00:00Z", endTime: "2026-12-02T10:01:00Z", message: "", environment: {}, config: {}, result: "succeeded", resourceChanges: { update: 2 } }]));
  process.exit(0);
}
console.error("pulumi stand-in: unsupported command " + args.join(" "));
process.exit(1);
`;

const kubectlStandIn = `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.BRUME_KUBECTL_LOG, JSON.stringify(args) + "\\n");
const name = args[args.indexOf("service") + 1];
const negs = { "api-v2": { "8080": "k8s1-5f2a-bro-ai-api-v2-8080-9c1d" } }[name];
console.log(JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "bro-ai", annotations: negs ? { "cloud.google.com/neg-status": JSON.stringify({ network_endpoint_groups: negs, zones: ["europe-west1-b", "europe-west1-c"] }) } : {} } }));
`;

interface Recorded {
  method: string;
  url: URL;
  body: string;
}

function fakeApi(handler: (r: Recorded) => { status: number; json: unknown }): Promise<{ server: Server; root: string; seen: Recorded[] }> {
  const seen: Recorded[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const r = { method: req.method!, url: new URL(req.url!, "http://127.0.0.1"), body };
    seen.push(r);
    const { status, json } = handler(r);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(json));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen })));
}

/** Monitoring's answer: per response_code_class, counts for the window; the p95 latency for total_latencies. */
let traffic = { ok: 990, errors: 10, p95: 320 };
let monitoring: Awaited<ReturnType<typeof fakeApi>>;

beforeAll(async () => {
  mkdirSync(bin);
  writeFileSync(join(bin, "pulumi"), pulumiStandIn);
  writeFileSync(join(bin, "kubectl"), kubectlStandIn);
  chmodSync(join(bin, "pulumi"), 0o755);
  chmodSync(join(bin, "kubectl"), 0o755);
  writeFileSync(join(dir, "Pulumi.yaml"), "name: bro-ai\nruntime: nodejs\n");
  process.env.PATH = `${bin}:${process.env.PATH}`;
  process.env.BRUME_STANDIN_LOG = pulumiLog;
  process.env.BRUME_KUBECTL_LOG = kubectlLog;
  process.env.PULUMI_SKIP_UPDATE_CHECK = "true";
  monitoring = await fakeApi((r) => {
    if (r.method !== "GET" || r.url.pathname !== "/v3/projects/bro-ai-prod/timeSeries") return { status: 404, json: { error: { code: 404, message: "not found" } } };
    const filter = r.url.searchParams.get("filter") ?? "";
    if (filter.includes("total_latencies")) return { status: 200, json: { timeSeries: [{ points: [{ value: { doubleValue: traffic.p95 } }] }] } };
    return {
      status: 200,
      json: {
        timeSeries: [
          { metric: { labels: { response_code_class: "200" } }, points: [{ value: { int64Value: String(traffic.ok) } }] },
          { metric: { labels: { response_code_class: "500" } }, points: [{ value: { int64Value: String(traffic.errors) } }] },
        ],
      },
    };
  });
});

afterAll(() => monitoring.server.close());

function metrics() {
  return new MonitoringMetrics({
    project: "bro-ai-prod",
    scheme: "external",
    backends: new KubectlBackends({ namespace: "bro-ai", serviceOf: (v) => `api-${v}`, kubeconfig: "/tmp/kubeconfig-prod" }),
    clientOptions: { fallback: true, apiEndpoint: "127.0.0.1", port: Number(new URL(monitoring.root).port), protocol: "http", authClient: new PassThroughClient() },
  });
}

describe("release run collaborators", () => {
  it("the deployer runs `pulumi up --target` through the Automation API, with the step's URNs", async () => {
    const lines: string[] = [];
    await new PulumiDeployer({ stack: "prod", workDir: dir, log: (l) => lines.push(l) }).apply({ description: "api canary at 25 %", targets: ["urn:a", "urn:b"] });
    const calls = readFileSync(pulumiLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]);
    const up = calls.find((c) => c[0] === "up")!;
    expect(up.slice(0, 3)).toEqual(["up", "--yes", "--skip-preview"]);
    expect(up.filter((a, i) => up[i - 1] === "--target")).toEqual(["urn:a", "urn:b"]);
    expect(up[up.indexOf("--message") + 1]).toBe("brume release: api canary at 25 %");
    expect(up[up.indexOf("--stack") + 1]).toBe("prod");
    expect(calls.map((c) => c.slice(0, 2).join(" "))).toEqual(expect.arrayContaining(["version", "stack select", "stack output", "stack history"]));
    expect(lines).toContain("  pulumi: Resources:");
  });

  it("a failed `pulumi up` fails the step", async () => {
    process.env.BRUME_STANDIN_UP_FAILS = "1";
    try {
      await expect(new PulumiDeployer({ stack: "prod", workDir: dir, log: () => {} }).apply({ description: "x", targets: ["urn:a"] })).rejects.toThrow(/update failed|code: 255/);
    } finally {
      delete process.env.BRUME_STANDIN_UP_FAILS;
    }
  });

  it("reads the version's NEGs from the cluster and its 5xx share and p95 from Cloud Monitoring", async () => {
    monitoring.seen.length = 0;
    traffic = { ok: 950, errors: 50, p95: 640 };
    const m = await metrics().measure({ version: "v2", start: new Date("2026-12-02T10:00:00Z"), end: new Date("2026-12-02T10:05:00Z") });
    expect(m).toEqual({ requests: 1000, errors: 50, latencyP95Ms: 640 });
    const kubectl = readFileSync(kubectlLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]);
    expect(kubectl.at(-1)).toEqual(["--kubeconfig", "/tmp/kubeconfig-prod", "get", "service", "api-v2", "--namespace", "bro-ai", "--output", "json"]);
    const [counts, latency] = monitoring.seen;
    expect(counts!.url.searchParams.get("filter")).toBe(backendFilter("loadbalancing.googleapis.com/https/request_count", "https_lb_rule", ["k8s1-5f2a-bro-ai-api-v2-8080-9c1d"]));
    expect(counts!.url.searchParams.get("interval.startTime")).toBe("2026-12-02T10:00:00.000Z");
    expect(counts!.url.searchParams.get("interval.endTime")).toBe("2026-12-02T10:05:00.000Z");
    // The REST transport sends enums as numbers (`$alt=json;enum-encoding=int`): REDUCE_SUM = 4,
    // REDUCE_PERCENTILE_95 = 10, ALIGN_DELTA = 1 (google/monitoring/v3/common.proto).
    expect(counts!.url.searchParams.get("$alt")).toBe("json;enum-encoding=int");
    expect(counts!.url.searchParams.get("aggregation.crossSeriesReducer")).toBe("4");
    expect(counts!.url.searchParams.get("aggregation.perSeriesAligner")).toBe("1");
    expect(counts!.url.searchParams.getAll("aggregation.groupByFields")).toEqual(["metric.labels.response_code_class"]);
    expect(latency!.url.searchParams.get("aggregation.crossSeriesReducer")).toBe("10");
  });

  it("the whole loop with the real deployer and metrics: healthy promotes, a 5xx burst at step 2 aborts", async () => {
    const run = async (perStep: { ok: number; errors: number }[]) => {
      const editor = new FakeEditor({ stable: "v1", canary: "v2", weight: 0 });
      const clock = new FakeClock();
      let step = 0;
      const deployer = new PulumiDeployer({ stack: "prod", workDir: dir, log: () => {} });
      const counting = {
        apply: async (c: Parameters<typeof deployer.apply>[0]) => {
          await deployer.apply(c);
          traffic = { ...perStep[Math.min(step++, perStep.length - 1)]!, p95: 300 };
        },
      };
      writeFileSync(pulumiLog, "");
      const outcome = await runRelease(
        { service: "api", stack: "prod", steps: [10, 25, 50, 100], pauseMs: 300_000, ingestionDelayMs: 210_000, maxInconclusive: 1, thresholds: { maxErrorRatio: 0.01, minRequests: 200 } },
        { editor, deployer: counting, metrics: metrics(), clock, lock: new FileLock({ dir: join(dir, "locks"), name: "api.json", holder: "test", what: "api" }), notifier: { announce: async () => {} }, log: () => {} },
      );
      const ups = readFileSync(pulumiLog, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]).filter((c) => c[0] === "up");
      return { outcome, editor, ups: ups.map((u) => u[u.indexOf("--message") + 1]) };
    };
    const healthy = await run([{ ok: 1000, errors: 1 }]);
    expect(healthy.outcome.outcome).toBe("promoted");
    expect(healthy.ups).toEqual(["weight 10", "weight 25", "weight 50", "weight 100", "promote"].map((d) => `brume release: ${d}`));
    const burst = await run([{ ok: 1000, errors: 0 }, { ok: 900, errors: 100 }]);
    expect(burst.outcome).toMatchObject({ outcome: "aborted", step: 25 });
    expect(burst.ups).toEqual(["weight 10", "weight 25", "abort"].map((d) => `brume release: ${d}`));
  });

  it("the lock in the state bucket admits one driver; a second is refused with who holds it", async () => {
    const objects = new Map<string, { generation: string; body: string }>();
    let generation = 1;
    const gcs = await fakeApi((r) => {
      if (r.method === "POST" && r.url.pathname === "/upload/storage/v1/b/bro-ai-state/o") {
        const name = r.url.searchParams.get("name")!;
        // ifGenerationMatch=0: "the request succeeds only if there are no live versions of the object".
        if (r.url.searchParams.get("ifGenerationMatch") === "0" && objects.has(name)) return { status: 412, json: { error: { code: 412, message: "conditionNotMet" } } };
        const g = String(generation++);
        objects.set(name, { generation: g, body: r.body });
        return { status: 200, json: { name, generation: g } };
      }
      const m = /^\/storage\/v1\/b\/bro-ai-state\/o\/(.+)$/.exec(r.url.pathname);
      const name = m ? decodeURIComponent(m[1]!) : "";
      if (r.method === "GET" && objects.has(name)) return { status: 200, json: JSON.parse(objects.get(name)!.body) };
      if (r.method === "DELETE" && objects.has(name)) {
        const want = r.url.searchParams.get("ifGenerationMatch");
        if (want && want !== objects.get(name)!.generation) return { status: 412, json: {} };
        objects.delete(name);
        return { status: 204, json: {} };
      }
      return { status: 404, json: {} };
    });
    const lock = (holder: string, breakLock = false) =>
      new GcsLock({ bucket: "bro-ai-state", object: ".brume/locks/prod/api.json", holder, token: async () => "t", endpoint: gcs.root, breakLock, what: "api (stack prod)" });
    const first = await lock("ci (GitHub run 42)").acquire();
    await expect(lock("alice@laptop").acquire()).rejects.toThrow(/api \(stack prod\) is being released by ci \(GitHub run 42\) since .*--break-lock/);
    await first.release();
    const again = await lock("alice@laptop").acquire();
    const broken = await lock("bob@laptop", true).acquire();
    expect(JSON.parse(objects.get(".brume/locks/prod/api.json")!.body).holder).toBe("bob@laptop");
    await again.release(); // the generation it took is gone: no error, and bob's lock stays
    expect(objects.has(".brume/locks/prod/api.json")).toBe(true);
    await broken.release();
    expect(objects.size).toBe(0);
    expect(gcs.seen.every((r) => r.url.pathname.includes("bro-ai-state"))).toBe(true);
    gcs.server.close();
  });

  it("announces each step as a Cloud Logging entry in the environment's project", async () => {
    const logging = await fakeApi(() => ({ status: 200, json: {} }));
    await new CloudLoggingNotifier({ project: "bro-ai-prod", token: async () => "token-1", endpoint: logging.root }).announce({ kind: "aborted", service: "api", stack: "prod", message: "v2 aborted at 25 %" });
    const [call] = logging.seen;
    expect(call!.url.pathname).toBe("/v2/entries:write");
    const entry = JSON.parse(call!.body).entries[0];
    expect(entry).toMatchObject({ logName: "projects/bro-ai-prod/logs/brume-release", severity: "ERROR", labels: { service: "api", stack: "prod", kind: "aborted" }, jsonPayload: { message: "v2 aborted at 25 %" } });
    logging.server.close();
  });
});
