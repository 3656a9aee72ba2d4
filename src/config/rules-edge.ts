/**
 * Cross-field rules of a service's edge (issue 14 part B). Called from ./rules.ts.
 */
import { defaultPresetFor, presets } from "./presets.js";
import type { BrumeConfig } from "./schema.js";

type Add = (path: string, message: string, value?: unknown) => void;

export function checkEdge(config: BrumeConfig, add: Add): void {
  const secretNames = Object.keys(config.secrets);
  for (const [name, svc] of Object.entries(config.services)) {
    const at = `services.${name}`;
    if (svc.runner !== "kubernetes") continue;
    const e = svc.expose;
    if (e) {
      // Without readiness, pods get traffic before they listen and the load balancer checks `/`
      // on the serving port (k8s-review 25): a readiness probe is the health check's source.
      if (!svc.health.readiness) {
        add(`${at}.health.readiness`, `an exposed service needs a readiness probe (the load balancer's health check follows it); add health.readiness: { path: /healthz } (or { port: <port> } for a TCP check)`);
      }
      // GCPBackendPolicy CRD: "If true, the ClientID and Oauth2ClientSecret fields must be
      // non-empty" (GoogleCloudPlatform/gke-gateway-api, k8s-review 10).
      if (e.iap && !e.iapClient) {
        add(
          `${at}.expose.iapClient`,
          `iap: true needs the OAuth client IAP signs in with: create one (APIs & Services → Credentials → OAuth client ID, type Web application), store its secret in a brume secret and set expose.iapClient: { clientId: <id>.apps.googleusercontent.com, secret: <secret name> }`,
          true,
        );
      }
      if (e.iapClient && !Object.hasOwn(config.secrets, e.iapClient.secret)) {
        add(`${at}.expose.iapClient.secret`, `unknown secret "${e.iapClient.secret}"; declared secrets: ${secretNames.join(", ") || "none"}`, e.iapClient.secret);
      }
      if (e.iapClient && !e.iap) add(`${at}.expose.iapClient`, `iapClient is only used with iap: true; set iap: true or remove iapClient`);
    }
    const pool = svc.resources.pool;
    if (pool === "spot" || pool === "highmem") {
      for (const [envName, env] of Object.entries(config.environments)) {
        const settings = { ...presets[env.preset ?? defaultPresetFor(envName)], ...env.settings };
        const has = pool === "spot" ? settings.spotPool : settings.highMemoryPool ?? true;
        if (!has) {
          const key = pool === "spot" ? "spotPool" : "highMemoryPool";
          add(`${at}.resources.pool`, `environment "${envName}" has no ${pool} node pool, so the pods would never schedule; set environments.${envName}.settings.${key}: true or remove resources.pool`, pool);
        }
      }
    }
  }
  for (const [envName, env] of Object.entries(config.environments)) {
    if (env.cluster.fqdnNetworkPolicy && env.cluster.networkPolicy !== "dataplane-v2") {
      add(`environments.${envName}.cluster.fqdnNetworkPolicy`, `FQDN network policies need GKE Dataplane V2; set cluster.networkPolicy: dataplane-v2 or remove fqdnNetworkPolicy`, true);
    }
  }
}
