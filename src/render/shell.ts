/** Small helpers shared by the renderers: quoting for POSIX shells and systemd. */

/** Single-quotes a value for POSIX sh / bash: safe for any byte except NUL. */
export function shQuote(value: string): string {
  if (value.includes("\0")) throw new RangeError("a shell argument cannot contain NUL");
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Throws when a value would break a line-oriented file (env files, unit files). */
export function assertSingleLine(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw new RangeError(`${what} must be a single line: ${JSON.stringify(value)}`);
  return value;
}

/**
 * Quotes one word of a systemd ExecStart= line: double quotes, with `\`, `"`, `$` and `%` escaped
 * (specifiers and variable expansion are not wanted in literal arguments).
 */
export function systemdQuote(value: string): string {
  assertSingleLine(value, "a systemd argument");
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%").replace(/\$/g, "$$$$")}"`;
}

/** A unit file from sections; values given as arrays become repeated keys. Keys keep their order. */
export type UnitSection = [key: string, value: string | number | boolean | readonly string[] | undefined][];

/** The kernel half of the sandbox (systemd.exec(5)): no kernel tunables, modules, logs, cgroups, clock or hostname changes. */
export const kernelLockdown: UnitSection = [
  ["ProtectKernelTunables", true],
  ["ProtectKernelModules", true],
  ["ProtectKernelLogs", true],
  ["ProtectControlGroups", true],
  ["ProtectClock", true],
  ["ProtectHostname", true],
];

/** The privilege half (systemd.exec(5)): no set-uid/gid, realtime or new namespaces, no personality change, no writable-and-executable memory. */
export const privilegeLockdown: UnitSection = [
  ["RestrictSUIDSGID", true],
  ["RestrictRealtime", true],
  ["RestrictNamespaces", true],
  ["LockPersonality", true],
  ["MemoryDenyWriteExecute", true],
];

/**
 * The sandboxing every unit we render shares (systemd.exec(5)): `kernelLockdown`, other processes
 * invisible, `privilegeLockdown`. Each unit adds its own file-system, capability, address-family
 * and system-call lines around it.
 */
export const kernelAndPrivilegeLockdown: UnitSection = [...kernelLockdown, ["ProtectProc", "invisible"], ...privilegeLockdown];

/** `section` without the lines of `keys` (a unit that cannot take one of the shared settings says why). */
export function withoutKeys(section: UnitSection, ...keys: string[]): UnitSection {
  return section.filter(([key]) => !keys.includes(key));
}

/**
 * The system-call lines of a unit (systemd.exec(5)): native architecture only, the `filter`
 * allow-list (or `~` deny-list), and a filtered call fails with EPERM instead of killing the process.
 */
export function systemCalls(filter: string | readonly string[] = "@system-service"): UnitSection {
  return [
    ["SystemCallArchitectures", "native"],
    ["SystemCallFilter", filter],
    ["SystemCallErrorNumber", "EPERM"],
  ];
}

export function renderUnitFile(header: string, sections: Record<string, UnitSection>): string {
  const lines: string[] = [header];
  for (const [section, entries] of Object.entries(sections)) {
    lines.push("", `[${section}]`);
    for (const [key, value] of entries) {
      if (value === undefined) continue;
      const values = Array.isArray(value) ? value : [value];
      for (const v of values as readonly (string | number | boolean)[]) {
        const text = typeof v === "boolean" ? (v ? "yes" : "no") : String(v);
        lines.push(`${key}=${assertSingleLine(text, `${section}.${key}`)}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}
