import { describe, expect, it } from 'vitest';
import { compareSourcePositions, formatSourcePosition, parseSourcePosition } from '../../contract/index.ts';
import { eventPosition, newestPerKey } from './newer-wins.ts';
import { positionFromSource, positionKey, type SourcePosition } from './source-position.ts';

const at = (file: string, pos: number, row = 0, snapshot = false): SourcePosition => ({
  file,
  pos,
  row,
  snapshot,
  gtid: null,
  tsMs: null,
});

describe('positionKey order', () => {
  it.each([
    ['a later file wins over a larger pos', at('mysql-bin.000002', 4), at('mysql-bin.000001', 999_999)],
    [
      'file numbers compare as numbers past the padding',
      at('mysql-bin.1000000', 4),
      at('mysql-bin.999999', 4),
    ],
    ['a later pos in the same file', at('b.000001', 200), at('b.000001', 199)],
    ['a later row in the same rows event', at('b.000001', 200, 3), at('b.000001', 200, 2)],
    [
      'a streamed event after the snapshot read at the same coordinates',
      at('b.000001', 200, 0, false),
      at('b.000001', 200, 0, true),
    ],
  ])('%s', (_why, newer, older) => {
    expect(positionKey(newer) > positionKey(older)).toBe(true);
  });
  it('is fixed width', () => {
    expect(
      new Set([at('x.1', 1), at('mysql-bin.000123', 123456789, 12345)].map((p) => positionKey(p).length))
        .size,
    ).toBe(1);
  });
});

describe('positionFromSource', () => {
  it('reads Debezium source blocks, snapshot markers included', () => {
    expect(
      positionFromSource({ file: 'f.000003', pos: 10, row: 2, snapshot: 'last', gtid: '0-1-5', ts_ms: 1000 }),
    ).toEqual({
      file: 'f.000003',
      pos: 10,
      row: 2,
      snapshot: true,
      gtid: '0-1-5',
      tsMs: 1000,
    });
    expect(positionFromSource({ file: 'f.1', pos: 10, snapshot: 'false' })?.snapshot).toBe(false);
    expect(positionFromSource({ pos: 10 })).toBeNull();
    expect(positionFromSource(null)).toBeNull();
  });
});

describe('newestPerKey / eventPosition', () => {
  it('keeps the newest row per key whatever the arrival order', () => {
    const rows = [
      { id: 1, v: 'b', p: '2' },
      { id: 1, v: 'a', p: '1' },
      { id: 2, v: 'x', p: '5' },
      { id: 1, v: 'c', p: '3' },
    ];
    expect(newestPerKey(rows, ['id'], 'p')).toEqual([
      { id: 1, v: 'c', p: '3' },
      { id: 2, v: 'x', p: '5' },
    ]);
  });
  it('falls back to the Kafka offset when an event has no source position', () => {
    expect(eventPosition({ positionKey: null, offset: '42' })).toBe('offset:00000000000000000042');
    expect(eventPosition({ positionKey: 'k', offset: '42' })).toBe('k');
  });
});

describe('positionKey and the header label', () => {
  // The runner picks the store's position by positionKey and answers with its label; the
  // comparison engine orders labels with the contract. Both must see the same order.
  const streamed = [
    at('mysql-bin.000001', 4),
    at('mysql-bin.000001', 999_999),
    at('mysql-bin.000001', 999_999, 1),
    at('mysql-bin.000001', 999_999, 12),
    at('mysql-bin.000002', 4),
    at('mysql-bin.000002', 4, 2),
    at('mysql-bin.000010', 4),
    at('mysql-bin.999999', 120),
    at('mysql-bin.1000000', 4),
    at('binlog', 7),
  ];
  it('order streamed positions alike', () => {
    for (const a of streamed)
      for (const b of streamed) {
        const byKey = positionKey(a) < positionKey(b) ? -1 : positionKey(a) > positionKey(b) ? 1 : 0;
        const byLabel =
          Math.sign(
            compareSourcePositions(
              parseSourcePosition(formatSourcePosition(a))!,
              parseSourcePosition(formatSourcePosition(b))!,
            )!,
          ) || 0;
        expect({ a, b, order: byLabel }).toEqual({ a, b, order: byKey });
      }
  });
  it('a snapshot read and a streamed event at the same coordinates share a label', () => {
    // The key puts the snapshot first; the label carries no snapshot flag, so the engine sees
    // them as the same point — which they are for lag: the snapshot is the state at that point.
    expect(formatSourcePosition(at('b.000001', 200, 0, true))).toBe(
      formatSourcePosition(at('b.000001', 200)),
    );
  });
});
