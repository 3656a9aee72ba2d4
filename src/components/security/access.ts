/**
 * `brume:security:Access` — role-based access to one environment: principals per role (`owner`,
 * `admin`, `developer`, `viewer`) → predefined project IAM roles (never basic roles) and Kubernetes
 * RBAC RoleBindings in the service namespaces; developers are read-only in production; Data Access
 * audit logs for the sensitive services. The role tables are pure and exported.
 *
 * Kubernetes access goes through RBAC, not IAM: every role gets `roles/container.clusterViewer`
 * (enough to fetch credentials), and the namespaced ClusterRole (`admin` / `edit` / `view`) comes
 * from the RoleBinding. Google Groups as RBAC subjects need Google Groups for RBAC on the cluster
 * (`authenticatorGroupsConfig`, a `gke-security-groups@<domain>` group).
 */
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import { physicalName, shortHash } from "../../config/naming.js";
import { privilegedRoles } from "./deploy-roles.js";
import { metadataReaderRole } from "./read-only-roles.js";

export const accessRoles = ["owner", "admin", "developer", "viewer"] as const;
export type AccessRoleName = (typeof accessRoles)[number];

/**
 * The metadata reader custom role of the environment's project, created by `brume bootstrap`
 * (read-only-roles.ts): read-only humans get it instead of `roles/cloudsql.viewer` (which carries
 * `cloudsql.instances.export`) and `roles/logging.viewer` (every log line), gcp-review 17.
 */
export const metadataReaderPlaceholder = "brume:metadataReader";

/** The role name a table entry stands for in a project (`metadataReaderPlaceholder` → the custom role). */
export function projectRoleName(role: string, project: string): string {
  return role === metadataReaderPlaceholder ? `projects/${project}/roles/${metadataReaderRole.roleId}` : role;
}

const viewer = [
  "roles/browser",
  "roles/container.clusterViewer",
  metadataReaderPlaceholder,
  "roles/monitoring.viewer",
  "roles/pubsub.viewer",
  "roles/cloudtrace.user",
  "roles/iap.httpsResourceAccessor",
];
const developerWrite = [
  // Error events carry log messages (payloads): not for production's read-only humans.
  "roles/errorreporting.viewer",
  "roles/cloudsql.client",
  "roles/cloudsql.instanceUser",
  "roles/pubsub.editor",
  "roles/storage.objectAdmin",
  "roles/secretmanager.secretAccessor",
  "roles/monitoring.editor",
  "roles/artifactregistry.writer",
];
const admin = [
  "roles/container.admin",
  "roles/cloudsql.admin",
  "roles/redis.admin",
  "roles/pubsub.admin",
  "roles/storage.admin",
  "roles/secretmanager.admin",
  "roles/monitoring.admin",
  "roles/logging.admin",
  "roles/compute.networkAdmin",
  "roles/cloudscheduler.admin",
  "roles/artifactregistry.admin",
  "roles/iap.admin",
];
const owner = ["roles/resourcemanager.projectIamAdmin", "roles/iam.serviceAccountAdmin", "roles/cloudkms.admin", "roles/billing.projectManager"];

/** Basic roles: never granted by Access. */
export const basicRoles = ["roles/owner", "roles/editor", "roles/viewer"] as const;

/**
 * Project IAM roles of a role in an environment. Roles are cumulative (owner ⊃ admin ⊃ developer ⊃
 * viewer); in production a developer only reads.
 */
export function projectRoles(role: AccessRoleName, production: boolean): string[] {
  const roles =
    role === "viewer" ? viewer
    : role === "developer" ? (production ? viewer : [...viewer, ...developerWrite])
    : role === "admin" ? [...viewer, ...developerWrite, ...admin]
    : [...viewer, ...developerWrite, ...admin, ...owner];
  return [...new Set(roles)].sort();
}

