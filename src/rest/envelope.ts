/**
 * The response wrapper of every endpoint but the index, and the fixed messages clients of the original
 * match on. Keys are written in the order Flask's `jsonify` produced them (sorted): data, error, status;
 * inside `error`, cause before message.
 */
export const REST_MESSAGES = {
  badJson: 'The payload must be valid JSON.',
  badSchema: 'JSON did not validate against schema.',
  noEndpoint: 'The desired endpoint does not exist',
  uncaught: 'An error occurred while processing your request.',
  kafkaDown: 'Unable to connect to Kafka',
  redisDown: 'Unable to connect to Redis',
  pollMissing: 'Could not find matching poll_id',
  pollUnparseable: 'Unparseable JSON Received from redis',
  // Added by this project (no equivalent in the original).
  unauthorized: 'Missing or invalid API key',
  tooLarge: 'The payload is too large.',
} as const;

export interface ErrorBody {
  cause?: string;
  message: string;
}

export interface Envelope {
  data: unknown;
  error: ErrorBody | null;
  status: 'SUCCESS' | 'FAILURE';
}

export function success(data: unknown = null): Envelope {
  return { data, error: null, status: 'SUCCESS' };
}

export function failure(message: string, cause?: string, data: unknown = null): Envelope {
  return {
    data,
    error: cause === undefined ? { message } : { cause, message },
    status: 'FAILURE',
  };
}

/** What an endpoint answers: an HTTP status and its envelope. */
export interface Answer {
  code: number;
  body: Envelope;
}

export const ok = (data: unknown = null): Answer => ({ code: 200, body: success(data) });
export const fail = (code: number, message: string, cause?: string): Answer => ({
  code,
  body: failure(message, cause),
});
