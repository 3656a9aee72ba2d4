/**
 * The CLI writes all of its output before it exits, also to a pipe whose reader is slow
 * (newcomer.md 4: `brume schema | (sleep 1; wc -c)` printed 65536 of 78,949 bytes, exit 0), and a
 * reader that goes away early (`brume schema | head -c 10`) is not an internal error.
 */
import { execFile } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { brume, repoRoot } from "../harness.js";

/**
 * The built bin, as `npx brume` runs it (`npm ci` builds dist/ through `prepare`; the bin is the bundle build/cli-bundle.mjs makes). Under the tsx
 * loader the truncation does not show, so the test runs what users run.
 */
const cli = join(repoRoot, "dist/cli/main.js");

beforeAll(() => {
  const stale = statSync(cli).mtimeMs < statSync(join(repoRoot, "src/cli/main.ts")).mtimeMs;
  if (stale) throw new Error("dist/ is older than src/cli/main.ts: run `npm run build` first");
});

/**
 * Runs the CLI in a shell pipeline: a real pipe (64 KiB of kernel buffer; Node's own child-process
 * stdio is a socket with a larger buffer, which hides the bug) into `reader`. Prints the reader's
 * output and the CLI's exit status (pipefail).
 */
function pipeline(args: string[], reader: string): Promise<{ out: string; stderr: string }> {
  const command = `set -o pipefail; "${process.execPath}" "${cli}" ${args.join(" ")} | ${reader}; echo "rc=$?"`;
  return new Promise((resolve, reject) => {
    execFile("bash", ["-c", command], { cwd: repoRoot }, (err, stdout, stderr) => (err ? reject(err) : resolve({ out: stdout.trim(), stderr })));
  });
}

describe("brume output through pipes", () => {
  it("a slow reader gets every byte of a large output (the JSON Schema, > 64 KiB)", async () => {
    const inProcess = await brume("schema");
    const expected = Buffer.byteLength(inProcess.stdout);
    expect(expected).toBeGreaterThan(65_536);
    const piped = await pipeline(["schema"], "(sleep 1; wc -c)");
    expect(piped).toEqual({ out: `${expected}\nrc=0`, stderr: "" });
  });

  it("a reader that closes early ends the command quietly with its own exit code", async () => {
    // `head` exits after 10 bytes; the CLI then gets EPIPE (or SIGPIPE's default is ignored by Node).
    const piped = await pipeline(["schema"], "head -c 10 >/dev/null");
    expect(piped.stderr).toBe("");
    expect(piped.out).toBe("rc=0");
  });
});