/** The Kubernetes ClusterRole a role is bound to in the service namespaces. */
export function kubernetesClusterRole(role: AccessRoleName, production: boolean): "admin" | "edit" | "view" {
  if (role === "owner" || role === "admin") return "admin";
  if (role === "developer") return production ? "view" : "edit";
  return "view";
}

/** An IAM principal (`group:…`, `user:…`, `serviceAccount:…`) as an RBAC subject; `domain:` has none. */
export function rbacSubject(principal: string): { kind: "Group" | "User"; name: string; apiGroup: string } | undefined {
  const [kind, email] = principal.split(":") as [string, string];
  if (kind === "group") return { kind: "Group", name: email, apiGroup: "rbac.authorization.k8s.io" };
  if (kind === "user" || kind === "serviceAccount") return { kind: "User", name: email, apiGroup: "rbac.authorization.k8s.io" };
  return undefined;
}

/** Every (principal, role) grant, deduplicated, in a stable order. */
export function accessGrants(groups: Partial<Record<AccessRoleName, string[]>>, production: boolean): { principal: string; role: string }[] {
  const seen = new Set<string>();
  const out: { principal: string; role: string }[] = [];
  for (const r of accessRoles) {
    for (const principal of groups[r] ?? []) {
      for (const role of projectRoles(r, production)) {
        const key = `${principal}|${role}`;
        if (!seen.has(key)) out.push({ principal, role });
        seen.add(key);
      }
    }
  }
  return out;
}

/** Whether a role is granted by `brume bootstrap` (privileged: no CI identity may grant it). */
export function isPrivilegedRole(role: string): boolean {
  return (privilegedRoles as readonly string[]).includes(role);
}

/**
 * The grants of the environment stack (what CI applies) and those of `brume bootstrap` (the
 * privileged owner tier, run by a project owner): gcp-review 20.
 */
export function splitAccessGrants(groups: Partial<Record<AccessRoleName, string[]>>, production: boolean) {
  const all = accessGrants(groups, production);
  return { stack: all.filter((g) => !isPrivilegedRole(g.role)), bootstrap: all.filter((g) => isPrivilegedRole(g.role)) };
}

/** Data Access audit log types turned on per service (DATA_READ only for `dataReadAuditLogServices`). */
export const auditLogTypes = ["ADMIN_READ", "DATA_READ", "DATA_WRITE"] as const;

/**
 * Services whose DATA_READ entries are logged by default: who read a secret's payload. DATA_READ
 * is the large stream — for KMS every decrypt (each access to a CMEK secret), for Cloud SQL and
 * GCS every data read — and Data Access logs are billed as ingested logs (gcp-review 34).
 */
export const defaultDataReadAuditLogServices = ["secretmanager.googleapis.com"];

/** The log types of one service's audit config. */
export function auditLogTypesFor(service: string, dataReadServices: readonly string[] = defaultDataReadAuditLogServices): string[] {
  return auditLogTypes.filter((t) => t !== "DATA_READ" || dataReadServices.includes(service));
}

export interface AccessArgs {
  /** GCP project id. */
  project: string;
  /** Production environments make developers read-only. */
  production: boolean;
  /** Principals per role. @default {} */
  groups?: Partial<Record<AccessRoleName, string[]>>;
  /** Services with Data Access audit logs. @default cloudsql, secretmanager, cloudkms */
  auditLogServices?: string[];
  /** Services (of `auditLogServices`) that log DATA_READ too. @default defaultDataReadAuditLogServices */
  dataReadAuditLogServices?: string[];
  /** Namespaces the services run in (RoleBindings go there). @default [] */
  namespaces?: string[];
  /** Provider of the environment's cluster; RBAC is skipped without one. */
  kubernetesProvider?: k8s.Provider;
  /** Resources the RoleBindings wait for (the namespaces). @default [] */
  namespaceResources?: pulumi.Resource[];
  transform?: {
    member?: Transform<gcp.projects.IAMMemberArgs>;
    auditConfig?: Transform<gcp.projects.IAMAuditConfigArgs>;
    roleBinding?: Transform<k8s.rbac.v1.RoleBindingArgs>;
  };
}

