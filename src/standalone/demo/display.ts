/** Where the demo writes (process.stdout, or a test's buffer). */
export interface Output {
  write(text: string): unknown;
}

/** Lines for a person: a live progress line on a terminal, plain lines otherwise. */
export class Display {
  private shown = false;
  private lastPlain = 0;

  constructor(
    private readonly out: Output,
    private readonly live: boolean,
  ) {}

  line(text = ''): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  /** The progress line: redrawn in place live, else printed at most every 2 s (or when forced). */
  progress(text: string, force = false): void {
    if (this.live) {
      this.out.write(`\r\x1b[2K${text}`);
      this.shown = true;
      return;
    }
    const now = Date.now();
    if (!force && now - this.lastPlain < 2000) return;
    this.lastPlain = now;
    this.out.write(`  ${text}\n`);
  }

  clear(): void {
    if (this.live && this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}

type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
/** A reply value as text (objects as JSON). */
export const show = (v: unknown): string =>
  typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);
const lifetime = (v: unknown): unknown => (isObject(v) ? v.lifetime : undefined);

export const fmt = (n: number, digits = 1): string => n.toFixed(digits);
export const secs = (ms: number): string => `${fmt(ms / 1000)} s`;

/** JSON cut to `max` characters. */
export function compact(value: unknown, max = 160): string {
  const text = JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** One stats section in a line: nodes, lifetime totals per plugin or status code, backlog. */
export function statsLine(value: unknown): string {
  if (!isObject(value)) return compact(value, 110);
  const parts: string[] = [];
  if (isObject(value.nodes)) {
    const count = Object.values(value.nodes).reduce<number>(
      (n, ids) => n + (Array.isArray(ids) ? ids.length : 0),
      0,
    );
    parts.push(`${count} node${count === 1 ? '' : 's'}`);
  }
  if (lifetime(value.total) !== undefined) parts.push(`total ${show(lifetime(value.total))}`);
  if (isObject(value.plugins)) {
    const plugins = Object.entries(value.plugins).map(([name, v]) => `${name} ${show(lifetime(v) ?? 0)}`);
    if (plugins.length > 0) parts.push(plugins.join(', '));
  }
  if (isObject(value.spiders)) {
    for (const [name, spider] of Object.entries(value.spiders)) {
      if (!isObject(spider)) continue;
      const codes = Object.entries(spider)
        .filter(([code]) => /^\d{3}$/.test(code))
        .map(([code, v]) => `${code}: ${show(lifetime(v) ?? 0)}`);
      parts.push(
        `spider ${name} (${show(spider.count ?? '?')} running${codes.length ? `, ${codes.join(', ')}` : ''})`,
      );
    }
  }
  if (isObject(value.queue) && value.queue.total_backlog !== undefined)
    parts.push(`backlog ${show(value.queue.total_backlog)}`);
  return parts.length > 0 ? `${parts.join(' · ')} (lifetime counts)` : compact(value, 110);
}
