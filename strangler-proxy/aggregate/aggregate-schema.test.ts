import { describe, expect, it } from 'vitest';
import { compilePath } from '../compare/json-path.ts';
import { buildRouteTable } from '../routes/route-table.ts';
import { paramsIn, partTarget } from './aggregate-plan.ts';
import { selectValues } from './select-values.ts';

const userPage = {
  id: 'user-page',
  methods: ['GET'],
  paths: ['/users/:id/page'],
  aggregate: {
    parts: [
      { name: 'user', path: '/users/:id', timeoutMs: 500, onFailure: 'error' },
      {
        name: 'orders',
        path: '/users/:id/orders?pageSize=100',
        route: 'orders',
        timeoutMs: 500,
        onFailure: 'partial',
      },
      {
        name: 'products',
        path: '/products/:productId',
        route: 'products',
        each: { from: 'orders', select: '$.items[*].items[*].productId', as: 'productId' },
        timeoutMs: 500,
        onFailure: 'partial',
      },
    ],
  },
};
const table = (page: object = userPage, extra: object[] = []) => ({
  legacy: 'http://127.0.0.1:3000',
  routes: [
    { id: 'products', methods: ['GET'], paths: ['/products/:id'], new: 'http://127.0.0.1:3101' },
    { id: 'orders', methods: ['GET'], paths: ['/users/:id/orders'], new: 'http://127.0.0.1:3102' },
    page,
    ...extra,
  ],
});
const parts = userPage.aggregate.parts;
const withPart = (i: number, change: object) => ({
  ...userPage,
  aggregate: { parts: parts.map((p, j) => (j === i ? { ...p, ...change } : p)) },
});

describe('aggregation route config', () => {
  it('compiles: parts linked to their routes, the dependency to its part', () => {
    const t = buildRouteTable(table(), 1024);
    const route = t.routes.find((r) => r.id === 'user-page')!;
    const plan = route.aggregate!;
    expect(plan.parts.map((p) => p.route?.id)).toEqual([undefined, 'orders', 'products']);
    expect(plan.parts[1]!.route).toBe(t.routes[1]);
    expect(plan.parts[2]!.each?.from).toBe(1);
    const params = paramsIn(plan, '/users/42/page');
    expect(partTarget(plan.parts[1]!, params)).toBe('/users/42/orders?pageSize=100');
    expect(partTarget(plan.parts[2]!, params, 'a/b')).toBe('/products/a%2Fb');
    expect(t.routes.find((r) => r.id === 'products')!.aggregate).toBeUndefined();
  });

  it.each([
    [withPart(1, { route: 'ordrs' }), 'routes[2].aggregate.parts[1].route: no route "ordrs" in the table'],
    [withPart(0, { onFailure: 'ignore' }), 'routes[2].aggregate.parts[0].onFailure'],
    [withPart(0, { timeoutMs: undefined }), 'routes[2].aggregate.parts[0].timeoutMs'],
    [withPart(1, { name: 'user' }), 'routes[2].aggregate.parts[1].name: duplicate part name "user"'],
    [withPart(0, { name: 'missing' }), 'routes[2].aggregate.parts[0].name: "missing" is the key'],
    [
      withPart(2, { each: { from: 'reviews', select: '$.items[*].id', as: 'productId' } }),
      'routes[2].aggregate.parts[2].each.from: "reviews" is not a part declared before "products"',
    ],
    [
      withPart(2, { each: { ...parts[2]!.each, select: 'items.id' } }),
      'routes[2].aggregate.parts[2].each.select: a JSONPath-like pattern',
    ],
    [
      withPart(0, { path: '/users/:userId' }),
      'routes[2].aggregate.parts[0].path: ":userId" has no value: not a parameter of "/users/:id/page"',
    ],
    [
      withPart(2, { path: '/products/all' }),
      'routes[2].aggregate.parts[2].path: the path does not use ":productId" (each.as)',
    ],
    [withPart(0, { path: '/users/*' }), 'routes[2].aggregate.parts[0].path: a path such as'],
    [{ ...userPage, methods: ['GET', 'POST'] }, 'routes[2].methods: an aggregation route answers GET only'],
    [{ ...userPage, new: 'http://127.0.0.1:3103' }, 'routes[2].new: an aggregation route has no new side'],
    [{ ...userPage, flag: 'strangler.page' }, 'routes[2].flag: an aggregation route has no flag'],
    [
      userPage,
      'routes[3].aggregate.parts[1].route: route "user-page" is an aggregation route',
      [{ ...withPart(1, { route: 'user-page' }), id: 'other', paths: ['/users/:id/other'] }],
    ],
    [{ ...userPage, aggregate: undefined }, 'routes[2].new: required'],
    [{ ...userPage, aggregate: { parts: [] } }, 'routes[2].aggregate.parts'],
  ])('refuses a bad aggregation route naming the field (%#)', (page, message, extra = []) => {
    expect(() => buildRouteTable(table(page, extra as object[]), 1024)).toThrow(
      expect.objectContaining({
        code: 'PROXY_ERR_ROUTE_FILE_INVALID',
        message: expect.stringContaining(message),
      }),
    );
  });
});

describe('selectValues', () => {
  it('finds every value at the pattern, in document order', () => {
    const orders = {
      items: [{ items: [{ productId: 2 }, { productId: 3 }] }, { items: [{ productId: 2 }] }],
    };
    expect(selectValues(orders, compilePath('$.items[*].items[*].productId'))).toEqual([2, 3, 2]);
    expect(selectValues({ items: [] }, compilePath('$.items[*].items[*].productId'))).toEqual([]);
    expect(selectValues(orders, compilePath('$..productId'))).toEqual([2, 3, 2]);
  });
});
