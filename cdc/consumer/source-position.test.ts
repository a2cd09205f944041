import { describe, expect, it } from 'vitest';
import { eventPosition, newestPerKey } from './newer-wins.ts';
import { positionFromSource, positionKey, positionLabel, type SourcePosition } from './source-position.ts';

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
  it('labels as file:pos[:row], the form the comparison engine parses', () => {
    expect(positionLabel(at('mysql-bin.000003', 2731))).toBe('mysql-bin.000003:2731');
    expect(positionLabel(at('mysql-bin.000003', 2731, 4))).toBe('mysql-bin.000003:2731:4');
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
