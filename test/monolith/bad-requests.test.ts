import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorOf, type MonolithUnderTest, startMonolithProcess } from './support.ts';

/** A sweep of hostile requests over every route: each must be a 4xx JSON error, never a 500. */
const idRoutes: [string, string][] = [
  ['GET', '/products/:id'],
  ['PATCH', '/products/:id'],
  ['PUT', '/products/:id/stock'],
  ['GET', '/users/:id'],
  ['GET', '/users/:id/orders'],
  ['GET', '/orders/:id'],
  ['POST', '/orders/:id/pay'],
  ['POST', '/orders/:id/cancel'],
];
const badIds = [
  'abc',
  '0',
  '-1',
  '1e3',
  '0x10',
  '9'.repeat(20),
  '1.0',
  '%201',
  '%00',
  '%F0%9F%9A%80',
  "1'--",
];

const bodyRoutes: [string, string][] = [
  ['POST', '/products'],
  ['PATCH', '/products/1'],
  ['PUT', '/products/1/stock'],
  ['POST', '/users'],
  ['POST', '/orders'],
  ['POST', '/orders/1/pay'],
  ['POST', '/orders/1/cancel'],
];
const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const badBodies = [
  '{',
  '[]',
  'null',
  '"text"',
  '42',
  '{"__proto__": {"admin": true}}',
  '{"constructor": {"prototype": {}}}',
  `{"attributes": {"x": ${deep(40_000)}}}`,
  `{"items": ${deep(20_000)}}`,
  '{"sku": null, "name": null, "price": null, "category": null, "email": null, "stock": null, "method": null}',
  '{"userId": 1e309, "items": [{"productId": 1e400, "quantity": -1e309}], "stock": 1e309, "price": 1e309}',
  '{"price": "NaN", "stock": "Infinity", "userId": true, "items": {"0": {}}}',
];

describe('hostile requests on every route (monolith process)', () => {
  let shop: MonolithUnderTest;
  beforeAll(async () => {
    shop = await startMonolithProcess('bad');
    await call(shop.base, 'POST', '/products', {
      sku: 'P',
      name: 'P',
      price: '1.00',
      category: 'c',
      stock: 5,
    });
    await call(shop.base, 'POST', '/users', { email: 'u@example.com', name: 'U' });
    await call(shop.base, 'POST', '/orders', { userId: 1, items: [{ productId: 1, quantity: 1 }] });
  });
  afterAll(() => shop?.stop());

  it.each(idRoutes.flatMap(([method, route]) => badIds.map((id) => [method, route.replace(':id', id)])))(
    '%s %s → 400',
    async (method, path) => {
      const reply = await call(shop.base, method, path, method === 'GET' ? undefined : {});
      expect(errorOf(reply).status).toBe(400);
    },
  );

  it.each(bodyRoutes.flatMap(([method, route]) => badBodies.map((body) => [method, route, body])))(
    '%s %s with %s → 4xx',
    async (method, path, body) => {
      const { status } = errorOf(await call(shop.base, method, path, body));
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
    },
  );

  it.each([
    '?page=1e2',
    '?pageSize=',
    '?sort=',
    `?q=${'x'.repeat(201)}`,
    '?minPrice=1e3',
    '?category[]=a',
    '?%=1',
    '?page=99999999999999999999',
    '?maxPrice=-1',
  ])('GET /products%s → 400', async (query) => {
    expect(errorOf(await call(shop.base, 'GET', `/products${query}`))).toMatchObject({
      status: 400,
      code: 'SHOP_ERR_INVALID_QUERY',
    });
  });

  it('rejects a non-UTF-8 body charset with 415 and keeps serving', async () => {
    const reply = await call(shop.base, 'POST', '/users', '{"email":"a@b.co","name":"x"}', {
      'content-type': 'application/json; charset=latin1',
    });
    expect(errorOf(reply)).toMatchObject({ status: 415, code: 'SHOP_ERR_UNSUPPORTED_MEDIA_TYPE' });
    expect((await call(shop.base, 'GET', '/health')).status).toBe(200);
    expect(shop.proc.output()).not.toContain('unexpected error');
  });
});
