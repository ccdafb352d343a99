import type { Command } from 'commander';
import { addCommonOptions, type CommonOptions } from '../common-options.js';
import { openBus, openRuntime, openStore, runComponent, untilStopped } from '../runtime.js';
import { BadInputError } from '../../core/errors.js';
import { createLogger } from '../../core/logging/index.js';
import { loadSettings, logOptionsFromSettings } from '../../settings.js';
import { loadPlugins } from '../../core/plugins.js';
import type { KafkaMonitorPlugin } from '../../kafka-monitor/plugins/index.js';

/** `scrapy-cluster kafka-monitor run|feed` (the original's kafka_monitor.py). */
export function registerKafkaMonitorCommands(program: Command): void {
  const km = program
    .command('kafka-monitor')
    .description('validate API requests from Kafka and write them to Redis');

  addCommonOptions(km.command('run').description('consume the incoming topic continuously')).action(
    async (options: CommonOptions) => {
      const { KafkaMonitor } = await import('../../kafka-monitor/monitor.js');
      const { settings, logger, baseDir } = await openRuntime('kafka-monitor', options);
      await runComponent(logger, async (own) => {
        const store = own(await openStore(settings, 'kafka-monitor', logger), (s) => s.close());
        const bus = own(await openBus(settings, 'kafka-monitor'), (b) => b.close());
        const monitor = own(
          await KafkaMonitor.create({ settings, store, bus, logger, pluginDir: baseDir }),
          (m) => m.close(),
        );
        await monitor.start();
      });
    },
  );

  addCommonOptions(
    km
      .command('feed')
      .description('produce one JSON request (or a file of them, one per line) to the incoming topic')
      .argument('[json]', 'the request')
      .option('-f, --file <path>', 'a file of JSON requests, one per line ("-": standard input)'),
  ).action(async (json: string | undefined, options: CommonOptions & { file?: string }) => {
    const { FeedValidator } = await import('../../core/wire/feed-validator.js');
    const { feedJson } = await import('../../kafka-monitor/feed.js');
    const { BUILT_IN_PLUGINS } = await import('../../kafka-monitor/plugins/index.js');
    if ((json === undefined) === (options.file === undefined)) {
      throw new BadInputError('Give either one JSON request or --file <path>, not both nor neither');
    }
    const { settings, logger, baseDir } = await openRuntime('kafka-monitor', options);
    try {
      const plugins = await loadPlugins<KafkaMonitorPlugin>(settings.PLUGINS, BUILT_IN_PLUGINS, { baseDir });
      const validator = new FeedValidator(
        plugins.map(({ id, plugin }) => ({ name: id, schema: plugin.schema })),
      );
      if (options.file !== undefined) {
        const { feedLines } = await import('../../kafka-monitor/feed-file.js');
        const { createReadStream } = await import('node:fs');
        const { createInterface } = await import('node:readline');
        const input = options.file === '-' ? process.stdin : createReadStream(options.file);
        const tally = await feedLines({
          lines: createInterface({ input, crlfDelay: Infinity }),
          validate: (item) => validator.validate(item),
          topic: settings.KAFKA_INCOMING_TOPIC,
          timeoutSeconds: settings.KAFKA_FEED_TIMEOUT,
          logger,
          connect: () => openBus(settings, 'kafka-monitor-feed', settings.KAFKA_FEED_TIMEOUT),
          report: (line) => process.stdout.write(`${line}\n`),
        });
        process.stdout.write(`${tally.sent} fed, ${tally.failed} refused, ${tally.blank} blank\n`);
        if (tally.failed > 0) process.exitCode = 1;
        return;
      }
      await feedJson({
        validate: (item) => validator.validate(item),
        json: json!,
        topic: settings.KAFKA_INCOMING_TOPIC,
        timeoutSeconds: settings.KAFKA_FEED_TIMEOUT,
        logger,
        connect: () => openBus(settings, 'kafka-monitor-feed', settings.KAFKA_FEED_TIMEOUT),
      });
    } finally {
      logger.close();
    }
  });
}

interface DumpCommandOptions extends CommonOptions {
  topic: string;
  consumer?: string;
  fromBeginning?: boolean;
  body?: boolean;
  justBody?: boolean;
  pretty?: boolean;
  decodeBase64?: boolean;
  kafkaHost?: string;
}

/** `scrapy-cluster kafkadump list|dump` (the original's kafkadump.py). */
export function registerKafkadumpCommands(program: Command): void {
  const dump = program.command('kafkadump').description('list topics or print the records of a topic');

  const open = async (options: CommonOptions & { kafkaHost?: string }) => {
    const settings = await loadSettings('kafka-monitor', {
      ...(options.settings ? { file: options.settings } : {}),
      ...(options.kafkaHost ? { overrides: { KAFKA_HOSTS: options.kafkaHost } } : {}),
      flags: options.logLevel ? { logLevel: options.logLevel } : {},
    });
    // Records go to stdout; logs go to stderr so a dump can be piped.
    const logger = createLogger({
      ...logOptionsFromSettings('kafka-monitor', settings),
      name: 'kafkadump',
      destination: process.stderr,
    });
    return { settings, logger, bus: await openBus(settings, 'kafkadump') };
  };

  addCommonOptions(dump.command('list').description('list the topics of the cluster'))
    .option('--kafka-host <hosts>', 'Kafka hosts, overriding KAFKA_HOSTS (alias -kh)')
    .action(async (options: CommonOptions & { kafkaHost?: string }) => {
      const { listTopics } = await import('../../kafka-monitor/kafkadump.js');
      const { bus, logger } = await open(options);
      process.stdout.write(`Topics:\n${(await listTopics(bus)).map((t) => `- ${t}\n`).join('')}`);
      await bus.close();
      logger.close();
    });

  addCommonOptions(dump.command('dump').description('print the records of a topic until Ctrl-C'))
    .requiredOption('-t, --topic <topic>', 'the topic to read')
    .option('-c, --consumer <group>', 'consumer group (default: a private one)')
    .option('-b, --from-beginning', 'start at the oldest record instead of the newest')
    .option('--no-body', 'leave out the body of crawl results (alias -nb)')
    .option('--just-body', 'print only the body of crawl results (alias -jb)')
    .option('-p, --pretty', 'indent the JSON')
    .option('-d, --decode-base64', 'decode base64 bodies with the record encoding')
    .option('--kafka-host <hosts>', 'Kafka hosts, overriding KAFKA_HOSTS (alias -kh)')
    .action(async (options: DumpCommandOptions) => {
      const { dumpTopic } = await import('../../kafka-monitor/kafkadump.js');
      const { bus, logger } = await open(options);
      const tally = await dumpTopic(
        bus,
        {
          topic: options.topic,
          ...(options.consumer ? { group: options.consumer } : {}),
          fromBeginning: options.fromBeginning ?? false,
          noBody: options.body === false,
          justBody: options.justBody ?? false,
          pretty: options.pretty ?? false,
          decodeBase64: options.decodeBase64 ?? false,
        },
        (line) => process.stdout.write(`${line}\n`),
        untilStopped(),
      );
      logger.info(tally.summary());
      await bus.close();
      logger.close();
    });
}
