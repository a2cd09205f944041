import { describe, expect, it } from 'vitest';
import { markSecondWriters } from './ownership.ts';
import type { TableWriter } from './store.ts';
import { writerOf } from './writer-of.ts';

const writer = (name: string, kind: TableWriter['kind'], lastAt: string): TableWriter => ({
  writer: name,
  kind,
  changes: 3,
  firstAt: '2026-12-06T10:00:00.000Z',
  lastAt,
  lastTraceparent: null,
  lastStatement: null,
});

describe('second writers on owned tables', () => {
  it('names the reverse applier by its origin tag, never as a route or untagged', () => {
    expect(
      writerOf({
        snapshot: 'false',
        query: "/* strangler_origin='reverse-sync' */ update `shop`.`products` set name = 'x'",
      }),
    ).toEqual({ kind: 'origin', writer: 'origin:reverse-sync', traceparent: null, statement: null });
    expect(writerOf({ snapshot: 'false', query: 'update products set name = 1' })?.kind).toBe('untagged');
  });

  it('marks every writer of an owned table since the take-over but the owner, and nothing elsewhere', () => {
    const owners = new Map([['products', { service: 'http://catalog', since: '2026-12-06T12:00:00.000Z' }]]);
    const writers = [
      writer('origin:reverse-sync', 'origin', '2026-12-06T12:30:00.000Z'),
      writer('untagged', 'untagged', '2026-12-06T12:00:00.000Z'),
      writer('POST /orders', 'route', '2026-12-06T11:59:59.000Z'),
      writer('unknown', 'unknown', '2026-12-06T13:00:00.000Z'),
    ];
    expect(markSecondWriters('products', writers, owners).map((w) => [w.writer, w.secondWriter])).toEqual([
      ['origin:reverse-sync', false],
      ['untagged', true],
      ['POST /orders', false],
      ['unknown', true],
    ]);
    expect(markSecondWriters('inventory', writers, owners).every((w) => w.secondWriter === undefined)).toBe(
      true,
    );
  });
});
