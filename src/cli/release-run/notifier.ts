/**
 * Announces release steps: a structured entry in the environment project's Cloud Logging log
 * `brume-release` (entries.write, https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write).
 * The environment's Observability component turns those entries into notifications on its channels
 * (a log-match alert policy on that log), so the driver needs no channel credentials, only
 * `roles/logging.logWriter`, and the announcements stay in the project's logs for the audit.
 */
import { releaseLogId } from "../../components/observability/alerts.js";
import type { Notifier, ReleaseEvent } from "./driver.js";
import type { AccessToken } from "./google-access.js";

export { releaseLogId };

const severity: Record<ReleaseEvent["kind"], string> = { started: "NOTICE", step: "NOTICE", analysis: "INFO", aborted: "ERROR", promoted: "NOTICE" };

export class CloudLoggingNotifier implements Notifier {
  constructor(private readonly o: { project: string; token: AccessToken; endpoint?: string }) {}

  async announce(event: ReleaseEvent): Promise<void> {
    const root = (this.o.endpoint ?? "https://logging.googleapis.com").replace(/\/$/, "");
    const res = await fetch(`${root}/v2/entries:write`, {
      method: "POST",
      headers: { authorization: `Bearer ${await this.o.token()}`, "content-type": "application/json" },
      body: JSON.stringify({
        entries: [
          {
            logName: `projects/${this.o.project}/logs/${releaseLogId}`,
            resource: { type: "global", labels: { project_id: this.o.project } },
            severity: severity[event.kind],
            labels: { service: event.service, stack: event.stack, kind: event.kind },
            jsonPayload: { ...event },
          },
        ],
      }),
    });
    if (!res.ok) throw new Error(`could not announce the release step (Cloud Logging entries.write): HTTP ${res.status} ${await res.text()}`);
  }
}
