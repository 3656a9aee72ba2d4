/**
 * The machine's Caddyfile: one site per domain with automatic HTTPS, path-routed `reverse_proxy`
 * to the services' local ports (with active health checks), and a plain-HTTP health endpoint for
 * the load balancer and the managed instance group's autohealing.
 */
import { healthPort, type MachineService } from "./runners.js";

export interface CaddyOptions {
  /** ACME account email (expiry notices). */
  email?: string;
  /** Port of the plain-HTTP `/healthz` endpoint autohealing probes. @default 9000 */
  healthPort?: number;
}

export const defaultMachineHealthPort = 9000;
export const machineHealthPath = "/healthz";

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
