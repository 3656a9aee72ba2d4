/** brume.yaml → MachineGroup args: pure, so what a config puts on machines is testable alone. */
import type { BrumeConfig, MachineGroupConfig, ServiceConfig } from "../../config/schema.js";
import type { Naming } from "../../config/naming.js";
import { mountedVersions } from "../../config/secret-versions.js";
import { dployrdDefaults } from "../../render/agent.js";
import type { MachineSpec } from "../../render/cloud-init.js";
import type { MachineService, ProcessSource } from "../../render/runners.js";
import type { MachineRateLimit } from "./machine-group.js";
import { groupConnections, machineServiceContract } from "./connections.js";

/** The contract's variables join the service's env (its own names win: a config rule refuses collisions) and its files and proxies. */
function withContract(svc: MachineService, contract: ReturnType<typeof machineServiceContract>): MachineService {
  return { ...svc, env: { ...contract.env, ...svc.env }, ...(contract.connection ? { connection: contract.connection } : {}) };
}

/** Services (container / process runners) placed on a group, sorted by name. */
export function servicesOnGroup(config: BrumeConfig, group: string): [string, ServiceConfig][] {
  return Object.entries(config.services)
    .filter(([, svc]) => svc.runner !== "kubernetes" && svc.machines === group)
    .sort(([a], [b]) => a.localeCompare(b));
}

/** Rate limits (`expose.rateLimitPerMinute`) of the services a group serves. */
export function groupRateLimits(config: BrumeConfig, group: string): MachineRateLimit[] {
  return servicesOnGroup(config, group).flatMap(([name, svc]) =>
    svc.expose?.rateLimitPerMinute !== undefined
      ? [{ service: name, domains: svc.expose.domains, paths: svc.expose.paths, perMinute: svc.expose.rateLimitPerMinute }]
      : [],
  );
}

/** Secret names a group's machines read: the bootstrap token, then the services' secrets. */
export function groupSecretNames(config: BrumeConfig, group: string): string[] {
  const names = new Set<string>([config.machines[group]!.agent.tokenSecret]);
  for (const [, svc] of servicesOnGroup(config, group)) for (const s of Object.values(svc.secrets)) names.add(s);
  return [...names];
}

export function machineService(name: string, svc: ServiceConfig, project: string, naming: Naming, secrets: BrumeConfig["secrets"] = {}): MachineService {
  const probe = svc.health.readiness ?? svc.health.liveness;
  const probePort = typeof probe?.port === "number" ? probe.port : svc.ports.find((p) => p.name === probe?.port)?.port;
  return {
    name,
    runner: svc.runner as "container" | "process",
    ...(svc.image ? { image: svc.image } : {}),
    ...(svc.source ? { source: processSource(svc.source) } : {}),
    ...(svc.command ? { command: svc.command } : {}),
    ports: svc.ports.map((p) => ({ name: p.name, port: p.port })),
    env: svc.env,
    // The stack's pinned versions (brume:secretVersions, docs/secrets.md): every machine reads the same one.
    secrets: Object.fromEntries(
      Object.entries(svc.secrets).map(([env, secret]) => {
        const v = Object.hasOwn(secrets, secret) ? mountedVersions(secrets[secret]!) : { current: "latest" as const };
        return [env, { project, secretId: naming.name(secret, "secretId"), ...(v.current !== "latest" ? { version: v.current } : {}), ...(v.previous !== undefined ? { previousVersion: v.previous } : {}) }];
      }),
    ),
    ...(probe ? { health: { ...(probe.path ? { path: probe.path } : {}), ...(probePort ? { port: probePort } : {}) } } : {}),
    ...(svc.expose ? { domains: svc.expose.domains, paths: svc.expose.paths } : {}),
  };
}

export function machineSpecFor(
  config: BrumeConfig,
  group: string,
  env: { name: string; gcpProject: string },
  naming: Naming,
  /** Render the connection contract (the Machines component knows the data services' outputs). @default true */
  options: { connections?: boolean } = {},
): MachineSpec {
  const g: MachineGroupConfig = config.machines[group]!;
  const withConnections = options.connections ?? true;
  const connections = withConnections ? groupConnections(config, servicesOnGroup(config, group), group) : { databases: [], caches: [], proxies: [] };
  return {
    image: g.image,
    agent: {
      name: g.agent.name,
      version: g.agent.version,
      url: g.agent.url ?? dployrdDefaults.url,
      ...(g.agent.sha256 ? { sha256: g.agent.sha256 } : {}),
      ...(g.agent.checksumUrl ? { checksumUrl: g.agent.checksumUrl } : {}),
      ...(g.agent.controlPlaneUrl ? { controlPlaneUrl: g.agent.controlPlaneUrl } : {}),
      tokenSecret: { project: env.gcpProject, secretId: naming.name(g.agent.tokenSecret, "secretId") },
      labels: { project: config.project.name, environment: env.name, group },
      unitOptions: g.agent.unitOptions,
    },
    services: servicesOnGroup(config, group).map(([name, svc]) => withConnections ? withContract(machineService(name, svc, env.gcpProject, naming, config.secrets), machineServiceContract(config, name, svc, connections, env.gcpProject, naming)) : machineService(name, svc, env.gcpProject, naming, config.secrets)),
    engine: g.engine,
    ...(g.vfox ? { vfox: g.vfox } : {}),
    caddy: { healthPort: g.healthPort },
    ...(connections.proxies.length ? { sqlProxies: connections.proxies } : {}),
  };
}

/** The renderer's source: git at a ref or an archive (the config rules made it exactly one). */
function processSource(source: NonNullable<ServiceConfig["source"]>): ProcessSource {
  const common = { runtime: source.runtime, ...(source.build ? { build: source.build } : {}) };
  if (source.artifact) return { ...common, artifact: { url: source.artifact.url, sha256: source.artifact.sha256 } };
  return { ...common, git: source.git!, ref: source.ref! };
}
