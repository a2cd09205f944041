import type { TestProject } from 'vitest/node';
import { ensurePrivateServer } from '../lib/database/private-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    mysqlUrl: string;
  }
}

/**
 * One private MariaDB for the whole test run (its own data folder, apart from `npm start`'s),
 * started or reused; each test file creates its own databases on it (test/support/database.ts).
 * It is left running for the next run; `npm run db -- stop --test` stops it.
 */
export default async function setup(project: TestProject) {
  const server = await ensurePrivateServer({ name: 'mariadb-test' });
  project.provide('mysqlUrl', server.url);
}
