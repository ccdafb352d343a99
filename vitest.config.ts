import { defineConfig } from 'vitest/config';

// Two projects: `unit` needs nothing running; `integration` starts (or reuses) real Redis, ZooKeeper and
// Kafka through the service harness in its global setup.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          sequence: { groupOrder: 0 },
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          globalSetup: ['./test/support/global-services.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
        },
      },
      {
        // Fault injection: servers stopped and restarted, hostile input and hostile sites. Each file
        // starts the private servers it disturbs, so it runs alone after the integration project.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          sequence: { groupOrder: 2 },
          globalSetup: ['./test/support/global-services.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
