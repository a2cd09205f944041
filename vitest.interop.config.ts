import { defineConfig } from 'vitest/config';

// The interop suite: Apache Kafka, Kafka Connect and Debezium as real JVMs beside the toolkit's
// own parts (`npm run test:interop`). Apart from `npm test`, which must keep working on a
// machine without Java. One file at a time: a three-broker Kafka and Connect already fill the
// machine's two cores.
export default defineConfig({
  test: {
    // Every process a test starts runs tsx without its cache: tests SIGKILL processes while
    // they load, tsx writes cache entries in place, and an entry cut short loads as an empty
    // module in every later run.
    env: { TSX_DISABLE_CACHE: '1' },
    include: ['test/interop/**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**'],
    globalSetup: ['test/interop/global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
