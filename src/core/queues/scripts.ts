import { defineScript } from '../store/script.js';

/** 2024-01-01T00:00:00Z, the origin of the FIFO fraction. */
const FIFO_EPOCH = 1704067200;
/** 2^45 ticks of 64 us: the fraction keeps tick precision next to priorities up to ±256. */
const TICKS = 35184372088832;

/** See priority-push.lua; this twin runs the same steps on the in-memory engine. */
export const priorityPush = defineScript({
  name: 'priority-push',
  numKeys: 1,
  file: new URL('./priority-push.lua', import.meta.url),
  memory: (call, [key], argv) => {
    const [sec, usec] = call('TIME') as [string, string];
    const now = Math.floor(((Number(sec) - FIFO_EPOCH) * 1_000_000 + Number(usec)) / 64);
    let n = 0;
    for (let i = 0; i + 1 < argv.length; i += 2) {
      const base = -Number(argv[i]);
      let tick = now;
      const newest = call(
        'ZREVRANGEBYSCORE',
        key!,
        `(${base + 1}`,
        base,
        'WITHSCORES',
        'LIMIT',
        0,
        1,
      ) as string[];
      if (newest[1] !== undefined) {
        const last = Math.floor((Number(newest[1]) - base) * TICKS + 0.5);
        if (last >= tick) tick = last + 1;
      }
      call('ZADD', key!, (base + tick / TICKS).toPrecision(17), argv[i + 1]!);
      n++;
    }
    return n;
  },
});
