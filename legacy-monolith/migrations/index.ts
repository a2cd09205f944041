import type { Knex } from 'knex';
import { migrateLatest as migrateLatestLocked } from '../../lib/migrate-latest.ts';
import * as createCatalog from './20261122000001-create-catalog.ts';
import * as createOrders from './20261122000002-create-orders.ts';

interface ShopMigration extends Knex.Migration {
  name: string;
}

/**
 * The shop's migrations as a static list, so they run the same under tsx, vitest and any
 * embedding code: no knexfile, no directory scan, no compile step. Append only; never rename.
 */
export const shopMigrations: readonly ShopMigration[] = [
  { name: '20261122000001-create-catalog', ...createCatalog },
  { name: '20261122000002-create-orders', ...createOrders },
];

const migrationSource: Knex.MigrationSource<ShopMigration> = {
  getMigrations: async () => [...shopMigrations],
  getMigrationName: (m) => m.name,
  getMigration: async (m) => m,
};

const migratorConfig = { migrationSource, tableName: 'knex_migrations' };

/**
 * Brings the schema to the newest migration; returns the names it applied (none when current).
 * A run cut short by a kill does not block the next one (lib/migrate-latest.ts).
 */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  return migrateLatestLocked(knex, migratorConfig);
}

/** Undoes the last batch, or every migration with `all`; returns the names it undid. */
export async function migrateRollback(knex: Knex, options: { all?: boolean } = {}): Promise<string[]> {
  const [, undone] = (await knex.migrate.rollback(migratorConfig, options.all ?? false)) as [
    number,
    string[],
  ];
  return undone;
}

/** The shop's tables, parents before children (seeding and truncation order). */
export const shopTables = ['users', 'products', 'inventory', 'orders', 'order_items', 'payments'] as const;
