import type { Store } from '../core/store/index.js';
import { defineScript } from '../core/store/index.js';
import { SchemaValidator, type JsonObject } from '../core/wire/validator.js';
import { restPollKey } from './replies.js';

/** The `/poll` request: the original's `rest/schemas/poll.json`. */
export const POLL_SCHEMA: JsonObject = {
  type: 'object',
  properties: {
    poll_id: { type: 'string', minLength: 1, maxLength: 100, description: 'The poll id to retrieve' },
  },
  required: ['poll_id'],
  additionalProperties: false,
};

export const pollValidator = new SchemaValidator(POLL_SCHEMA);

/** GET and DEL of a stored reply in one atomic step (see take-poll.lua). */
export const takePollScript = defineScript({
  name: 'rest-take-poll',
  numKeys: 1,
  file: new URL('./take-poll.lua', import.meta.url),
  memory: (call, [key]) => {
    const value = call('GET', key!);
    if (value !== null) call('DEL', key!);
    return value;
  },
});

/** The raw stored reply for `pollId`, removed from Redis, or null when there is none. */
export async function takePoll(store: Store, pollId: string): Promise<string | null> {
  const value = await store.run(takePollScript, [restPollKey(pollId)]);
  return typeof value === 'string' ? value : null;
}
