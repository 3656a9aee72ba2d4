/**
 * `brume:project:Apis` — the Google APIs an environment needs, enabled once per project, plus the
 * service identities (service agents) that GCP only creates on demand. Every other component
 * waits for these through `dependsOn: apis.all`.
 *
 * Services are never disabled on destroy (`disableOnDestroy: false`): turning an API off in a
 * shared project breaks whatever else uses it, and other stacks may share the project. This is
 * what Cloud Foundation Fabric's project module does too.
 *
 * Also home of the service-agent helpers: the Google-managed service accounts that act for an
 * API inside a project (`service-<projectNumber>@<domain>`), which our components grant roles to.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import { ApiReadiness } from "../readiness/readiness.js";
import type { WaitBounds } from "../readiness/runtime.js";

/** The APIs every brume environment uses. */
export const defaultApis = [
  "compute.googleapis.com",
  "container.googleapis.com",
  "sqladmin.googleapis.com",
  // Buckets: on by default only for projects created in the console (gcp-review 32).
  "storage.googleapis.com",
  "servicenetworking.googleapis.com",
  "redis.googleapis.com",
  "pubsub.googleapis.com",
  "secretmanager.googleapis.com",
  "artifactregistry.googleapis.com",
  "containerscanning.googleapis.com",
  "dns.googleapis.com",
  "cloudkms.googleapis.com",
  "binaryauthorization.googleapis.com",
  "monitoring.googleapis.com",
  "logging.googleapis.com",
  "iap.googleapis.com",
  "certificatemanager.googleapis.com",
  "cloudresourcemanager.googleapis.com",
  "iam.googleapis.com",
  // Workload Identity (GKE pods, GitHub Actions) exchanges tokens through these two.
  "iamcredentials.googleapis.com",
  "sts.googleapis.com",
] as const;

/**
 * Services whose service agent GCP does not create when the API is enabled: we generate it
 * (`gcp.projects.ServiceIdentity`) so IAM grants to it (KMS keys for CMEK secrets, Pub/Sub dead
 * letters) never fail with "service account does not exist".
 */
export const defaultServiceIdentities = ["pubsub.googleapis.com", "secretmanager.googleapis.com"] as const;

/** Domains of the service agents we grant roles to: `service-<projectNumber>@<domain>`. */
export const serviceAgentDomains = {
  pubsub: "gcp-sa-pubsub.iam.gserviceaccount.com",
  secretmanager: "gcp-sa-secretmanager.iam.gserviceaccount.com",
  artifactregistry: "gcp-sa-artifactregistry.iam.gserviceaccount.com",
  cloudsql: "gcp-sa-cloud-sql.iam.gserviceaccount.com",
  storage: "gs-project-accounts.iam.gserviceaccount.com",
  compute: "compute-system.iam.gserviceaccount.com",
  container: "container-engine-robot.iam.gserviceaccount.com",
  redis: "cloud-redis.iam.gserviceaccount.com",
  /** Cloud CDN's cache-fill account; exists once a signed URL key was added in the project. */
  cdnFill: "cloud-cdn-fill.iam.gserviceaccount.com",
} as const;

export type ServiceAgent = keyof typeof serviceAgentDomains;

/** `service-<projectNumber>@<domain>` of a service agent (pure). */
export function serviceAgentEmail(projectNumber: string, agent: ServiceAgent): string {
  return `service-${projectNumber}@${serviceAgentDomains[agent]}`;
}

/** The IAM member of a service agent, from the project number (an Output from the invoke). */
export function serviceAgentMember(projectNumber: pulumi.Input<string>, agent: ServiceAgent): pulumi.Output<string> {
  return pulumi.output(projectNumber).apply((n) => `serviceAccount:${serviceAgentEmail(n, agent)}`);
}

/**
 * The project number of `projectId`, from the `getProject` invoke run through `parent`'s provider
 * (and after `dependsOn`, e.g. the APIs).
 */
export function projectNumberOf(
  projectId: string,
  parent: pulumi.Resource,
  dependsOn?: pulumi.ResourceOptions["dependsOn"],
): pulumi.Output<string> {
  return gcp.organizations
    .getProjectOutput({ projectId }, { parent, ...(dependsOn !== undefined ? { dependsOn } : {}) })
    .apply((p) => {
      if (!p.number) throw new Error(`project ${projectId} has no project number`);
      return p.number;
    });
}

/** The short name of an API, used in logical names: "compute.googleapis.com" → "compute". */
export function apiShortName(service: string): string {
  return service.replace(/\.googleapis\.com$/, "").replace(/[^a-z0-9-]+/g, "-");
}

