import { defineConfig } from 'vitest/config';

// Integration suites start real processes (MariaDB, broker, services): give them room,
// and keep the worker count at the machine's two cores.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // The interop suite needs Java and Maven: `npm run test:interop` (vitest.interop.config.ts).
    exclude: ['node_modules/**', '.data/**', 'test/interop/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
