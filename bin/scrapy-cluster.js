#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

await main(process.argv);
// A finished command must not linger on a forgotten socket or timer of a client library.
process.exit(process.exitCode ?? 0);
