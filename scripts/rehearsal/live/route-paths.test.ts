import { describe, expect, it } from 'vitest';
import { routeMatcher, routesOf, routeTargets } from './route-paths.ts';

const routes = routesOf({
  legacy: 'http://127.0.0.1:3000',
  routes: [
    {
      id: 'products',
      methods: ['GET', 'HEAD'],
      paths: ['/products', '/products/:id'],
      new: 'http://127.0.0.1:3101',
    },
    { id: 'orders', paths: ['/orders/:id', '/users/:id/orders'], new: 'http://127.0.0.1:3102' },
    { id: 'user-page', methods: ['GET'], paths: ['/users/:id/page'], aggregate: { parts: [] } },
  ],
});

it('leaves out aggregation routes: they have no side to move', () => {
  expect(routes.map((r) => r.id)).toEqual(['products', 'orders']);
});

describe('routeMatcher', () => {
  const match = routeMatcher(routes);
  it.each([
    ['GET', '/products?category=books&sort=-price', 'products'],
    ['GET', '/products/42', 'products'],
    ['HEAD', '/products/', 'products'],
    ['GET', '/orders/7', 'orders'],
    ['GET', '/users/3/orders?pageSize=5', 'orders'],
    ['POST', '/orders', undefined],
    ['POST', '/products', undefined],
    ['GET', '/users/3', undefined],
    ['GET', '/orders/7/pay', undefined],
    ['GET', '/productsX', undefined],
    // the proxy's normalisation: dot segments resolved, encoded slashes refused
    ['GET', '/products/../orders/7', 'orders'],
    ['GET', '/products%2F1', undefined],
  ])('%s %s → %s', (method, target, expected) => {
    expect(match(method, target)).toBe(expected);
  });
});

describe('routeTargets', () => {
  const facts = { maxProductId: 500, maxUserId: 100, categories: ['books', 'toys'] };
  it('draws product lists and details, the same for the same seed, all on the route', async () => {
    const a = await routeTargets(routes[0]!, facts, 'http://unused', 50, 3);
    expect(a).toEqual(await routeTargets(routes[0]!, facts, 'http://unused', 50, 3));
    expect(a).toHaveLength(50);
    const match = routeMatcher(routes);
    expect(a.every((t) => match('GET', t) === 'products')).toBe(true);
    expect(a.some((t) => t.startsWith('/products?'))).toBe(true);
    expect(a.some((t) => /^\/products\/\d+$/.test(t))).toBe(true);
  });
});
