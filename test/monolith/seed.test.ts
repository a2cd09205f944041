import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest, shopTables } from '../../legacy-monolith/migrations/index.ts';
import { isShopEmpty, seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const size = { products: 400, users: 80, orders: 900 };

async function freshShop(): Promise<{ db: TestDatabase; knex: Knex }> {
  const db = await createTestDatabase('seed');
  const knex = createMysqlKnex(db.serverUrl, db.name, { min: 0, max: 2 });
  await migrateLatest(knex);
  return { db, knex };
}

/** Checksums of every shop table, as the server computes them over the stored rows. */
async function checksums(knex: Knex): Promise<Record<string, string>> {
  const [rows] = await knex.raw(`CHECKSUM TABLE ${shopTables.map((t) => `\`${t}\``).join(', ')}`);
  return Object.fromEntries(
    (rows as { Table: string; Checksum: unknown }[]).map((r) => [r.Table.split('.')[1]!, String(r.Checksum)]),
  );
}

describe('seedShop', () => {
  const shops: { db: TestDatabase; knex: Knex }[] = [];
  let a: Knex;
  beforeAll(async () => {
    for (let i = 0; i < 3; i++) shops.push(await freshShop());
    a = shops[0]!.knex;
  });
  afterAll(async () => {
    for (const shop of shops) {
      await shop.knex.destroy();
      await shop.db.drop();
    }
  });

  it('gives identical rows for the same seed and different rows for another seed', async () => {
    expect(await isShopEmpty(a)).toBe(true);
    const first = await seedShop(a, { ...size, seed: 7 });
    expect(first.rows).toMatchObject({ products: 400, inventory: 400, users: 80, orders: 900 });
    await seedShop(shops[1]!.knex, { ...size, seed: 7 });
    await seedShop(shops[2]!.knex, { ...size, seed: 8 });
    const sumA = await checksums(a);
    expect(Object.keys(sumA).sort()).toEqual([...shopTables].sort());
    expect(await checksums(shops[1]!.knex)).toEqual(sumA);
    const other = await checksums(shops[2]!.knex);
    expect(other.products).not.toBe(sumA.products);
    expect(other.orders).not.toBe(sumA.orders);
    expect(await isShopEmpty(a)).toBe(false);
  });

  it('refuses to seed a shop that already has data', async () => {
    await expect(seedShop(a, { ...size, seed: 7 })).rejects.toMatchObject({
      code: 'SHOP_ERR_SEED_NOT_EMPTY',
    });
  });

  it('keeps the shop invariants: stock ≥ 0, totals = Σ lines, payments follow the status', async () => {
    const [[stock]] = await a.raw('SELECT MIN(stock) AS min, SUM(stock = 0) AS soldOut FROM inventory');
    expect(Number(stock.min)).toBeGreaterThanOrEqual(0);
    expect(Number(stock.soldOut)).toBeGreaterThan(0);

    const [[badTotals]] = await a.raw(
      'SELECT COUNT(*) AS n FROM orders o JOIN (SELECT order_id, SUM(quantity * unit_price) AS s FROM order_items GROUP BY order_id) t ON t.order_id = o.id WHERE t.s <> o.total',
    );
    expect(Number(badTotals.n)).toBe(0);
    const [[noLines]] = await a.raw(
      'SELECT COUNT(*) AS n FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = o.id)',
    );
    expect(Number(noLines.n)).toBe(0);

    const [statuses] = await a.raw(
      `SELECT o.status, p.status AS payment, COUNT(*) AS n, SUM(p.id IS NOT NULL AND p.amount <> o.total) AS wrongAmount
       FROM orders o LEFT JOIN payments p ON p.order_id = o.id GROUP BY o.status, p.status`,
    );
    const combos = Object.fromEntries(
      (statuses as { status: string; payment: string | null; n: number; wrongAmount: unknown }[]).map((r) => [
        `${r.status}/${r.payment ?? 'none'}`,
        Number(r.n),
      ]),
    );
    expect(Object.keys(combos).sort()).toEqual([
      'cancelled/none',
      'cancelled/refunded',
      'paid/captured',
      'pending/none',
    ]);
    for (const r of statuses as { wrongAmount: unknown }[]) expect(Number(r.wrongAmount ?? 0)).toBe(0);

    const [[timeline]] = await a.raw(
      'SELECT SUM(o.created_at < u.created_at) AS beforeUser, SUM(o.updated_at < o.created_at) AS backwards FROM orders o JOIN users u ON u.id = o.user_id',
    );
    expect(Number(timeline.beforeUser)).toBe(0);
    expect(Number(timeline.backwards)).toBe(0);
  });

  it('writes realistic, partly non-ASCII data with JSON attributes', async () => {
    const products = await a('products').select('name', 'price', 'category', 'attributes', 'sku');
    const categories = new Set(products.map((p) => p.category));
    expect(categories.size).toBeGreaterThanOrEqual(8);
    expect(products.some((p) => /\p{Extended_Pictographic}/u.test(p.name))).toBe(true);
    expect(products.some((p) => /[À-ÿ]/.test(p.name))).toBe(true);
    for (const p of products) {
      expect(p.price).toMatch(/^\d+\.\d{2}$/);
      const attributes = typeof p.attributes === 'string' ? JSON.parse(p.attributes) : p.attributes;
      expect(typeof attributes).toBe('object');
    }
    const users = await a('users').select('email', 'name');
    expect(new Set(users.map((u) => u.email)).size).toBe(users.length);
    for (const u of users) expect(u.email).toMatch(/^[a-z.]+\.\d+@example\.com$/);
    expect(users.some((u) => /\P{ASCII}/u.test(u.name))).toBe(true);
  });
});
