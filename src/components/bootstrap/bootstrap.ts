/**
 * `brume:bootstrap:Bootstrap` — what one environment needs before its first `pulumi up`, created
 * once by a project owner with `brume bootstrap --stack <env>` (issue 17, seed 002 "state in Cloud
 * Storage"): the state bucket, the KMS key of Pulumi's secrets provider, the CI identity (pool,
 * provider, deploy and preview accounts and their bindings) and the privileged grants no CI
 * identity may make. Its own state stays on the owner's machine (it creates the bucket).
 *
 * - State bucket: versioned (every checkpoint recoverable), uniform bucket-level access, public
 *   access prevention enforced, protected; "Pulumi … supports … Google Cloud Storage" as a DIY
 *   backend, `pulumi login gs://<bucket>` (https://www.pulumi.com/docs/iac/concepts/state-and-backends/).
 * - Secrets key: `--secrets-provider gcpkms://projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>`
 *   (https://www.pulumi.com/docs/iac/concepts/secrets/#available-encryption-providers), rotated
 *   every 90 days (decryption uses the version a ciphertext names, so rotation keeps old state readable).
 * - Who decrypts state secrets: the deploy account (encrypt + decrypt). The preview account only
 *   outside production: `pulumi preview` decrypts the whole checkpoint, so a preview account that
 *   decrypts production state reads the database passwords of production from any pull request.
 *   Production pull requests get the offline diff instead (docs/pipeline.md).
 * - Locks: the DIY backend writes lock objects under `.pulumi/locks/` for preview too; the preview
 *   account may create and delete objects there only (an IAM condition on the object name;
 *   conditions need uniform bucket-level access, https://cloud.google.com/storage/docs/access-control/iam#conditions).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { Apis } from "../apis/apis.js";
import { childOptions } from "../child-resources/options.js";
import type { Naming } from "../../config/naming.js";
import { CiIdentity, type CiIdentityArgs } from "../security/ci-identity.js";
import { metadataReaderRole, type CustomRoleSpec } from "../security/read-only-roles.js";

export interface BootstrapArgs {
  /** GCP project of the environment. */
  project: string;
  /** Region of the bucket and the key ring. */
  region: string;
  naming: Naming;
  /** Production: the preview account does not decrypt state. */
  production: boolean;
  /** The CI identity, without project / naming / metadata reader (taken from here). */
  ci?: Omit<CiIdentityArgs, "project" | "naming" | "metadataReaderRole">;
  /** Privileged project roles (owner tier) by principal: granted here, never by CI. @default {} */
  privilegedGrants?: { principal: string; role: string }[];
  /**
   * Custom roles the environment stack binds (e.g. the restore test's): created here, so the deploy
   * identity never holds roles/iam.roleAdmin (it could widen a role it may grant). @default []
   */
  customRoles?: readonly CustomRoleSpec[];
}

/** APIs the bootstrap resources call (the environment stack enables the others). */
export const bootstrapApis = [
  "cloudresourcemanager.googleapis.com",
  "serviceusage.googleapis.com",
  "iam.googleapis.com",
  "iamcredentials.googleapis.com",
  "sts.googleapis.com",
  "cloudkms.googleapis.com",
  "storage.googleapis.com",
] as const;

/** `.pulumi/locks/` of a state bucket, as an IAM condition on object names. */
export function lockObjectsCondition(bucket: string): { title: string; description: string; expression: string } {
  return {
    title: "pulumi-locks-only",
    description: "Pulumi's lock objects only",
    expression: `resource.name.startsWith("projects/_/buckets/${bucket}/objects/.pulumi/locks/")`,
  };
}

/**
 * `brume:bootstrap:Bootstrap` — what one environment needs before its first `pulumi up`, created once by a
 * project owner with `brume bootstrap`: the APIs it calls, the versioned state bucket, a KMS key ring and
 * the key of Pulumi's secrets provider, the metadata-reader and other custom roles, the CI identity (a
 * `CiIdentity`, with `ci`) and its access to state, and the privileged grants. See `docs/pipeline.md`.
 */
export class Bootstrap extends pulumi.ComponentResource {
  /** The APIs bootstrap needs (the environment stack enables the rest). */
  readonly apis: Apis;
  readonly stateBucket: gcp.storage.Bucket;
  readonly keyRing: gcp.kms.KeyRing;
  readonly secretsKey: gcp.kms.CryptoKey;
  /** The metadata reader (no export, no log entry): the preview account's and production viewers' role. */
  readonly metadataReader: gcp.projects.IAMCustomRole;
  /** `customRoles`, by role id. */
  readonly customRoles: Record<string, gcp.projects.IAMCustomRole>;
  readonly ci?: CiIdentity;
  /** `gs://<bucket>`: `pulumi login` takes it. */
  readonly backendUrl: pulumi.Output<string>;
  /** `gcpkms://<key id>`: `pulumi stack init --secrets-provider` takes it. */
  readonly secretsProvider: pulumi.Output<string>;

