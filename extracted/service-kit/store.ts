import type { Knex } from 'knex';
import { createMysqlKnex, ensureDatabase } from '../../lib/knex-mysql.ts';
import { migrateLatest } from '../../lib/migrate-latest.ts';

export interface ServiceMigration extends Knex.Migration {
  name: string;
}

/** The service's own database: created when missing (utf8mb4_unicode_ci, the monolith's collation). */
export async function openStore(serverUrl: string, database: string, poolMax: number): Promise<Knex> {
  await ensureDatabase(serverUrl, database);
  return createMysqlKnex(serverUrl, database, { min: 0, max: poolMax });
}

/** Static migration list (no directory scan), tracked in `<service>_migrations`. */
export async function migrate(
  knex: Knex,
  service: string,
  migrations: readonly ServiceMigration[],
): Promise<string[]> {
  const migrationSource: Knex.MigrationSource<ServiceMigration> = {
    getMigrations: async () => [...migrations],
    getMigrationName: (m) => m.name,
    getMigration: async (m) => m,
  };
  // a run cut short by a kill does not block the next start (lib/migrate-latest.ts)
  return migrateLatest(knex, { migrationSource, tableName: `${service}_migrations` });
}

/** Rebuild: empties the read model and the stored offsets, so the next start replays the topics from the beginning. */
export async function emptyStore(knex: Knex, tables: string[]): Promise<void> {
  for (const table of [...tables, 'cdc_offsets']) await knex(table).truncate();
}

/** Timestamps from events (ISO text, epoch ms, or SQL text) → DATETIME(3) text in UTC. */
export function sqlTime(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const date =
    typeof value === 'number' || typeof value === 'bigint'
      ? new Date(Number(value))
      : new Date(
          /^\d{4}-\d{2}-\d{2} /.test(String(value)) ? `${String(value).replace(' ', 'T')}Z` : String(value),
        );
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a timestamp: ${String(value)}`);
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** JSON columns: text as sent (MariaDB JSON is LONGTEXT), or a decoded value re-serialised exactly. */
export function jsonText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `\u0001${v}` : v)).replace(
    /"\\u0001(-?\d+)"/g,
    '$1',
  );
}
