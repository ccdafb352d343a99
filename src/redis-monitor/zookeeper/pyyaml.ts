/**
 * A YAML emitter writing what PyYAML's `yaml.safe_dump(data, default_flow_style=False)` writes, for the
 * plain data of the crawler domain config: block style, two-space indent, mapping keys sorted, sequences
 * not indented under their key, `{}` and `[]` for empty collections, PyYAML's float and string styles.
 *
 * Integers are `bigint` and floats are `number`, so `1.0` keeps its `.0` (parse YAML with the `yaml`
 * package's `intAsBigInt` to get that distinction back).
 */
export type PyYamlValue =
  null | boolean | bigint | number | string | Date | PyYamlValue[] | { [key: string]: PyYamlValue };

type PyMapping = { [key: string]: PyYamlValue };

function isMapping(value: PyYamlValue): value is PyMapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Python's `repr(float)`, then PyYAML's tweak: an exponent without a point gets `.0` (`1.0e+16`). */
export function pyFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = value.toExponential().split('e') as [string, string];
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/[-.]/g, '');
  const e = Number(exp);
  let text: string;
  if (e < -4 || e >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : `${digits}.0`;
    text = `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  } else if (e < 0) {
    text = `0.${'0'.repeat(-e - 1)}${digits}`;
  } else if (digits.length <= e + 1) {
    text = `${digits}${'0'.repeat(e + 1 - digits.length)}.0`;
  } else {
    text = `${digits.slice(0, e + 1)}.${digits.slice(e + 1)}`;
  }
  return negative ? `-${text}` : text;
}

// PyYAML's implicit resolvers (YAML 1.1): a plain scalar matching one of these would not read back as a
// string, so such strings are quoted.
const IMPLICIT = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

function plainAllowed(text: string): boolean {
  if (text === '' || !/^[\x20-\x7e]*$/.test(text)) return false;
  if (text.startsWith(' ') || text.endsWith(' ') || text.endsWith(':')) return false;
  if (/^[,[\]{}#&*!|>'"%@`]/.test(text)) return false;
  if (/^[-?:]( |$)/.test(text)) return false;
  if (text.includes(': ') || text.includes(' #')) return false;
  return !IMPLICIT.some((re) => re.test(text));
}

function doubleQuoted(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (code <= 0xff) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code <= 0xffff) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += `\\U${code.toString(16).toUpperCase().padStart(8, '0')}`;
  }
  return `${out}"`;
}

export function pyScalar(value: PyYamlValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return pyFloat(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object') return '{}';
  if (plainAllowed(value)) return value;
  if (/^[\x20-\x7e]*$/.test(value)) return `'${value.replace(/'/g, "''")}'`;
  return doubleQuoted(value);
}

function nonEmpty(value: PyYamlValue): boolean {
  return Array.isArray(value) ? value.length > 0 : isMapping(value) && Object.keys(value).length > 0;
}

function mapping(map: PyMapping, indent: number, first: string): string {
  let out = '';
  Object.keys(map)
    .sort()
    .forEach((key, i) => {
      const lead = `${i === 0 ? first : ' '.repeat(indent)}${pyScalar(key)}:`;
      const value = map[key]!;
      if (isMapping(value) && nonEmpty(value))
        out += `${lead}\n${mapping(value, indent + 2, ' '.repeat(indent + 2))}`;
      else if (Array.isArray(value) && nonEmpty(value))
        out += `${lead}\n${sequence(value, indent, ' '.repeat(indent))}`;
      else out += `${lead} ${pyScalar(value)}\n`;
    });
  return out;
}

function sequence(items: PyYamlValue[], indent: number, first: string): string {
  let out = '';
  items.forEach((value, i) => {
    const lead = `${i === 0 ? first : ' '.repeat(indent)}- `;
    if (isMapping(value) && nonEmpty(value)) out += mapping(value, indent + 2, lead);
    else if (Array.isArray(value) && nonEmpty(value)) out += sequence(value, indent + 2, lead);
    else out += `${lead}${pyScalar(value)}\n`;
  });
  return out;
}

/** `yaml.safe_dump(value, default_flow_style=False)` of the original. */
export function dumpPyYaml(value: PyYamlValue): string {
  if (isMapping(value)) return nonEmpty(value) ? mapping(value, 0, '') : '{}\n';
  if (Array.isArray(value)) return nonEmpty(value) ? sequence(value, 0, '') : '[]\n';
  return `${pyScalar(value)}\n...\n`;
}
