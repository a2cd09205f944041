import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorOf, type MonolithUnderTest, startMonolithProcess } from './support.ts';

describe('placing orders concurrently (monolith process)', () => {
  let shop: MonolithUnderTest;
  let users: number[];
  const post = (path: string, body: unknown) => call(shop.base, 'POST', path, body);

  beforeAll(async () => {
    shop = await startMonolithProcess('conc');
    users = [];
    for (let i = 0; i < 5; i++) {
      users.push((await post('/users', { email: `buyer${i}@example.com`, name: `Buyer ${i}` })).body.id);
    }
  });
  afterAll(() => shop?.stop());

  it('sells exactly the stock: 50 orders for 10 items → 10 × 201, 40 × 409, stock 0', async () => {
    const product = (
      await post('/products', { sku: 'HOT', name: 'Hot item', price: '9.99', category: 'toys', stock: 10 })
    ).body.id;
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post('/orders', { userId: users[i % users.length], items: [{ productId: product, quantity: 1 }] }),
      ),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40);
    for (const reply of replies.filter((r) => r.status === 409)) {
      expect(errorOf(reply).code).toBe('SHOP_ERR_INSUFFICIENT_STOCK');
    }
    expect((await call(shop.base, 'GET', `/products/${product}`)).body.stock).toBe(0);
    const [[sold]] = await shop.knex.raw(
      'SELECT COUNT(*) AS orders, SUM(quantity) AS units FROM order_items WHERE product_id = ?',
      [product],
    );
    expect(Number(sold.orders)).toBe(10);
    expect(Number(sold.units)).toBe(10);
  });

  it('never deadlocks into an error when orders lock overlapping products in opposite request order', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        (
          await post('/products', {
            sku: `X${i}`,
            name: `Overlap ${i}`,
            price: '1.00',
            category: 'toys',
            stock: 1000,
          })
        ).body.id,
      );
    }
    const replies = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const order = i % 2 === 0 ? ids : [...ids].reverse();
        return post('/orders', {
          userId: users[i % users.length],
          items: order.map((productId) => ({ productId, quantity: 2 })),
        });
      }),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(40).fill(201));
    for (const id of ids)
      expect((await call(shop.base, 'GET', `/products/${id}`)).body.stock).toBe(1000 - 80);
  });

  it('keeps stock exact when cancels and orders race', async () => {
    const product = (
      await post('/products', { sku: 'RACE', name: 'Race', price: '2.50', category: 'toys', stock: 20 })
    ).body.id;
    const first = [];
    for (let i = 0; i < 10; i++) {
      first.push(
        (await post('/orders', { userId: users[0], items: [{ productId: product, quantity: 2 }] })).body.id,
      );
    }
    // stock is now 0; cancelling 10 orders and placing 10 new ones at once must end at 0 again,
    // with every new order either placed (201) or refused (409), never an error.
    const replies = await Promise.all([
      ...first.map((id) => call(shop.base, 'POST', `/orders/${id}/cancel`)),
      ...Array.from({ length: 10 }, () =>
        post('/orders', { userId: users[1], items: [{ productId: product, quantity: 2 }] }),
      ),
    ]);
    expect(replies.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(200));
    const placed = replies.slice(10).filter((r) => r.status === 201).length;
    expect(replies.slice(10).every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect((await call(shop.base, 'GET', `/products/${product}`)).body.stock).toBe(20 - placed * 2);
    expect(shop.proc.output()).not.toContain('unexpected error');
  });
});
