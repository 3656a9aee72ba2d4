/**
 * `brume:security:KeyRing` — a Cloud KMS key ring and its symmetric crypto keys (CMEK for
 * secrets, buckets, registries, topics): purpose ENCRYPT_DECRYPT, automatic rotation at most
 * every 90 days (CKV_GCP_43), software or HSM protection, a destroy-scheduled window, and
 * `roles/cloudkms.cryptoKeyEncrypterDecrypter` granted on each key only (never on the ring or
 * the project) to the service agents and members that use it.
 *
 * Keys and rings are protected (Pulumi `protect`, and `deletionPolicy: "PREVENT"` on keys) when
 * `protect` is true: destroying a key makes everything encrypted with it unreadable. GCP never
 * deletes key rings or keys and never frees their names: both are `retainOnDelete` (Pulumi only
 * forgets them), and the ring's name carries the environment's generation when it has one.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, statefulOptions } from "../child-resources/options.js";
import { transformed, type Transform } from "../child-resources/transform.js";
import type { Naming } from "../../config/naming.js";
import { boundedDurationSeconds } from "../messaging/duration.js";
import { projectNumberOf, serviceAgentMember, type ServiceAgent } from "../apis/apis.js";
import { CmekReadiness, IamMemberReadiness } from "../readiness/readiness.js";

const encrypterDecrypterRole = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/** Longest rotation period we allow: 90 days, as the CIS benchmark and Checkov require. */
export const maxRotationPeriod = "90d";

export interface CryptoKeyArgs {
  /**
   * Automatic rotation period, more than 1 day and at most 90 days.
   * @default "90d"
   */
  rotationPeriod?: string;
  /**
   * Where key material lives: SOFTWARE or HSM (FIPS 140-2 level 3, costs more).
   * @default "SOFTWARE"
   */
  protectionLevel?: "SOFTWARE" | "HSM";
  /**
   * How long a destroyed key version can still be restored (1d-120d). Immutable after creation.
   * @default "30d"
   */
  destroyScheduledDuration?: string;
  /**
   * Service agents of this project allowed to encrypt and decrypt with the key (e.g.
   * "secretmanager" for CMEK secrets), computed from the project number.
   * @default []
   */
  serviceAgents?: ServiceAgent[];
  /** Other encrypter/decrypters, by a stable label → IAM member. @default {} */
  encrypterDecrypters?: Record<string, pulumi.Input<string>>;
}

export interface KeyRingArgs {
  /** GCP project id. */
  project: string;
  /** Naming scope (`<project>-<env>`) for the ring's name. */
  naming: Naming;
  /** KMS location: the region of the resources it encrypts (a CMEK must be in their region). */
  location: string;
  /**
   * Ring key; physical name `<prefix>-<keyRing>`.
   * @default "keys"
   */
  keyRing?: string;
  /** Crypto keys by name (plain map: it decides which resources exist). */
  keys: Record<string, CryptoKeyArgs>;
  /** Labels on the keys. @default {} */
  labels?: Record<string, string>;
  /** Pulumi `protect` on ring and keys, `deletionPolicy: "PREVENT"` on keys. @default true */
  protect?: boolean;
  transform?: {
    keyRing?: Transform<gcp.kms.KeyRingArgs>;
    cryptoKey?: Transform<gcp.kms.CryptoKeyArgs>;
    member?: Transform<gcp.kms.CryptoKeyIAMMemberArgs>;
  };
}

export interface NormalizedCryptoKey {
  rotationPeriod: string;
  protectionLevel: "SOFTWARE" | "HSM";
  destroyScheduledDuration: string;
  serviceAgents: ServiceAgent[];
  encrypterDecrypters: Record<string, pulumi.Input<string>>;
}

