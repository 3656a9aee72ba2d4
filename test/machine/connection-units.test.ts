/**
 * The machines' side of the connection contract checked by the real tools: the examples/machines
 * edge group's Cloud SQL Auth Proxy unit and the renderer's unit (systemd-analyze verify), the
 * secret-files helper (shellcheck).
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { validateConfig } from "../../src/config/load.js";
import { Naming } from "../../src/config/naming.js";
import { machineSpecFor } from "../../src/components/machine/from-config.js";
import { machineFiles } from "../../src/render/cloud-init.js";
import { secretFilesHelper } from "../../src/render/machine-connections.js";
import { sqlProxyBinary } from "../../src/render/sql-proxy.js";
import { examplePath } from "../harness.js";

const tmp = mkdtempSync(join(tmpdir(), "brume-conn-units-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const config = validateConfig(parse(readFileSync(examplePath("machines", "brume.yaml"), "utf8")));
const spec = machineSpecFor(config, "edge", { name: "prod", gcpProject: "tiles-prod-7310" }, Naming.of("tiles", "prod"));
const files = machineFiles(spec);

describe("edge group of examples/machines", () => {
  it("renders the proxy unit and orders the renderer after it, its files written first", () => {
    const proxy = files.find((f) => f.path === "/etc/systemd/system/brume-sql-proxy-tiles.service")!;
    expect(proxy.content).toContain(`ExecStart=${sqlProxyBinary} "--private-ip" "--address=127.0.0.1" "--port=5432"`);
    expect(proxy.content).toContain("https://storage.googleapis.com/cloud-sql-connectors/cloud-sql-proxy/v2.14.3/cloud-sql-proxy.linux.amd64");
    const unit = files.find((f) => f.path === "/etc/systemd/system/brume-renderer.service")!.content;
    expect(unit).toContain("Wants=brume-sql-proxy-tiles.service\nAfter=brume-sql-proxy-tiles.service\n");
    expect(unit).toContain(
      `ExecStartPre=${secretFilesHelper} "/run/brume-renderer/secrets" "0700" "0600" "DB_PASSWORD=projects/tiles-prod-7310/secrets/tiles-prod-tiles-renderer-password" "REDIS_AUTH=projects/tiles-prod-7310/secrets/tiles-prod-tiles-auth" "REDIS_CA=projects/tiles-prod-7310/secrets/tiles-prod-tiles-ca"`,
    );
  });

  it("shellcheck passes on secret-files", () => {
    const helper = files.find((f) => f.path === secretFilesHelper)!;
    const path = join(tmp, "secret-files");
    writeFileSync(path, helper.content);
    const r = spawnSync("shellcheck", ["--severity=style", "--shell=bash", path], { encoding: "utf8" });
    expect(r.error, "shellcheck is installed by .ci/install-tools.sh").toBeUndefined();
    expect(r.stdout).toBe("");
    expect(r.status).toBe(0);
  });

  it("systemd-analyze verify accepts the proxy and renderer units", () => {
    const root = join(tmp, "root");
    mkdirSync(join(root, "usr/lib/systemd"), { recursive: true });
    cpSync("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), { recursive: true, dereference: false });
    for (const f of files) {
      mkdirSync(dirname(join(root, f.path)), { recursive: true });
      writeFileSync(join(root, f.path), f.content, { mode: parseInt(f.permissions, 8) });
    }
    for (const bin of [sqlProxyBinary, "/bin/sh"]) {
      mkdirSync(dirname(join(root, bin)), { recursive: true });
      writeFileSync(join(root, bin), "#!/bin/sh\n", { mode: 0o755 });
    }
    const units = ["/etc/systemd/system/brume-sql-proxy-tiles.service", "/etc/systemd/system/brume-renderer.service"];
    const r = spawnSync("systemd-analyze", ["verify", "--man=no", `--root=${root}`, ...units], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
