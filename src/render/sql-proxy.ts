/**
 * Google's Cloud SQL Auth Proxy v2 as the connection contract runs it: a native sidecar of every
 * pod whose service uses a database, and a systemd unit per database on machines. Pure.
 *
 * Flags (https://github.com/GoogleCloudPlatform/cloud-sql-proxy#configuring-the-proxy, `--help`):
 * `--private-ip` (the instances have no public IP), `--auto-iam-authn` (IAM database
 * authentication: the proxy logs in with the identity's OAuth token, the app sends no password,
 * https://cloud.google.com/sql/docs/postgres/iam-logins#auto-iam-authn), `--address`/`--port` of the
 * local listener, `--health-check` with `--http-address`/`--http-port` for probes,
 * `--exit-zero-on-sigterm`, `--structured-logs`.
 */
import { cloudSqlProxyImage } from "./pgaudit.js";
import { renderUnitFile, systemdQuote } from "./shell.js";
import { restrictedContainerSecurityContext } from "./pod-security.js";

export { cloudSqlProxyImage };

/** Health endpoint of the sidecar (`/startup`, `/readiness`, `/liveness`). */
export const sqlProxyHealthPort = 9801;

export interface SqlProxyOptions {
  connectionName: string;
  port: number;
  autoIamAuthn: boolean;
  /** Local listener. @default 127.0.0.1 */
  address?: string;
}

export function sqlProxyArgs(o: SqlProxyOptions & { health?: { address: string; port: number } }): string[] {
  return [
    "--private-ip",
    ...(o.autoIamAuthn ? ["--auto-iam-authn"] : []),
    `--address=${o.address ?? "127.0.0.1"}`,
    `--port=${o.port}`,
    "--structured-logs",
    ...(o.health ? ["--health-check", `--http-address=${o.health.address}`, `--http-port=${o.health.port}`] : []),
    "--exit-zero-on-sigterm",
    o.connectionName,
  ];
}

/**
 * The sidecar: an init container with `restartPolicy: Always` (a native sidecar, Kubernetes ≥ 1.29:
 * https://kubernetes.io/docs/concepts/workloads/pods/sidecar-containers/) — started before the app
 * (its startup probe gates the app's start), stopped after it, so the app never runs without its
 * database path. Restricted security context, requests = limits (the namespace quota counts both).
 * `connectionName` is a placeholder the Service replaces by the instance's output.
 */
export function sqlProxySidecar(o: SqlProxyOptions) {
  return {
    name: "cloud-sql-proxy",
    image: cloudSqlProxyImage,
    restartPolicy: "Always" as const,
    // Kubelet probes reach the pod IP: the health listener is on every interface, the database listener on loopback only.
    args: sqlProxyArgs({ ...o, health: { address: "0.0.0.0", port: sqlProxyHealthPort } }),
    startupProbe: { httpGet: { path: "/startup", port: sqlProxyHealthPort }, periodSeconds: 1, failureThreshold: 60 },
    livenessProbe: { httpGet: { path: "/liveness", port: sqlProxyHealthPort }, periodSeconds: 10, failureThreshold: 3 },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "100m", memory: "128Mi" } },
    securityContext: restrictedContainerSecurityContext(),
  };
}

/** Where the machines install the proxy binary. */
export const sqlProxyBinary = "/usr/local/lib/brume/cloud-sql-proxy";

/**
 * The release binary (https://github.com/GoogleCloudPlatform/cloud-sql-proxy/releases: "Linux
 * (amd64) … https://storage.googleapis.com/cloud-sql-connectors/cloud-sql-proxy/v<ver>/cloud-sql-proxy.linux.amd64").
 */
export function sqlProxyDownloadUrl(version: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new RangeError(`cloud-sql-proxy version ${JSON.stringify(version)} is not x.y.z`);
  return `https://storage.googleapis.com/cloud-sql-connectors/cloud-sql-proxy/v${version}/cloud-sql-proxy.linux.amd64`;
}

export const sqlProxyUnitName = (database: string) => `brume-sql-proxy-${database}.service`;

/**
 * A machine's proxy for one database: the VM's identity (metadata server), a dynamic user (no
 * state, no home), the services of the group start after it (`Before=`/`Wants=` on their units).
 * The binary is installed by `fetch-verified` (SHA-256 checked) in ExecStartPre, once.
 */
export function renderSqlProxyUnit(o: SqlProxyOptions & { database: string; version: string; sha256: string; fetchVerified: string }): string {
  if (!/^[a-f0-9]{64}$/.test(o.sha256)) throw new RangeError(`cloud-sql-proxy sha256 is not a SHA-256`);
  const args = sqlProxyArgs(o).map(systemdQuote).join(" ");
  return renderUnitFile(`# ${sqlProxyUnitName(o.database)} — Cloud SQL Auth Proxy ${o.version} for database ${o.database} — rendered by brume`, {
    Unit: [
      ["Description", `Cloud SQL Auth Proxy (${o.database})`],
      ["Wants", "network-online.target"],
      ["After", "network-online.target"],
      ["StartLimitIntervalSec", 0],
    ],
    Service: [
      ["Type", "exec"],
      // Root only to install the verified binary ("+": full privileges for this command only).
      ["ExecStartPre", `+/bin/sh -c ${systemdQuote(`test -x ${sqlProxyBinary} || ${o.fetchVerified} ${sqlProxyDownloadUrl(o.version)} ${o.sha256} ${sqlProxyBinary} 0755`)}`],
      ["ExecStart", `${sqlProxyBinary} ${args}`],
      ["DynamicUser", true],
      ["Restart", "always"],
      ["RestartSec", "2s"],
      ["NoNewPrivileges", true],
      ["ProtectSystem", "strict"],
      ["ProtectHome", true],
      ["PrivateTmp", true],
      ["PrivateDevices", true],
      ["ProtectKernelTunables", true],
      ["ProtectKernelModules", true],
      ["ProtectControlGroups", true],
      ["CapabilityBoundingSet", ""],
      ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"],
      ["SystemCallFilter", "@system-service"],
    ],
    Install: [["WantedBy", "multi-user.target"]],
  });
}

/** The command `brume env` prints for local development (needs a path into the VPC: VPN or IAP tunnel). */
export function localProxyCommand(o: SqlProxyOptions): string {
  return ["cloud-sql-proxy", ...sqlProxyArgs(o)].join(" ");
}
