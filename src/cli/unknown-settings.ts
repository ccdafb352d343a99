import { COMPONENT_SPECS, COMPONENTS, readSettingsFile } from '../settings.js';

/** Every setting name some component knows, with the accepted alternative spellings. */
export function knownSettingNames(): Set<string> {
  const names = new Set<string>();
  for (const component of COMPONENTS) {
    const spec = COMPONENT_SPECS[component];
    for (const key of Object.keys(spec.defaults)) names.add(key);
    for (const key of Object.keys(spec.fields)) names.add(key);
    for (const key of Object.keys(spec.aliases)) names.add(key);
  }
  return names;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The known name nearest to `name` (case-insensitive edit distance), when it is near enough to be a typo. */
export function closestSettingName(name: string, known = knownSettingNames()): string | undefined {
  const upper = name.toUpperCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(upper, candidate.toUpperCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(upper.length / 3)) ? best : undefined;
}

/**
 * One line per name no component knows: `unknown setting QUEUE_HIT from --set (did you mean QUEUE_HITS?)`.
 * A settings file may keep a user's own values too, so this warns and never fails.
 */
export function unknownSettingWarnings(names: Iterable<string>, source: string): string[] {
  const known = knownSettingNames();
  const lines: string[] = [];
  for (const name of names) {
    if (known.has(name)) continue;
    const near = closestSettingName(name, known);
    lines.push(`unknown setting ${name} ${source}${near ? ` (did you mean ${near}?)` : ''}`);
  }
  return lines;
}

/** The warnings for a command's `-s FILE` and `--set` names. */
export async function settingsWarnings(options: {
  settings?: string;
  set?: Record<string, string>;
}): Promise<string[]> {
  const lines: string[] = [];
  if (options.settings) {
    const values = await readSettingsFile(options.settings);
    lines.push(...unknownSettingWarnings(Object.keys(values), `in ${options.settings}`));
  }
  if (options.set) lines.push(...unknownSettingWarnings(Object.keys(options.set), 'from --set'));
  return lines;
}
