import { describe, expect, it } from 'vitest';
import { buildRouteTable } from './route-table.ts';

const legacy = 'http://127.0.0.1:3000';
const products = {
  id: 'products',
  methods: ['GET', 'HEAD'],
  paths: ['/products', '/products/:id'],
  new: 'http://127.0.0.1:3101',
  writes: { methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] },
  owns: ['products'],
};
const orders = {
  id: 'orders',
  methods: ['GET'],
  paths: ['/orders/:id'],
  new: 'http://127.0.0.1:3102',
};
const table = (...routes: object[]) => ({ legacy, routes });

describe('route writes and owned tables', () => {
  it('loads a route with writes and the tables it will own; writes stay out of the read routing', () => {
    const t = buildRouteTable(table(products, orders), 1024);
    expect(t.routes[0]!.spec.writes).toEqual(products.writes);
    expect(t.routes[0]!.spec.owns).toEqual(['products']);
    expect([...t.routes[0]!.methods]).toEqual(['GET', 'HEAD']);
    expect(t.routes[1]!.spec.owns).toBeUndefined();
  });

  it.each([
    [
      { ...products, owns: ['products', 'shop.inventory'] },
      'routes[0].owns[1]: a table of the legacy database',
    ],
    [{ ...products, owns: [] }, 'routes[0].owns'],
    [
      { ...products, writes: { methods: ['GET'], paths: ['/products'] } },
      'routes[0].writes.methods[0]: a write method',
    ],
    [{ ...products, writes: { methods: ['POST'], paths: [] } }, 'routes[0].writes.paths'],
    [{ ...products, writes: { methods: ['POST'], paths: ['products'] } }, 'routes[0].writes.paths[0]'],
    [
      { ...products, writes: { methods: ['POST'], paths: ['/products'], tables: ['x'] } },
      'routes[0].writes: Unrecognized key',
    ],
  ])('refuses a malformed field with PROXY_ERR_ROUTE_FILE_INVALID naming it (%#)', (route, field) => {
    expect(() => buildRouteTable(table(route), 1024)).toThrow(
      expect.objectContaining({
        code: 'PROXY_ERR_ROUTE_FILE_INVALID',
        message: expect.stringContaining(field),
      }),
    );
  });

  it.each([
    [[{ ...products, owns: undefined }], 'routes[0] (products): writes without owns'],
    [[{ ...products, writes: undefined }], 'routes[0] (products): owns products without writes'],
    [
      [{ ...products, owns: ['products', 'products'] }],
      'routes[0] (products).owns: "products" is listed twice',
    ],
    [
      [
        products,
        { ...orders, writes: { methods: ['POST'], paths: ['/orders'] }, owns: ['orders', 'products'] },
      ],
      'routes[1] (orders).owns: table "products" is already owned by route "products"',
    ],
    [
      [products, { ...orders, writes: { methods: ['PATCH'], paths: ['/products/:id'] }, owns: ['orders'] }],
      'routes[1] (orders).writes: PATCH /products/:id is already a write of route "products"',
    ],
    [
      [{ ...products, methods: ['GET', 'POST'] }],
      'routes[0] (products).methods: POST listed with the reads of a route that has writes',
    ],
  ])(
    'refuses writes that do not hold together with PROXY_ERR_ROUTE_WRITES_INVALID (%#)',
    (routes, problem) => {
      expect(() => buildRouteTable(table(...routes), 1024, 'route table test.json')).toThrow(
        expect.objectContaining({
          code: 'PROXY_ERR_ROUTE_WRITES_INVALID',
          status: 400,
          message: expect.stringContaining(problem),
        }),
      );
    },
  );

  it('lists every problem at once', () => {
    try {
      buildRouteTable(table({ ...products, owns: undefined }, { ...orders, owns: ['orders'] }), 1024);
      expect.unreachable();
    } catch (err) {
      expect((err as { context: { problems: string[] } }).context.problems).toHaveLength(2);
    }
  });
});
