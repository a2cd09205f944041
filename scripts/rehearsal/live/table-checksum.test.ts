import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest } from '../../../legacy-monolith/migrations/index.ts';
import { seedShop } from '../../../legacy-monolith/seed/seed-shop.ts';
import { createMysqlKnex } from '../../../lib/knex-mysql.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { measureBackfill } from './backfill.ts';
import { storeMappings } from './store-mappings.ts';
import { compareTable, sameShape } from './table-checksum.ts';

/** Legacy shop vs a copy on the real test MariaDB: counts and per-row checksums computed in SQL. */
describe('table checksums', () => {
  let legacyDb: TestDatabase;
  let serviceDb: TestDatabase;
  const legacy = () => createMysqlKnex(legacyDb.serverUrl, legacyDb.name);
  const service = () => createMysqlKnex(serviceDb.serverUrl, serviceDb.name);

  beforeAll(async () => {
    legacyDb = await createTestDatabase('bf_legacy');
    serviceDb = await createTestDatabase('bf_service');
    const k = legacy();
    await migrateLatest(k);
    await seedShop(k, { products: 60, users: 10, orders: 40, seed: 3 });
    await k.destroy();
    const s = service();
    // the catalog's shape: one row per product with stock folded in (extracted/catalog migrations)
    await s.raw(
      `CREATE TABLE catalog_products AS SELECT p.*, 1 AS product_exists, i.stock FROM \`${legacyDb.name}\`.products p JOIN \`${legacyDb.name}\`.inventory i ON i.product_id = p.id`,
    );
    await s.destroy();
  });
  afterAll(async () => {
    await legacyDb?.drop();
    await serviceDb?.drop();
  });

  it('finds an exact copy equal, then names a changed, a missing and an extra row', async () => {
    const l = legacy();
    const s = service();
    try {
      const cmp = storeMappings.products!.tables[0]!;
      expect(await compareTable(l, s, cmp)).toMatchObject({
        legacyRows: 60,
        serviceRows: 60,
        missing: 0,
        extra: 0,
        different: 0,
      });
      await s('catalog_products').where({ id: 7 }).update({ price: '1.23' });
      await s('catalog_products').where({ id: 8 }).update({ description: null });
      await s('catalog_products').where({ id: 9 }).delete();
      await s.raw(
        "INSERT INTO catalog_products (id, sku, name, description, price, category, attributes, created_at, updated_at, product_exists, stock) SELECT 999, 'X-1', name, description, price, category, attributes, created_at, updated_at, 1, stock FROM catalog_products WHERE id = 10",
      );
      const r = await compareTable(l, s, cmp);
      expect(r).toMatchObject({ legacyRows: 60, serviceRows: 60, missing: 1, extra: 1, different: 2 });
      expect(r.examples).toEqual([
        'products 7: checksum differs',
        'products 8: checksum differs',
        "products 9: missing in the service's store",
      ]);
    } finally {
      await l.destroy();
      await s.destroy();
    }
  });

  it('keys composite primary keys as a:b and tells NULL from an empty string', async () => {
    const cmp = sameShape('t', 't', 't', ['a', 'b'], ['c', 'd']);
    expect(cmp.legacySql).toContain("CONCAT_WS(':', `a`, `b`) AS k");
    const l = legacy();
    try {
      const [[row]] = (await l.raw(
        "SELECT MD5(CONCAT_WS('|', COALESCE(CAST(NULL AS CHAR), '\\\\N'), 'a')) AS x, MD5(CONCAT_WS('|', 'a', COALESCE(CAST(NULL AS CHAR), '\\\\N'))) AS y",
      )) as [{ x: string; y: string }[]];
      expect(row!.x).not.toBe(row!.y);
    } finally {
      await l.destroy();
    }
  });

  it('waits for a lagging store to settle, then reports the last comparison', async () => {
    const s = service();
    await s('catalog_products').where({ id: 7 }).delete();
    await s.destroy();
    const started = Date.now();
    const r = await measureBackfill({
      serverUrl: legacyDb.serverUrl,
      legacyDatabase: legacyDb.name,
      serviceDatabase: serviceDb.name,
      mapping: { databaseEnv: 'X', defaultDatabase: 'x', tables: storeMappings.products!.tables.slice(0, 1) },
      route: 'products',
      settleTimeoutMs: 1500,
      lag: async () => 42,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(r.lagMs).toBe(42);
    expect(r.tables[0]).toMatchObject({ missing: 2, extra: 1, different: 1 });
  });

  it('fails with a clear error when the service store lacks the table', async () => {
    await expect(
      measureBackfill({
        serverUrl: legacyDb.serverUrl,
        legacyDatabase: legacyDb.name,
        serviceDatabase: serviceDb.name,
        mapping: storeMappings.orders,
        route: 'orders',
        settleTimeoutMs: 100,
        lag: async () => null,
      }),
    ).rejects.toMatchObject({
      code: 'REHEARSE_ERR_STORE_QUERY',
      message: expect.stringContaining("doesn't exist"),
    });
  });
});
