/**
 * The restore test's scripts and CronJob (issue 17 item 7): snapshots, shellcheck, the upstream
 * Kubernetes schema, and both scripts EXECUTED together (as the pod's two containers, sharing a
 * directory) against the stand-in `gcloud` and `psql` of test/database/restore-stand-ins, which
 * record their calls and answer as the real ones do (shapes documented there): success, every
 * failing step, timeouts and a failed deletion. Whatever fails, a clone that was asked for is deleted
 * (deletion protection lifted first), and the last line is the JSON report the alert matches.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CronJob } from "kubernetes-models/batch/v1";
import { afterAll, describe, expect, it } from "vitest";
import { psqlImage } from "../../src/render/pgaudit.js";
import {
  gcloudImage,
  maxInstanceIdWithProject,
  restoreCheckScript,
  restoreTestCronJobManifest,
  restoreTestEvent,
  restoreTestFailureFilter,
  restoreTestScript,
  temporaryInstancePrefix,
  temporarySuffixLength,
  type RestoreScriptOptions,
} from "../../src/render/restore-test.js";
import { repoRoot } from "../harness.js";

const standIns = join(repoRoot, "test/database/restore-stand-ins");
const options: RestoreScriptOptions = {
  project: "bro-ai-prod",
  instance: "bro-ai-prod-main",
  prefix: temporaryInstancePrefix("bro-ai-prod", "bro-ai-prod-main"),
  database: "bro",
  user: "api",
  minimum: 1,
  maxBackupAgeHours: 26,
  maxRecoveryLagMinutes: 15,
  workSeconds: 6300,
  relaxClientCertificates: false,
};
const script = restoreTestScript(options);
const check = restoreCheckScript({ query: "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", waitSeconds: 6300 });

describe("rendered restore test", () => {
  it("scripts (snapshots)", () => {
    expect(script).toMatchSnapshot();
    expect(check).toMatchSnapshot();
  });

  it("names clones <instance>-rt-<UTC timestamp>-<random>, within Cloud SQL's 98 characters with the project id", () => {
    expect(temporaryInstancePrefix("bro-ai-prod", "bro-ai-prod-main")).toBe("bro-ai-prod-main-rt-");
    const project = "a-rather-long-project-id-2026";
    const long = temporaryInstancePrefix(project, `${"x".repeat(70)}-main`);
    expect(long).toMatch(/^x+-[0-9a-f]{6}-$/);
    expect(project.length + 1 + long.length + temporarySuffixLength).toBe(maxInstanceIdWithProject);
    // Two long instances sharing their first characters get different prefixes (the hash).
    expect(temporaryInstancePrefix(project, `${"x".repeat(70)}-other`)).not.toBe(long);
    expect(() => temporaryInstancePrefix("p".repeat(75), "main")).toThrow(/no room/);
    expect(() => restoreTestScript({ ...options, prefix: "other-rt-" })).toThrow(/does not name/);
    expect(() => restoreTestScript({ ...options, minimum: -1 })).toThrow(/whole number/);
    expect(() => restoreCheckScript({ query: " ", waitSeconds: 1 })).toThrow(/check query/);
  });

  it("both scripts and the stand-ins pass shellcheck (POSIX sh)", () => {
    const dir = mkdtempSync(join(tmpdir(), "brume-restore-sh-"));
    try {
      writeFileSync(join(dir, "restore.sh"), script);
      writeFileSync(join(dir, "restore-relaxed.sh"), restoreTestScript({ ...options, relaxClientCertificates: true }));
      writeFileSync(join(dir, "check.sh"), check);
      const files = ["restore.sh", "restore-relaxed.sh", "check.sh"].map((f) => join(dir, f));
      const r = spawnSync("shellcheck", ["--severity=style", "--shell=sh", ...files, join(standIns, "gcloud"), join(standIns, "psql")], { encoding: "utf8" });
      expect(r.error, "shellcheck is installed by .ci/install-tools.sh").toBeUndefined();
      expect(r.stdout + r.stderr).toBe("");
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the CronJob validates against the Kubernetes schema: one run at a time, no retry, bounded, non-root", () => {
    const manifest = restoreTestCronJobManifest({
      name: "restore-test",
      namespace: "bro-ai-prod-main-restore",
      serviceAccountName: "restore-test",
      schedule: "0 5 * * 2",
      timeZone: "Etc/UTC",
      deadlineSeconds: 7200,
      restoreScript: script,
      checkScript: check,
      labels: { "app.kubernetes.io/name": "restore-test" },
      annotations: { "brume.dev/restores": "bro-ai-prod-main" },
    });
    expect(() => new CronJob(manifest).validate()).not.toThrow();
    expect(manifest.spec).toMatchObject({ schedule: "0 5 * * 2", timeZone: "Etc/UTC", concurrencyPolicy: "Forbid", startingDeadlineSeconds: 3600 });
    const job = manifest.spec.jobTemplate.spec;
    expect(job).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 7200 });
    const pod = job.template.spec;
    expect(pod).toMatchObject({ serviceAccountName: "restore-test", restartPolicy: "Never", securityContext: { runAsNonRoot: true, runAsUser: 65532 } });
    expect(pod.containers.map((c) => [c.name, c.image, c.command])).toEqual([
      ["restore", gcloudImage, ["/bin/sh", "-c", script]],
      ["check", psqlImage, ["/bin/sh", "-c", check]],
    ]);
    for (const c of pod.containers) {
      expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] } });
      expect(c.volumeMounts).toContainEqual({ name: "work", mountPath: "/run/restore" });
    }
    expect(pod.volumes[0]).toEqual({ name: "work", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
    // A mistyped field fails the schema (the validation is real).
    expect(() => new CronJob({ ...manifest, spec: { ...manifest.spec, concurrencyPolicy: 3 } } as never).validate()).toThrow();
  });

  it("the alert filter matches the scripts' ERROR lines in the namespace", () => {
    expect(restoreTestFailureFilter("bro-ai-prod", "bro-ai-prod-main-restore")).toBe(
      `resource.type = "k8s_container" AND resource.labels.project_id = "bro-ai-prod" AND resource.labels.namespace_name = "bro-ai-prod-main-restore" AND jsonPayload.event = "${restoreTestEvent}" AND severity >= ERROR`,
    );
  });
});

interface Run {
  code: number | null;
  /** The restore container's JSON lines. */
  lines: Record<string, unknown>[];
  stderr: string;
  /** gcloud calls, one line of arguments each. */
  calls: string[];
  psqlEnv: string[];
  /** Instances left behind (stand-in state). */
  leftover: string[];
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve(code));
  });
}

