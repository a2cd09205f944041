import type { Knex } from 'knex';
import { ShopError } from '../../contract/index.ts';
import { shopTables } from '../migrations/index.ts';
import { defaultSeedSize, generateShop, type SeedSize } from './generate.ts';

export interface SeedResult {
  rows: Record<(typeof shopTables)[number], number>;
  millis: number;
}

export interface SeedOptions extends Partial<SeedSize> {
  /** Rows per INSERT; each batch is its own transaction. */
  batchSize?: number;
  onProgress?: (table: string, written: number, total: number) => void;
}

/** True when the shop has no users and no products yet (or its tables do not exist). */
export async function isShopEmpty(knex: Knex): Promise<boolean> {
  for (const table of ['users', 'products'] as const) {
    if (!(await knex.schema.hasTable(table))) return true;
    const row = await knex(table).first('id');
    if (row) return false;
  }
  return true;
}

/**
 * Fills an empty, migrated shop with a generated history (see generate.ts). Same options →
 * identical rows, ids included. Refuses a shop that already has data: seeding on top would mix
 * two histories and break the stock invariants.
 */
export async function seedShop(knex: Knex, options: SeedOptions = {}): Promise<SeedResult> {
  const started = Date.now();
  const size: SeedSize = {
    products: options.products ?? defaultSeedSize.products,
    users: options.users ?? defaultSeedSize.users,
    orders: options.orders ?? defaultSeedSize.orders,
    seed: options.seed ?? defaultSeedSize.seed,
  };
  for (const [key, value] of Object.entries(size)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`seed option ${key} must be a non-negative integer, got ${value}`);
    }
  }
  if (!(await isShopEmpty(knex))) {
    throw new ShopError(
      'SHOP_ERR_SEED_NOT_EMPTY',
      'the shop database already has users or products; seed a fresh database (or use --if-empty to skip)',
    );
  }
  const rows = generateShop(size);
  const batchSize = options.batchSize ?? 2_000;
  const counts = {} as SeedResult['rows'];
  for (const table of shopTables) {
    const all = rows[table];
    for (let offset = 0; offset < all.length; offset += batchSize) {
      const batch = all.slice(offset, offset + batchSize);
      await knex.transaction(async (trx) => {
        await trx(table).insert(batch);
      });
      options.onProgress?.(table, Math.min(offset + batchSize, all.length), all.length);
    }
    counts[table] = all.length;
  }
  return { rows: counts, millis: Date.now() - started };
}
