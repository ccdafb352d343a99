import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bus, BusMessage, Subscription } from '../../src/core/bus/index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Collects what a subscription receives. */
function collector() {
  const received: BusMessage[] = [];
  return {
    received,
    values: () => received.map((m) => m.value),
    handler: async (batch: BusMessage[]) => {
      received.push(...batch);
    },
  };
}

/**
 * One contract, two backends: every test runs on a real Kafka broker and on the in-memory bus.
 * Topic and group names are unique per test so runs never see each other's records.
 */
export function busContract(name: string, open: () => Promise<Bus>, settleMs: number): void {
  describe(`Bus contract: ${name}`, () => {
    let bus: Bus;
    const subs: Subscription[] = [];
    const unique = (what: string) => `contract.${what}.${randomUUID().slice(0, 8)}`;
    const subscribe = async (...args: Parameters<Bus['subscribe']>) => {
      const s = await bus.subscribe(...args);
      subs.push(s);
      return s;
    };

    beforeAll(async () => {
      bus = await open();
    });
    afterAll(async () => {
      await Promise.all(subs.map((s) => s.close()));
      await bus.close();
    });

    it('creates and lists topics', async () => {
      const topic = unique('admin');
      await bus.createTopics([topic], 2);
      await bus.createTopics([topic], 2); // idempotent
      expect(await bus.listTopics()).toContain(topic);
    });

    it('delivers acknowledged records in order from the beginning', async () => {
      const topic = unique('order');
      await bus.send(
        topic,
        Array.from({ length: 50 }, (_, i) => JSON.stringify({ i })),
      );
      await bus.send(topic, [{ key: 'k', value: 'keyed' }]);
      const c = collector();
      await subscribe({ topics: [topic], groupId: unique('g'), fromBeginning: true, handler: c.handler });
      await waitFor(() => c.received.length === 51, 20_000, '51 records');
      expect(c.values().slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => JSON.stringify({ i })));
      expect(c.received[50]).toMatchObject({ topic, key: 'k', value: 'keyed' });
      expect(c.received[0]!.key).toBeNull();
      expect(typeof c.received[0]!.offset).toBe('bigint');
    });

    it('starts from the latest offset when asked, skipping older records', async () => {
      const topic = unique('latest');
      await bus.send(topic, ['old']);
      const c = collector();
      const sub = await subscribe({
        topics: [topic],
        groupId: unique('g'),
        fromBeginning: false,
        handler: c.handler,
      });
      await sub.ready;
      await sleep(settleMs);
      await bus.send(topic, ['new']);
      await waitFor(() => c.received.length >= 1, 20_000, 'the new record');
      await sleep(200);
      expect(c.values()).toEqual(['new']);
    });

    it('redelivers a batch whose handler failed, and commits only after success', async () => {
      const topic = unique('retry');
      const group = unique('g');
      await bus.send(topic, ['a', 'b']);
      const calls: string[][] = [];
      let failuresLeft = 2;
      const errors: Error[] = [];
      await subscribe({
        topics: [topic],
        groupId: group,
        fromBeginning: true,
        onError: (e) => errors.push(e),
        handler: async (batch) => {
          calls.push(batch.map((m) => m.value));
          if (failuresLeft-- > 0) throw new Error('redis down');
        },
      });
      await waitFor(() => calls.length >= 3, 20_000, 'three handler calls');
      expect(calls[0]).toEqual(calls[1]);
      expect(calls.flat().filter((v) => v === 'a').length).toBeGreaterThanOrEqual(3);
      expect(errors.map((e) => e.message)).toEqual(['redis down', 'redis down']);
    });

    it('resumes a group from its committed offsets, and redelivers what was never committed', async () => {
      const topic = unique('resume');
      const group = unique('g');
      await bus.send(topic, ['1', '2', '3']);
      const first = collector();
      const s1 = await subscribe({
        topics: [topic],
        groupId: group,
        fromBeginning: true,
        handler: first.handler,
      });
      await waitFor(() => first.received.length === 3, 20_000, 'first three');
      await s1.close();

      // A consumer whose handler never succeeds commits nothing.
      await bus.send(topic, ['4', '5']);
      const seen: string[] = [];
      const s2 = await subscribe({
        topics: [topic],
        groupId: group,
        fromBeginning: true,
        handler: async (batch) => {
          seen.push(...batch.map((m) => m.value));
          throw new Error('crash before commit');
        },
      });
      await waitFor(() => seen.length >= 2, 20_000, 'uncommitted delivery');
      await s2.close();

      const third = collector();
      await subscribe({ topics: [topic], groupId: group, fromBeginning: true, handler: third.handler });
      await waitFor(() => third.received.length === 2, 20_000, 'redelivery of 4 and 5');
      await sleep(300);
      expect(seen.slice(0, 2)).toEqual(['4', '5']);
      expect(third.values()).toEqual(['4', '5']);
    });

    it('shares the partitions of a topic among the members of one group', async () => {
      const topic = unique('shared');
      const group = unique('g');
      await bus.createTopics([topic], 2);
      const a = collector();
      const b = collector();
      const sa = await subscribe({
        topics: [topic],
        groupId: group,
        fromBeginning: true,
        handler: a.handler,
      });
      const sb = await subscribe({
        topics: [topic],
        groupId: group,
        fromBeginning: true,
        handler: b.handler,
      });
      await Promise.all([sa.ready, sb.ready]);
      await sleep(settleMs * 3);
      const sent = Array.from({ length: 40 }, (_, i) => ({ key: `key-${i}`, value: `v${i}` }));
      await bus.send(topic, sent);
      await waitFor(
        () => new Set([...a.values(), ...b.values()]).size === 40,
        30_000,
        'all 40 records across the group',
      );
      expect(a.received.length).toBeGreaterThan(0);
      expect(b.received.length).toBeGreaterThan(0);
      const partitionsOf = (c: ReturnType<typeof collector>) => new Set(c.received.map((m) => m.partition));
      for (const p of partitionsOf(a)) expect(partitionsOf(b).has(p)).toBe(false);
    });

    it('gives a subscription without a group every record', async () => {
      const topic = unique('broadcast');
      const a = collector();
      const b = collector();
      const sa = await subscribe({ topics: [topic], fromBeginning: false, handler: a.handler });
      const sb = await subscribe({ topics: [topic], fromBeginning: false, handler: b.handler });
      await Promise.all([sa.ready, sb.ready]);
      await sleep(settleMs);
      await bus.send(topic, ['x', 'y']);
      await waitFor(() => a.received.length === 2 && b.received.length === 2, 20_000, 'both private readers');
      expect(a.values()).toEqual(['x', 'y']);
      expect(b.values()).toEqual(['x', 'y']);
    });
  });
}