/** Defaults and limits of a crypto key (pure); throws naming the key. */
export function normalizeCryptoKey(name: string, key: CryptoKeyArgs): NormalizedCryptoKey {
  if (!/^[a-zA-Z0-9_-]{1,63}$/.test(name)) {
    throw new Error(`crypto key "${name}": names are 1-63 letters, digits, '-' or '_'`);
  }
  const rotation = boundedDurationSeconds(key.rotationPeriod ?? maxRotationPeriod, "1d", maxRotationPeriod, `crypto key "${name}": rotationPeriod`);
  // KMS wants strictly more than one day.
  if (rotation <= 86400) throw new Error(`crypto key "${name}": rotationPeriod must be more than 1 day`);
  const destroy = boundedDurationSeconds(key.destroyScheduledDuration ?? "30d", "1d", "120d", `crypto key "${name}": destroyScheduledDuration`);
  const labels = [...(key.serviceAgents ?? []), ...Object.keys(key.encrypterDecrypters ?? {})];
  const duplicate = labels.find((l, i) => labels.indexOf(l) !== i);
  if (duplicate !== undefined) throw new Error(`crypto key "${name}": grant label "${duplicate}" is used twice`);
  return {
    rotationPeriod: `${rotation}s`,
    protectionLevel: key.protectionLevel ?? "SOFTWARE",
    destroyScheduledDuration: `${destroy}s`,
    serviceAgents: [...new Set(key.serviceAgents ?? [])],
    encrypterDecrypters: key.encrypterDecrypters ?? {},
  };
}

/**
 * `brume:security:KeyRing` — a Cloud KMS key ring and its symmetric crypto keys (CMEK), rotated at most
 * every 90 days, with `roles/cloudkms.cryptoKeyEncrypterDecrypter` granted on each key only; rings and
 * keys are `retainOnDelete`, as GCP never deletes them. See the module comment above and
 * `docs/operations.md` ("Generations").
 */
export class KeyRing extends pulumi.ComponentResource {
  readonly keyRing: gcp.kms.KeyRing;
  /** Crypto keys by name. */
  readonly keys: Record<string, gcp.kms.CryptoKey>;
  /** Grants by `<key>-<label>` (label: the service agent or the encrypterDecrypters key). */
  readonly members: Record<string, gcp.kms.CryptoKeyIAMMember>;
  /** `projects/<p>/locations/<l>/keyRings/<name>` */
  readonly keyRingId: pulumi.Output<string>;
  /** Key ids (`<keyRingId>/cryptoKeys/<name>`) by name: what `kmsKeyName` inputs take. */
  readonly keyIds: Record<string, pulumi.Output<string>>;
  /**
   * By key name, for keys granted to the Secret Manager agent: the wait until that grant has
   * propagated (Secret Manager encrypts a throwaway secret with the key). CMEK secrets depend on it.
   */
  readonly secretManagerReady: Record<string, CmekReadiness>;

  constructor(name: string, args: KeyRingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("brume:security:KeyRing", name, {}, opts);
    const protect = args.protect ?? true;
    const keys = Object.entries(args.keys).map(([key, spec]) => [key, normalizeCryptoKey(key, spec)] as const);
    const projectNumber = keys.some(([, k]) => k.serviceAgents.length > 0)
      ? projectNumberOf(args.project, this, opts?.dependsOn)
      : undefined;

    this.keyRing = this.createKeyRing(name, args, protect, opts);
    this.keys = {};
    this.keyIds = {};
    this.members = {};
    this.secretManagerReady = {};
    for (const [key, spec] of keys) {
      const cryptoKey = this.createKey(name, key, spec, args, protect, opts);
      this.keys[key] = cryptoKey;
      this.keyIds[key] = cryptoKey.id;
      const grants: [string, pulumi.Input<string>][] = [
        ...spec.serviceAgents.map((agent) => [agent, serviceAgentMember(projectNumber!, agent)] as [string, pulumi.Output<string>]),
        ...Object.entries(spec.encrypterDecrypters),
      ];
      for (const [label, member] of grants) {
        // A service agent may have just been generated: IAM may not resolve it yet (components/readiness).
        const agentReady = spec.serviceAgents.includes(label as ServiceAgent)
          ? new IamMemberReadiness(
              `${name}-${key}-${label}-ready`,
              { project: args.project, resource: { v1Url: pulumi.interpolate`https://cloudkms.googleapis.com/v1/${cryptoKey.id}` }, role: encrypterDecrypterRole, member },
              childOptions(this, opts),
            )
          : undefined;
        this.members[`${key}-${label}`] = this.grant(name, key, label, cryptoKey, member, args, opts, agentReady);
      }
      // IAM propagation after the grant (terraform-provider-google#5103, #15415): see components/readiness.
      if (spec.serviceAgents.includes("secretmanager")) {
        this.secretManagerReady[key] = new CmekReadiness(
          `${name}-${key}-secretmanager-ready`,
          {
            project: args.project,
            kmsKeyName: cryptoKey.id,
            location: args.location,
            probeSecretId: args.naming.name([args.keyRing ?? "keys", key, "probe"], "secretId"),
          },
          childOptions(this, opts, { dependsOn: [this.members[`${key}-secretmanager`]!] }),
        );
      }
    }

    this.keyRingId = this.keyRing.id;
    this.registerOutputs({ keyRingId: this.keyRingId, keyIds: this.keyIds });
  }

