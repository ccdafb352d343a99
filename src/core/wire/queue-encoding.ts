import { BadInputError } from '../errors.js';

/** How queue items become Redis strings: anything with `dumps` and `loads`, like the original. */
export interface Encoding {
  dumps(item: unknown): string;
  loads(text: string): unknown;
}

/** JSON, readable by the Python original's ujson/json readers. */
export const jsonEncoding: Encoding = {
  dumps: (item) => JSON.stringify(item),
  loads: (text) => JSON.parse(text) as unknown,
};

export function assertEncoding(encoding: unknown): Encoding {
  const e = encoding as Partial<Encoding> | null;
  if (!e || typeof e.dumps !== 'function' || typeof e.loads !== 'function') {
    throw new BadInputError('A queue encoding must have dumps() and loads() functions');
  }
  return e as Encoding;
}
