/**
 * The lock that keeps two drivers (a laptop and CI) from stepping the same service at once. Pulumi's
 * stack lock only covers one `pulumi up`; a release is many of them, with analysis in between, so
 * it needs its own. With state in Cloud Storage (`pulumi login gs://…`) the lock is an object in the
 * state bucket created with `ifGenerationMatch=0`, which Cloud Storage creates only when no live
 * object of that name exists (https://cloud.google.com/storage/docs/request-preconditions), the
 * same mechanism Terraform's gcs backend locks with. Released by deleting that generation; a
 * driver that died leaves it, and `--break-lock` removes it (as `terraform force-unlock` does).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { ReleaseLock } from "./driver.js";
import { ReleaseRunError } from "./driver.js";
import type { AccessToken } from "./google-access.js";

export interface LockHolder {
  holder: string;
  since: string;
}

function heldMessage(what: string, holder: LockHolder | undefined): string {
  const who = holder ? `${holder.holder} since ${holder.since}` : "another driver";
  return `${what} is being released by ${who}; wait for it to finish, or pass --break-lock if that driver is gone`;
}

export interface GcsLockOptions {
  bucket: string;
  /** Object name of the lock (`.brume/locks/<stack>/<service>.json`). */
  object: string;
  holder: string;
  token: AccessToken;
  /** Cloud Storage's JSON API root; tests point it at a fake on loopback. */
  endpoint?: string;
  breakLock?: boolean;
  what: string;
}

export class GcsLock implements ReleaseLock {
  constructor(private readonly o: GcsLockOptions) {}

  private url(path: string, query: Record<string, string>): string {
    const root = (this.o.endpoint ?? "https://storage.googleapis.com").replace(/\/$/, "");
    return `${root}${path}?${new URLSearchParams(query)}`;
  }

  private async request(method: string, url: string, body?: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.o.token()}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    return fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  }

  private objectPath(): string {
    return `/storage/v1/b/${encodeURIComponent(this.o.bucket)}/o/${encodeURIComponent(this.o.object)}`;
  }

  async acquire(): Promise<{ release(): Promise<void> }> {
    const holder: LockHolder = { holder: this.o.holder, since: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      const created = await this.request(
        "POST",
        this.url(`/upload/storage/v1/b/${encodeURIComponent(this.o.bucket)}/o`, { uploadType: "media", name: this.o.object, ifGenerationMatch: "0" }),
        JSON.stringify(holder),
      );
      if (created.ok) {
        const { generation } = (await created.json()) as { generation: string };
        return {
          release: async () => {
            const res = await this.request("DELETE", this.url(this.objectPath(), { ifGenerationMatch: generation }));
            // 404 / 412: the lock was broken (`--break-lock`) and may be held by another driver now: not ours to delete.
            if (!res.ok && res.status !== 404 && res.status !== 412) throw new Error(`could not release the lock gs://${this.o.bucket}/${this.o.object}: HTTP ${res.status}`);
          },
        };
      }
      if (created.status !== 412) throw new Error(`could not take the lock gs://${this.o.bucket}/${this.o.object}: HTTP ${created.status} ${await created.text()}`);
      const current = await this.request("GET", this.url(this.objectPath(), { alt: "media" }));
      const held = current.ok ? ((await current.json().catch(() => undefined)) as LockHolder | undefined) : undefined;
      if (!this.o.breakLock || attempt > 0) throw new ReleaseRunError(heldMessage(this.o.what, held));
      await this.request("DELETE", this.url(this.objectPath(), {}));
    }
    throw new ReleaseRunError(heldMessage(this.o.what, undefined));
  }
}

/** The same lock as a file (`O_EXCL`), for a backend on local disk (`pulumi login file://…`). */
export class FileLock implements ReleaseLock {
  constructor(private readonly o: { dir: string; name: string; holder: string; breakLock?: boolean; what: string }) {}

  async acquire(): Promise<{ release(): Promise<void> }> {
    mkdirSync(this.o.dir, { recursive: true });
    const path = join(this.o.dir, this.o.name);
    if (this.o.breakLock && existsSync(path)) rmSync(path);
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let held: LockHolder | undefined;
      try {
        held = JSON.parse(readFileSync(path, "utf8")) as LockHolder;
      } catch {
        held = undefined;
      }
      throw new ReleaseRunError(heldMessage(this.o.what, held));
    }
    writeSync(fd, JSON.stringify({ holder: this.o.holder, since: new Date().toISOString() }));
    closeSync(fd);
    return { release: async () => rmSync(path, { force: true }) };
  }
}
