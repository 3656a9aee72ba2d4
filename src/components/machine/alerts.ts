/**
 * The alert on a deterministic install failure of a machine group: a checksum mismatch (exit 3) or
 * an unusable release archive (exit 4). Recreating the VM cannot fix either, so autohealing keeps
 * the VM (its /healthz answers "degraded", render/boot.ts) and this alert tells a human instead.
 *
 * The line comes from the converge unit (`brume-converge: error: … checksum mismatch`) and reaches
 * Cloud Logging through the startup script's output, which google-guest-agent's script runner
 * writes to Cloud Logging and the serial console
 * (https://cloud.google.com/compute/docs/instances/startup-scripts/linux#viewing-output). A
 * log-match condition needs a notification rate limit
 * (https://cloud.google.com/monitoring/alerts/log-based-alerts#lba-by-api).
 */
import * as gcp from "@pulumi/gcp";
import type * as pulumi from "@pulumi/pulumi";

/** The Cloud Logging filter of a group's deterministic install failures. Pure, for tests. */
export function installFailureFilter(project: string, baseInstanceName: string): string {
  return [
    'resource.type="gce_instance"',
    `logName="projects/${project}/logs/google_metadata_script_runner"`,
    `labels."compute.googleapis.com/resource_name"=~"^${baseInstanceName}-"`,
    '"brume-converge: error:"',
    '("checksum mismatch" OR "the release archive is not usable")',
  ].join(" AND ");
}

export function installFailureAlertArgs(args: {
  project: string;
  prefix: string;
  group: string;
  baseInstanceName: string;
  notificationChannels?: pulumi.Input<string>[];
  labels?: Record<string, string>;
}): gcp.monitoring.AlertPolicyArgs {
  return {
    project: args.project,
    displayName: `[${args.prefix}] Machines ${args.group}: the pinned release does not verify`,
    combiner: "OR",
    severity: "CRITICAL",
    conditions: [{ displayName: "Checksum mismatch or unusable release archive at install", conditionMatchedLog: { filter: installFailureFilter(args.project, args.baseInstanceName) } }],
    notificationChannels: args.notificationChannels ?? [],
    alertStrategy: { notificationRateLimit: { period: "3600s" }, autoClose: "86400s" },
    documentation: {
      content:
        `A VM of group ${args.group} downloaded a release whose SHA-256 is not the pinned one (or an archive it cannot use): nothing was installed, ` +
        "the VM is kept (recreating it would fail the same way) and the load balancer sends it no traffic. Fix the pinned sha256 in brume.yaml (or the release), then deploy.",
      mimeType: "text/markdown",
    },
    userLabels: args.labels ?? {},
  };
}
