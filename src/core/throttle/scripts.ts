import { defineScript } from '../store/script.js';
import type { Reply } from '../store/types.js';

const fixed = (n: number) => n.toFixed(6);

/** See throttle-pop.lua; this twin runs the same steps on the in-memory engine. */
export const throttlePop = defineScript({
  name: 'throttle-pop',
  numKeys: 3,
  file: new URL('./throttle-pop.lua', import.meta.url),
  memory: (call, [windowKey, modKey, queueKey], argv): Reply => {
    const [sec, usec] = call('TIME') as [string, string];
    const now = Number(sec) + Number(usec) / 1_000_000;
    const nowText = fixed(now);
    const window = Number(argv[0]);
    const limit = Number(argv[1]);
    const kind = argv[6];
    if (limit <= 0) return ['throttled', '-1', nowText];

    const size = Number(call(kind === 'zset' ? 'ZCARD' : 'LLEN', queueKey!));
    if (size === 0) return ['empty', '0', nowText];

    call('ZREMRANGEBYSCORE', windowKey!, '-inf', `(${fixed(now - window)}`);
    const count = Number(call('ZCARD', windowKey!));
    if (count >= limit) {
      const oldest = call('ZRANGE', windowKey!, 0, 0, 'WITHSCORES') as string[];
      return ['throttled', fixed(Number(oldest[1]) + window - now), nowText];
    }

    const ttl = Math.max(1, Math.floor(window * 2));
    if (argv[2] === '1' && limit > 1) {
      const interval = window / limit;
      const last = Number((call('GET', modKey!) as string | null) ?? '0') || 0;
      const wait = last + interval - now;
      if (wait > 0) {
        const catchUp = argv[3] === '1' && argv[5] === '1' && limit - count > Number(argv[4]);
        if (!catchUp) return ['moderated', fixed(wait), nowText];
      }
      call('SET', modKey!, nowText, 'EX', ttl);
    }

    call('ZADD', windowKey!, nowText, `${nowText}:${argv[7]}`);
    call('EXPIRE', windowKey!, ttl);

    let item: Reply;
    if (kind === 'zset') item = (call('ZPOPMIN', queueKey!) as string[])[0] ?? null;
    else if (kind === 'fifo') item = call('RPOP', queueKey!);
    else item = call('LPOP', queueKey!);
    return ['ok', item, nowText];
  },
});