  private createKeyRing(
    name: string,
    args: KeyRingArgs,
    protect: boolean,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.kms.KeyRing {
    return new gcp.kms.KeyRing(
      ...transformed(
        args.transform?.keyRing,
        `${name}-ring`,
        {
          project: args.project,
          location: args.location,
          // GCP never deletes a key ring nor frees its name: a recreated environment needs a new
          // generation (`environments.<env>.generation`, src/config/naming.ts `generational`).
          name: args.naming.generational(args.keyRing ?? "keys"),
        } satisfies gcp.kms.KeyRingArgs,
        // "KeyRings cannot be deleted from Google Cloud Platform. Destroying a provider-managed
        // KeyRing will remove it from state but will not delete the resource from the project."
        // (@pulumi/gcp kms/keyRing.d.ts): say so, so `pulumi destroy` plans no delete it cannot do.
        statefulOptions(this, opts, protect, { retainOnDelete: true }),
      ),
    );
  }

  private createKey(
    name: string,
    key: string,
    spec: NormalizedCryptoKey,
    args: KeyRingArgs,
    protect: boolean,
    opts: pulumi.ComponentResourceOptions | undefined,
  ): gcp.kms.CryptoKey {
    return new gcp.kms.CryptoKey(
      ...transformed(
        args.transform?.cryptoKey,
        `${name}-${key}`,
        {
          keyRing: this.keyRing.id,
          name: key,
          purpose: "ENCRYPT_DECRYPT",
          rotationPeriod: spec.rotationPeriod,
          versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: spec.protectionLevel },
          destroyScheduledDuration: spec.destroyScheduledDuration,
          labels: args.labels ?? {},
          deletionPolicy: protect ? "PREVENT" : "DELETE",
        } satisfies gcp.kms.CryptoKeyArgs,
        // "CryptoKeys cannot be deleted from Google Cloud Platform" (@pulumi/gcp kms/cryptoKey.d.ts):
        // a destroy only forgets the key, and its versions stay usable for whatever they encrypt
        // (versions are billed until destroyed by hand: `gcloud kms keys versions destroy`).
        statefulOptions(this, opts, protect, { retainOnDelete: true }),
      ),
    );
  }

  private grant(
    name: string,
    key: string,
    label: string,
    cryptoKey: gcp.kms.CryptoKey,
    member: pulumi.Input<string>,
    args: KeyRingArgs,
    opts: pulumi.ComponentResourceOptions | undefined,
    after?: pulumi.Resource,
  ): gcp.kms.CryptoKeyIAMMember {
    return new gcp.kms.CryptoKeyIAMMember(
      ...transformed(
        args.transform?.member,
        `${name}-${key}-${label}`,
        {
          cryptoKeyId: cryptoKey.id,
          role: encrypterDecrypterRole,
          member,
        } satisfies gcp.kms.CryptoKeyIAMMemberArgs,
        childOptions(this, opts, after ? { dependsOn: [after] } : {}),
      ),
    );
  }
}
