import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type MonolithUnderTest, type Reply, startMonolithProcess } from './support.ts';

/**
 * Every write on one product at once, through the monolith's HTTP API (a real process on a real
 * MariaDB): price changes (PATCH), stock recounts (PUT .../stock), orders and cancels. Their
 * transactions lock the products and inventory rows in different orders, so InnoDB picks
 * deadlock victims; each victim must be rerun whole, never answered with a 500.
 */
describe('writes on one product under contention (monolith process)', () => {
  let shop: MonolithUnderTest;
  let userId: number;
  let productId: number;
  const perKind = 60;
  const workersPerKind = 8;

  beforeAll(async () => {
    shop = await startMonolithProcess('contend');
    userId = (await call(shop.base, 'POST', '/users', { email: 'busy@example.com', name: 'Busy' })).body.id;
    productId = (
      await call(shop.base, 'POST', '/products', {
        sku: 'CONTENDED',
        name: 'Contended',
        price: '5.00',
        category: 'toys',
        stock: 1_000_000,
      })
    ).body.id;
  });
  afterAll(() => shop?.stop());

  async function workers(kind: string, request: (i: number) => Promise<Reply>): Promise<Reply[]> {
    const replies: Reply[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: workersPerKind }, async () => {
        while (next < perKind) replies.push(await request(next++));
      }),
    );
    return replies.map((reply) => Object.assign(reply, { kind }));
  }

  it('answers every PATCH, restock, order and cancel without a 500', async () => {
    const all = await Promise.all([
      workers('patch', (i) =>
        call(shop.base, 'PATCH', `/products/${productId}`, {
          price: `${5 + (i % 50)}.00`,
          name: `Contended ${i}`,
        }),
      ),
      workers('stock', (i) =>
        call(shop.base, 'PUT', `/products/${productId}/stock`, { stock: 1_000_000 + i }),
      ),
      workers('order', async () => {
        const placed = await call(shop.base, 'POST', '/orders', {
          userId,
          items: [{ productId, quantity: 1 }],
        });
        if (placed.status !== 201) return placed;
        return call(shop.base, 'POST', `/orders/${placed.body.id}/cancel`);
      }),
    ]);
    const replies = all.flat() as (Reply & { kind: string })[];
    const byKind = (kind: string) => replies.filter((r) => r.kind === kind);
    const failures = replies
      .filter((r) => r.status >= 500)
      .map((r) => `${r.kind} ${r.status} ${r.body?.error?.code ?? r.text.slice(0, 80)}`);
    expect(failures).toEqual([]);
    expect(byKind('patch').map((r) => r.status)).toEqual(Array(perKind).fill(200));
    expect(byKind('stock').map((r) => r.status)).toEqual(Array(perKind).fill(200));
    expect(byKind('order').map((r) => r.status)).toEqual(Array(perKind).fill(200));
    const [order] = await shop.knex('orders').where({ status: 'cancelled' }).count({ n: '*' });
    expect(Number(order?.n)).toBe(perKind);
  });
});
