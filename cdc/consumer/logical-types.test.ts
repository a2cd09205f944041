import { describe, expect, it } from 'vitest';
import { decodeValue, logicalNames } from './logical-types.ts';

/** Debezium's spatial structs (io.debezium.data.geometry.Geometry / Point) as a consumer reads them. */
describe('spatial logical types', () => {
  const geometry = { type: 'struct', name: logicalNames.geometry };
  const point = { type: 'struct', name: logicalNames.point };
  const wkb = '0101000000000000000000f03f0000000000000040';
  const b64 = Buffer.from(wkb, 'hex').toString('base64');

  it('Geometry → {wkb: Buffer, srid}; Point → {x, y, wkb, srid}, srid null when unset', () => {
    expect(decodeValue('g', geometry, { wkb: b64, srid: 4326 })).toEqual({
      wkb: Buffer.from(wkb, 'hex'),
      srid: 4326,
    });
    expect(decodeValue('g', geometry, { wkb: b64, srid: null })).toEqual({
      wkb: Buffer.from(wkb, 'hex'),
      srid: null,
    });
    expect(decodeValue('p', point, { x: 1, y: 2, wkb: b64, srid: null })).toEqual({
      x: 1,
      y: 2,
      wkb: Buffer.from(wkb, 'hex'),
      srid: null,
    });
    expect(decodeValue('p', point, { x: 1, y: 2 })).toEqual({ x: 1, y: 2, wkb: null, srid: null });
    expect(decodeValue('p', point, null)).toBeNull();
  });

  it('refuses a struct that is not one, naming the field', () => {
    expect(() => decodeValue('g', geometry, 'AQEA')).toThrow(/field g: expected a struct/);
    expect(() => decodeValue('g', geometry, { srid: 1 })).toThrow(/field g: expected \{wkb/);
    expect(() => decodeValue('p', point, { x: '1', y: 2 })).toThrow(/field p: expected \{x, y\} numbers/);
    expect(() => decodeValue('g', geometry, { wkb: b64, srid: 1.5 })).toThrow(/srid as an integer/);
  });
});
