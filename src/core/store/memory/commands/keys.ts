import type { Reply } from '../../types.js';
import type { MemoryEngine } from '../engine.js';
import { globToRegExp } from '../glob.js';
import { int, typeName, type Handler } from '../values.js';

// Server and keyspace commands: PING, TIME, FLUSHDB, PUB/SUB, DEL, EXISTS, expiry, TYPE, SCAN.

function ttl(e: MemoryEngine, key: string, unitMs: number): Reply {
  if (e.lookup(key) === undefined) return -2;
  const at = e.expiryOf(key);
  if (at === undefined) return -1;
  return Math.max(0, Math.round((at - e.now()) / unitMs));
}

export const KEY_COMMANDS: Record<string, Handler> = {
  PING: () => 'PONG',
  TIME: (e) => {
    const ms = e.now();
    const sec = Math.floor(ms / 1000);
    return [String(sec), String(Math.floor((ms - sec * 1000) * 1000))];
  },
  FLUSHDB: (e) => {
    e.flush();
    return 'OK';
  },
  DBSIZE: (e) => e.size,
  // Pub/sub within the engine: MemoryStore.subscribe listens for these events.
  PUBLISH: (e, [channel, message]) => {
    const event = `message:${channel!}`;
    const receivers = e.listenerCount(event);
    e.emit(event, message);
    return receivers;
  },
  DEL: (e, keys) => keys.filter((k) => e.remove(k)).length,
  EXISTS: (e, keys) => keys.filter((k) => e.lookup(k) !== undefined).length,
  EXPIRE: (e, [key, sec]) => (e.setExpiry(key!, e.now() + int(sec) * 1000) ? 1 : 0),
  PEXPIRE: (e, [key, ms]) => (e.setExpiry(key!, e.now() + int(ms)) ? 1 : 0),
  TTL: (e, [key]) => ttl(e, key!, 1000),
  PTTL: (e, [key]) => ttl(e, key!, 1),
  PERSIST: (e, [key]) => {
    const v = e.lookup(key!);
    if (!v || e.expiryOf(key!) === undefined) return 0;
    e.put(key!, v);
    return 1;
  },
  TYPE: (e, [key]) => {
    const v = e.lookup(key!);
    return v ? typeName(v) : 'none';
  },
  SCAN: (e, [cursor, ...opts]) => {
    let match: RegExp | null = null;
    let count = 10;
    let type: string | null = null;
    for (let i = 0; i < opts.length; i++) {
      const o = opts[i]!.toUpperCase();
      if (o === 'MATCH') match = globToRegExp(opts[++i]!);
      else if (o === 'COUNT') count = int(opts[++i]);
      else if (o === 'TYPE') type = opts[++i]!.toLowerCase();
      else throw new Error('ERR syntax error');
    }
    const [next, keys] = e.scan(int(cursor), match, count, type);
    return [String(next), keys];
  },
};
