import { defineScript } from '../store/script.js';
import { fifoNowTick, fifoScore } from './fifo-score.js';

/** See priority-push.lua; this twin runs the same steps on the in-memory engine. */
export const priorityPush = defineScript({
  name: 'priority-push',
  numKeys: 1,
  file: new URL('./priority-push.lua', import.meta.url),
  memory: (call, [key], argv) => {
    const now = fifoNowTick(call);
    const known = new Map<string, number>();
    let n = 0;
    for (let i = 0; i < argv.length; i += 2) {
      const score = fifoScore(call, key!, argv[i]!, now, known);
      // As in the Lua, a priority without a member fails after the pairs before it were pushed.
      if (i + 1 >= argv.length)
        throw new Error('Lua redis lib command arguments must be strings or integers');
      call('ZADD', key!, score, argv[i + 1]!);
      n++;
    }
    return n;
  },
});
