import { createLogger, type Logger } from '../../src/core/logging/index.js';

export interface CapturedLog {
  message: string;
  level: string;
  [extra: string]: unknown;
}

/** A JSON logger writing into an array, for asserting on log lines and their extras. */
export function captureLogger(name = 'test', level = 'DEBUG'): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const logger = createLogger({
    name,
    json: true,
    level,
    destination: {
      write: (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) lines.push(JSON.parse(line) as CapturedLog);
        return true;
      },
    },
  });
  return { logger, lines };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
