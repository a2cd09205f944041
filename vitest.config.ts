import { defineConfig } from 'vitest/config';

// Integration suites start real processes (MariaDB, broker, services): give them room,
// and keep the worker count at the machine's two cores.
export default defineConfig({
  test: {
    // Every process a test starts runs tsx without its cache: tests SIGKILL processes while
    // they load, tsx writes cache entries in place, and an entry cut short loads as an empty
    // module in every later run.
    env: { TSX_DISABLE_CACHE: '1' },
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