/**
 * `brume:security:Access` — role-based access to one environment: each role's principals get predefined
 * project IAM roles and Kubernetes RBAC RoleBindings in the service namespaces, and Data Access audit logs
 * are configured for the sensitive services. See `docs/operations.md` ("Access").
 */
export class Access extends pulumi.ComponentResource {
  /** Project IAM grants by `<principal-key>-<role>`. */
  readonly members: Record<string, gcp.projects.IAMMember>;
  /** Audit configs by service. */
  readonly auditConfigs: Record<string, gcp.projects.IAMAuditConfig>;
  /** RoleBindings by `<namespace>/<role>`. */
  readonly roleBindings: Record<string, k8s.rbac.v1.RoleBinding>;

  constructor(name: string, args: AccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:security:Access", name, {}, opts);
    const groups = args.groups ?? {};
    this.members = this.createMembers(name, args, groups, opts);
    this.auditConfigs = this.createAuditConfigs(name, args, opts);
    this.roleBindings = args.kubernetesProvider ? this.createRoleBindings(name, args, groups, args.kubernetesProvider, opts) : {};
    this.registerOutputs({ grants: Object.keys(this.members).length });
  }

  private createMembers(name: string, args: AccessArgs, groups: Partial<Record<AccessRoleName, string[]>>, opts?: pulumi.ComponentResourceOptions) {
    const out: Record<string, gcp.projects.IAMMember> = {};
    for (const { principal, role } of splitAccessGrants(groups, args.production).stack) {
      const roleKey = role === metadataReaderPlaceholder ? "metadata-reader" : role.replace(/^roles\//, "").replace(/\./g, "-");
      const key = `${physicalName([principal.split("@")[0]!.replace(/^\w+:/, "")]).slice(0, 20)}-${shortHash(principal, 4)}-${roleKey}`;
      out[key] = new gcp.projects.IAMMember(
        ...transformed(args.transform?.member, `${name}-${key}`, { project: args.project, role: projectRoleName(role, args.project), member: principal }, childOptions(this, opts)),
      );
    }
    return out;
  }

  private createAuditConfigs(name: string, args: AccessArgs, opts?: pulumi.ComponentResourceOptions) {
    const services = args.auditLogServices ?? ["cloudsql.googleapis.com", "secretmanager.googleapis.com", "cloudkms.googleapis.com"];
    return Object.fromEntries(
      services.map((service) => [
        service,
        new gcp.projects.IAMAuditConfig(
          ...transformed(
            args.transform?.auditConfig,
            `${name}-audit-${service.split(".")[0]}`,
            { project: args.project, service, auditLogConfigs: auditLogTypesFor(service, args.dataReadAuditLogServices).map((logType) => ({ logType })) },
            childOptions(this, opts),
          ),
        ),
      ]),
    );
  }

  private createRoleBindings(
    name: string,
    args: AccessArgs,
    groups: Partial<Record<AccessRoleName, string[]>>,
    provider: k8s.Provider,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    const out: Record<string, k8s.rbac.v1.RoleBinding> = {};
    for (const namespace of args.namespaces ?? []) {
      for (const role of accessRoles) {
        const subjects = (groups[role] ?? []).map(rbacSubject).filter((s) => s !== undefined);
        if (subjects.length === 0) continue;
        out[`${namespace}/${role}`] = new k8s.rbac.v1.RoleBinding(
          ...transformed(
            args.transform?.roleBinding,
            `${name}-rbac-${namespace}-${role}`,
            {
              metadata: { name: `brume-${role}`, namespace, labels: { "app.kubernetes.io/managed-by": "brume", "brume.dev/access-role": role } },
              roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: kubernetesClusterRole(role, args.production) },
              subjects,
            },
            childOptions(this, opts, { provider, dependsOn: args.namespaceResources ?? [] }),
          ),
        );
      }
    }
    return out;
  }
}
