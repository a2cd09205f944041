import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest, migrateRollback, shopTables } from '../../legacy-monolith/migrations/index.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

describe('shop migrations', () => {
  let db: TestDatabase;
  let knex: Knex;
  beforeAll(async () => {
    db = await createTestDatabase('mig');
    knex = createMysqlKnex(db.serverUrl, db.name);
  });
  afterAll(async () => {
    await knex.destroy();
    await db.drop();
  });

  const columnTypes = async (table: string) => {
    const [rows] = await knex.raw(
      'SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [db.name, table],
    );
    return Object.fromEntries(
      (rows as { name: string; type: string; nullable: string }[]).map((r) => [
        r.name,
        `${r.type}${r.nullable === 'YES' ? ' null' : ''}`,
      ]),
    );
  };

  it('migrates an empty database up to the contract schema', async () => {
    expect(await migrateLatest(knex)).toEqual([
      '20261122000001-create-catalog',
      '20261122000002-create-orders',
    ]);
    for (const table of shopTables) expect(await knex.schema.hasTable(table)).toBe(true);

    expect(await columnTypes('products')).toMatchObject({
      id: 'int(10) unsigned',
      sku: 'varchar(64)',
      name: 'varchar(255)',
      description: 'text null',
      price: 'decimal(10,2)',
      category: 'varchar(64)',
      attributes: expect.stringMatching(/^(json|longtext) null$/),
      created_at: 'datetime(3)',
      updated_at: 'timestamp(3)',
    });
    expect(await columnTypes('orders')).toMatchObject({
      id: 'bigint(20) unsigned',
      user_id: 'bigint(20) unsigned',
      status: "enum('pending','paid','cancelled')",
      total: 'decimal(12,2)',
      currency: 'char(3)',
    });
    expect(await columnTypes('order_items')).toMatchObject({
      order_id: 'bigint(20) unsigned',
      line_no: 'smallint(5) unsigned',
      unit_price: 'decimal(10,2)',
    });
    expect(await columnTypes('payments')).toMatchObject({
      method: "enum('card','paypal','bank_transfer')",
      status: "enum('captured','refunded')",
    });

    const [pk] = await knex.raw(
      "SELECT COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'order_items' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
      [db.name],
    );
    expect(pk.map((r: { c: string }) => r.c)).toEqual(['order_id', 'line_no']);

    const [fks] = await knex.raw(
      'SELECT TABLE_NAME AS t, REFERENCED_TABLE_NAME AS r FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? ORDER BY t, r',
      [db.name],
    );
    const pairs = (fks as { t: string; r: string }[]).map((f) => `${f.t}->${f.r}`).sort();
    expect(pairs).toEqual([
      'inventory->products',
      'order_items->orders',
      'order_items->products',
      'orders->users',
      'payments->orders',
    ]);

    const [indexes] = await knex.raw(
      "SELECT TABLE_NAME AS t, INDEX_NAME AS i, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) AS cols FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN ('products', 'orders') GROUP BY t, i",
      [db.name],
    );
    const cols = (indexes as { t: string; cols: string }[]).map((r) => `${r.t}(${r.cols})`);
    expect(cols).toEqual(
      expect.arrayContaining([
        'products(category)',
        'products(price)',
        'orders(user_id,created_at)',
        'products(sku)',
      ]),
    );
  });

  it('is idempotent: a second run applies nothing', async () => {
    expect(await migrateLatest(knex)).toEqual([]);
  });

  it('enforces the stock and quantity checks in the database itself', async () => {
    await knex('products').insert({ id: 1, sku: 'S', name: 'n', price: '1.00', category: 'c' });
    // CHECK violation: errno 4025 on MariaDB, 3819 on MySQL 8.
    const negative = await knex('inventory')
      .insert({ product_id: 1, stock: -1 })
      .then(
        () => undefined,
        (err: { errno: number }) => err.errno,
      );
    expect([4025, 3819]).toContain(negative);
    await expect(knex('inventory').insert({ product_id: 99, stock: 1 })).rejects.toMatchObject({
      code: 'ER_NO_REFERENCED_ROW_2',
    });
    await knex('products').delete();
  });

  it('rolls back every table and can migrate up again', async () => {
    expect(await migrateRollback(knex, { all: true })).toHaveLength(2);
    for (const table of shopTables) expect(await knex.schema.hasTable(table)).toBe(false);
    expect(await migrateLatest(knex)).toHaveLength(2);
    expect(await migrateRollback(knex)).toHaveLength(2); // one batch holds both migrations
    expect(await knex.schema.hasTable('products')).toBe(false);
  });
});
