export type SettingsRecord = Record<string, unknown>;

export function isPlainObject(value: unknown): value is SettingsRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The original SettingsWrapper's merge, one dictionary level deep: when both the current and the new value
 * are objects their keys are merged (new keys added, existing keys replaced); otherwise the new value
 * replaces the old one; keys the base does not have are added. Neither argument is modified.
 */
export function mergeSettings(base: SettingsRecord, override: SettingsRecord): SettingsRecord {
  const merged: SettingsRecord = { ...base };
  for (const [key, value] of Object.entries(override)) {
    // A JSON file can carry an own "__proto__" key; assigning it would replace the prototype instead.
    if (key === '__proto__') continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return merged;
}
