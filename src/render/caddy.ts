/**
 * The machine's Caddyfile: one site per domain, path-routed `reverse_proxy` to the services' local
 * ports (with active health checks), a catch-all site answering 404 to any other host, and a
 * plain-HTTP health endpoint for the load balancer's health check and the managed instance group's
 * autohealing.
 *
 * TLS: the environment's global external Application Load Balancer terminates the client's TLS
 * with a Google-managed certificate (src/components/machine/frontend.ts) and connects to Caddy on 443
 * over HTTPS. Caddy terminates that hop with certificates of its own internal CA (`tls internal`):
 * no ACME, no port 80, nothing that depends on a CA reaching this VM. The load balancer accepts any
 * certificate a backend presents unless backend authenticated TLS is configured
 * (https://cloud.google.com/load-balancing/docs/backend-authenticated-tls-backend-mtls), and it
 * sends no SNI to instance-group backends (only `tlsSettings.sni`, with backend authentication,
 * sets one), so `default_sni` names the certificate a ClientHello without SNI gets — without it
 * Caddy has no certificate to pick and the handshake fails. The HTTP Host header still routes.
 *
 * Debian runs Caddy from its package (`caddy.service`). COS has no package manager: Caddy runs as
 * a container of the official image, pinned (`brume-caddy.service`), on the host network so the
 * load balancer's proxies reach it on 443, with the Caddyfile mounted read-only and its internal CA
 * and certificates on the stateful disk.
 */
import { googleFrontEndRanges } from "../config/google-ranges.js";
import { containerSupervision } from "./containers.js";
import { healthPort, helperPathsFor, type MachineService } from "./runners.js";
import { renderUnitFile, systemdQuote, kernelAndPrivilegeLockdown, systemCalls } from "./shell.js";

export interface CaddyOptions {
  /** Port of the plain-HTTP `/healthz` endpoint autohealing probes. @default 9000 */
  healthPort?: number;
  /** Caddy image on COS (the official image, pinned). @default caddyImage */
  image?: string;
}

export const defaultMachineHealthPort = 9000;
export const machineHealthPath = "/healthz";
/** Caddy's own liveness (what a Caddy container's start waits for). */
export const livenessPath = "/livez";
/** The load balancer's health path and the responder's port (./boot.ts owns the responder). */
export const readyPath = "/ready";
export const healthResponderPort = 9001;

/** The official Caddy image run on COS, pinned to a release (docker-library/official-images). */
export const caddyImage = "docker.io/library/caddy:2.11.4";

/** Caddy on COS: unit, container, Caddyfile directory and the stateful data directory. */
export const cosCaddy = {
  unit: "brume-caddy.service",
  container: "brume-caddy",
  configDir: "/etc/caddy",
  /** The internal CA and its certificates (/data) and the autosaved config (/config): survive reboots. */
  stateDir: "/var/lib/brume-caddy",
  firewallUnit: "brume-host-firewall.service",
} as const;

/**
 * Ports Caddy listens on: HTTPS (the load balancer's proxies) and the health endpoint. No port 80:
 * no ACME, and the load balancer redirects plain HTTP itself.
 */
export function caddyPorts(options: CaddyOptions = {}): number[] {
  return [...new Set([443, options.healthPort ?? defaultMachineHealthPort])].sort((a, b) => a - b);
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
      // iptables needs CAP_NET_ADMIN/CAP_NET_RAW and netlink, writes its lock under /run only.
      ["CapabilityBoundingSet", "CAP_NET_ADMIN CAP_NET_RAW"],
      ["NoNewPrivileges", true],
      ["ProtectSystem", "strict"],
      ["ReadWritePaths", "/run"],
      ["ProtectHome", true],
      ["PrivateTmp", true],
      ["PrivateDevices", true],
      ...kernelAndPrivilegeLockdown,
      ["RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK"],
      ...systemCalls(),
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
    // The load balancer's proxies connect to the VM's 443, the health checks to the health port.
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
  const health = `http://127.0.0.1:${options.healthPort ?? defaultMachineHealthPort}${livenessPath}`;
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
      ...containerSupervision(docker, cosCaddy.container),
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
  const domains = [...byDomain.keys()].sort();
  const out: string[] = [
    "# Caddyfile — rendered by brume; do not edit on the machine.",
    "# TLS from the load balancer ends here, with Caddy's internal CA; clients see the load balancer's",
    "# Google-managed certificate. The load balancer sends no SNI: default_sni picks the certificate.",
    "{",
    // The load balancer redirects HTTP to HTTPS; Caddy listens on no port 80.
    "\tauto_https disable_redirects",
    // The internal CA's root stays in Caddy's storage, out of the system trust store.
    "\tskip_install_trust",
    ...(domains.length > 0 ? [`\tdefault_sni ${domains[0]}`] : []),
    "}",
  ];
  // Health (plain HTTP, the health checks' port): /healthz (autohealing) and /ready (load balancer)
  // from the health responder (./boot.ts), /healthz/<service> each service's own check, /livez Caddy's own.
  out.push("", `:${options.healthPort ?? defaultMachineHealthPort} {`);
  for (const svc of [...services].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!svc.health?.path) continue;
    out.push(`\thandle ${machineHealthPath}/${svc.name} {`, `\t\trewrite * ${svc.health.path}`, `\t\treverse_proxy 127.0.0.1:${healthPort(svc)}`, "\t}");
  }
  out.push(
    `\thandle ${machineHealthPath} {`, `\t\treverse_proxy 127.0.0.1:${healthResponderPort}`, "\t}",
    `\thandle ${readyPath} {`, `\t\treverse_proxy 127.0.0.1:${healthResponderPort}`, "\t}",
    `\thandle ${livenessPath} {`, `\t\trespond "ok" 200`, "\t}",
    "\thandle {", "\t\trespond 404", "\t}",
    "}",
  );
  for (const domain of domains) {
    out.push("", `${domain} {`, "\ttls internal", "\tencode zstd gzip");
    const routes = byDomain.get(domain)!;
    for (const route of routes) {
      const matchers = pathMatchers(route.paths);
      const svc = route.service;
      const port = svc.ports[0]?.port;
      if (port === undefined) throw new RangeError(`service ${svc.name} is routed but has no port`);
      // Requests come from the load balancer's proxies only (the firewall admits nothing else):
      // keep the client address they put in X-Forwarded-For instead of replacing it with theirs.
      const proxy = [`\t\treverse_proxy 127.0.0.1:${port} {`, `\t\t\ttrusted_proxies ${googleFrontEndRanges.join(" ")}`];
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
  if (domains.length > 0) {
    // Any other host (a bare IP, the URL map's default service receiving an unknown host): 404.
    out.push("", "https:// {", "\ttls internal", "\trespond 404", "}");
  }
  return `${out.join("\n")}\n`;
}
