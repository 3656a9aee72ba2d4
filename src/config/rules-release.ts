/**
 * Cross-field rules of a versioned strategy's release state (issue 15): what `brume release`
 * never writes but a hand edit could. Called from rules.ts `checkStrategy`.
 */
import type { ConfigIssue } from "./errors.js";
import { physicalName } from "./naming.js";
import type { ServiceConfig } from "./schema.js";

type Add = (path: string, message: string, value?: unknown) => void;

export function checkReleaseState(svc: ServiceConfig, at: string, add: Add): void {
  const s = svc.strategy;
  if (s.type === "rolling") {
    // A rolling Deployment selects its pods by app label only: it would adopt the job's pod, and the
    // job would run against a pod template that is being rolled already.
    if (svc.preRelease) add(`${at}.preRelease`, `a pre-release job runs before a version takes traffic, which needs a blueGreen or canary strategy; remove preRelease or change strategy.type`);
    return;
  }
  const p = `${at}.strategy`;
  // A rollback pin sends all default traffic to one version: a canary weight would be silently
  // ignored while `history` shows it (k8s-review 11).
  if (s.type === "canary" && s.version && s.version !== s.stable.version && s.version !== s.canary?.version && s.weight > 0) {
    add(`${p}.weight`, `weight ${s.weight} has no effect while version pins traffic to "${s.version}" (a rollback); set weight: 0, or start a new release to settle the rollback`, s.weight);
  }
  const listed: { path: string; version: string; image: string }[] = [];
  if (s.type === "canary") {
    listed.push({ path: `${p}.stable`, ...s.stable });
    if (s.canary) listed.push({ path: `${p}.canary`, ...s.canary });
  } else {
    for (const slot of ["blue", "green"] as const) if (s[slot]) listed.push({ path: `${p}.${slot}`, ...s[slot]! });
  }
  s.retained.forEach((r, i) => listed.push({ path: `${p}.retained[${i}]`, ...r }));
  const byName = new Map<string, { version: string; image: string }>();
  for (const r of listed) {
    // Two versions that name one workload (`1.15.0` and `1-15-0` → `api-1-15-0`) would make two
    // Pulumi resources fight over one Kubernetes object (k8s-review 26).
    const name = physicalName(["x", r.version], "kubernetes");
    const seen = byName.get(name);
    if (seen && seen.version !== r.version) {
      add(`${r.path}.version`, `version "${r.version}" and "${seen.version}" name the same workload once normalised; give one another version`, r.version);
    } else if (seen && seen.image !== r.image) {
      add(`${r.path}.image`, `version "${r.version}" is listed with image ${seen.image} too; an image is immutable per version — give this image a new version`, r.image);
    }
    if (!seen) byName.set(name, r);
  }
}

export type { ConfigIssue };
