/**
 * A record the Kafka Monitor cannot handle (a plugin bug, an exhausted stack) is counted as failed,
 * logged with its cause and committed past: the records after it are handled, the partition moves.
 */
import { expect, it } from 'vitest';
import { MemoryBus } from '../../src/core/bus/index.js';
import { resolveSettings } from '../../src/settings.js';
import { MemoryStore } from '../../src/core/store/index.js';
import { KafkaMonitor } from '../../src/kafka-monitor/monitor.js';
import { captureLogger, waitFor } from '../support/capture-logger.js';

it('skips a record whose handling throws, and handles the ones after it', async () => {
  const settings = resolveSettings('kafka-monitor', {
    env: {},
    overrides: {
      STATS_DUMP: 0,
      PLUGINS: { './test/fixtures/buggy-kafka-monitor-plugin.ts#BuggyPlugin': 50 },
    },
  });
  const store = new MemoryStore();
  const bus = new MemoryBus();
  const { logger, lines } = captureLogger('kafka-monitor');
  const monitor = await KafkaMonitor.create({ settings, store, bus, logger, pluginDir: process.cwd() });
  await monitor.start();
  try {
    const cookie = 'session=do-not-log-me';
    await bus.send(settings.KAFKA_INCOMING_TOPIC, [
      JSON.stringify({ buggy: 'before' }),
      JSON.stringify({ buggy: 'explode', cookie }),
      JSON.stringify({ buggy: 'after' }),
    ]);
    await waitFor(async () => (await store.get('buggy:after')) === '1', 5000, 'the record after the bad one');
    expect(await store.get('buggy:before')).toBe('1');
    const skipped = lines.filter((l) => l.message === 'Unable to handle request, skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.error).toBe('Maximum call stack size exceeded');
    expect(JSON.stringify(lines)).not.toContain('do-not-log-me');
    expect(lines.some((l) => l.message === 'Error while processing incoming requests, retrying')).toBe(false);
  } finally {
    await monitor.close();
  }
});
