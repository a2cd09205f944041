import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/net.ts';
import { type E2eSystem, killPortHolder, startE2eSystem } from './system-fixture.ts';

/**
 * An aggregation route on the real shop, as npm start runs it (monolith, connector, broker,
 * catalog and orders services, proxy; small seed): a user's page = the user from the monolith
 * + their orders from the route `orders` + the products of those orders from the route
 * `products`, added through the admin API. With both routes on new, the page is what the
 * monolith would have said, part for part; with the orders service SIGKILLed, the orders part
 * falls back to the monolith and the page is still whole.
 */
describe('aggregation route on the real shop', () => {
  let e2e: E2eSystem;
  let token: string;

  beforeAll(async () => {
    e2e = await startE2eSystem();
    token = e2e.system.urls.adminToken ?? (await fs.readFile(e2e.system.urls.adminTokenFile, 'utf8')).trim();
  }, 240_000);
  afterAll(async () => {
    await e2e?.stop();
  });

  const admin = async (path: string, method: string, body: unknown) => {
    const res = await fetch(e2e.system.urls.admin + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
  };
  const json = async (url: string) => {
    const res = await fetch(url);
    const text = await res.text();
    return { status: res.status, parts: res.headers.get('x-strangler-parts'), body: JSON.parse(text) };
  };

  it('merges the monolith’s user with the services’ orders and products, and survives the orders service', async () => {
    await admin('/routes/user-page', 'PUT', {
      methods: ['GET'],
      paths: ['/users/:id/page'],
      aggregate: {
        parts: [
          { name: 'user', path: '/users/:id', timeoutMs: 2000, onFailure: 'error' },
          {
            name: 'orders',
            path: '/users/:id/orders?pageSize=100',
            route: 'orders',
            timeoutMs: 2000,
            onFailure: 'partial',
          },
          {
            name: 'products',
            path: '/products/:productId',
            route: 'products',
            each: { from: 'orders', select: '$.items[*].items[*].productId', as: 'productId' },
            timeoutMs: 2000,
            onFailure: 'partial',
          },
        ],
      },
    });
    await admin('/flags/orders', 'POST', { to: 'new' });
    await admin('/flags/products', 'POST', { to: 'new' });

    const legacy = e2e.system.urls.legacy;
    let userId = 0;
    for (let id = 1; id <= 50 && !userId; id++)
      if ((await json(`${legacy}/users/${id}/orders`)).body.total > 0) userId = id;
    expect(userId, 'a seeded user with orders').toBeGreaterThan(0);

    const page = `${e2e.system.urls.proxy}/users/${userId}/page`;
    const expected = async () => {
      const orders = (await json(`${legacy}/users/${userId}/orders?pageSize=100`)).body;
      const ids = [
        ...new Set(
          (orders.items as { items: { productId: number }[] }[]).flatMap((o) =>
            o.items.map((i) => i.productId),
          ),
        ),
      ];
      return {
        user: (await json(`${legacy}/users/${userId}`)).body,
        orders,
        products: await Promise.all(ids.map(async (id) => (await json(`${legacy}/products/${id}`)).body)),
      };
    };
    // the flags reach the proxy within a poll, the read models within the CDC lag
    await waitFor(
      'the page from the services, equal to the monolith’s answers',
      async () => {
        const r = await json(page);
        expect(r.status).toBe(200);
        expect(r.parts).toBe('user=legacy, orders=new, products=new');
        expect(r.body).toEqual(await expected());
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const whole = await json(page);
    expect(whole.body.products.length).toBeGreaterThan(0);
    expect(whole.body.missing).toBeUndefined();

    await killPortHolder(Number(e2e.env.ORDERS_PORT));
    const started = performance.now();
    const r = await json(page);
    const ms = performance.now() - started;
    expect(r.status).toBe(200);
    // served by the monolith within the orders part's budget (else it would be missing), and the
    // page within its longest chain of budgets (orders, then products: 2 × 2000 ms)
    expect(r.parts).toBe('user=legacy, orders=legacy, products=new');
    expect(r.body).toEqual(await expected());
    expect(ms).toBeLessThan(4000);
  });
});
