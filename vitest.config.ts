import { defineConfig } from 'vitest/config';

// Tests start real servers (simulator, origin, redis-server, workerd, Viceroy) on loopback ports,
// so files run in separate forks and each test gets generous time for process start-up on 2 cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
