/**
 * Header names as Scrapy's Headers store them (Python `str.title()`: a letter after a non-letter is upper
 * case, every other letter lower case), so `content-type` is published as `Content-Type` and `p3p` as
 * `P3P`, exactly as the Python cluster's items show them.
 */
export function titleCaseHeaderName(name: string): string {
  let out = '';
  let upper = true;
  for (const ch of name) {
    const lower = ch.toLowerCase();
    const isLetter = lower !== ch.toUpperCase();
    out += isLetter ? (upper ? ch.toUpperCase() : lower) : ch;
    upper = !isLetter;
  }
  return out;
}

/**
 * The original's `reconstruct_headers`: a fresh `{ Name: [values...] }` object, names title-cased and
 * values of names differing only in case merged in order.
 */
export function reconstructHeaders(
  headers: Readonly<Record<string, readonly string[] | string | undefined>>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = titleCaseHeaderName(name);
    const values = typeof value === 'string' ? [value] : value;
    const existing = out[key];
    if (existing) existing.push(...values);
    else out[key] = [...values];
  }
  return out;
}
