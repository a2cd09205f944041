import { describe, expect, it } from 'vitest';
import { parseExclude, parseTables, parseWindow, routeWriters } from './questions.ts';
import { writerOf } from './writer-of.ts';

const now = Date.parse('2026-12-06T18:00:00.000Z');

describe('the writer map questions', () => {
  it('reads a window as durations back from now or ISO times', () => {
    expect(parseWindow(undefined, undefined, now)).toEqual({
      since: new Date('2026-12-06T17:00:00.000Z'),
      until: new Date(now),
    });
    expect(parseWindow('15m', '30s', now).since).toEqual(new Date('2026-12-06T17:45:00.000Z'));
    expect(parseWindow('2026-12-01T00:00:00Z', '2d', now)).toEqual({
      since: new Date('2026-12-01T00:00:00Z'),
      until: new Date('2026-12-04T18:00:00.000Z'),
    });
  });

  it.each([
    [['yesterday', undefined], 'since="yesterday" is neither a duration'],
    [['1h', '2026-13-45T00:00:00Z'], 'until="2026-13-45T00:00:00Z"'],
    [['5m', '1h'], 'the window ends (2026-12-06T17:00:00.000Z) before it starts'],
  ] as const)('refuses a bad window with WRITERS_ERR_BAD_WINDOW (%#)', ([since, until], message) => {
    expect(() => parseWindow(since, until, now)).toThrow(
      expect.objectContaining({ code: 'WRITERS_ERR_BAD_WINDOW', message: expect.stringContaining(message) }),
    );
  });

  it('reads tables and excluded routes, refusing what is neither', () => {
    expect(parseTables(' products,inventory,products ', true)).toEqual(['products', 'inventory']);
    expect(parseTables(undefined, false)).toBeUndefined();
    expect(() => parseTables('', true)).toThrow(expect.objectContaining({ code: 'WRITERS_ERR_BAD_TABLES' }));
    expect(() => parseTables('shop.products', true)).toThrow(/"shop.products"/);
    expect(parseExclude('POST /products')).toEqual(['POST /products']);
    expect(() => parseExclude(['POST /products', 'products'])).toThrow(
      expect.objectContaining({
        code: 'WRITERS_ERR_BAD_EXCLUDE',
        message: expect.stringContaining('"products"'),
      }),
    );
  });

  it('names a route’s writes as the monolith tags them', () => {
    expect(routeWriters({ methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] })).toEqual([
      'POST /products',
      'POST /products/:id',
      'PATCH /products',
      'PATCH /products/:id',
    ]);
  });

  it('tells a route, an untagged statement, a missing statement and a snapshot read apart', () => {
    const tagged =
      "/* route='POST%20%2Forders',traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' */ update `inventory` set `stock` = stock - 1";
    expect(writerOf({ snapshot: 'false', query: tagged })).toEqual({
      kind: 'route',
      writer: 'POST /orders',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      statement: null,
    });
    expect(writerOf({ snapshot: 'false', query: 'UPDATE inventory SET stock = 0' })).toMatchObject({
      kind: 'untagged',
      statement: 'UPDATE inventory SET stock = 0',
    });
    expect(writerOf({ snapshot: 'false', query: null })).toMatchObject({
      kind: 'unknown',
      writer: 'unknown',
    });
    expect(writerOf({ query: null })).toMatchObject({ kind: 'unknown' });
    for (const snapshot of ['true', 'first', 'last', 'first_in_data_collection', 'last_in_data_collection'])
      expect(writerOf({ snapshot, query: null })).toBeUndefined();
    // no source block at all (unwrapped records): nobody can say who wrote it
    expect(writerOf(null)).toMatchObject({ kind: 'unknown' });
  });
});
