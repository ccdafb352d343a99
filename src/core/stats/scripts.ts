import { defineScript } from '../store/script.js';

/** See windowed-hits.lua: a batch of hits on several rolling windows and HyperLogLogs. */
export const windowedHits = defineScript({
  name: 'stats-windowed-hits',
  numKeys: 0,
  file: new URL('./windowed-hits.lua', import.meta.url),
  memory: (call, keys, [windowsText, score, prefix, countText]) => {
    const windows = Number(windowsText);
    const count = Number(countText);
    for (let from = 1; from <= count; from += 500) {
      const last = Math.min(count, from + 499);
      const entries: string[] = [];
      const elements: string[] = [];
      for (let i = from; i <= last; i++) {
        entries.push(score!, `${prefix!}${i}`);
        elements.push(`${prefix!}${i}`);
      }
      keys.forEach((key, k) => {
        if (k < windows) call('ZADD', key, ...entries);
        else call('PFADD', key, ...elements);
      });
    }
    return count;
  },
});

export const counterIncr = defineScript({
  name: 'stats-counter-incr',
  numKeys: 1,
  file: new URL('./counter-incr.lua', import.meta.url),
  memory: (call, [key], [startAt, hits]) => {
    call('SET', key!, startAt!, 'NX');
    return call('INCRBY', key!, hits!);
  },
});