export interface ApisArgs {
  /** GCP project id. */
  project: string;
  /**
   * APIs to enable (full service names).
   * @default defaultApis
   */
  services?: readonly string[];
  /**
   * APIs to enable on top of `services` (so callers extend the defaults without repeating them).
   * @default []
   */
  extraServices?: readonly string[];
  /**
   * Services whose service agent we generate (must be among the enabled services).
   * @default defaultServiceIdentities
   */
  serviceIdentities?: readonly string[];
  /**
   * Wait after enabling each API until it answers in the project (`ApiReadiness`, a bounded poll;
   * see components/readiness). `false` skips the waits, for projects whose APIs were enabled long
   * ago: a first apply right after enablement can then fail with SERVICE_DISABLED.
   * @default true
   */
  readiness?: boolean | { bounds?: Partial<WaitBounds> };
  transform?: {
    service?: Transform<gcp.projects.ServiceArgs>;
    serviceIdentity?: Transform<gcp.projects.ServiceIdentityArgs>;
  };
}

/**
 * `brume:project:Apis` — enables the environment's Google APIs in one project (`gcp.projects.Service`,
 * never disabled on destroy), each with a readiness wait unless `readiness: false`, and creates the
 * service agents GCP only makes on demand (`gcp.projects.ServiceIdentity`). Other components wait for the
 * APIs they call through `for(...)` or `all`; see the module comment above and `docs/importing.md`
 * ("Waits: readiness, not sleeps").
 */
export class Apis extends pulumi.ComponentResource {
  /** Enabled services by full name ("compute.googleapis.com"). */
  readonly services: Record<string, gcp.projects.Service>;
  /** Every enabled service, for `dependsOn`. */
  readonly all: gcp.projects.Service[];
  /** Generated service identities by full service name. */
  readonly identities: Record<string, gcp.projects.ServiceIdentity>;
  /** Service agent emails by full service name (from `identities`). */
  readonly agentEmails: Record<string, pulumi.Output<string>>;
  /** The wait after each enabled API until it answers, by full service name (unless `readiness: false`). */
  readonly readiness: Record<string, ApiReadiness>;

  /**
   * What a resource calling these APIs waits for: the enabled services (short names such as
   * "sqladmin") and their generated service agents. Each resource depends on its own APIs only.
   */
  for(...shortNames: string[]): pulumi.Resource[] {
    const out: pulumi.Resource[] = [];
    for (const short of shortNames) {
      const full = `${short}.googleapis.com`;
      if (this.services[full]) out.push(this.services[full]);
      if (this.readiness[full]) out.push(this.readiness[full]);
      if (this.identities[full]) out.push(this.identities[full]);
    }
    return out;
  }

  constructor(name: string, args: ApisArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:project:Apis", name, {}, opts);
    const services = normalizeServices(args.services ?? defaultApis, args.extraServices ?? []);
    const identities = [...new Set(args.serviceIdentities ?? defaultServiceIdentities)];
    for (const service of identities) {
      if (!services.includes(service)) {
        throw new Error(`service identity "${service}" needs the API enabled: add it to services or extraServices`);
      }
    }

    this.services = {};
    for (const service of services) this.services[service] = this.createService(name, service, args, opts);
    this.all = services.map((s) => this.services[s]!);

    this.readiness = {};
    if (args.readiness !== false) {
      const bounds = typeof args.readiness === "object" ? args.readiness.bounds : undefined;
      for (const service of services) {
        this.readiness[service] = new ApiReadiness(
          `${name}-${apiShortName(service)}-ready`,
          { project: args.project, service, ...(bounds ? { bounds } : {}) },
          childOptions(this, opts, { dependsOn: [this.services[service]!] }),
        );
      }
    }

    this.identities = {};
    this.agentEmails = {};
    for (const service of identities) {
      const identity = this.createIdentity(name, service, args, opts);
      this.identities[service] = identity;
      this.agentEmails[service] = identity.email;
    }

    this.registerOutputs({ services, agentEmails: this.agentEmails });
  }

  private createService(
    name: string,
    service: string,
    args: ApisArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.projects.Service {
    return new gcp.projects.Service(
      ...transformed(
        args.transform?.service,
        `${name}-${apiShortName(service)}`,
        {
          project: args.project,
          service,
          // Never turn an API off on destroy: other stacks and tools in the project rely on it.
          disableOnDestroy: false,
          disableDependentServices: false,
        } satisfies gcp.projects.ServiceArgs,
        childOptions(this, opts),
      ),
    );
  }

  private createIdentity(
    name: string,
    service: string,
    args: ApisArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.projects.ServiceIdentity {
    return new gcp.projects.ServiceIdentity(
      ...transformed(
        args.transform?.serviceIdentity,
        `${name}-${apiShortName(service)}-agent`,
        { project: args.project, service } satisfies gcp.projects.ServiceIdentityArgs,
        childOptions(this, opts, { dependsOn: [this.services[service]!] }),
      ),
    );
  }
}

/** Services in first-seen order, without duplicates; rejects names that are not API names. */
export function normalizeServices(services: readonly string[], extra: readonly string[] = []): string[] {
  const all = [...new Set([...services, ...extra])];
  for (const service of all) {
    if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*\.googleapis\.com$/.test(service)) {
      throw new Error(`invalid API "${service}": expected a service name such as "compute.googleapis.com"`);
    }
  }
  return all;
}