  constructor(name: string, args: BootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:bootstrap:Bootstrap", name, {}, opts);
    this.apis = new Apis(`${name}-apis`, { project: args.project, services: bootstrapApis, serviceIdentities: [] }, childOptions(this, opts));
    // Everything below calls these APIs: it waits for them (and their readiness).
    const ready = this.apis.for(...bootstrapApis.map((s) => s.replace(/\.googleapis\.com$/, "")));
    opts = { ...opts, dependsOn: pulumi.output(opts?.dependsOn ?? []).apply((d) => [...(Array.isArray(d) ? d : [d]), ...ready]) };
    this.stateBucket = this.createStateBucket(name, args, opts);
    this.keyRing = new gcp.kms.KeyRing(
      `${name}-keyring`,
      { project: args.project, location: args.region, name: args.naming.generational("pulumi") },
      childOptions(this, opts, { protect: true }),
    );
    this.secretsKey = new gcp.kms.CryptoKey(
      `${name}-secrets-key`,
      { keyRing: this.keyRing.id, name: "pulumi-secrets", purpose: "ENCRYPT_DECRYPT", rotationPeriod: `${90 * 24 * 3600}s` },
      childOptions(this, opts, { protect: true }),
    );
    this.metadataReader = new gcp.projects.IAMCustomRole(
      `${name}-metadata-reader`,
      {
        project: args.project,
        roleId: metadataReaderRole.roleId,
        title: metadataReaderRole.title,
        description: metadataReaderRole.description,
        permissions: [...metadataReaderRole.permissions],
        stage: "GA",
      },
      childOptions(this, opts),
    );
    this.customRoles = Object.fromEntries(
      (args.customRoles ?? []).map((r) => [
        r.roleId,
        new gcp.projects.IAMCustomRole(
          `${name}-role-${r.roleId}`,
          { project: args.project, roleId: r.roleId, title: r.title, description: r.description, permissions: [...r.permissions], stage: "GA" },
          childOptions(this, opts),
        ),
      ]),
    );
    if (args.ci) {
      this.ci = new CiIdentity(
        `${name}-ci`,
        { ...args.ci, project: args.project, naming: args.naming, metadataReaderRole: this.metadataReader.name },
        childOptions(this, opts),
      );
      this.grantStateAccess(name, args, this.ci, opts);
    }
    for (const { principal, role } of args.privilegedGrants ?? []) {
      new gcp.projects.IAMMember(
        `${name}-owner-${principal.replace(/^\w+:/, "").replace(/[^a-z0-9]+/gi, "-")}-${role.replace(/^roles\//, "").replace(/\./g, "-")}`,
        { project: args.project, role, member: principal },
        childOptions(this, opts),
      );
    }
    this.backendUrl = this.stateBucket.url;
    this.secretsProvider = pulumi.interpolate`gcpkms://${this.secretsKey.id}`;
    this.registerOutputs({ backendUrl: this.backendUrl, secretsProvider: this.secretsProvider });
  }

  private createStateBucket(name: string, args: BootstrapArgs, opts: pulumi.ComponentResourceOptions | undefined) {
    return new gcp.storage.Bucket(
      `${name}-state`,
      {
        project: args.project,
        name: args.naming.name("pulumi-state", "bucket"),
        location: args.region,
        storageClass: "STANDARD",
        versioning: { enabled: true },
        uniformBucketLevelAccess: true,
        publicAccessPrevention: "enforced",
        forceDestroy: false,
        // Old checkpoints are kept, but not forever: 100 versions back per object.
        lifecycleRules: [{ action: { type: "Delete" }, condition: { numNewerVersions: 100, withState: "ARCHIVED" } }],
        labels: { "managed-by": "brume", purpose: "pulumi-state" },
      },
      childOptions(this, opts, { protect: true }),
    );
  }

  private grantStateAccess(name: string, args: BootstrapArgs, ci: CiIdentity, opts: pulumi.ComponentResourceOptions | undefined) {
    const bucket = this.stateBucket.name;
    const deploy = ci.deployServiceAccount.member;
    const preview = ci.previewServiceAccount.member;
    const member = (part: string, role: string, who: pulumi.Input<string>, condition?: pulumi.Input<gcp.types.input.storage.BucketIAMMemberCondition>) =>
      new gcp.storage.BucketIAMMember(`${name}-state-${part}`, { bucket, role, member: who, ...(condition ? { condition } : {}) }, childOptions(this, opts));
    member("deploy", "roles/storage.objectUser", deploy);
    member("preview-read", "roles/storage.objectViewer", preview);
    member("preview-locks", "roles/storage.objectUser", preview, bucket.apply(lockObjectsCondition));
    const key = (part: string, role: string, who: pulumi.Input<string>) =>
      new gcp.kms.CryptoKeyIAMMember(`${name}-secrets-${part}`, { cryptoKeyId: this.secretsKey.id, role, member: who }, childOptions(this, opts));
    key("deploy", "roles/cloudkms.cryptoKeyEncrypterDecrypter", deploy);
    if (!args.production) key("preview", "roles/cloudkms.cryptoKeyDecrypter", preview);
  }
}
