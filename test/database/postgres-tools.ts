/** What the database tests share: Debian's PostgreSQL 15 binaries, a free loopback port, the `postgres` user, shellcheck. */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";

export const pgBin = "/usr/lib/postgresql/15/bin";

/** A free loopback port (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Runs a command as the `postgres` user (initdb and the server refuse root). */
export function asPostgres(cmd: string, args: string[]): string {
  return execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** The script passes shellcheck as POSIX sh, style warnings included. */
export function expectShellcheckClean(script: string, name: string): void {
  const dir = mkdtempSync(join(tmpdir(), "brume-sh-"));
  try {
    writeFileSync(join(dir, name), script);
    const r = spawnSync("shellcheck", ["--severity=style", "--shell=sh", join(dir, name)], { encoding: "utf8" });
    expect(r.error, "shellcheck is installed by .ci/install-tools.sh").toBeUndefined();
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
