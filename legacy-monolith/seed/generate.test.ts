import { describe, expect, it } from 'vitest';
import { generateShop } from './generate.ts';
import { SeededRandom } from './random.ts';

describe('generateShop', () => {
  it('is a pure function of its size and seed', () => {
    const size = { products: 50, users: 10, orders: 80, seed: 9 };
    expect(generateShop(size)).toEqual(generateShop(size));
    expect(generateShop({ ...size, seed: 10 }).products).not.toEqual(generateShop(size).products);
    // Each table has its own stream: more users leaves the catalogue as it was.
    expect(generateShop({ ...size, users: 999 }).products).toEqual(generateShop(size).products);
  });

  it('pins the first rows of the default seed, so a generator change is a visible decision', () => {
    const shop = generateShop({ products: 2, users: 1, orders: 1, seed: 42 });
    expect(shop.products.map((p) => [p.sku, p.name, p.price, p.category])).toMatchInlineSnapshot(`
      [
        [
          "SPO-000001",
          "Über Water Bottle Mini",
          "101.99",
          "sports",
        ],
        [
          "TOY-000002",
          "Élégant Marionette Max",
          "62.99",
          "toys",
        ],
      ]
    `);
    expect(shop.orders).toHaveLength(1);
    expect(shop.order_items.length).toBeGreaterThan(0);
  });

  it('never sells more than the stock it started with, even when orders outnumber items', () => {
    const shop = generateShop({ products: 5, users: 3, orders: 2_000, seed: 1 });
    for (const row of shop.inventory) expect(row.stock as number).toBeGreaterThanOrEqual(0);
    const active = new Set(shop.orders.filter((o) => o.status !== 'cancelled').map((o) => o.id));
    const sold = new Map<number, number>();
    for (const item of shop.order_items) {
      if (active.has(item.order_id)) {
        sold.set(
          item.product_id as number,
          (sold.get(item.product_id as number) ?? 0) + (item.quantity as number),
        );
      }
    }
    expect([...sold.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(shop.inventory.filter((row) => row.stock === 0).length).toBeGreaterThan(0);
  });
});

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed and stays in range', () => {
    const a = new SeededRandom(123);
    const b = new SeededRandom(123);
    const seqA = Array.from({ length: 1000 }, () => a.int(1, 6));
    expect(seqA).toEqual(Array.from({ length: 1000 }, () => b.int(1, 6)));
    expect(new Set(seqA)).toEqual(new Set([1, 2, 3, 4, 5, 6]));
    expect(new SeededRandom(124).next()).not.toBe(new SeededRandom(123).next());
  });
});