/** Runs both containers' scripts side by side against the stand-ins, with short waits. */
async function run(scenario: string, o: { startCheck?: boolean; workSeconds?: number; restore?: string } = {}): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "brume-restore-run-"));
  dirs.push(dir);
  const env = {
    ...process.env,
    PATH: `${standIns}:${process.env.PATH}`,
    STANDIN_DIR: dir,
    STANDIN_SCENARIO: scenario,
    RESTORE_DIR: dir,
    RESTORE_POLL_SECONDS: "0.05",
    RESTORE_WORK_SECONDS: String(o.workSeconds ?? 60),
    RESTORE_CLEANUP_SECONDS: "1",
  };
  let out = "";
  let err = "";
  const restore = spawn("sh", ["-c", o.restore ?? script], { env, stdio: ["ignore", "pipe", "pipe"] });
  restore.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  restore.stderr!.on("data", (b: Buffer) => (err += b.toString()));
  const checker = o.startCheck === false ? undefined : spawn("sh", ["-c", check], { env, stdio: "ignore" });
  const [code, checkCode] = await Promise.all([exited(restore), checker ? exited(checker) : Promise.resolve(0)]);
  expect(checkCode, "the check container always exits 0").toBe(0);
  const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").trim().split("\n").filter(Boolean) : []);
  return {
    code,
    lines: out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: err,
    calls: read("calls"),
    psqlEnv: read("psql-env"),
    leftover: spawnSync("sh", ["-c", `ls ${dir} | sed -n 's/^instance-//p'`], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean),
  };
}

const verb = (call: string) => call.split(" ").slice(0, 3).join(" ");
const verbs = (r: Run) => r.calls.map(verb);
const cleanupVerbs = ["sql instances patch", "sql instances delete", "sql instances describe"];
const report = (r: Run) => r.lines.at(-1)!;

