import { defineScript } from '../store/script.js';
import type { Reply } from '../store/types.js';
import { crawlFields } from '../wire/crawl-fields.js';

/** Twin of lua/crawl-finished.lua (see its header for KEYS and ARGV). */
export const crawlFinished = defineScript({
  name: 'crawl-finished',
  numKeys: 4,
  file: new URL('./lua/crawl-finished.lua', import.meta.url),
  memory: (call, [leasedKey, queuesKey, statsKey, markerKey], argv): Reply => {
    const [appid, crawlid, mode, limitText, budgetText, ttl] = argv as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if (argv.length >= 7) {
      for (const queue of argv.slice(6)) call('SADD', queuesKey!, queue);
      call('EXPIRE', queuesKey!, ttl);
    }
    if (mode === 'record') return ['recorded'];
    if (call('EXISTS', markerKey!) === 1) return ['announced'];
    const ours = (member: string): boolean => {
      const fields = crawlFields(member);
      return fields !== null && fields.appid === appid && fields.crawlid === crawlid;
    };
    let pending = 0;
    const leased = call('HGETALL', leasedKey!) as string[];
    for (let i = 1; i < leased.length; i += 2) {
      try {
        const record = JSON.parse(leased[i]!) as { item?: unknown };
        if (typeof record.item === 'string' && ours(record.item)) pending++;
      } catch {
        // not a lease record
      }
    }
    const limit = Number(limitText);
    let budget = Number(budgetText);
    for (const queue of call('SMEMBERS', queuesKey!) as string[]) {
      const size = call('ZCARD', queue) as number;
      budget -= size;
      if (size > limit || budget < 0) return ['unknown'];
      if (size > 0)
        for (const member of call('ZRANGE', queue, 0, -1) as string[]) if (ours(member)) pending++;
    }
    if (pending > 0) return ['pending', pending];
    if (mode !== 'claim') return ['idle'];
    call('SET', markerKey!, '1', 'EX', ttl);
    return ['finished', ...(call('HGETALL', statsKey!) as string[])];
  },
});
