/**
 * `brume env <service> --stack <env>`: the connection contract's variables of a service
 * (docs/connections.md) for local development, with the Cloud SQL Auth Proxy command to run next
 * to it and the commands that fetch the contract's files. Offline: values only known after
 * deployment (the cache's host and port) print as `<…>` with the command that reads them.
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../../config/errors.js";
import { Naming } from "../../config/naming.js";
import { connectionContract, iamDatabaseUser } from "../../render/connections.js";
import { localProxyCommand } from "../../render/sql-proxy.js";
import { shQuote } from "../../render/shell.js";
import { loadStackFiles } from "../../config/stack-file.js";
import { UsageError, type Command } from "../command.js";

export const envCommand: Command = {
  summary: "Print a service's connection variables for local development, with the proxy command",
  usage: `brume env <service> --stack <env> [--config <file>] [--project-dir <dir>]
  <service>             a service of the config
  --stack <env>         the stack (Pulumi.<env>.yaml selects the environment and its overrides)
  --config <file>       brume.yaml or brume.toml (default: the stack's brume:configFile, else found in the current directory)
  --project-dir <dir>   directory of Pulumi.<env>.yaml (default: the config file's)`,
  run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { stack: { type: "string" }, config: { type: "string" }, "project-dir": { type: "string" } },
      strict: true,
    });
    const [service, ...extra] = positionals;
    if (!service || extra.length > 0) throw new UsageError("env needs exactly one service name");
    if (!values.stack) throw new UsageError("env needs --stack <env>");
    // The files `brume plan` and `pulumi up` read: --config, else the stack's brume:configFile, with
    // the stack's overrides (newcomer 6: brume:configFile is honoured by every command).
    const { loaded } = loadStackFiles({
      stack: values.stack,
      ...(values.config ? { configFile: values.config } : {}),
      ...(values["project-dir"] ? { projectDir: values["project-dir"] } : {}),
    });
    const { config, environment: env } = loaded;
    const svc = Object.hasOwn(config.services, service) ? config.services[service] : undefined;
    if (!svc) throw new ConfigError([{ path: `services.${service}`, message: `unknown service "${service}"; declared: ${Object.keys(config.services).join(", ")}`, value: service }]);
    const naming = Naming.of(config.project.name, env.name, env.generation);
    const project = env.gcpProject;
    const u = svc.uses;
    const gsa = svc.runner === "kubernetes" ? `${naming.name(service, "serviceAccountId")}@${project}.iam.gserviceaccount.com` : `${naming.name([svc.machines!, "vm"], "serviceAccountId")}@${project}.iam.gserviceaccount.com`;
    const instance = u.database ? naming.name(u.database, "sqlInstance") : "";
    const connectionName = `${project}:${env.region}:${instance}`;
    const filesDir = `./.brume/${service}`;
    const contract = connectionContract<string>(
      {
        project,
        ...(u.database
          ? {
              database: {
                name: u.database,
                connectionName,
                database: config.databases[u.database]!.databases[0]!,
                auth: u.databaseAuth,
                user: u.databaseAuth === "iam" ? iamDatabaseUser(gsa) : service,
                ...(u.databaseAuth === "password" ? { passwordSecretId: naming.name([u.database, service, "password"], "secretId") } : {}),
                poolSize: u.databasePoolSize,
              },
            }
          : {}),
        ...(u.cache
          ? {
              cache: {
                name: u.cache,
                host: `<host: gcloud redis instances describe ${naming.name(u.cache)} --region=${env.region} --project=${project} --format='value(host)'>`,
                port: "6378",
                authSecretId: naming.name([u.cache, "auth"], "secretId"),
                caSecretId: naming.name([u.cache, "ca"], "secretId"),
              },
            }
          : {}),
        topics: Object.fromEntries(u.topics.map((t) => [t, `projects/${project}/topics/${naming.name(t, "topic")}`])),
        subscriptions: Object.fromEntries(u.subscriptions.map((r) => [r, `projects/${project}/subscriptions/${naming.name(r.split("/"))}`])),
        buckets: Object.fromEntries(u.buckets.map((b) => [b, `<bucket ${b}: pulumi stack output, or gcloud storage buckets list --project=${project}>`])),
      },
      { filesDir, dbHost: "127.0.0.1", dbPort: 5432 },
    );
    const lines = [`# ${service} in ${env.name} (${project}): the connection contract (docs/connections.md)`];
    for (const [k, v] of Object.entries(contract.env)) lines.push(`export ${k}=${shQuote(v)}`);
    for (const [k, secret] of Object.entries(svc.secrets)) lines.push(`export ${k}_FILE=${shQuote(`${filesDir}/${k}`)}  # gcloud secrets versions access latest --secret=${naming.name(secret, "secretId")} --project=${project} > ${filesDir}/${k}`);
    if (contract.files.length) {
      lines.push("", "# The contract's files (your account needs secretAccessor on them):", `mkdir -p ${filesDir} && chmod 700 ${filesDir}`);
      for (const f of contract.files) lines.push(`gcloud secrets versions access latest --secret=${f.secretId} --project=${project} > ${f.path}`);
    }
    if (contract.proxy) {
      lines.push(
        "",
        "# Cloud SQL Auth Proxy (the instance has a private IP only: run it from a machine with a path into the VPC, e.g. the VPN);",
        `# ${u.databaseAuth === "iam" ? `logs in as ${gsa} (you need roles/iam.serviceAccountTokenCreator on it)` : "password login as the service's built-in user"}:`,
        `${localProxyCommand({ connectionName, port: 5432, autoIamAuthn: contract.proxy.autoIamAuthn })}${u.databaseAuth === "iam" ? ` --impersonate-service-account=${gsa}` : ""}`,
      );
    }
    io.stdout(`${lines.join("\n")}\n`);
    return 0;
  },
};
