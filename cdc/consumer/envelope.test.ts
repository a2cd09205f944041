import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeDecimalBytes, scaleDecimal } from './decimal.ts';
import { decodeRecord, type RawRecord } from './envelope.ts';
import { parseLosslessJson } from './lossless-json.ts';

/**
 * One test per sample in fixtures/: events written in the documented Debezium format
 * (Debezium's documentation of its MySQL and MariaDB connectors), decoded and matched against the
 * expected JS values. BigInt values are written as "123n" in the expectations.
 */
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

interface Fixture {
  description: string;
  record: { topic: string; partition: number; offset: string; key: unknown; value: unknown };
  options?: Record<string, unknown>;
  expect?: Record<string, unknown>;
  expectError?: string;
}

/** JSON text that keeps BigInt values as bare numbers, as a Kafka producer would have sent them. */
function wire(value: unknown): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `\u0001${v}` : v)).replace(
    /"\\u0001(-?\d+)"/g,
    '$1',
  );
}

function normalise(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  }
  return value;
}

const fixtures = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    file,
    fixture: parseLosslessJson(fs.readFileSync(path.join(dir, file), 'utf8')) as Fixture,
  }));

describe('decodeRecord over the documented samples', () => {
  it('has samples to run', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });
  for (const { file, fixture } of fixtures) {
    it(`${file}: ${fixture.description}`, () => {
      const raw: RawRecord = {
        ...fixture.record,
        key: wire(fixture.record.key),
        value: wire(fixture.record.value),
      };
      if (fixture.expectError) {
        expect(() => decodeRecord(raw, fixture.options)).toThrow(
          expect.objectContaining({ code: fixture.expectError }),
        );
        return;
      }
      const decoded = decodeRecord(raw, fixture.options);
      expect(normalise(decoded)).toMatchObject(fixture.expect!);
    });
  }
});

describe('decimal bytes', () => {
  it.each([
    ['B88=', 2, '19.99'],
    ['AMc=', 2, '1.99'],
    ['AA==', 2, '0.00'],
    ['/w==', 2, '-0.01'],
    ['IWQ=', 2, '85.48'],
    ['gA==', 0, '-128'],
    ['AIA=', 0, '128'],
  ])('%s at scale %i is %s', (b64, scale, text) => {
    expect(decodeDecimalBytes(b64, scale)).toBe(text);
  });
  it('refuses text that is not base64', () => {
    expect(() => decodeDecimalBytes('12.30', 2)).toThrow(/base64/);
  });
  it('keeps 38-digit values exactly', () => {
    expect(scaleDecimal(-12345678901234567890123456789012345678n, 10)).toBe(
      '-1234567890123456789012345678.9012345678',
    );
  });
});

describe('parseLosslessJson', () => {
  it('keeps unsafe integers as BigInt and leaves strings and floats alone', () => {
    const value = parseLosslessJson(
      '{"a":9007199254740993,"b":"12345678901234567890","c":1.5e300,"d":-9223372036854775808,"e":[12]}',
    );
    expect(value).toEqual({
      a: 9007199254740993n,
      b: '12345678901234567890',
      c: 1.5e300,
      d: -9223372036854775808n,
      e: [12],
    });
  });
  it('handles escaped quotes inside strings', () => {
    expect(parseLosslessJson('{"a":"x\\"12345678901234567890","n":12345678901234567890}')).toEqual({
      a: 'x"12345678901234567890',
      n: 12345678901234567890n,
    });
  });
});
