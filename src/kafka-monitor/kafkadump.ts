import type { Bus, BusMessage } from '../core/bus/index.js';

export interface DumpOptions {
  noBody?: boolean;
  justBody?: boolean;
  pretty?: boolean;
  decodeBase64?: boolean;
}

/**
 * Renders one record as kafkadump prints it: JSON objects as one valid JSON document (compact, or
 * indented with --pretty), optionally without or with only the body; anything else verbatim.
 */
export function renderRecord(value: string, options: DumpOptions): string {
  let item: unknown;
  try {
    item = JSON.parse(value);
  } catch {
    return value;
  }
  if (!item || typeof item !== 'object' || Array.isArray(item)) return value;
  const record = item as Record<string, unknown>;
  if (options.decodeBase64 && typeof record.body === 'string') {
    const encoding = typeof record.encoding === 'string' ? record.encoding : 'utf-8';
    const bytes = Buffer.from(record.body, 'base64');
    try {
      record.body = new TextDecoder(encoding).decode(bytes);
    } catch {
      record.body = bytes.toString('utf8');
    }
  }
  if (options.justBody) {
    const body = record.body;
    return typeof body === 'string' ? body : JSON.stringify(body ?? null);
  }
  if (options.noBody) delete record.body;
  return options.pretty ? JSON.stringify(record, null, 4) : JSON.stringify(record);
}

/** Running totals for the summary printed when a dump stops. */
export class DumpTally {
  records = 0;
  bytes = 0;

  add(message: BusMessage): void {
    this.records++;
    this.bytes += Buffer.byteLength(message.value);
  }

  summary(): string {
    const mb = this.bytes / (1024 * 1024);
    const kbPerMessage = this.records === 0 ? 0 : this.bytes / 1024 / this.records;
    return `Num Records: ${this.records}, Total MBs: ${mb.toFixed(3)}, kb per message: ${kbPerMessage.toFixed(3)}`;
  }
}

/** Prints every record of `topic` until `stopped` resolves; returns the tally. */
export async function dumpTopic(
  bus: Bus,
  options: DumpOptions & { topic: string; group?: string; fromBeginning?: boolean },
  write: (line: string) => void,
  stopped: Promise<unknown>,
): Promise<DumpTally> {
  const tally = new DumpTally();
  const subscription = await bus.subscribe({
    topics: [options.topic],
    ...(options.group ? { groupId: options.group } : {}),
    fromBeginning: options.fromBeginning ?? false,
    handler: async (messages) => {
      for (const m of messages) {
        tally.add(m);
        write(renderRecord(m.value, options));
      }
    },
  });
  await subscription.ready;
  await stopped;
  await subscription.close();
  return tally;
}

export async function listTopics(bus: Bus): Promise<string[]> {
  return (await bus.listTopics()).sort();
}
