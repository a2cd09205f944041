import knexFactory, { type Knex } from 'knex';

/**
 * A knex instance for a database on `serverUrl` (a mysql:// URL naming no database or any
 * database; `database` wins): the shop's, or an extracted service's own. Every session runs in
 * UTC so DATETIME and TIMESTAMP values read and written through JS Dates mean the same instant,
 * whatever the server's zone.
 */
export function createMysqlKnex(serverUrl: string, database?: string, pool = { min: 0, max: 20 }): Knex {
  const url = new URL(serverUrl);
  const dbName = (database ?? decodeURIComponent(url.pathname.replace(/^\//, ''))) || undefined;
  return knexFactory({
    client: 'mysql2',
    connection: {
      host: url.hostname,
      port: url.port ? Number(url.port) : 3306,
      user: decodeURIComponent(url.username || 'root'),
      password: decodeURIComponent(url.password),
      database: dbName,
      timezone: 'Z',
      charset: 'utf8mb4',
      // BIGINT ids come back as numbers while they fit; DECIMAL money stays a string.
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: false,
    },
    pool: {
      ...pool,
      afterCreate(
        conn: { query: (sql: string, cb: (err: Error | null) => void) => void },
        done: (err: Error | null, conn: unknown) => void,
      ) {
        conn.query("SET time_zone = '+00:00'", (err) => done(err, conn));
      },
    },
  });
}

const identifier = /^[A-Za-z0-9_$]{1,64}$/;

/**
 * Creates the database when missing (utf8mb4_unicode_ci, so names with emoji and accents survive
 * and every database compares text the way the shop's does).
 */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  if (!identifier.test(database)) {
    throw new Error(
      `invalid database name ${JSON.stringify(database)}: use letters, digits, _ or $ (max 64)`,
    );
  }
  const admin = createMysqlKnex(serverUrl, '', { min: 0, max: 1 });
  try {
    await admin.raw(
      `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await admin.destroy();
  }
}
