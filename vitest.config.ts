import { defineConfig } from 'vitest/config';

// Tests start real servers (simulator, origin, redis-server, workerd, Viceroy) on loopback ports,
// so files run in separate forks and each test gets generous time for process start-up on 2 cores.
// `*.timing.test.ts` files assert tight latency bounds (a client disconnect reaching the engine
// within 100 ms): they run after everything else, one at a time, so a sibling fork's Viceroy
// compile or Chromium cannot take the CPU in the middle of a measurement.
// `test/scale/` holds thousands of sockets and gigabytes of memory (10,000 open streams): it runs
// last, alone, so it neither starves nor is starved by the rest.
const shared = {
  pool: 'forks',
  testTimeout: 30_000,
  hookTimeout: 120_000,
  teardownTimeout: 30_000,
} as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: { ...shared, name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/**/*.timing.test.ts', 'test/scale/**'], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        test: { ...shared, name: 'timing', include: ['test/**/*.timing.test.ts'], maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
      {
        test: { ...shared, name: 'scale', include: ['test/scale/**/*.test.ts'], maxWorkers: 1, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
