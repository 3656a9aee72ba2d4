/**
 * The `#cloud-config` user-data of a machine: the agent's system user, the service users, every
 * rendered file (install script, token fetch, config, units, Caddyfile, runner scripts) and the
 * first-boot commands. No secret ever appears here: the bootstrap token and service secrets are
 * read from Secret Manager on the machine, with its own identity.
 */
import { stringify } from "yaml";
import { agentPaths, renderAgentUnit, renderInstallScript, renderTokenFetchScript, renderTokenUnit, type AgentSpec } from "./agent.js";
import { renderCaddyfile, type CaddyOptions } from "./caddy.js";
import {
  helperPaths,
  processScripts,
  renderContainerUnit,
  renderEnvFile,
  renderFetchVerifiedScript,
  renderProcessPrepareScript,
  renderProcessRunScript,
  renderProcessUnit,
  renderRegistryLoginScript,
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
  agent: AgentSpec;
  /** Services this machine runs (container / process runners). @default [] */
  services?: MachineService[];
  /** Container engine. @default "docker" */
  engine?: ContainerEngine;
  /** vfox, required when a process service runs here. */
  vfox?: VfoxSpec;
  caddy?: CaddyOptions;
}

interface WriteFile {
  path: string;
  permissions: string;
  owner: string;
  content: string;
}

/** Every file written on the machine, in a stable order. */
export function machineFiles(spec: MachineSpec): WriteFile[] {
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
  ];
  if (services.some((s) => s.runner === "container")) files.push(file(helperPaths.registryLogin, renderRegistryLoginScript(), "0755"));
  if (services.some((s) => s.runner === "process")) files.push(file(helperPaths.fetchVerified, renderFetchVerifiedScript(), "0755"));
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

/** The `#cloud-config` document. */
export function renderUserData(spec: MachineSpec): string {
  const services = [...(spec.services ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const engine = spec.engine ?? "docker";
  const hasContainers = services.some((s) => s.runner === "container");
  const hasProcesses = services.some((s) => s.runner === "process");
  if (hasProcesses && !spec.vfox) throw new RangeError("process services need vfox (version, url, sha256)");
  const p = agentPaths(spec.agent.name);
  const vfoxUrl = spec.vfox ? spec.vfox.url.replaceAll("{version}", spec.vfox.version) : "";

  const users = [
    { name: spec.agent.name, system: true, shell: "/usr/sbin/nologin", lock_passwd: true, no_create_home: true },
    ...services
      .filter((s) => s.runner === "process")
      .map((s) => ({ name: serviceUser(s), system: true, shell: "/usr/sbin/nologin", lock_passwd: true, no_create_home: true })),
  ];
  const units = [p.tokenUnit, p.unit, ...services.map(serviceUnitName), "caddy.service"];
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
      // Fails loudly (cloud-init reports the error) and installs nothing when the release is not verified.
      [p.installScript],
      ...(hasProcesses ? [[helperPaths.fetchVerified, vfoxUrl, spec.vfox!.sha256, "/usr/local/bin/vfox"]] : []),
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", ...units],
      ["systemctl", "reload-or-restart", "caddy.service"],
    ],
  };
  return `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
}