describe("executed against stand-in gcloud and psql", () => {
  it("passes: latest backup checked, clone at the latest recovery time, password reset on the clone, TLS-verified check, clone deleted", async () => {
    const r = await run("ok");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(verbs(r)).toEqual([
      "sql backups list",
      "sql instances get-latest-recovery-time",
      "sql instances clone",
      "sql operations describe",
      "sql users set-password",
      "sql instances describe",
      "sql instances describe",
      ...cleanupVerbs,
    ]);
    expect(r.calls[0]).toBe("sql backups list --project bro-ai-prod --instance bro-ai-prod-main --filter status=SUCCESSFUL --sort-by ~windowStartTime --limit 1 --format value(id,endTime)");
    const clone = r.calls[2]!.split(" ");
    const temp = clone[4]!;
    expect(temp).toMatch(/^bro-ai-prod-main-rt-\d{14}-[0-9a-f]{4}$/);
    expect(temp.length).toBe("bro-ai-prod-main-rt-".length + temporarySuffixLength);
    const pointInTime = clone[clone.indexOf("--point-in-time") + 1];
    expect(clone.slice(0, 4)).toEqual(["sql", "instances", "clone", "bro-ai-prod-main"]);
    expect(clone).toEqual(expect.arrayContaining(["--async", "--project", "bro-ai-prod"]));
    // Only the clone's password changes, never the instance's.
    expect(r.calls[4]).toMatch(new RegExp(`^sql users set-password api --instance ${temp} --project bro-ai-prod --password [0-9a-f]{48}-Rt9$`));
    expect(r.calls.filter((c) => c.includes(" bro-ai-prod-main ") && /patch|delete|set-password/.test(c))).toEqual([]);
    expect(r.calls.slice(-3)).toEqual([
      `sql instances patch ${temp} --project bro-ai-prod --no-deletion-protection --quiet`,
      `sql instances delete ${temp} --project bro-ai-prod --async --quiet`,
      `sql instances describe ${temp} --project bro-ai-prod --format value(state)`,
    ]);
    expect(r.psqlEnv).toEqual(["PGHOST=10.20.0.5 PGUSER=api PGDATABASE=bro PGSSLMODE=verify-ca"]);
    expect(r.leftover).toEqual([]);
    expect(r.lines).toHaveLength(1);
    expect(report(r)).toMatchObject({
      severity: "INFO",
      event: restoreTestEvent,
      result: "passed",
      stage: "check",
      source: "bro-ai-prod-main",
      instance: temp,
      backup: "1796100000000",
      pointInTime,
      recoveryLagSeconds: expect.stringMatching(/^6\d$/),
      value: "7",
      minimum: 1,
      message: "restore of bro-ai-prod-main passed: 7 >= 1",
    });
  });

  const failures: { scenario: string; stage: string; message: RegExp; code: number; cloned: boolean; startCheck?: boolean; workSeconds?: number }[] = [
    { scenario: "no-backup", stage: "backup", message: /no SUCCESSFUL backup of bro-ai-prod-main/, code: 1, cloned: false },
    { scenario: "old-backup", stage: "backup", message: /latest SUCCESSFUL backup 1796100000000 is 30 h old \(limit 26 h\)/, code: 1, cloned: false },
    { scenario: "lagging", stage: "recovery-time", message: /lags by 36\d\d s \(limit 900 s\): transaction logs are not being archived/, code: 1, cloned: false },
    { scenario: "clone-fails", stage: "clone", message: /clone failed: ERROR: \(gcloud.sql.instances.clone\) HTTPError 403/, code: 1, cloned: true },
    { scenario: "clone-op-error", stage: "wait", message: /the clone operation failed: INTERNAL_ERROR An internal error has occurred/, code: 1, cloned: true },
    { scenario: "timeout", stage: "wait", message: /timed out waiting for the clone \(operation 8a1c6f1e-0b3c-4d8e-9f7a-000000000001: RUNNING/, code: 2, cloned: true, workSeconds: 1 },
    { scenario: "check-fails", stage: "check", message: /the check query failed: psql: error: .*FATAL: {2}database "bro" does not exist/, code: 1, cloned: true },
    { scenario: "check-low", stage: "check", message: /the check query returned 0, expected at least 1/, code: 1, cloned: true },
    { scenario: "ok", stage: "check", message: /timed out waiting for the check query/, code: 2, cloned: true, startCheck: false, workSeconds: 1 },
  ];

  for (const f of failures) {
    it(`${f.scenario}${f.startCheck === false ? " (the check never answers)" : ""}: fails at ${f.stage} with exit ${f.code}, reports it, ${f.cloned ? "deletes the clone" : "creates nothing"}`, async () => {
      const r = await run(f.scenario, { ...(f.startCheck === false ? { startCheck: false } : {}), ...(f.workSeconds ? { workSeconds: f.workSeconds } : {}) });
      expect(r.code).toBe(f.code);
      expect(r.lines).toHaveLength(1);
      expect(report(r)).toMatchObject({ severity: "ERROR", event: restoreTestEvent, result: f.code === 2 ? "timeout" : "failed", stage: f.stage });
      expect(String(report(r).message)).toMatch(new RegExp(`^restore of bro-ai-prod-main failed at ${f.stage}: `));
      expect(String(report(r).message)).toMatch(f.message);
      const clone = r.calls.find((c) => verb(c) === "sql instances clone");
      expect(Boolean(clone)).toBe(f.cloned);
      if (f.cloned) {
        const temp = clone!.split(" ")[4]!;
        // Delete is always called once a create was attempted, after deletion protection is lifted.
        const deletes = r.calls.filter((c) => c.startsWith(`sql instances delete ${temp} `));
        expect(deletes.length).toBeGreaterThanOrEqual(1);
        expect(r.calls.indexOf(`sql instances patch ${temp} --project bro-ai-prod --no-deletion-protection --quiet`)).toBeLessThan(r.calls.indexOf(deletes[0]!));
        expect(r.calls.indexOf(clone!)).toBeLessThan(r.calls.indexOf(deletes[0]!));
      } else {
        expect(r.calls.some((c) => /instances (patch|delete)/.test(c))).toBe(false);
      }
      expect(r.leftover).toEqual([]);
    });
  }

  it("a clone still being created refuses the first delete (409): the cleanup retries until it is gone", async () => {
    const r = await run("timeout", { workSeconds: 1 });
    const deletes = r.calls.filter((c) => verb(c) === "sql instances delete");
    expect(deletes).toHaveLength(2);
    expect(r.leftover).toEqual([]);
    expect(r.lines.map((l) => l.result)).toEqual(["timeout"]);
  });

  it("a deletion that fails is reported on its own line (cleanup-failed, with the command to run) and exits 3, even after a passing check", async () => {
    const r = await run("delete-fails");
    expect(r.code).toBe(3);
    const temp = r.calls.find((c) => verb(c) === "sql instances clone")!.split(" ")[4]!;
    expect(r.leftover).toEqual([temp]);
    expect(r.lines.map((l) => [l.severity, l.result, l.stage])).toEqual([
      ["ERROR", "cleanup-failed", "cleanup"],
      ["INFO", "passed", "check"],
    ]);
    expect(String(r.lines[0]!.message)).toBe(
      `the clone ${temp} is not deleted: ERROR: (gcloud.sql.instances.delete) HTTPError 403: The client is not authorized to make this request.; delete it: gcloud sql instances patch ${temp} --no-deletion-protection; gcloud sql instances delete ${temp}`,
    );
  });

  it("an instance that requires client certificates: the clone (only) is switched to ENCRYPTED_ONLY before the check", async () => {
    const r = await run("ok", { restore: restoreTestScript({ ...options, relaxClientCertificates: true }) });
    expect(r.code).toBe(0);
    const temp = r.calls.find((c) => verb(c) === "sql instances clone")!.split(" ")[4]!;
    const patch = r.calls.indexOf(`sql instances patch ${temp} --project bro-ai-prod --ssl-mode ENCRYPTED_ONLY --quiet`);
    expect(patch).toBeGreaterThan(r.calls.findIndex((c) => verb(c) === "sql operations describe"));
    expect(patch).toBeLessThan(r.calls.findIndex((c) => verb(c) === "sql users set-password"));
    expect(report(r).result).toBe("passed");
  });

  it("SIGTERM (the Job's deadline) still deletes the clone and reports", async () => {
    const dir = mkdtempSync(join(tmpdir(), "brume-restore-term-"));
    dirs.push(dir);
    const env = { ...process.env, PATH: `${standIns}:${process.env.PATH}`, STANDIN_DIR: dir, STANDIN_SCENARIO: "timeout", RESTORE_DIR: dir, RESTORE_POLL_SECONDS: "0.05", RESTORE_WORK_SECONDS: "600", RESTORE_CLEANUP_SECONDS: "5" };
    const child = spawn("sh", ["-c", script], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
    // Wait (by state, not by time) until the clone is being waited for, then terminate.
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(join(dir, "calls")) && readFileSync(join(dir, "calls"), "utf8").includes("sql operations describe")) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    child.kill("SIGTERM");
    const code = await exited(child);
    expect(code).toBe(1);
    const calls = readFileSync(join(dir, "calls"), "utf8");
    expect(calls).toMatch(/sql instances delete bro-ai-prod-main-rt-/);
    const last = JSON.parse(out.trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ severity: "ERROR", result: "failed", stage: "wait", message: "restore of bro-ai-prod-main failed at wait: terminated" });
  });
});
