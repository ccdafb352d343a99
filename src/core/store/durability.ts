import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/index.js';
import { asString } from './reply.js';
import type { Store } from './types.js';

/** What the connected Redis does to keep writes across a crash. */
export interface Durability {
  /** `appendonly yes`: at most about a second of writes is lost (`appendfsync everysec`). */
  aof: boolean;
  /** Replicas connected now: a failover keeps what reached them. */
  replicas: number;
  /** The AOF fsync policy, when the server says (`everysec`, `always`, `no`). */
  fsync: string | undefined;
}

/** Reads `INFO persistence` and `INFO replication`; undefined when the server will not say (INFO renamed). */
export async function readDurability(store: Store): Promise<Durability | undefined> {
  try {
    const [persistence, replication] = await Promise.all([
      store.call('INFO', 'persistence'),
      store.call('INFO', 'replication'),
    ]);
    const fields = parseInfo(`${asString(persistence) ?? ''}\n${asString(replication) ?? ''}`);
    if (fields.aof_enabled === undefined) return undefined;
    let fsync: string | undefined;
    try {
      const reply = await store.call('CONFIG', 'GET', 'appendfsync');
      fsync = Array.isArray(reply) ? (asString(reply[1] ?? null) ?? undefined) : undefined;
    } catch {
      fsync = undefined; // CONFIG is often disabled on managed servers
    }
    return { aof: fields.aof_enabled === '1', replicas: Number(fields.connected_slaves ?? 0) || 0, fsync };
  } catch {
    return undefined;
  }
}

/**
 * Logs one WARNING when the connected Redis keeps no append-only file and has no replica: the queues, leases
 * and duplicate filters live only in Redis, so a crash would bring back the last snapshot (or nothing), and
 * with it requests already crawled, or lose requests queued since. RDB snapshots alone still lose the writes
 * since the last save. Returns what it found.
 */
export async function warnIfNotDurable(
  store: Store,
  logger: Logger,
  where: string,
): Promise<Durability | undefined> {
  let durability: Durability | undefined;
  try {
    durability = await readDurability(store);
  } catch (err) {
    logger.debug('Could not read the Redis persistence settings', { error: errorMessage(err) });
    return undefined;
  }
  if (!durability || durability.aof || durability.replicas > 0) return durability;
  logger.warning(
    `Redis at ${where} has no append-only file and no replica: a Redis crash loses every write since its ` +
      'last snapshot (queued and leased requests, duplicate filters), so finished requests can come back and ' +
      'new ones be lost. Set appendonly yes with appendfsync everysec, or add a replica ' +
      '(see docs/reliability.md).',
    { redis: where, aof_enabled: 0, connected_slaves: 0 },
  );
  return durability;
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return fields;
}
