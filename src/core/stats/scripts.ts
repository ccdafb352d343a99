import { defineScript } from '../store/script.js';

export const counterIncr = defineScript({
  name: 'stats-counter-incr',
  numKeys: 1,
  file: new URL('./counter-incr.lua', import.meta.url),
  memory: (call, [key], [startAt, hits]) => {
    call('SET', key!, startAt!, 'NX');
    return call('INCRBY', key!, hits!);
  },
});
