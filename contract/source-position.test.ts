import { describe, expect, it } from 'vitest';
import {
  compareSourcePositions,
  formatSourcePosition,
  parseSourcePosition,
  sourcePositionHeaders,
} from './source-position.ts';

const order = (a: string, b: string) =>
  Math.sign(compareSourcePositions(parseSourcePosition(a)!, parseSourcePosition(b)!) ?? Number.NaN);

describe('source position headers', () => {
  it('labels as file:pos[:row]', () => {
    expect(formatSourcePosition({ file: 'mysql-bin.000003', pos: 2731, row: 0 })).toBe(
      'mysql-bin.000003:2731',
    );
    expect(formatSourcePosition({ file: 'mysql-bin.000003', pos: 2731, row: 4 })).toBe(
      'mysql-bin.000003:2731:4',
    );
  });

  it('writes none for both headers before the first event', () => {
    expect(sourcePositionHeaders(null)).toEqual({
      'x-strangler-source-position': 'none',
      'x-strangler-source-ts': 'none',
    });
    expect(sourcePositionHeaders({ label: '', sourceTsMs: null })).toEqual({
      'x-strangler-source-position': 'none',
      'x-strangler-source-ts': 'none',
    });
    expect(sourcePositionHeaders({ label: 'b.000001:4', sourceTsMs: 1700000000000 })).toEqual({
      'x-strangler-source-position': 'b.000001:4',
      'x-strangler-source-ts': '1700000000000',
    });
  });

  it('reads back what it writes', () => {
    const label = formatSourcePosition({ file: 'mariadb-bin.000004', pos: 18231, row: 2 });
    expect(parseSourcePosition(label)).toEqual({ kind: 'binlog', file: 4, pos: 18231, row: 2 });
  });

  it.each(['none', '', 'mysql-bin.000003', 'a:b', '1-2', 'x:1:2:3'])('%j is unknown', (text) => {
    expect(parseSourcePosition(text)).toBeUndefined();
  });
});

describe('source position order', () => {
  it.each([
    ['a later file over a larger pos', 'mysql-bin.000002:4', 'mysql-bin.000001:999999'],
    ['file numbers as numbers past the padding', 'mysql-bin.1000000:4', 'mysql-bin.999999:4'],
    ['a later pos in the same file', 'b.000001:200', 'b.000001:199'],
    ['a later row at the same pos', 'b.000001:200:3', 'b.000001:200:2'],
    ['row 0 is the label without a row', 'b.000001:200:1', 'b.000001:200'],
    ['a GTID list ahead in one domain', '0-1-12,1-1-3', '0-1-11,1-1-3'],
  ])('%s', (_why, newer, older) => {
    expect(order(newer, older)).toBe(1);
    expect(order(older, newer)).toBe(-1);
  });

  it('the same point is 0; a binlog position and a GTID list cannot be ordered', () => {
    expect(order('b.000001:200', 'b.000001:200:0')).toBe(0);
    expect(
      compareSourcePositions(parseSourcePosition('b.000001:200')!, parseSourcePosition('0-1-5')!),
    ).toBeUndefined();
  });
});
