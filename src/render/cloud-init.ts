/**
 * The `#cloud-config` user-data of a machine: the agent's system user, the service users, every
 * rendered file (install script, token fetch, config, units, Caddyfile, runner scripts) and the
 * first-boot commands. No secret ever appears here: the bootstrap token and service secrets are
 * read from Secret Manager on the machine, with its own identity.
 *
 * Two image families (./layout.ts). Debian 12: packages from apt (Caddy, the container engine,
 * git), cloud-init runs once per instance. Container-Optimized OS: no package manager and a
 * read-only root; cloud-init runs on EVERY boot and `/etc` is a tmpfs, so users, units, config and
 * the Caddyfile are written again at each boot and the install script runs again (it re-verifies
 * the release; the binary lives under the stateful, executable /var/lib/google). Caddy runs as a
 * container, the host firewall is opened for it, container images from Artifact Registry are
 * pulled through docker-credential-gcr. Process services (vfox toolchains) are Debian only.
 */
import { stringify } from "yaml";
import { agentPaths, renderAgentLogrotate, renderAgentUnit, renderInstallScript, renderTokenFetchScript, renderTokenUnit, type AgentSpec } from "./agent.js";
import { cosCaddy, renderCaddyContainerUnit, renderCaddyfile, renderHostFirewallUnit, type CaddyOptions } from "./caddy.js";
import { cosAgentUid, type ImageFamily } from "./layout.js";
import { renderSecretFilesScript, secretFilesHelper, sqlProxyUnitFiles, type MachineSqlProxy } from "./machine-connections.js";
import { sqlProxyUnitName } from "./sql-proxy.js";
import { dockerDaemonConfigPath, podmanSubordinateIds, renderContainerUnit, renderDockerDaemonConfig, renderRegistryLoginScript } from "./containers.js";
import { opsAgentDefaults, opsAgentPaths, renderOpsAgentConfig, renderOpsAgentInstallScript, renderOpsAgentInstallUnit, type OpsAgentSpec } from "./ops-agent.js";
import {
  bootPaths,
  caddyDropInPath,
  convergeUnit,
  convergeUnits,
  healthServiceUnit,
  healthSocketUnit,
  healthUser,
  renderCaddyDropIn,
  renderConvergeScript,
  renderConvergeUnit,
  renderHealthScript,
  renderHealthService,
  renderHealthSocket,
  renderStartupScript,
} from "./boot.js";
import {
  helperPaths,
  helperPathsFor,
  processScripts,
  renderEnvFile,
  renderFetchVerifiedScript,
  renderProcessPrepareScript,
  renderProcessRunScript,
  renderProcessUnit,
  renderSecretEnvScript,
  renderWaitHealthyScript,
  serviceEnvFile,
  serviceUnitName,
  serviceUser,
  type ContainerEngine,
  type MachineService,
} from "./runners.js";

export interface VfoxSpec {
  /** Pinned vfox version. */
  version: string;
  /** URL of the vfox binary (a single executable); may contain `{version}`. */
  url: string;
  /** SHA-256 of that binary. */
  sha256: string;
}

export interface MachineSpec {
  /** Image family the machine boots. @default "debian-12" */
  image?: ImageFamily;
  agent: AgentSpec;
  /** Services this machine runs (container / process runners). @default [] */
  services?: MachineService[];
  /** Container engine. @default "docker" */
  engine?: ContainerEngine;
  /** vfox, required when a process service runs here. */
  vfox?: VfoxSpec;
  caddy?: CaddyOptions;
  /** Cloud SQL Auth Proxies of the group's databases (the connection contract). @default [] */
  sqlProxies?: MachineSqlProxy[];
  /** Google's Ops Agent (Debian: service journals to Cloud Logging). @default { version: opsAgentDefaults.version } */
  opsAgent?: { version: string };
}

/** The Ops Agent of a Debian machine: the pinned version, the agent's JSON log shipped as structured entries. */
export function opsAgentSpecFor(spec: MachineSpec): OpsAgentSpec {
  return { version: spec.opsAgent?.version ?? opsAgentDefaults.version, agentLogFile: agentPaths(spec.agent.name).logFile };
}

