import type { Store } from '../core/store/index.js';
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

/**
 * The raw stored reply for `pollId`, removed from Redis in the same step (GETDEL, Redis >= 6.2), so two
 * REST nodes answering the same poll_id at once cannot both return it; null when there is none.
 */
export async function takePoll(store: Store, pollId: string): Promise<string | null> {
  const value = await store.call('GETDEL', restPollKey(pollId));
  return typeof value === 'string' ? value : null;
}
