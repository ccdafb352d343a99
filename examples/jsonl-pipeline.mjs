// An item pipeline that appends every page to a JSON-lines file (one object per line), beside Kafka.
//
//   ITEM_PIPELINES='{"./examples/jsonl-pipeline.mjs": 300}' JSONL_FILE=items.jsonl scrapy-cluster crawler
//
// The file is opened when the crawler starts and closed when it stops. Failure records (items with an
// `error`) are written too, so the file accounts for every request as the topic does.
import { createWriteStream } from 'node:fs';

export default class JsonLinesPipeline {
  constructor({ settings, logger }) {
    this.path = String(settings.JSONL_FILE ?? process.env.JSONL_FILE ?? 'items.jsonl');
    this.logger = logger;
    this.written = 0;
  }

  open() {
    this.out = createWriteStream(this.path, { flags: 'a' });
  }

  processItem(item) {
    const line = {
      url: item.url,
      response_url: item.response_url,
      status_code: item.status_code,
      appid: item.appid,
      crawlid: item.crawlid,
      bytes: item.body.length,
      ...(item.error ? { error: item.error } : {}),
    };
    this.out.write(`${JSON.stringify(line)}\n`);
    this.written++;
    return item;
  }

  async close() {
    await new Promise((resolve) => this.out.end(resolve));
    this.logger.info('JSON-lines pipeline closed', { file: this.path, items: this.written });
  }
}
