import type { FieldKind, SettingField } from './fields.js';
import { isPlainObject } from './merge.js';

/** What a text value should become. `number`/`number-list`/`object` cover settings no field describes. */
export type TextKind = FieldKind | 'number' | 'number-list' | 'object';

export interface TextType {
  readonly kind: TextKind;
  readonly nullable: boolean;
  readonly expected: string;
}

export type Coerced = { ok: true; value: unknown } | { ok: false };

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NULL_WORDS = new Set(['', 'none', 'null']);

const GENERIC_EXPECTED: Record<TextKind, string> = {
  int: 'an integer',
  float: 'a number',
  number: 'a number',
  bool: 'a boolean (true/false/1/0)',
  string: 'a string',
  hosts: 'a comma-separated list of host:port',
  'int-list': 'a comma-separated list of integers or a JSON array',
  'number-list': 'a comma-separated list of numbers or a JSON array',
  'string-list': 'a comma-separated list or a JSON array',
  'string-map': 'a JSON object',
  'rank-map': 'a JSON object',
  object: 'a JSON object',
};

export function textTypeOfField(field: SettingField): TextType {
  return { kind: field.kind, nullable: field.nullable, expected: field.expected };
}

/** Settings no field describes (a user's own keys from a settings file) are typed by their current value. */
export function textTypeOfValue(value: unknown): TextType {
  let kind: TextKind = 'string';
  if (typeof value === 'number') kind = 'number';
  else if (typeof value === 'boolean') kind = 'bool';
  else if (Array.isArray(value))
    kind = value.every((v) => typeof v === 'number') && value.length > 0 ? 'number-list' : 'string-list';
  else if (isPlainObject(value)) kind = 'object';
  return { kind, nullable: value === null, expected: GENERIC_EXPECTED[kind] };
}

function parseInteger(text: string): Coerced {
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed)) return { ok: false };
  const value = Number(trimmed);
  return Number.isSafeInteger(value) ? { ok: true, value } : { ok: false };
}

function parseNumber(text: string): Coerced {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? { ok: true, value: Number(trimmed) } : { ok: false };
}

function parseBool(text: string): Coerced {
  const word = text.trim().toLowerCase();
  if (word === 'true' || word === '1') return { ok: true, value: true };
  if (word === 'false' || word === '0' || word === '') return { ok: true, value: false };
  return { ok: false };
}

function parseJson(text: string): Coerced {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function parseList(text: string, element: (item: string) => Coerced): Coerced {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const parsed = parseJson(trimmed);
    return parsed.ok && Array.isArray(parsed.value) ? parsed : { ok: false };
  }
  const items: unknown[] = [];
  for (const part of trimmed.split(',')) {
    if (part.trim() === '') continue;
    const item = element(part);
    if (!item.ok) return item;
    items.push(item.value);
  }
  return { ok: true, value: items };
}

/** `["h1:9092","h2:9092"]` (how Python settings write host lists) becomes "h1:9092,h2:9092". */
function parseHostArray(text: string): Coerced {
  const parsed = parseJson(text);
  if (!parsed.ok || !Array.isArray(parsed.value) || !parsed.value.every((h) => typeof h === 'string')) {
    return { ok: false };
  }
  return { ok: true, value: parsed.value.join(',') };
}

function parseObject(text: string): Coerced {
  if (text.trim() === '') return { ok: true, value: {} };
  const parsed = parseJson(text);
  return parsed.ok && isPlainObject(parsed.value) ? parsed : { ok: false };
}

/**
 * Turns text into a value of the given type. Lists are comma-separated (or a JSON array when the text
 * starts with `[`), objects are JSON, booleans accept true/false/1/0 and the empty string (false).
 */
export function coerceText(text: string, type: TextType): Coerced {
  if (type.nullable && NULL_WORDS.has(text.trim().toLowerCase())) return { ok: true, value: null };
  switch (type.kind) {
    case 'int':
      return parseInteger(text);
    case 'float':
    case 'number':
      return parseNumber(text);
    case 'bool':
      return parseBool(text);
    case 'string':
      return { ok: true, value: text };
    case 'hosts':
      return text.trim().startsWith('[') ? parseHostArray(text) : { ok: true, value: text };
    case 'int-list':
      return parseList(text, parseInteger);
    case 'number-list':
      return parseList(text, parseNumber);
    case 'string-list':
      return parseList(text, (item) => ({ ok: true, value: item.trim() }));
    case 'string-map':
    case 'rank-map':
    case 'object':
      return parseObject(text);
  }
}

/** A bad value as it appears in an error message: strings quoted, long values cut short. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? `a ${typeof value}`;
  } catch {
    text = `a ${typeof value}`; // circular or BigInt
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
