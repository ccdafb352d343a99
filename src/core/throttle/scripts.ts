import { defineScript } from '../store/script.js';
import type { Reply } from '../store/types.js';
import { fixed6, throttleCheck, throttleNow, throttleOpts, throttleRecord } from './decide.js';

/** See throttle-pop.lua; this twin runs the same steps on the in-memory engine. */
export const throttlePop = defineScript({
  name: 'throttle-pop',
  numKeys: 3,
  file: new URL('./throttle-pop.lua', import.meta.url),
  memory: (call, [windowKey, modKey, queueKey], argv): Reply => {
    const now = throttleNow(call);
    const nowText = fixed6(now);
    const opts = throttleOpts(argv, 0);
    const kind = argv[6];
    if (opts.limit <= 0) return ['throttled', '-1', nowText];
    const size = Number(call(kind === 'zset' ? 'ZCARD' : 'LLEN', queueKey!));
    if (size === 0) return ['empty', '0', nowText];

    const denied = throttleCheck(call, windowKey!, modKey!, now, opts);
    if (denied) return [...denied, nowText];
    throttleRecord(call, windowKey!, modKey!, now, opts, argv[7]!);

    let item: Reply;
    if (kind === 'zset') item = (call('ZPOPMIN', queueKey!) as string[])[0] ?? null;
    else if (kind === 'fifo') item = call('RPOP', queueKey!);
    else item = call('LPOP', queueKey!);
    return ['ok', item, nowText];
  },
});