interface WriteFile {
  path: string;
  permissions: string;
  owner: string;
  content: string;
}

/** Every file written on the machine, in a stable order. */
export function machineFiles(spec: MachineSpec): WriteFile[] {
  if ((spec.image ?? "debian-12") === "cos-stable") return cosMachineFiles(spec);
  const services = [...(spec.services ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const engine = spec.engine ?? "docker";
  const p = agentPaths(spec.agent.name);
  const file = (path: string, content: string, permissions = "0644"): WriteFile => ({ path, permissions, owner: "root:root", content });
  const files: WriteFile[] = [
    file(p.installScript, renderInstallScript(spec.agent), "0755"),
    file(p.tokenScript, renderTokenFetchScript(spec.agent), "0755"),
    file(`/etc/systemd/system/${p.tokenUnit}`, renderTokenUnit(spec.agent)),
    file(`/etc/systemd/system/${p.unit}`, renderAgentUnit(spec.agent)),
    file(helperPaths.waitHealthy, renderWaitHealthyScript(), "0755"),
    file(helperPaths.secretEnv, renderSecretEnvScript(), "0755"),
    file("/etc/caddy/Caddyfile", renderCaddyfile(services, spec.caddy)),
    file(caddyDropInPath, renderCaddyDropIn()),
    file(p.logrotate, renderAgentLogrotate(spec.agent)),
    file(bootPaths().converge, renderConvergeScript(convergeSpec(spec, services)), "0755"),
    file(`/etc/systemd/system/${convergeUnit}`, renderConvergeUnit(convergeSpec(spec, services))),
    ...healthFiles(spec, services, "debian-12"),
    file(opsAgentPaths.config, renderOpsAgentConfig(opsAgentSpecFor(spec))),
    file(opsAgentPaths.installScript, renderOpsAgentInstallScript(opsAgentSpecFor(spec)), "0755"),
    file(`/etc/systemd/system/${opsAgentPaths.installUnit}`, renderOpsAgentInstallUnit(opsAgentSpecFor(spec))),
  ];
  if (services.some((s) => s.runner === "container")) files.push(file(helperPaths.registryLogin, renderRegistryLoginScript(), "0755"));
  if (engine === "docker" && services.some((s) => s.runner === "container")) files.push(file(dockerDaemonConfigPath, renderDockerDaemonConfig()));
  if (services.some((s) => s.runner === "process") || (spec.sqlProxies ?? []).length > 0) files.push(file(helperPaths.fetchVerified, renderFetchVerifiedScript(), "0755"));
  if (services.some((s) => (s.connection?.files.length ?? 0) > 0)) files.push(file(secretFilesHelper, renderSecretFilesScript(), "0755"));
  for (const u of sqlProxyUnitFiles(spec.sqlProxies ?? [], helperPaths.fetchVerified)) files.push(file(u.path, u.content));
  for (const svc of services) {
    files.push(file(serviceEnvFile(svc), renderEnvFile(svc), "0640"));
    if (svc.runner === "container") {
      files.push(file(`/etc/systemd/system/${serviceUnitName(svc)}`, renderContainerUnit(svc, engine)));
    } else {
      files.push(
        file(processScripts(svc).prepare, renderProcessPrepareScript(svc), "0755"),
        file(processScripts(svc).run, renderProcessRunScript(svc), "0755"),
        file(`/etc/systemd/system/${serviceUnitName(svc)}`, renderProcessUnit(svc)),
      );
    }
  }
  return files;
}

function convergeSpec(spec: MachineSpec, services: MachineService[]) {
  return {
    agent: spec.agent,
    ...(spec.vfox && services.some((s) => s.runner === "process")
      ? { vfox: { url: spec.vfox.url.replaceAll("{version}", spec.vfox.version), sha256: spec.vfox.sha256 } }
      : {}),
    units: convergeUnits(spec.agent.name, services),
  };
}

function healthFiles(spec: MachineSpec, services: MachineService[], family: ImageFamily): WriteFile[] {
  const p = agentPaths(spec.agent.name, family);
  const health = {
    agentUnit: p.unit,
    ...(family === "debian-12" ? { installUnit: convergeUnit, loggingUnit: opsAgentPaths.installUnit } : {}),
    services,
    ...(spec.caddy?.healthPort ? { healthPort: spec.caddy.healthPort } : {}),
  };
  return [
    { path: bootPaths(family).health, permissions: "0755", owner: "root:root", content: renderHealthScript(health) },
    { path: `/etc/systemd/system/${healthSocketUnit}`, permissions: "0644", owner: "root:root", content: renderHealthSocket() },
    { path: `/etc/systemd/system/${healthServiceUnit}`, permissions: "0644", owner: "root:root", content: renderHealthService(family) },
  ];
}

/** A Debian machine's services by name, its engine, and whether it runs containers / processes (those need vfox). */
function debianServices(spec: MachineSpec) {
  const services = [...(spec.services ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const engine = spec.engine ?? "docker";
  const hasContainers = services.some((s) => s.runner === "container");
  const hasProcesses = services.some((s) => s.runner === "process");
  if (hasProcesses && !spec.vfox) throw new RangeError("process services need vfox (version, url, sha256)");
  return { services, engine, hasContainers, hasProcesses };
}

/**
 * Debian 12 on GCE: the `startup-script` metadata value (./boot.ts), run by google-guest-agent at
 * every boot. The same files, users and packages as the cloud-config document below.
 */
export function renderStartupScriptFor(spec: MachineSpec): string {
  if ((spec.image ?? "debian-12") !== "debian-12") throw new RangeError("the startup script is Debian's; Container-Optimized OS boots from user-data");
  const { services, engine, hasContainers, hasProcesses } = debianServices(spec);
  const p = agentPaths(spec.agent.name);
  return renderStartupScript({
    users: [spec.agent.name, healthUser, ...services.filter((s) => s.runner === "process").map(serviceUser)],
    packages: ["ca-certificates", "curl", "caddy", ...(hasContainers ? [engine === "docker" ? "docker.io" : "podman"] : []), ...(hasProcesses ? ["git"] : [])],
    files: machineFiles(spec),
    enable: [convergeUnit, healthSocketUnit, opsAgentPaths.installUnit, p.tokenUnit, p.unit, ...(spec.sqlProxies ?? []).map((x) => sqlProxyUnitName(x.database)).sort(), ...services.map(serviceUnitName), "caddy.service"],
    directories: [p.configDir],
    restartOnChange: [
      { path: opsAgentPaths.config, unit: opsAgentPaths.agentUnit },
      ...(hasContainers && engine === "docker" ? [{ path: dockerDaemonConfigPath, unit: "docker.service" }] : []),
    ],
    subordinateIds: hasContainers && engine === "podman" ? [podmanSubordinateIds] : [],
    startNoBlock: [opsAgentPaths.installUnit],
  });
}

/** The `#cloud-config` document (an image with cloud-init; GCE's Debian has none: renderStartupScriptFor). */
export function renderUserData(spec: MachineSpec): string {
  if ((spec.image ?? "debian-12") === "cos-stable") return renderCosUserData(spec);
  const { services, engine, hasContainers, hasProcesses } = debianServices(spec);
  const p = agentPaths(spec.agent.name);

  const users = [
    { name: spec.agent.name, system: true, shell: "/usr/sbin/nologin", lock_passwd: true, no_create_home: true },
    { name: healthUser, system: true, shell: "/usr/sbin/nologin", lock_passwd: true, no_create_home: true },
    ...services
      .filter((s) => s.runner === "process")
      .map((s) => ({ name: serviceUser(s), system: true, shell: "/usr/sbin/nologin", lock_passwd: true, no_create_home: true })),
  ];
  const units = [p.tokenUnit, p.unit, ...(spec.sqlProxies ?? []).map((x) => sqlProxyUnitName(x.database)).sort(), ...services.map(serviceUnitName), "caddy.service"];
  const doc = {
    users,
    package_update: true,
    packages: [
      "ca-certificates",
      "curl",
      "caddy",
      ...(hasContainers ? [engine === "docker" ? "docker.io" : "podman"] : []),
      ...(hasProcesses ? ["git"] : []),
    ],
    write_files: machineFiles(spec),
    runcmd: [
      // The install runs in the converge unit (bounded retries, skipped when installed); its
      // failure is the last command's, so cloud-init reports it.
      ["install", "-d", "-m", "0750", p.configDir],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", convergeUnit, healthSocketUnit, ...units],
      ["systemctl", "reload-or-restart", "caddy.service"],
      ["systemctl", "start", healthSocketUnit],
      ["systemctl", "start", convergeUnit],
    ],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}

/** COS rejects what it cannot run: process services (no vfox toolchains, noexec /var) and podman. */
function checkCosSpec(spec: MachineSpec): void {
  const processes = (spec.services ?? []).filter((s) => s.runner === "process").map((s) => s.name);
  if (processes.length > 0) {
    throw new RangeError(`Container-Optimized OS runs container services only; process services (${processes.join(", ")}) need image debian-12`);
  }
  if ((spec.engine ?? "docker") !== "docker") throw new RangeError(`Container-Optimized OS ships docker, not ${spec.engine}`);
  if ((spec.sqlProxies ?? []).length > 0 || (spec.services ?? []).some((s) => s.connection)) {
    throw new RangeError("Container-Optimized OS machines do not run the connection contract yet (no Cloud SQL Auth Proxy, no secret files): use image debian-12 for services that use a database or cache");
  }
}

/**
 * COS files: the agent's scripts and the helpers under /var/lib/google/brume/lib (executable,
 * stateful), units and config under /etc (tmpfs, written again by cloud-init at every boot).
 */
function cosMachineFiles(spec: MachineSpec): WriteFile[] {
  checkCosSpec(spec);
  const family = "cos-stable";
  const services = [...(spec.services ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const p = agentPaths(spec.agent.name, family);
  const helpers = helperPathsFor(family);
  const file = (path: string, content: string, permissions = "0644"): WriteFile => ({ path, permissions, owner: "root:root", content });
  const files: WriteFile[] = [
    file(p.installScript, renderInstallScript(spec.agent, family), "0755"),
    file(p.tokenScript, renderTokenFetchScript(spec.agent), "0755"),
    file(`/etc/systemd/system/${p.tokenUnit}`, renderTokenUnit(spec.agent, family)),
    file(`/etc/systemd/system/${p.unit}`, renderAgentUnit(spec.agent, family)),
    file(helpers.waitHealthy, renderWaitHealthyScript(), "0755"),
    file(helpers.secretEnv, renderSecretEnvScript(), "0755"),
    file(`${cosCaddy.configDir}/Caddyfile`, renderCaddyfile(services, spec.caddy)),
    file(`/etc/systemd/system/${cosCaddy.firewallUnit}`, renderHostFirewallUnit(spec.caddy)),
    file(`/etc/systemd/system/${cosCaddy.unit}`, renderCaddyContainerUnit(spec.caddy)),
    ...healthFiles(spec, services, family),
  ];
  for (const svc of services) {
    files.push(
      file(serviceEnvFile(svc), renderEnvFile(svc), "0640"),
      file(`/etc/systemd/system/${serviceUnitName(svc)}`, renderContainerUnit(svc, "docker", family)),
    );
  }
  return files;
}

/** The COS `#cloud-config`: no packages; the same document is applied at every boot. */
function renderCosUserData(spec: MachineSpec): string {
  checkCosSpec(spec);
  const services = [...(spec.services ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const p = agentPaths(spec.agent.name, "cos-stable");
  const units = [p.tokenUnit, p.unit, ...services.map(serviceUnitName), cosCaddy.firewallUnit, healthSocketUnit, cosCaddy.unit];
  const doc = {
    // /etc/passwd is on the /etc tmpfs: a fixed uid keeps the agent's stateful directories its own.
    users: [
      { name: spec.agent.name, uid: cosAgentUid, system: true, shell: "/usr/sbin/nologin", lock_passwd: true, no_create_home: true },
      { name: healthUser, system: true, shell: "/usr/sbin/nologin", lock_passwd: true, no_create_home: true },
    ],
    write_files: machineFiles(spec),
    runcmd: [
      // Every boot: downloads and verifies the pinned release again, installs nothing on failure.
      [p.installScript],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", ...units],
      ["systemctl", "reload-or-restart", cosCaddy.unit],
    ],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
