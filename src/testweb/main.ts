/**
 * Runs the test web as its own process, so a benchmark's server does not share the measured process's CPU
 * and request times are taken by an event loop that does nothing else.
 * Argument: the TestWebOptions as JSON. Prints `{"port": N}` on one line once listening; exits on SIGTERM,
 * SIGINT or when its parent disconnects.
 */
import { startTestWeb } from './server.js';
import type { TestWebOptions } from './options.js';

const options = JSON.parse(process.argv[2] ?? '{}') as TestWebOptions;
const web = await startTestWeb({ record: false, ...options });
const stop = () => {
  void web.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
// The parent asks for the request log over IPC (`record: true` must be set for there to be one).
process.on('message', (message: unknown) => {
  if (message === 'requests') process.send?.({ requests: web.requests });
});
process.stdout.write(`${JSON.stringify({ port: web.port })}\n`);
