import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface PackageManifest {
  version: string;
  peerDependencies: Record<string, string>;
}

/** This package's package.json, the one above this file (src/cli or dist/src/cli). */
export function packageManifest(): PackageManifest {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string; peerDependencies?: Record<string, string> };
      if (pkg.name === "@brume/infra") return { version: pkg.version ?? "0.0.0", peerDependencies: pkg.peerDependencies ?? {} };
    }
    const up = dirname(dir);
    if (up === dir) return { version: "0.0.0", peerDependencies: {} };
    dir = up;
  }
}

/** The package's version, from the package.json above this file (src/cli or dist/src/cli). */
export function packageVersion(): string {
  return packageManifest().version;
}
