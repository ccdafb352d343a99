/**
 * The frontier reads its scripts' replies through typed decoders: each lease attempt's answer becomes one
 * named shape, each enqueue status is checked, and a reply of another shape (a script and a crawler out
 * of step) is an SC_SCRIPT_FAILED error rather than a silently misread value.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeEnqueueStatus,
  decodeLeaseAttempt,
  leaseAttemptWire,
} from '../../src/crawler/frontier/scripts.js';

describe('lease-pop replies', () => {
  it('decodes each status into its named shape', () => {
    expect(decodeLeaseAttempt(['ok', '{"url":"u"}', '1.0', 2, '-10.5', 1, 3, 'abc'])).toEqual({
      status: 'ok',
      member: '{"url":"u"}',
      dropped: 2,
      more: true,
      earlierAttempts: 3,
      attemptsField: 'abc',
    });
    expect(decodeLeaseAttempt(['ok', 'm', '1.0', 0, '-1', 0, 0, ''])).toMatchObject({
      more: false,
      earlierAttempts: 0,
    });
    expect(decodeLeaseAttempt(['empty', '0', '1.0', 100, ''])).toEqual({ status: 'empty', dropped: 100 });
    expect(decodeLeaseAttempt(['throttled', '-1', '1.0', 0, ''])).toEqual({
      status: 'throttled',
      dropped: 0,
      waitSeconds: -1,
    });
    expect(decodeLeaseAttempt(['held', '2.500000', '1.0', 1, ''])).toEqual({
      status: 'held',
      dropped: 1,
      waitSeconds: 2.5,
    });
  });

  it('refuses a reply of another shape', () => {
    for (const reply of ['ok', null, 3, [], ['leased', 'x'], [1, 2]])
      expect(() => decodeLeaseAttempt(reply)).toThrow(expect.objectContaining({ code: 'SC_SCRIPT_FAILED' }));
  });

  it('names each attempt argument in the order of the Lua header', () => {
    const wire = leaseAttemptWire({
      queue: 'link:a.test:queue',
      throttle: { name: 'link:a.test', window: 60, limit: 10, moderate: true },
      ready: true,
      id: 'L1',
    });
    expect(wire.keys).toEqual([
      'link:a.test:throttle_window',
      'link:a.test:throttle_time',
      'link:a.test:queue',
      'link:a.test:hold',
    ]);
    expect(wire.args).toEqual([60, 10, 1, 0, 0, 1, 'L1', 'L1']);
  });
});

describe('enqueue replies', () => {
  it('accepts the statuses enqueue.lua answers, and gone only from lease-requeue', () => {
    for (const s of ['queued', 'blacklisted', 'expired', 'duplicate', 'domain-limit', 'global-limit'])
      expect(decodeEnqueueStatus(s)).toBe(s);
    expect(decodeEnqueueStatus('gone', true)).toBe('gone');
    expect(() => decodeEnqueueStatus('gone')).toThrow(expect.objectContaining({ code: 'SC_SCRIPT_FAILED' }));
    expect(() => decodeEnqueueStatus(['queued'])).toThrow(/Unexpected enqueue reply/);
  });
});
