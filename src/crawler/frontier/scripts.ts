import { createHash } from 'node:crypto';
import { fifoScore, fifoTick } from '../../core/queues/fifo-score.js';
import { defineScript } from '../../core/store/script.js';
import type { RedisCall, Reply } from '../../core/store/types.js';
import {
  fixed6,
  throttleCheck,
  throttleNow,
  throttleOpts,
  throttleRecord,
} from '../../core/throttle/decide.js';
import { crawlFields } from '../../core/wire/crawl-fields.js';
import { redisKeys as K } from '../../core/wire/keys.js';
import { ClusterError } from '../../core/errors.js';
import type { DomainThrottle, EnqueueStatus } from './types.js';

/** Redis's `redis.sha1hex` in Lua. */
function sha1hex(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

// The frontier's atomic steps. Each Lua file's header documents its KEYS and ARGV; the `memory`
// functions are their in-memory twins, step for step.

export const leasePop = defineScript({
  name: 'lease-pop',
  numKeys: 4,
  file: new URL('./lua/lease-pop.lua', import.meta.url),
  memory: (call, keys, argv): Reply => {
    const [leased, leases, blacklist, attemptsKey] = keys as [string, string, string, string];
    const now = throttleNow(call);
    const nowText = fixed6(now);
    let anyAttempts: boolean | undefined;
    const stoppedCrawls = new Map<string, boolean>();
    const leaseOne = (k: number, a: number): Reply => {
      const [windowKey, modKey, queue, holdKey] = keys.slice(k, k + 4) as [string, string, string, string];
      const opts = throttleOpts(argv, a);
      let dropped = 0;
      if (opts.limit <= 0) return ['throttled', '-1', nowText, 0, ''];
      let head: string[];
      for (;;) {
        head = call('ZRANGE', queue, 0, 1, 'WITHSCORES') as string[];
        if (head[0] === undefined) return ['empty', '0', nowText, dropped, ''];
        const fields = crawlFields(head[0]);
        let stopped = false;
        if (fields !== null) {
          const crawl = `${fields.appid}||${fields.crawlid}`;
          const known = stoppedCrawls.get(crawl);
          stopped = known ?? call('SISMEMBER', blacklist, crawl) === 1;
          stoppedCrawls.set(crawl, stopped);
        }
        const expired = fields !== null && fields.expires !== 0 && now > fields.expires;
        if (!stopped && !expired) break;
        call('ZREM', queue, head[0]);
        dropped++;
        if (dropped >= 100) return ['empty', '0', nowText, dropped, ''];
      }
      const hold = Number((call('GET', holdKey) as string | null) ?? '0') || 0;
      if (hold > now) return ['held', fixed6(hold - now), nowText, dropped, ''];
      const denied = throttleCheck(call, windowKey, modKey, now, opts);
      if (denied) return [...denied, nowText, dropped, ''];
      throttleRecord(call, windowKey, modKey, now, opts, argv[a + 6]!);
      const expiry = now + Number(argv[1]);
      const leaseId = argv[a + 7]!;
      call('ZREM', queue, head[0]);
      call(
        'HSET',
        leased,
        leaseId,
        JSON.stringify({ queue, score: head[1], item: head[0], owner: argv[0], expires: expiry }),
      );
      call('ZADD', leases, fixed6(expiry), leaseId);
      anyAttempts ??= call('EXISTS', attemptsKey) === 1;
      let field = '';
      let attempts = 0;
      if (anyAttempts) {
        field = sha1hex(head[0]);
        attempts = Number((call('HGET', attemptsKey, field) as string | null) ?? '0');
      }
      return [
        'ok',
        head[0],
        nowText,
        dropped,
        head[1]!,
        head[2] !== undefined ? 1 : 0,
        attempts,
        attempts > 0 ? field : '',
      ];
    };
    const replies: Reply[] = [];
    for (let i = 0; 4 + i * 4 < keys.length; i++) replies.push(leaseOne(4 + i * 4, 2 + i * 8));
    return replies;
  },
});

/** One attempt of a lease-pop.lua call, by name: the domain queue, its throttle and the lease's id. */
export interface LeaseAttempt {
  queue: string;
  throttle: DomainThrottle;
  /** The domain's window is warmed up (the elastic catch-up may skip the moderation spacing). */
  ready: boolean;
  /** The lease's id, also the throttle hit's. */
  id: string;
}

/** The attempt's four keys and eight arguments, in lease-pop.lua's order (after the shared ones). */
export function leaseAttemptWire(a: LeaseAttempt): { keys: string[]; args: (string | number)[] } {
  const t = a.throttle;
  return {
    keys: [K.throttleWindow(t.name), K.throttleTime(t.name), a.queue, K.throttleHold(t.name)],
    args: [t.window, t.limit, t.moderate ? 1 : 0, t.elastic ? 1 : 0, 0, a.ready ? 1 : 0, a.id, a.id],
  };
}

/** One attempt's answer from lease-pop.lua, decoded. */
export type LeaseAttemptReply =
  | {
      status: 'ok';
      /** The leased queue member. */
      member: string;
      dropped: number;
      /** More requests are queued behind it. */
      more: boolean;
      /** Earlier leases of it that ended with no outcome, and its field in the attempts hash. */
      earlierAttempts: number;
      attemptsField: string;
    }
  | { status: 'empty'; dropped: number }
  | { status: 'throttled' | 'moderated' | 'held'; dropped: number; /** -1: never */ waitSeconds: number };

const WAITING = new Set(['throttled', 'moderated', 'held']);

/** Decodes one attempt's reply; throws on a reply of another shape (a script and crawler out of step). */
export function decodeLeaseAttempt(reply: Reply): LeaseAttemptReply {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string')
    throw new ClusterError('SC_SCRIPT_FAILED', `Unexpected lease-pop reply: ${JSON.stringify(reply)}`);
  const [status, value, , dropped, , more, earlier, field] = reply;
  const droppedCount = Number(dropped) || 0;
  if (status === 'ok')
    return {
      status,
      member: String(value),
      dropped: droppedCount,
      more: Number(more) > 0,
      earlierAttempts: Number(earlier) || 0,
      attemptsField: typeof field === 'string' ? field : '',
    };
  if (status === 'empty') return { status, dropped: droppedCount };
  if (WAITING.has(status))
    return {
      status: status as 'throttled' | 'moderated' | 'held',
      dropped: droppedCount,
      waitSeconds: Number(value),
    };
  throw new ClusterError('SC_SCRIPT_FAILED', `Unexpected lease-pop status: ${status}`);
}

const ENQUEUE_STATUSES: ReadonlySet<string> = new Set<EnqueueStatus>([
  'queued',
  'blacklisted',
  'expired',
  'duplicate',
  'domain-limit',
  'global-limit',
]);

/** One request's status from enqueue.lua (or lease-requeue.lua, which may also answer `gone`). */
export function decodeEnqueueStatus(reply: Reply, allowGone: true): EnqueueStatus | 'gone';
export function decodeEnqueueStatus(reply: Reply, allowGone?: false): EnqueueStatus;
export function decodeEnqueueStatus(reply: Reply, allowGone = false): EnqueueStatus | 'gone' {
  if (typeof reply === 'string' && (ENQUEUE_STATUSES.has(reply) || (allowGone && reply === 'gone')))
    return reply as EnqueueStatus | 'gone';
  throw new ClusterError('SC_SCRIPT_FAILED', `Unexpected enqueue reply: ${JSON.stringify(reply)}`);
}

export const leaseAckMany = defineScript({
  name: 'lease-ack-many',
  numKeys: 3,
  file: new URL('./lua/lease-ack-many.lua', import.meta.url),
  memory: (call, keys, argv) => {
    const [leased, leases, attemptsKey] = keys as [string, string, string];
    const held: Reply[] = [];
    const counts = new Map<string, number>();
    for (let i = 1; i + 3 < argv.length; i += 4) {
      held.push(call('HDEL', leased, argv[i]!));
      call('ZREM', leases, argv[i]!);
      if (argv[i + 3] !== '') call('HDEL', attemptsKey, argv[i + 3]!);
      const outcome = argv[i + 1]!;
      if (outcome !== '') {
        const field = `${argv[i + 2]!} ${outcome}`;
        counts.set(field, (counts.get(field) ?? 0) + 1);
      }
    }
    for (const [field, count] of counts) {
      const space = field.indexOf(' ');
      const stats = keys[Number(field.slice(0, space)) - 1]!;
      call('HINCRBY', stats, field.slice(space + 1), count);
      call('EXPIRE', stats, argv[0]!);
    }
    return held;
  },
});

export const leaseReturn = defineScript({
  name: 'lease-return',
  numKeys: 4,
  file: new URL('./lua/lease-return.lua', import.meta.url),
  memory: (call, [leased, leases, queue, attemptsKey], [leaseId, onlyExpired, countAttempt, attemptsTtl]) => {
    const record = call('HGET', leased!, leaseId!) as string | null;
    if (record === null) return 0;
    if (onlyExpired === '1') {
      const expiry = call('ZSCORE', leases!, leaseId!) as string | null;
      if (expiry !== null && Number(expiry) > throttleNow(call)) return 0;
    }
    const lease = JSON.parse(record) as { queue: unknown; score: unknown; item: unknown };
    if (lease.queue !== queue) throw new Error(`lease ${leaseId} belongs to ${String(lease.queue)}`);
    // Lua passes only strings and numbers to redis.call: a missing or decoded (table) score or item fails.
    const arg = (v: unknown): string | number => {
      if (typeof v === 'string' || typeof v === 'number') return v;
      throw new Error('Lua redis lib command arguments must be strings or integers');
    };
    const score = arg(lease.score);
    const item = String(arg(lease.item));
    call('ZADD', queue!, score, item);
    if (countAttempt === '1') {
      call('HINCRBY', attemptsKey!, sha1hex(item), 1);
      call('EXPIRE', attemptsKey!, attemptsTtl!);
    }
    call('HDEL', leased!, leaseId!);
    call('ZREM', leases!, leaseId!);
    return 1;
  },
});

/** What one script call learnt (enqueue-request.lua's per-call tables). */
interface EnqueueCall {
  time?: [string, string];
  stopped: Map<string, boolean>;
  renewed: Set<string>;
  exists: Set<string>;
  ticks: Map<string, number>;
}

const newEnqueueCall = (): EnqueueCall => ({
  stopped: new Map(),
  renewed: new Set(),
  exists: new Set(),
  ticks: new Map(),
});

/** enqueue-request.lua's twin: the checks and the queueing of one request (its five keys, eleven args). */
function enqueueRequest(call: RedisCall, keys: string[], argv: string[], seen: EnqueueCall): Reply {
  const [dupefilter, queue, blacklist, domainCounter, globalCounter] = keys as [
    string,
    string,
    string,
    string,
    string,
  ];
  const [
    fingerprint,
    dupeTtl,
    crawl,
    expiresText,
    domainLimit,
    domainTtl,
    globalLimit,
    globalTtl,
    priority,
    member,
    channel,
  ] = argv as [string, string, string, string, string, string, string, string, string, string, string?];
  const crawlKey = `${blacklist} ${crawl}`;
  let stopped = seen.stopped.get(crawlKey);
  if (stopped === undefined) {
    stopped = call('SISMEMBER', blacklist, crawl) === 1;
    seen.stopped.set(crawlKey, stopped);
  }
  if (stopped) return 'blacklisted';
  const time = (seen.time ??= call('TIME') as [string, string]);
  const expires = Number(expiresText);
  if (expires !== 0 && Number(time[0]) + Number(time[1]) / 1e6 > expires) return 'expired';
  if (fingerprint !== '') {
    const added = call('SADD', dupefilter, fingerprint);
    if (!seen.renewed.has(dupefilter)) {
      call('EXPIRE', dupefilter, dupeTtl);
      seen.renewed.add(dupefilter);
    }
    if (added === 0) return 'duplicate';
    if (Number(domainLimit) > 0) {
      const count = Number(call('INCR', domainCounter));
      call('EXPIRE', domainCounter, domainTtl);
      if (count >= Number(domainLimit)) return 'domain-limit';
    }
    if (Number(globalLimit) > 0) {
      const count = Number(call('INCR', globalCounter));
      call('EXPIRE', globalCounter, globalTtl);
      if (count >= Number(globalLimit)) return 'global-limit';
    }
  }
  const announce =
    channel !== undefined && channel !== '' && !seen.exists.has(queue) && call('EXISTS', queue) === 0;
  call('ZADD', queue, fifoScore(call, queue, priority, fifoTick(time), seen.ticks), member);
  seen.exists.add(queue);
  if (announce) call('PUBLISH', channel, queue);
  return 'queued';
}

export const enqueue = defineScript({
  name: 'enqueue',
  numKeys: 0,
  file: new URL('./lua/enqueue.lua', import.meta.url),
  memory: (call, keys, argv) => {
    const statuses: Reply[] = [];
    const seen = newEnqueueCall();
    for (let i = 0; i * 5 < keys.length; i++)
      statuses.push(
        enqueueRequest(call, keys.slice(i * 5, i * 5 + 5), argv.slice(i * 11, i * 11 + 11), seen),
      );
    return statuses;
  },
});

export const leaseRequeue = defineScript({
  name: 'lease-requeue',
  numKeys: 8,
  file: new URL('./lua/lease-requeue.lua', import.meta.url),
  memory: (call, keys, argv) => {
    const [leased, leases, attemptsKey] = keys as [string, string, string];
    const [leaseId, attemptsField] = argv as [string, string];
    if (call('HDEL', leased, leaseId) === 0) return 'gone';
    call('ZREM', leases, leaseId);
    if (attemptsField !== '') call('HDEL', attemptsKey, attemptsField);
    return enqueueRequest(call, keys.slice(3), argv.slice(2), newEnqueueCall());
  },
});

export const domainHold = defineScript({
  name: 'domain-hold',
  numKeys: 2,
  file: new URL('./lua/domain-hold.lua', import.meta.url),
  memory: (call, [holdKey, holdsKey], [seconds, domain]) => {
    const now = throttleNow(call);
    const wanted = now + Number(seconds);
    const current = Number((call('GET', holdKey!) as string | null) ?? '0') || 0;
    if (current >= wanted) return fixed6(current);
    const ms = Math.ceil(Number(seconds) * 1000) + 1000;
    call('SET', holdKey!, fixed6(wanted), 'PX', ms);
    call('HSET', holdsKey!, domain!, fixed6(wanted));
    if (Number(call('PTTL', holdsKey!)) < ms) call('PEXPIRE', holdsKey!, ms);
    return fixed6(wanted);
  },
});

export const crawlDelaySlot = defineScript({
  name: 'crawl-delay-slot',
  numKeys: 1,
  file: new URL('./lua/crawl-delay-slot.lua', import.meta.url),
  memory: (call, [nextKey], [delayText]) => {
    const now = throttleNow(call);
    const delay = Number(delayText);
    const free = Number((call('GET', nextKey!) as string | null) ?? '0') || 0;
    const slot = Math.max(now, free);
    call('SET', nextKey!, fixed6(slot + delay), 'PX', Math.ceil((slot + delay - now) * 1000) + 1000);
    return fixed6(slot - now);
  },
});
