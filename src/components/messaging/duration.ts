/**
 * Config durations ("30s", "10m", "24h", "7d") → the protobuf Duration strings GCP APIs take
 * ("604800s"). Pure, so every component converts the same way and tests pin the arithmetic.
 */

const unitSeconds = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Seconds in a config duration such as "7d". Throws on anything else. */
export function durationSecondsOf(duration: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(duration);
  if (!match) {
    throw new Error(`invalid duration "${duration}": expected a duration such as "30s", "10m", "24h" or "7d"`);
  }
  return Number(match[1]) * unitSeconds[match[2] as keyof typeof unitSeconds];
}

/** A config duration as a GCP Duration string: "7d" → "604800s". */
export function durationToSeconds(duration: string): string {
  return `${durationSecondsOf(duration)}s`;
}

/**
 * Checks a duration lies within `[min, max]` (config durations) and returns it in seconds; `what`
 * names the field in the error.
 */
export function boundedDurationSeconds(duration: string, min: string, max: string, what: string): number {
  const seconds = durationSecondsOf(duration);
  if (seconds < durationSecondsOf(min) || seconds > durationSecondsOf(max)) {
    throw new Error(`${what} must be between ${min} and ${max}, got "${duration}"`);
  }
  return seconds;
}
