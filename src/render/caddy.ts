/**
 * The machine's Caddyfile: one site per domain with automatic HTTPS, path-routed `reverse_proxy`
 * to the services' local ports (with active health checks), and a plain-HTTP health endpoint for
 * the load balancer and the managed instance group's autohealing.
 *
 * Debian runs Caddy from its package (`caddy.service`). COS has no package manager: Caddy runs as
 * a container of the official image, pinned (`brume-caddy.service`), on the host network so the
 * passthrough load balancer's packets (client address kept) reach it on 80 / 443, with the
 * Caddyfile mounted read-only and its certificates and ACME account on the stateful disk.
 */
import { healthPort, helperPathsFor, type MachineService } from "./runners.js";
import { renderUnitFile, systemdQuote } from "./shell.js";

export interface CaddyOptions {
  /** ACME account email (expiry notices). */
  email?: string;
  /** Port of the plain-HTTP `/healthz` endpoint autohealing probes. @default 9000 */
  healthPort?: number;
  /** Caddy image on COS (the official image, pinned). @default caddyImage */
  image?: string;
}

export const defaultMachineHealthPort = 9000;
export const machineHealthPath = "/healthz";

/** The official Caddy image run on COS, pinned to a release (docker-library/official-images). */
export const caddyImage = "docker.io/library/caddy:2.11.4";

/** Caddy on COS: unit, container, Caddyfile directory and the stateful data directory. */
export const cosCaddy = {
  unit: "brume-caddy.service",
  container: "brume-caddy",
  configDir: "/etc/caddy",
  /** Certificates, ACME account (/data) and autosaved config (/config): survive reboots. */
  stateDir: "/var/lib/brume-caddy",
  firewallUnit: "brume-host-firewall.service",
} as const;

/** Ports Caddy listens on: HTTP (ACME HTTP-01, redirects), HTTPS and the health endpoint. */
export function caddyPorts(options: CaddyOptions = {}): number[] {
  return [...new Set([80, 443, options.healthPort ?? defaultMachineHealthPort])].sort((a, b) => a - b);
}

/**
 * COS's host firewall accepts only SSH (https://cloud.google.com/container-optimized-os/docs/how-to/firewall):
 * a host-network container's ports must be opened with iptables at every boot. A oneshot unit
 * opens Caddy's ports and closes them again when stopped; the VPC firewall stays the gate.
 */
