/**
 * The override merge rule, used for `Pulumi.<env>.yaml` → `brume:overrides` on top of brume.yaml:
 *
 * - later wins for scalars;
 * - objects deep-merge key by key;
 * - arrays replace (never concatenate), so an override says exactly what the list is;
 * - `null` removes the key (fall back to the default).
 */
export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(override)) return override;
  // An object over nothing (or over a scalar) is still merged into {}: its nulls remove, never stay.
  if (!isPlainObject(base)) base = {};
  const out: PlainObject = { ...(base as PlainObject) };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    // defineProperty, not assignment: a "__proto__" key stays data and never becomes a prototype.
    // Own keys of base only: base["__proto__"] would otherwise read Object.prototype and merge into it.
    else {
      const under = Object.hasOwn(base as PlainObject, key) ? (base as PlainObject)[key] : undefined;
      Object.defineProperty(out, key, { value: deepMerge(under, value), enumerable: true, writable: true, configurable: true });
    }
  }
  return out;
}

/** Merges layers left to right (later wins). */
export function mergeLayers(...layers: unknown[]): unknown {
  return layers.reduce((acc, layer) => deepMerge(acc, layer), {});
}
