/** Specs shared by the machine tests, and the real-tool helpers (a missing tool fails the test). */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { validateConfig } from "../../src/config/load.js";
import type { Plan } from "../../src/plan/run.js";
import type { MachineSpec } from "../../src/render/index.js";
import { examplePath, planProgram } from "../harness.js";

export const agentSpec = {
  name: "dployrd",
  version: "0.1.0",
  url: "https://releases.example.com/dployrd/v{version}/dployrd_linux_amd64.tar.gz",
  sha256: "9f2c7a1e5b3d4c6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f",
  controlPlaneUrl: "https://base.example.com",
  tokenSecret: { project: "shop-prod-1234", secretId: "shop-prod-agent-bootstrap-token" },
  labels: { group: "web", environment: "prod", project: "shop" },
};

export const machineSpec: MachineSpec = {
  agent: agentSpec,
  vfox: { version: "0.6.0", url: "https://releases.example.com/vfox/{version}/vfox", sha256: "1".repeat(64) },
  services: [
    {
      name: "api",
      runner: "container",
      image: "europe-west1-docker.pkg.dev/shop-prod-1234/apps/api:1.4.2",
      ports: [{ name: "http", port: 8080 }],
      env: { LOG_LEVEL: "info", GREETING: "it's $HOME 100%" },
      secrets: { STRIPE_KEY: { project: "shop-prod-1234", secretId: "shop-prod-stripe-key" } },
      health: { path: "/healthz" },
      domains: ["api.shop.example.com"],
      paths: ["/"],
    },
    {
      name: "docs",
      runner: "process",
      source: { git: "https://github.com/example/docs.git", ref: "3f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49", runtime: "nodejs@20.11.1", build: "npm ci && npm run build" },
      command: ["node", "server.js", "--port", "3000"],
      ports: [{ name: "http", port: 3000 }],
      health: { path: "/" },
      domains: ["shop.example.com", "api.shop.example.com"],
      paths: ["/docs"],
    },
  ],
};

/** Path of a tool; throws (failing the test) with the fix when it is missing. */
export function requireTool(tool: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error(`"${tool}" is not installed: run \`sudo bash .ci/install-tools.sh\` (Debian 12) to install the test tools`);
  }
  return found.stdout.trim();
}

export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...options.env }, cwd: options.cwd, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export { execFileSync };

/**
 * The same machine on Container-Optimized OS: container services only (no process runner there),
 * one pulled from Artifact Registry (docker-credential-gcr), one public image (no login).
 */
const { vfox: _vfox, ...withoutVfox } = machineSpec;
export const cosMachineSpec: MachineSpec = {
  ...withoutVfox,
  image: "cos-stable",
  services: [
    ...machineSpec.services!.filter((s) => s.runner === "container"),
    { name: "echo", runner: "container", image: "docker.io/hashicorp/http-echo:1.0", command: ["-listen=:5678", "-text=ok"], ports: [{ name: "http", port: 5678 }] },
  ],
};

/** examples/machines/brume.yaml as a plain document, to mutate in a test. */
export const machinesExample = () => parse(readFileSync(examplePath("machines", "brume.yaml"), "utf8"));

/** Plans `Machines` alone (no Project around it) for a brume document, as the example's prod environment. */
export async function planMachines(doc: unknown, publicZone = true): Promise<Plan> {
  const config = validateConfig(doc);
  return planProgram(async () => {
    const { Machines } = await import("../../src/components/machine/machines.js");
    const { Naming } = await import("../../src/config/naming.js");
    new Machines("m", {
      config,
      environment: { name: "prod", gcpProject: "tiles-prod-7310", region: "europe-west1", labels: {}, protect: true, replicaRegions: ["europe-west1"] },
      naming: Naming.of("tiles", "prod"),
      network: "projects/tiles-prod-7310/global/networks/tiles-prod",
      subnetwork: "projects/tiles-prod-7310/regions/europe-west1/subnetworks/tiles-prod-private",
      secretIds: { "maps-api-key": "maps-api-key-id", "agent-bootstrap-token": "agent-bootstrap-token-id" },
      ...(publicZone ? { publicZone: { name: "tiles-prod-public-zone", dnsName: "tiles.example.com." } } : {}),
    });
  });
}
