import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { inject } from 'vitest';
import { withDatabase } from '../../lib/database/url.ts';

export interface TestDatabase {
  name: string;
  /** URL of the server, no database. */
  serverUrl: string;
  /** URL with this database selected. */
  url: string;
  drop(): Promise<void>;
}

/** The private test server's root URL (set by test/global-setup.ts). */
export function testServerUrl(): string {
  return inject('mysqlUrl');
}

/** Creates a database with a random name on the test server, so parallel files never collide. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const serverUrl = testServerUrl();
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const conn = await mysql.createConnection(serverUrl);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  return {
    name,
    serverUrl,
    url: withDatabase(serverUrl, name),
    async drop() {
      const c = await mysql.createConnection(serverUrl);
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
