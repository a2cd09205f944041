import { describe, expect, it } from 'vitest';
import { matchRoute } from './route-matcher.ts';
import { buildRouteTable } from './route-table.ts';

const valid = {
  legacy: 'http://127.0.0.1:3000',
  routes: [
    {
      id: 'products',
      methods: ['GET', 'HEAD'],
      paths: ['/products', '/products/:id'],
      new: 'http://127.0.0.1:3101',
    },
    {
      id: 'files',
      methods: ['GET'],
      paths: ['/files/*'],
      new: 'http://127.0.0.1:3103',
      legacy: 'http://127.0.0.1:3001',
    },
  ],
};

describe('buildRouteTable', () => {
  it('fills defaults: flag name, timeouts, compare settings, legacy upstream', () => {
    const t = buildRouteTable(valid, 1024);
    expect(t.routes[0]).toMatchObject({
      flag: 'strangler.products',
      legacy: 'http://127.0.0.1:3000',
      headersTimeout: 10_000,
      compare: true,
    });
    expect(t.routes[1]!.legacy).toBe('http://127.0.0.1:3001');
    expect([...t.origins].sort()).toEqual([
      'http://127.0.0.1:3000',
      'http://127.0.0.1:3001',
      'http://127.0.0.1:3101',
      'http://127.0.0.1:3103',
    ]);
  });

  it.each([
    [{ ...valid, legacy: 'http://127.0.0.1:3000/app' }, 'legacy: an origin URL'],
    [{ ...valid, routes: [{ ...valid.routes[0], new: 'file:///etc' }] }, 'routes[0].new'],
    [{ ...valid, routes: [{ ...valid.routes[0], methods: ['FETCH'] }] }, 'routes[0].methods[0]'],
    [{ ...valid, routes: [{ ...valid.routes[0], paths: ['/a/*/b'] }] }, 'routes[0].paths[0]'],
    [{ ...valid, routes: [{ ...valid.routes[0], id: 'Bad Id' }] }, 'routes[0].id'],
    [{ ...valid, routes: [valid.routes[0], valid.routes[0]] }, 'routes[1].id: duplicate route id "products"'],
    [{ ...valid, routes: [{ ...valid.routes[0], timeout: 5 }] }, 'routes[0]: Unrecognized key'],
    [
      { ...valid, routes: [{ ...valid.routes[0], timeouts: { headersMs: -1 } }] },
      'routes[0].timeouts.headersMs',
    ],
  ])('rejects an invalid table naming the field (%#)', (raw, field) => {
    expect(() => buildRouteTable(raw, 1024)).toThrow(
      expect.objectContaining({
        code: 'PROXY_ERR_ROUTE_FILE_INVALID',
        message: expect.stringContaining(field),
      }),
    );
  });
});

describe('matchRoute', () => {
  const t = buildRouteTable(valid, 1024);
  it.each([
    ['GET', '/products', 'products'],
    ['GET', '/products/', 'products'],
    ['HEAD', '/products/12', 'products'],
    ['POST', '/products', undefined],
    ['GET', '/products/12/reviews', undefined],
    ['GET', '/productsx', undefined],
    ['GET', '/files', 'files'],
    ['GET', '/files/a/b/c', 'files'],
    ['GET', '/filesystem', undefined],
  ])('%s %s → %s', (method, path, id) => {
    expect(matchRoute(t, method, path)?.id).toBe(id);
  });
});