export function renderHostFirewallUnit(options: CaddyOptions = {}): string {
  const rule = (action: "-A" | "-D", port: number) => `/sbin/iptables -w ${action} INPUT -p tcp -m tcp --dport ${port} -j ACCEPT`;
  const ports = caddyPorts(options);
  return renderUnitFile(`# ${cosCaddy.firewallUnit} — rendered by brume`, {
    Unit: [
      ["Description", `Open Caddy's ports (${ports.join(", ")}) in the host firewall`],
      ["Before", cosCaddy.unit],
    ],
    Service: [
      ["Type", "oneshot"],
      ["RemainAfterExit", true],
      ["ExecStart", ports.map((p) => rule("-A", p))],
      ["ExecStop", ports.map((p) => rule("-D", p))],
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
}

/** Caddy as a container on COS: official image, host network, read-only config, stateful data. */
export function renderCaddyContainerUnit(options: CaddyOptions = {}): string {
  const image = options.image ?? caddyImage;
  if (!/^[a-z0-9][a-z0-9._/:@-]*$/.test(image)) throw new RangeError(`"${image}" is not an image reference`);
  const docker = "/usr/bin/docker";
  const caddyfile = `${cosCaddy.configDir}/Caddyfile`;
  const run = [
    docker, "run", "--rm", "--name", cosCaddy.container,
    // The passthrough load balancer delivers the client's packets to the VM's 80 / 443 unchanged.
    "--network=host",
    "--log-driver=journald",
    "--read-only", "--tmpfs", "/tmp",
    "--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE", "--security-opt=no-new-privileges",
    // A pinned tag: pulled once, not at every restart.
    "--pull=missing",
    "--volume", `${cosCaddy.configDir}:${cosCaddy.configDir}:ro`,
    "--volume", `${cosCaddy.stateDir}/data:/data`,
    "--volume", `${cosCaddy.stateDir}/config:/config`,
    image,
    "caddy", "run", "--config", caddyfile, "--adapter", "caddyfile",
  ];
  const exec = (args: string[]) => args.map((a, i) => (i === 0 ? a : systemdQuote(a))).join(" ");
  const health = `http://127.0.0.1:${options.healthPort ?? defaultMachineHealthPort}${machineHealthPath}`;
  return renderUnitFile(`# ${cosCaddy.unit} — Caddy (container ${image}) — rendered by brume`, {
    Unit: [
      ["Description", `Caddy (container ${image})`],
      ["Wants", `network-online.target ${cosCaddy.firewallUnit}`],
      ["After", `network-online.target docker.service ${cosCaddy.firewallUnit}`],
      ["Requires", "docker.service"],
      ["StartLimitIntervalSec", 0],
    ],
    Service: [
      ["Type", "exec"],
      ["StateDirectory", "brume-caddy brume-caddy/data brume-caddy/config"],
      ["StateDirectoryMode", "0700"],
      ["ExecStartPre", `-${docker} rm --force ${cosCaddy.container}`],
      ["ExecStart", exec(run)],
      ["ExecStartPost", `${helperPathsFor("cos-stable").waitHealthy} ${systemdQuote(health)} 120`],
      ["ExecReload", exec([docker, "exec", cosCaddy.container, "caddy", "reload", "--config", caddyfile, "--adapter", "caddyfile"])],
      ["ExecStop", `${docker} stop --time 30 ${cosCaddy.container}`],
      ["Restart", "always"],
      ["RestartSec", "5s"],
      ["TimeoutStartSec", "10min"],
      ["TimeoutStopSec", "45s"],
      ["NoNewPrivileges", true],
      ["PrivateTmp", true],
      ["ProtectHome", true],
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
}

interface Route {
  service: MachineService;
  paths: string[];
}

/** Matcher for a path prefix: `/api` matches `/api` and `/api/…`, never `/apix`. */
function pathMatchers(paths: string[]): string[] {
  return paths.flatMap((p) => {
    const base = p.replace(/\/+$/, "");
    return base === "" ? [] : [base, `${base}/*`];
  });
}

export function renderCaddyfile(services: readonly MachineService[], options: CaddyOptions = {}): string {
  const byDomain = new Map<string, Route[]>();
  for (const svc of services) {
    for (const domain of svc.domains ?? []) {
      if (!/^[a-z0-9.-]+$/.test(domain)) throw new RangeError(`service ${svc.name}: "${domain}" is not a hostname`);
      const routes = byDomain.get(domain) ?? [];
      routes.push({ service: svc, paths: svc.paths?.length ? svc.paths : ["/"] });
      byDomain.set(domain, routes);
    }
  }
  const out: string[] = ["# Caddyfile — rendered by brume; do not edit on the machine."];
  if (options.email) {
    if (!/^[^\s{}]+@[^\s{}]+$/.test(options.email)) throw new RangeError(`"${options.email}" is not an email address`);
    out.push("{", `\temail ${options.email}`, "}");
  }
  out.push("", `:${options.healthPort ?? defaultMachineHealthPort} {`, `\trespond ${machineHealthPath} "ok" 200`, `\trespond 404`, "}");
  for (const domain of [...byDomain.keys()].sort()) {
    out.push("", `${domain} {`, "\tencode zstd gzip");
    const routes = byDomain.get(domain)!;
    for (const route of routes) {
      const matchers = pathMatchers(route.paths);
      const svc = route.service;
      const port = svc.ports[0]?.port;
      if (port === undefined) throw new RangeError(`service ${svc.name} is routed but has no port`);
      const proxy = [`\t\treverse_proxy 127.0.0.1:${port} {`];
      if (svc.health?.path) proxy.push(`\t\t\thealth_uri ${svc.health.path}`, `\t\t\thealth_port ${healthPort(svc)}`, "\t\t\thealth_interval 10s");
      proxy.push("\t\t}");
      if (matchers.length === 0) {
        out.push("\thandle {", ...proxy, "\t}");
      } else {
        const name = `@${svc.name}`;
        out.push(`\t${name} path ${matchers.join(" ")}`, `\thandle ${name} {`, ...proxy, "\t}");
      }
    }
    out.push("}");
  }
  return `${out.join("\n")}\n`;
}
