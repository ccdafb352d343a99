import { parse } from 'yaml';
import { errorMessage } from '../../core/errors.js';
import { ConfigConflict, type ConfigNode } from './config-node.js';
import { dumpPyYaml, type PyYamlValue } from './pyyaml.js';

/** The crawler domain config (facts 9): per-domain throttles and a domain blacklist, plus anything else. */
export interface DomainConfigDocument {
  domains: Record<string, PyYamlValue>;
  blacklist: PyYamlValue[];
  [key: string]: PyYamlValue;
}

export const LOAD_ERROR = 'Unable to load Zookeeper config';
export const STORE_ERROR = 'Unable to store Zookeeper config';

/** The node cannot be used as a config: never overwrite it. */
export class InvalidConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidConfigError';
  }
}

function isMapping(value: unknown): value is Record<string, PyYamlValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Parses the node as PyYAML's `safe_load` would (YAML 1.1), keeping integers (bigint) apart from floats
 * (number). Empty contents are an empty config. Throws InvalidConfigError for anything that is not a
 * mapping with a `domains` mapping and a `blacklist` list (either may be missing).
 */
export function parseDomainConfig(text: string): DomainConfigDocument {
  let doc: unknown;
  try {
    doc =
      text.trim() === ''
        ? null
        : parse(text, { version: '1.1', intAsBigInt: true, uniqueKeys: false, logLevel: 'error' });
  } catch (err) {
    throw new InvalidConfigError(`not YAML: ${errorMessage(err)}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (!isMapping(doc)) throw new InvalidConfigError('the document is not a mapping');
  const config = doc;
  const domains = config.domains ?? {};
  const blacklist = config.blacklist ?? [];
  if (!isMapping(domains)) throw new InvalidConfigError('`domains` is not a mapping');
  if (!Array.isArray(blacklist)) throw new InvalidConfigError('`blacklist` is not a list');
  return { ...config, domains, blacklist };
}

export type ConfigUpdate =
  | { ok: true; text: string; attempts: number }
  | { ok: false; error: typeof LOAD_ERROR | typeof STORE_ERROR; reason: string };

/**
 * Read-modify-write of the config node that loses nobody's change: the node is written only if it still
 * has the version that was read (created only if still missing); on a conflict the change is applied
 * again to the fresh contents. A node that cannot be read or parsed is left alone (LOAD_ERROR).
 */
export async function updateDomainConfig(
  node: ConfigNode,
  change: (config: DomainConfigDocument) => void,
  options: { attempts?: number } = {},
): Promise<ConfigUpdate> {
  const attempts = options.attempts ?? 20;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let current: { text: string; version: number } | null;
    let config: DomainConfigDocument;
    try {
      current = await node.read();
      config = parseDomainConfig(current?.text ?? '');
    } catch (err) {
      return { ok: false, error: LOAD_ERROR, reason: errorMessage(err) };
    }
    change(config);
    const text = dumpPyYaml(config);
    try {
      if (current === null) await node.create(text);
      else await node.write(text, current.version);
      return { ok: true, text, attempts: attempt };
    } catch (err) {
      if (!(err instanceof ConfigConflict))
        return { ok: false, error: STORE_ERROR, reason: errorMessage(err) };
      // Someone wrote in between: back off a little (less lockstep with the other writer) and redo.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
  return { ok: false, error: STORE_ERROR, reason: `still conflicting after ${attempts} attempts` };
}
