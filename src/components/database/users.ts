/**
 * Database logins of the identities that `use` a database (docs/connections.md): a Cloud SQL
 * `CLOUD_IAM_SERVICE_ACCOUNT` user per identity (a service's GSA, or a machine group's VM
 * account), named by its email without `.gserviceaccount.com` as Cloud SQL requires
 * (https://cloud.google.com/sql/docs/postgres/add-manage-iam-users#creating-a-database-user), and
 * the two IAM roles the Auth Proxy's `--auto-iam-authn` login needs: `roles/cloudsql.client`
 * (cloudsql.instances.connect) and `roles/cloudsql.instanceUser` (cloudsql.instances.login),
 * https://cloud.google.com/sql/docs/postgres/iam-logins#before_you_begin. Cloud SQL has no
 * instance-level IAM policy: both are project bindings conditioned on the instance's name.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { iamDatabaseUser } from "../../render/connections.js";

/** IAM condition limiting a project-level Cloud SQL grant to one instance. */
export function instanceCondition(project: string, instance: string, what: string): { title: string; description: string; expression: string } {
  return {
    title: `only-${instance}`.slice(0, 100),
    description: `${what} on instance ${instance} only`,
    expression: `resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/${project}/instances/${instance}"`,
  };
}

export interface IamLoginArgs {
  project: string;
  /** Physical instance name (plain: the condition names it). */
  instanceName: string;
  /** The instance's name as its output, so the user waits for the instance. @default instanceName */
  instance?: pulumi.Input<string>;
  /** The identity's email, from its account (an output: the user waits for the account). */
  email: pulumi.Input<string>;
  /** `serviceAccount:<email>`. */
  member: pulumi.Input<string>;
}

export interface IamLogin {
  user: gcp.sql.User;
  /** `roles/cloudsql.instanceUser` on the instance. */
  login: gcp.projects.IAMMember;
  /** The login name (`DB_USER`). */
  userName: pulumi.Output<string>;
}

/** The IAM database user of one identity and its login grant (the caller grants `cloudsql.client`). */
export function createIamLogin(name: string, args: IamLoginArgs, opts: pulumi.CustomResourceOptions): IamLogin {
  const userName = pulumi.output(args.email).apply(iamDatabaseUser);
  const user = new gcp.sql.User(
    `${name}-user`,
    {
      project: args.project,
      instance: args.instance ?? args.instanceName,
      name: userName,
      type: "CLOUD_IAM_SERVICE_ACCOUNT",
      // Postgres refuses to drop a role that owns objects or holds grants.
      deletionPolicy: "ABANDON",
    },
    opts,
  );
  const login = new gcp.projects.IAMMember(
    `${name}-login`,
    { project: args.project, role: "roles/cloudsql.instanceUser", member: args.member, condition: instanceCondition(args.project, args.instanceName, "Cloud SQL IAM login") },
    opts,
  );
  return { user, login, userName };
}
