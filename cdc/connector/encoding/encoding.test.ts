import { describe, expect, it } from 'vitest';
import {
  createTableEncoder,
  dateToDays,
  datetimeToMicrosText,
  datetimeToMillis,
  decimalBase64,
  decimalPlain,
  encodedText,
  heartbeatMessage,
  isEncodableType,
  javaDoubleText,
  javaFloatText,
  jsonString,
  parseEnumValues,
  schemaChangeMessage,
  timestampToIso,
  timeToMicros,
  tombstone,
  transactionMessage,
  twosComplementBytes,
  unsignedLongText,
} from './index.ts';
import type { ColumnDef, EncoderOptions, SourceInfo, TableDef } from './types.ts';

/**
 * Every expected value here is derived by hand from Debezium's documentation (data change
 * events, data type mappings, schema change topic, transaction metadata, heartbeats), not from
 * the code under test.
 */

const opts = (over: Partial<EncoderOptions> = {}): EncoderOptions => ({
  topicPrefix: 'ecommerce',
  connectorName: 'mysql',
  version: '3.4.0.Final',
  decimalHandlingMode: 'precise',
  timePrecisionMode: 'adaptive_time_microseconds',
  bigintUnsignedHandlingMode: 'long',
  binaryHandlingMode: 'bytes',
  keySchemasEnable: true,
  valueSchemasEnable: true,
  ...over,
});

const col = (name: string, dataType: string, over: Partial<ColumnDef> = {}): ColumnDef => ({
  name,
  dataType,
  unsigned: false,
  nullable: true,
  ...over,
});

const table = (columns: ColumnDef[], keyColumns: string[], name = 't'): TableDef => ({
  db: 'shop',
  table: name,
  columns,
  keyColumns,
});

/** Encodes one value of a one-column table (schemas off) and returns its payload text. */
function encodedValue(c: ColumnDef, v: unknown, over: Partial<EncoderOptions> = {}): string {
  const enc = createTableEncoder(table([c], []), opts({ valueSchemasEnable: false, ...over }));
  const text = enc.rowPayload({ [c.name]: v }, 'snapshot');
  const prefix = `{${JSON.stringify(c.name)}:`;
  expect(text.startsWith(prefix)).toBe(true);
  return text.slice(prefix.length, -1);
}

/** The field schema of a one-column table. */
function schemaOf(c: ColumnDef, over: Partial<EncoderOptions> = {}): string {
  const enc = createTableEncoder(table([c], []), opts(over));
  const s = enc.schemas.value;
  return s.slice('{"type":"struct","fields":['.length, s.indexOf('],"optional":true,"name"'));
}

const bytesOf = (b64: string) => [...Buffer.from(b64, 'base64')];
/** Decodes Connect Decimal bytes back to the unscaled integer (independent of the encoder). */
function decodeTwos(b64: string): bigint {
  const bytes = Buffer.from(b64, 'base64');
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  if (bytes[0] & 0x80) n -= 1n << BigInt(bytes.length * 8);
  return n;
}

describe('decimals', () => {
  it('encodes the documented examples', () => {
    expect(decimalBase64('19.99', 2)).toBe('B88=');
    expect(decimalBase64('1.99', 2)).toBe('AMc=');
    expect(decimalBase64('0.00', 2)).toBe('AA==');
    expect(decimalBase64('-0.01', 2)).toBe('/w==');
    expect(decimalBase64('85.48', 2)).toBe('IWQ=');
    // scaled to the column scale first: 20 in DECIMAL(10,2) → 2000 = 0x07D0
    expect(bytesOf(decimalBase64('20', 2))).toEqual([0x07, 0xd0]);
  });

  it('uses minimal two-complement bytes at the sign boundaries', () => {
    expect(bytesOf(decimalBase64('127', 0))).toEqual([0x7f]);
    expect(bytesOf(decimalBase64('128', 0))).toEqual([0x00, 0x80]);
    expect(bytesOf(decimalBase64('-128', 0))).toEqual([0x80]);
    expect(bytesOf(decimalBase64('-129', 0))).toEqual([0xff, 0x7f]);
    expect(bytesOf(decimalBase64('32767', 0))).toEqual([0x7f, 0xff]);
    expect(bytesOf(decimalBase64('-32768', 0))).toEqual([0x80, 0x00]);
  });

  it('is exact and minimal for random values of every width up to 2^50', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 2000; i++) {
      const magnitude = Math.floor(rand() * 2 ** Math.floor(rand() * 50));
      const n = rand() < 0.5 ? -magnitude : magnitude;
      const b64 = decimalBase64(String(n), 0);
      const bytes = Buffer.from(b64, 'base64');
      expect(decodeTwos(b64)).toBe(BigInt(n));
      // minimal: no redundant leading 0x00 / 0xFF byte
      if (bytes.length > 1) {
        expect(bytes[0] === 0 && bytes[1] < 0x80).toBe(false);
        expect(bytes[0] === 0xff && bytes[1] >= 0x80).toBe(false);
      }
    }
  });

  it('is exact for 65-digit values (no floats)', () => {
    const big = '12345678901234567890123456789012345678901234567890.123456789012345';
    expect(decodeTwos(decimalBase64(big, 15))).toBe(
      12345678901234567890123456789012345678901234567890123456789012345n,
    );
    expect(decodeTwos(decimalBase64(`-${big}`, 15))).toBe(
      -12345678901234567890123456789012345678901234567890123456789012345n,
    );
    for (const n of [
      2n ** 47n,
      -(2n ** 47n),
      2n ** 47n - 1n,
      -(2n ** 47n) - 1n,
      2n ** 63n,
      -(2n ** 63n),
      2n ** 64n - 1n,
    ]) {
      expect(decodeTwos(twosComplementBytes(n).toString('base64'))).toBe(n);
    }
    // minimal length on the BigInt path too: 2^63 needs a leading zero byte, -2^63 does not
    expect(twosComplementBytes(2n ** 63n).length).toBe(9);
    expect(twosComplementBytes(-(2n ** 63n)).length).toBe(8);
  });

  it('string mode keeps the scale (toPlainString), double mode prints a Java double', () => {
    expect(decimalPlain('129.00', 2)).toBe('129.00');
    expect(decimalPlain('-0.01', 2)).toBe('-0.01');
    const d = col('total', 'decimal', { length: 12, scale: 2, nullable: false });
    expect(encodedValue(d, '129.00', { decimalHandlingMode: 'string' })).toBe('"129.00"');
    expect(schemaOf(d, { decimalHandlingMode: 'string' })).toBe(
      '{"type":"string","optional":false,"field":"total"}',
    );
    expect(encodedValue(d, '129.00', { decimalHandlingMode: 'double' })).toBe('129.0');
    expect(encodedValue(d, '19.99', { decimalHandlingMode: 'double' })).toBe('19.99');
    expect(schemaOf(d, { decimalHandlingMode: 'double' })).toBe(
      '{"type":"double","optional":false,"field":"total"}',
    );
    expect(schemaOf(d)).toBe(
      '{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"12"},"field":"total"}',
    );
    expect(encodedValue(d, '19.99')).toBe('"B88="');
  });
});

describe('integers', () => {
  it('maps every width to the documented Connect type', () => {
    const cases: Array<[string, boolean, string]> = [
      ['tinyint', false, 'int16'],
      ['tinyint', true, 'int16'],
      ['smallint', false, 'int16'],
      ['smallint', true, 'int32'],
      ['mediumint', false, 'int32'],
      ['mediumint', true, 'int32'],
      ['int', false, 'int32'],
      ['int', true, 'int64'],
      ['bigint', false, 'int64'],
      ['bigint', true, 'int64'],
    ];
    for (const [type, unsigned, connect] of cases) {
      expect(schemaOf(col('n', type, { unsigned }))).toBe(
        `{"type":"${connect}","optional":true,"field":"n"}`,
      );
    }
    // TINYINT(1) (how BOOLEAN reads back) stays int16
    expect(schemaOf(col('flag', 'tinyint', { columnType: 'tinyint(1)' }))).toBe(
      '{"type":"int16","optional":true,"field":"flag"}',
    );
  });

  it('writes int64 beyond 2^53 as exact digits', () => {
    expect(encodedValue(col('n', 'bigint'), '9223372036854775807')).toBe('9223372036854775807');
    expect(encodedValue(col('n', 'bigint'), '-9223372036854775808')).toBe('-9223372036854775808');
    expect(encodedValue(col('n', 'bigint'), 42)).toBe('42');
    expect(encodedValue(col('n', 'bigint'), '42')).toBe('42');
    expect(encodedValue(col('n', 'int', { unsigned: true }), 4294967295)).toBe('4294967295');
    expect(encodedValue(col('n', 'tinyint'), -128)).toBe('-128');
  });

  it('BIGINT UNSIGNED: long wraps above 2^63-1, precise is Decimal(20,0)', () => {
    const c = col('n', 'bigint', { unsigned: true });
    expect(encodedValue(c, '18446744073709551615')).toBe('-1');
    expect(encodedValue(c, '9223372036854775808')).toBe('-9223372036854775808');
    expect(encodedValue(c, '9223372036854775807')).toBe('9223372036854775807');
    expect(unsignedLongText(123)).toBe('123');
    expect(schemaOf(c, { bigintUnsignedHandlingMode: 'precise' })).toBe(
      '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"0","connect.decimal.precision":"20"},"field":"n"}',
    );
    // 2^64-1 = 0x00 FF×8 (a leading zero byte keeps it positive)
    expect(
      bytesOf(JSON.parse(encodedValue(c, '18446744073709551615', { bigintUnsignedHandlingMode: 'precise' }))),
    ).toEqual([0, 255, 255, 255, 255, 255, 255, 255, 255]);
    expect(encodedValue(c, 5, { bigintUnsignedHandlingMode: 'precise' })).toBe('"BQ=="');
  });
});

describe('floating point', () => {
  it('prints like Java (Jackson): shortest digits, .0, E notation outside [1e-3, 1e7)', () => {
    expect(javaDoubleText(0.1)).toBe('0.1');
    expect(javaDoubleText(1)).toBe('1.0');
    expect(javaDoubleText(-2.5)).toBe('-2.5');
    expect(javaDoubleText(1234567)).toBe('1234567.0');
    expect(javaDoubleText(1e7)).toBe('1.0E7');
    expect(javaDoubleText(12345678.9)).toBe('1.23456789E7');
    expect(javaDoubleText(0.001)).toBe('0.001');
    expect(javaDoubleText(0.0001)).toBe('1.0E-4');
    expect(javaDoubleText(1.5e-10)).toBe('1.5E-10');
    expect(javaDoubleText(0)).toBe('0.0');
    expect(javaDoubleText(1.7976931348623157e308)).toBe('1.7976931348623157E308');
    // one shortest digit is widened to the closest two-digit decimal, as JDK 19+ does
    expect(javaDoubleText(Number.MIN_VALUE)).toBe('4.9E-324');
    expect(javaDoubleText(1e23)).toBe('1.0E23');
    expect(javaDoubleText(100)).toBe('100.0');
    expect(javaFloatText(1.401298464324817e-45)).toBe('1.4E-45');
    expect(javaFloatText(3.4028234663852886e38)).toBe('3.4028235E38');
  });

  it('FLOAT is a float32: the binlog widened value prints as the float (3.1415927)', () => {
    expect(javaFloatText(3.1415927410125732)).toBe('3.1415927');
    expect(javaFloatText(0.10000000149011612)).toBe('0.1');
    expect(javaFloatText(1.5)).toBe('1.5');
    expect(javaFloatText(16777216)).toBe('1.6777216E7');
    const f = col('f', 'float');
    expect(schemaOf(f)).toBe('{"type":"float","optional":true,"field":"f"}');
    expect(encodedValue(f, 3.1415927410125732)).toBe('3.1415927');
    // FLOAT(M,D) maps to double
    const fd = col('f', 'float', { length: 10, scale: 3 });
    expect(schemaOf(fd)).toBe('{"type":"double","optional":true,"field":"f"}');
    expect(encodedValue(fd, 1234.5679931640625)).toBe('1234.5679931640625');
    expect(schemaOf(col('d', 'double'))).toBe('{"type":"double","optional":true,"field":"d"}');
  });
});

describe('temporal types', () => {
  it('DATETIME(0-3) → io.debezium.time.Timestamp epoch ms, as if UTC', () => {
    expect(datetimeToMillis('2018-06-20 06:37:03')).toBe(1529476623000);
    expect(datetimeToMillis('2024-06-03 10:16:01')).toBe(1717409761000);
    expect(datetimeToMillis('1970-01-01 00:00:00')).toBe(0);
    expect(datetimeToMillis('1969-12-31 23:59:59')).toBe(-1000);
    const c = col('at', 'datetime', { fsp: 3 });
    expect(encodedValue(c, '2018-06-20 06:37:03.120')).toBe('1529476623120');
    expect(schemaOf(c)).toBe(
      '{"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"field":"at"}',
    );
    expect(encodedValue(col('at', 'datetime', { fsp: 0 }), '2018-06-20 06:37:03')).toBe('1529476623000');
  });

  it('DATETIME(4-6) → MicroTimestamp epoch µs, exact beyond 2^53', () => {
    const c = col('at', 'datetime', { fsp: 6 });
    expect(schemaOf(c)).toBe(
      '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTimestamp","version":1,"field":"at"}',
    );
    expect(encodedValue(c, '2018-06-20 06:37:03.123456')).toBe('1529476623123456');
    expect(encodedValue(c, '1969-12-31 23:59:59.999999')).toBe('-1');
    // 9999-12-31 23:59:59.999999 = 253402300799 s → µs exceeds 2^53
    expect(datetimeToMicrosText('9999-12-31 23:59:59.999999')).toBe('253402300799999999');
    expect(datetimeToMicrosText('0001-01-01 00:00:00.000000')).toBe('-62135596800000000');
    expect(encodedValue(col('at', 'datetime', { fsp: 4 }), '2018-06-20 06:37:03.1234')).toBe(
      '1529476623123400',
    );
  });

  it('TIMESTAMP → ZonedTimestamp in UTC, fraction padded to fsp', () => {
    expect(timestampToIso('2024-06-03 10:20:00')).toBe('2024-06-03T10:20:00Z');
    const c0 = col('ts', 'timestamp', { fsp: 0 });
    expect(encodedValue(c0, '2024-06-03 10:20:00')).toBe('"2024-06-03T10:20:00Z"');
    expect(schemaOf(c0)).toBe(
      '{"type":"string","optional":true,"name":"io.debezium.time.ZonedTimestamp","version":1,"field":"ts"}',
    );
    expect(encodedValue(col('ts', 'timestamp', { fsp: 3 }), '2024-06-03 10:20:00.500')).toBe(
      '"2024-06-03T10:20:00.500Z"',
    );
    expect(encodedValue(col('ts', 'timestamp', { fsp: 6 }), '2024-06-03 10:20:00.000001')).toBe(
      '"2024-06-03T10:20:00.000001Z"',
    );
  });

  it('DATE → days since epoch', () => {
    expect(dateToDays('1970-01-01')).toBe(0);
    expect(dateToDays('2024-06-03')).toBe(19877);
    expect(dateToDays('1969-12-31')).toBe(-1);
    expect(dateToDays('0001-01-01')).toBe(-719162);
    // years below 100 are not 19xx: 0001-01-01 + 98×365 + 24 leap days + 59 days
    expect(dateToDays('0099-03-01')).toBe(-719162 + 98 * 365 + 24 + 59);
    const c = col('d', 'date');
    expect(schemaOf(c)).toBe(
      '{"type":"int32","optional":true,"name":"io.debezium.time.Date","version":1,"field":"d"}',
    );
    expect(encodedValue(c, '2024-06-04')).toBe('19878');
  });

  it('TIME → MicroTime µs, negative and beyond 24h', () => {
    expect(timeToMicros('12:34:56')).toBe(45296000000);
    expect(timeToMicros('12:34:56.000001')).toBe(45296000001);
    expect(timeToMicros('-838:59:59')).toBe(-3020399000000);
    expect(timeToMicros('838:59:59.000000')).toBe(3020399000000);
    expect(timeToMicros('-00:00:01.500000')).toBe(-1500000);
    // zongji's reading of -01:00:00 and -01:30:00 (|packed|-1 with seconds+1): repaired
    expect(timeToMicros('-00:63:64')).toBe(-3600 * 1e6);
    expect(timeToMicros('-01:29:64')).toBe(-5400 * 1e6);
    expect(timeToMicros('-00:00:64')).toBe(-60 * 1e6);
    const c = col('t', 'time', { fsp: 6 });
    expect(schemaOf(c)).toBe(
      '{"type":"int64","optional":true,"name":"io.debezium.time.MicroTime","version":1,"field":"t"}',
    );
    expect(encodedValue(c, '-838:59:59.000000')).toBe('-3020399000000');
  });

  it('YEAR → io.debezium.time.Year int32 (zongji reads YEAR 0000 as 1900)', () => {
    const c = col('y', 'year');
    expect(schemaOf(c)).toBe(
      '{"type":"int32","optional":true,"name":"io.debezium.time.Year","version":1,"field":"y"}',
    );
    expect(encodedValue(c, 2024)).toBe('2024');
    expect(encodedValue(c, 1900)).toBe('0');
    expect(encodedValue(c, 0)).toBe('0');
  });

  it('zero dates: null when nullable, epoch when NOT NULL', () => {
    expect(encodedValue(col('d', 'date'), '0000-00-00')).toBe('null');
    expect(encodedValue(col('d', 'date', { nullable: false }), '0000-00-00')).toBe('0');
    expect(encodedValue(col('d', 'datetime', { nullable: false }), '0000-00-00 00:00:00')).toBe('0');
    expect(
      encodedValue(col('d', 'datetime', { nullable: false, fsp: 6 }), '0000-00-00 00:00:00.000000'),
    ).toBe('0');
    expect(encodedValue(col('d', 'timestamp'), '0000-00-00 00:00:00')).toBe('null');
    expect(encodedValue(col('d', 'timestamp', { nullable: false }), '0000-00-00 00:00:00')).toBe(
      '"1970-01-01T00:00:00Z"',
    );
  });

  it('time.precision.mode=connect: Kafka Date/Time/Timestamp (µs truncated)', () => {
    const m = { timePrecisionMode: 'connect' as const };
    expect(schemaOf(col('d', 'date'), m)).toBe(
      '{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"d"}',
    );
    expect(schemaOf(col('t', 'time', { fsp: 6 }), m)).toBe(
      '{"type":"int32","optional":true,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"t"}',
    );
    expect(encodedValue(col('t', 'time', { fsp: 6 }), '12:34:56.789999', m)).toBe('45296789');
    const dt = col('at', 'datetime', { fsp: 6 });
    expect(schemaOf(dt, m)).toBe(
      '{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"at"}',
    );
    expect(encodedValue(dt, '2018-06-20 06:37:03.123456', m)).toBe('1529476623123');
    // TIMESTAMP stays a ZonedTimestamp
    expect(encodedValue(col('ts', 'timestamp'), '2024-06-03 10:20:00', m)).toBe('"2024-06-03T10:20:00Z"');
  });
});

describe('strings, enums, sets, JSON, BIT, binary', () => {
  it('text with emoji and quotes is escaped JSON', () => {
    expect(encodedValue(col('s', 'varchar'), 'h😀 "q" \\ \n ✓')).toBe(JSON.stringify('h😀 "q" \\ \n ✓'));
    expect(schemaOf(col('s', 'text'))).toBe('{"type":"string","optional":true,"field":"s"}');
  });

  it('control characters are escaped as Jackson does (upper-case \\u00XX, short forms for \\b\\t\\n\\f\\r)', () => {
    expect(jsonString('a\u0001b\u001fc')).toBe('"a\\u0001b\\u001Fc"');
    expect(jsonString('\b\t\n\f\r"\\')).toBe('"\\b\\t\\n\\f\\r\\"\\\\"');
    expect(jsonString('\\u00ab')).toBe('"\\\\u00ab"'); // a literal backslash-u is not an escape
    expect(jsonString('x\u001b\\u00ab')).toBe('"x\\u001B\\\\u00ab"');
    expect(encodedValue(col('s', 'varchar'), 'tab\there\u0000')).toBe('"tab\\there\\u0000"');
  });

  it('ENUM / SET carry the allowed values', () => {
    const e = col('status', 'enum', { enumValues: ['pending', 'paid', 'shipped', 'cancelled'] });
    expect(schemaOf(e)).toBe(
      '{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"pending,paid,shipped,cancelled"},"field":"status"}',
    );
    expect(encodedValue(e, 'paid')).toBe('"paid"');
    const s = col('tags', 'set', { enumValues: ['a', 'b', 'c'] });
    expect(schemaOf(s)).toBe(
      '{"type":"string","optional":true,"name":"io.debezium.data.EnumSet","version":1,"parameters":{"allowed":"a,b,c"},"field":"tags"}',
    );
    expect(encodedValue(s, 'a,c')).toBe('"a,c"');
    expect(encodedValue(s, '')).toBe('""');
    expect(parseEnumValues("enum('a','it''s','x,y')")).toEqual(['a', "it's", 'x,y']);
  });

  it('an invalid ENUM (index 0) reads as "" from both origins', () => {
    const e = col('e', 'enum', { enumValues: ['a'] });
    const enc = createTableEncoder(table([e], []), opts({ valueSchemasEnable: false }));
    expect(enc.rowPayload({ e: '' }, 'snapshot')).toBe('{"e":""}');
    expect(enc.rowPayload({ e: undefined }, 'binlog')).toBe('{"e":""}');
    expect(enc.rowPayload({}, 'binlog')).toBe('{"e":null}');
  });

  it('JSON columns: io.debezium.data.Json string when the definition says json, plain string for MariaDB LONGTEXT', () => {
    expect(schemaOf(col('meta', 'json'))).toBe(
      '{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"meta"}',
    );
    expect(encodedValue(col('meta', 'json'), '{"items":2,"coupon":null,"source":"app"}')).toBe(
      '"{\\"items\\":2,\\"coupon\\":null,\\"source\\":\\"app\\"}"',
    );
    expect(schemaOf(col('meta', 'longtext'))).toBe('{"type":"string","optional":true,"field":"meta"}');
  });

  it('BIT(1) is boolean; BIT(n) is little-endian Bits padded to the width', () => {
    expect(schemaOf(col('b', 'bit', { length: 1 }))).toBe('{"type":"boolean","optional":true,"field":"b"}');
    expect(encodedValue(col('b', 'bit', { length: 1 }), Buffer.from([1]))).toBe('true');
    expect(encodedValue(col('b', 'bit', { length: 1 }), Buffer.from([0]))).toBe('false');
    const b10 = col('b', 'bit', { length: 10 });
    expect(schemaOf(b10)).toBe(
      '{"type":"bytes","optional":true,"name":"io.debezium.data.Bits","version":1,"parameters":{"length":"10"},"field":"b"}',
    );
    // b'1000000001' = 0x0201 big-endian from the server → 01 02
    expect(bytesOf(JSON.parse(encodedValue(b10, Buffer.from([0x02, 0x01]))))).toEqual([0x01, 0x02]);
    expect(bytesOf(JSON.parse(encodedValue(col('b', 'bit', { length: 16 }), Buffer.from([0x05]))))).toEqual([
      0x05, 0x00,
    ]);
  });

  it('binary.handling.mode: bytes (base64 bytes), base64, base64-url-safe (padded), hex', () => {
    const b = col('b', 'blob');
    const v = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0xfb, 0xff]);
    expect(schemaOf(b)).toBe('{"type":"bytes","optional":true,"field":"b"}');
    expect(encodedValue(b, Buffer.from([0xde, 0xad, 0xbe, 0xef]))).toBe('"3q2+7w=="');
    expect(schemaOf(b, { binaryHandlingMode: 'base64' })).toBe(
      '{"type":"string","optional":true,"field":"b"}',
    );
    expect(encodedValue(b, v, { binaryHandlingMode: 'base64' })).toBe('"3q2+7/v/"');
    expect(encodedValue(b, v, { binaryHandlingMode: 'base64-url-safe' })).toBe('"3q2-7_v_"');
    expect(
      encodedValue(b, Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binaryHandlingMode: 'base64-url-safe' }),
    ).toBe('"3q2-7w=="');
    expect(encodedValue(b, v, { binaryHandlingMode: 'hex' })).toBe('"deadbeeffbff"');
    for (const t of ['binary', 'varbinary', 'tinyblob', 'mediumblob', 'longblob']) {
      expect(schemaOf(col('b', t))).toBe('{"type":"bytes","optional":true,"field":"b"}');
    }
  });

  it('rejects a type it cannot encode, naming the column', () => {
    // VECTOR (MariaDB 11.7+, MySQL 9) has no mapping here.
    expect(() => createTableEncoder(table([col('v', 'vector')], []), opts())).toThrow(
      /column v has type vector/,
    );
    expect(isEncodableType('vector')).toBe(false);
    for (const t of ['point', 'geometry', 'geometrycollection', 'multipolygon', 'uuid', 'inet6'])
      expect(isEncodableType(t)).toBe(true);
  });
});

describe('defaults', () => {
  it('renders DDL defaults in the schema and replaces NULLs with them', () => {
    const c = col('status', 'enum', {
      enumValues: ['pending', 'paid'],
      nullable: true,
      defaultValue: "'pending'",
    });
    expect(schemaOf(c)).toBe(
      '{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"pending,paid"},"default":"pending","field":"status"}',
    );
    expect(encodedValue(c, null)).toBe('"pending"');
    expect(encodedValue(c, 'paid')).toBe('"paid"');
    expect(schemaOf(col('n', 'int', { defaultValue: '1' }))).toBe(
      '{"type":"int32","optional":true,"default":1,"field":"n"}',
    );
    expect(schemaOf(col('n', 'bigint', { defaultValue: '9223372036854775807' }))).toBe(
      '{"type":"int64","optional":true,"default":9223372036854775807,"field":"n"}',
    );
    expect(schemaOf(col('s', 'varchar', { defaultValue: "'it''s'" }))).toBe(
      '{"type":"string","optional":true,"default":"it\'s","field":"s"}',
    );
    expect(schemaOf(col('d', 'decimal', { length: 10, scale: 2, defaultValue: '1.99' }))).toContain(
      '"default":"AMc=","field":"d"',
    );
    expect(schemaOf(col('b', 'bit', { length: 1, defaultValue: "b'1'" }))).toBe(
      '{"type":"boolean","optional":true,"default":true,"field":"b"}',
    );
    expect(schemaOf(col('d', 'date', { defaultValue: "'2024-06-04'" }))).toContain('"default":19878,');
  });

  it('no default for NULL, none, expressions; CURRENT_TIMESTAMP on NOT NULL is the epoch', () => {
    expect(schemaOf(col('n', 'int', { defaultValue: 'NULL' }))).toBe(
      '{"type":"int32","optional":true,"field":"n"}',
    );
    expect(schemaOf(col('n', 'int', { defaultValue: null }))).toBe(
      '{"type":"int32","optional":true,"field":"n"}',
    );
    expect(schemaOf(col('n', 'int'))).toBe('{"type":"int32","optional":true,"field":"n"}');
    expect(schemaOf(col('u', 'varchar', { defaultValue: 'uuid()' }))).toBe(
      '{"type":"string","optional":true,"field":"u"}',
    );
    expect(schemaOf(col('ts', 'timestamp', { nullable: false, defaultValue: 'current_timestamp()' }))).toBe(
      '{"type":"string","optional":false,"name":"io.debezium.time.ZonedTimestamp","version":1,"default":"1970-01-01T00:00:00Z","field":"ts"}',
    );
    expect(
      schemaOf(col('ts', 'timestamp', { nullable: false, fsp: 3, defaultValue: 'current_timestamp(3)' })),
    ).toContain('"default":"1970-01-01T00:00:00.000Z"');
    expect(
      schemaOf(col('at', 'datetime', { nullable: false, defaultValue: 'current_timestamp()' })),
    ).toContain('"default":0,');
    expect(
      schemaOf(col('ts', 'timestamp', { nullable: true, defaultValue: 'current_timestamp()' })),
    ).not.toContain('default');
  });
});

// A complete example: orders streamed with GTIDs, precise decimals, transaction metadata.
const orders = table(
  [
    col('id', 'bigint', { nullable: false }),
    col('user_id', 'bigint', { nullable: false }),
    col('status', 'enum', {
      nullable: false,
      enumValues: ['pending', 'paid', 'shipped', 'cancelled'],
      defaultValue: "'pending'",
    }),
    col('total', 'decimal', { nullable: false, length: 12, scale: 2 }),
    col('placed_at', 'datetime', { nullable: false, fsp: 0 }),
    col('meta', 'json'),
  ],
  ['id'],
  'orders',
);
const streamed: SourceInfo = {
  tsMs: 1717409762038,
  snapshot: 'false',
  db: 'shop',
  table: 'orders',
  serverId: 223344,
  gtid: '3e11fa47-71ca-11e1-9e33-c80aa9429562:43',
  file: 'mysql-bin.000003',
  pos: 2731,
  row: 0,
  thread: 87,
  query: null,
};
const orderRow = {
  id: 5002,
  user_id: 44,
  status: 'pending',
  total: '85.48',
  placed_at: '2024-06-03 10:16:01',
  meta: '{"items":2,"coupon":null,"source":"app"}',
};

const valueStruct = (field: string) =>
  `{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"user_id"},{"type":"string","optional":false,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"pending,paid,shipped,cancelled"},"default":"pending","field":"status"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"12"},"field":"total"},{"type":"int64","optional":false,"name":"io.debezium.time.Timestamp","version":1,"field":"placed_at"},{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"meta"}],"optional":true,"name":"ecommerce.shop.orders.Value","field":"${field}"}`;
const sourceSchema = (connector: string) =>
  `{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":true,"field":"table"},{"type":"int64","optional":false,"field":"server_id"},{"type":"string","optional":true,"field":"gtid"},{"type":"string","optional":false,"field":"file"},{"type":"int64","optional":false,"field":"pos"},{"type":"int32","optional":false,"field":"row"},{"type":"int64","optional":true,"field":"thread"},{"type":"string","optional":true,"field":"query"}],"optional":false,"name":"io.debezium.connector.${connector}.Source","version":1`;
const envelopeSchema =
  `{"type":"struct","fields":[${valueStruct('before')},${valueStruct('after')},${sourceSchema('mysql')},"field":"source"},` +
  '{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},' +
  '{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}],' +
  '"optional":false,"name":"ecommerce.shop.orders.Envelope","version":2}';
const examplePayload =
  '{"before":null,"after":{"id":5002,"user_id":44,"status":"pending","total":"IWQ=","placed_at":1717409761000,"meta":"{\\"items\\":2,\\"coupon\\":null,\\"source\\":\\"app\\"}"},' +
  '"source":{"version":"3.4.0.Final","connector":"mysql","name":"ecommerce","ts_ms":1717409762038,"snapshot":"false","db":"shop","sequence":null,"ts_us":1717409762038000,"ts_ns":1717409762038000000,"table":"orders","server_id":223344,"gtid":"3e11fa47-71ca-11e1-9e33-c80aa9429562:43","file":"mysql-bin.000003","pos":2731,"row":0,"thread":87,"query":null},' +
  '"transaction":{"id":"3e11fa47-71ca-11e1-9e33-c80aa9429562:43","total_order":1,"data_collection_order":1},' +
  '"op":"c","ts_ms":1717409762201,"ts_us":1717409762201000,"ts_ns":1717409762201000000}';

describe('envelope and key', () => {
  const tx = { id: '3e11fa47-71ca-11e1-9e33-c80aa9429562:43', totalOrder: 1, dataCollectionOrder: 1 };

  it('reproduces the reference example exactly (schemas on)', () => {
    const enc = createTableEncoder(orders, opts());
    expect(enc.topic).toBe('ecommerce.shop.orders');
    const value = encodedText(enc.change('c', null, orderRow, 'binlog', streamed, tx, 1717409762201));
    expect(value).toBe(`{"schema":${envelopeSchema},"payload":${examplePayload}}`);
    expect(enc.key(orderRow, 'binlog')).toBe(
      '{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":false,"name":"ecommerce.shop.orders.Key"},"payload":{"id":5002}}',
    );
  });

  it('schemas.enable=false: bare payloads, key and value independently', () => {
    const enc = createTableEncoder(orders, opts({ keySchemasEnable: false, valueSchemasEnable: false }));
    expect(encodedText(enc.change('c', null, orderRow, 'binlog', streamed, tx, 1717409762201))).toBe(
      examplePayload,
    );
    expect(enc.key(orderRow, 'binlog')).toBe('{"id":5002}');
    const mixed = createTableEncoder(orders, opts({ keySchemasEnable: false, valueSchemasEnable: true }));
    expect(mixed.key(orderRow, 'binlog')).toBe('{"id":5002}');
    expect(
      encodedText(mixed.change('c', null, orderRow, 'binlog', streamed, tx, 1717409762201)).startsWith(
        '{"schema":',
      ),
    ).toBe(true);
  });

  it('u carries both images, d only before; r is a snapshot read without transaction', () => {
    const enc = createTableEncoder(orders, opts({ valueSchemasEnable: false }));
    const paid = { ...orderRow, status: 'paid' };
    const u = JSON.parse(encodedText(enc.change('u', orderRow, paid, 'binlog', streamed, tx, 1)));
    expect([u.before.status, u.after.status, u.op]).toEqual(['pending', 'paid', 'u']);
    const d = JSON.parse(encodedText(enc.change('d', paid, null, 'binlog', streamed, tx, 1)));
    expect([d.before.status, d.after, d.op]).toEqual(['paid', null, 'd']);
    const snap: SourceInfo = {
      ...streamed,
      snapshot: 'first',
      serverId: 0,
      gtid: null,
      thread: null,
      tsMs: 1717409000000,
    };
    const r = encodedText(enc.change('r', null, orderRow, 'snapshot', snap, null, 1717409762201));
    expect(r).toContain('"snapshot":"first"');
    expect(r).toContain('"server_id":0,"gtid":null');
    expect(r).toContain('"transaction":null,"op":"r"');
  });

  it('composite primary key in key order; no key → Kafka-null key; tombstone keeps the key', () => {
    const items = table(
      [
        col('product_id', 'int', { nullable: false }),
        col('order_id', 'bigint', { nullable: false }),
        col('qty', 'int'),
      ],
      ['order_id', 'product_id'],
      'order_items',
    );
    const enc = createTableEncoder(items, opts());
    const key = enc.key({ order_id: 5002, product_id: 3, qty: 1 }, 'snapshot');
    expect(key).toBe(
      '{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"order_id"},{"type":"int32","optional":false,"field":"product_id"}],"optional":false,"name":"ecommerce.shop.order_items.Key"},"payload":{"order_id":5002,"product_id":3}}',
    );
    const nokey = createTableEncoder(table([col('note', 'varchar')], [], 'log'), opts());
    expect(nokey.key({ note: 'x' }, 'snapshot')).toBeNull();
    expect(nokey.schemas.key).toBeNull();
    expect(tombstone(enc.topic, key)).toEqual({ topic: 'ecommerce.shop.order_items', key, value: null });
  });

  it('MariaDB names the Source schema io.debezium.connector.mariadb', () => {
    const enc = createTableEncoder(orders, opts({ connectorName: 'mariadb' }));
    expect(enc.schemas.envelope).toContain(`${sourceSchema('mariadb')},"field":"source"}`);
    expect(encodedText(enc.change('c', null, orderRow, 'binlog', streamed, null, 1))).toContain(
      '"connector":"mariadb"',
    );
  });
});

describe('schema changes, transactions, heartbeats', () => {
  it('schema change: key {databaseName}, value with source, ddl and the table structure', () => {
    const o = opts({ connectorName: 'mariadb', keySchemasEnable: false, valueSchemasEnable: false });
    const m = schemaChangeMessage(o, {
      db: 'shop',
      ddl: 'ALTER TABLE orders ADD COLUMN note VARCHAR(20)',
      tableChanges: [
        { type: 'ALTER', db: 'shop', table: 'orders', def: { ...orders, defaultCharset: 'utf8mb4' } },
      ],
      source: { ...streamed, gtid: '0-1-42', thread: null },
      nowMs: 1717409762300,
    });
    expect(m.topic).toBe('ecommerce');
    expect(m.key).toBe('{"databaseName":"shop"}');
    const v = JSON.parse(m.value as string);
    expect(Object.keys(v)).toEqual(['source', 'ts_ms', 'databaseName', 'schemaName', 'ddl', 'tableChanges']);
    expect(v.source.connector).toBe('mariadb');
    expect(v.schemaName).toBeNull();
    expect(v.tableChanges[0].type).toBe('ALTER');
    expect(v.tableChanges[0].id).toBe('"shop"."orders"');
    expect(v.tableChanges[0].table.primaryKeyColumnNames).toEqual(['id']);
    expect(v.tableChanges[0].table.defaultCharsetName).toBe('utf8mb4');
    const [id, , status, total] = v.tableChanges[0].table.columns;
    expect(Object.keys(id)).toEqual([
      'name',
      'jdbcType',
      'nativeType',
      'typeName',
      'typeExpression',
      'charsetName',
      'length',
      'scale',
      'position',
      'optional',
      'autoIncremented',
      'generated',
      'comment',
      'defaultValueExpression',
      'enumValues',
    ]);
    expect([id.jdbcType, id.typeName, id.position, id.optional]).toEqual([-5, 'BIGINT', 1, false]);
    expect([status.jdbcType, status.defaultValueExpression, status.enumValues]).toEqual([
      1,
      'pending',
      ["'pending'", "'paid'", "'shipped'", "'cancelled'"],
    ]);
    expect([total.jdbcType, total.length, total.scale]).toEqual([3, 12, 2]);

    const withSchemas = schemaChangeMessage(opts({ connectorName: 'mariadb' }), {
      db: 'shop',
      ddl: 'DROP TABLE orders',
      tableChanges: [{ type: 'DROP', db: 'shop', table: 'orders' }],
      source: streamed,
      nowMs: 1,
    });
    const k = JSON.parse(withSchemas.key as string);
    expect(k.schema.name).toBe('io.debezium.connector.mariadb.SchemaChangeKey');
    const sv = JSON.parse(withSchemas.value as string);
    expect(sv.schema.name).toBe('io.debezium.connector.mariadb.SchemaChangeValue');
    expect(sv.schema.fields.map((f: { field: string }) => f.field)).toEqual([
      'source',
      'ts_ms',
      'databaseName',
      'schemaName',
      'ddl',
      'tableChanges',
    ]);
    expect(sv.payload.tableChanges[0].table.columns).toEqual([]);
  });

  it('transaction BEGIN/END match the documented records', () => {
    const o = opts({ keySchemasEnable: false, valueSchemasEnable: false });
    const id = '3e11fa47-71ca-11e1-9e33-c80aa9429562:43';
    const begin = transactionMessage(o, {
      status: 'BEGIN',
      id,
      eventCount: null,
      dataCollections: null,
      tsMs: 1717409762038,
    });
    expect(begin.topic).toBe('ecommerce.transaction');
    expect(begin.key).toBe(`{"id":"${id}"}`);
    expect(begin.value).toBe(
      `{"status":"BEGIN","id":"${id}","event_count":null,"data_collections":null,"ts_ms":1717409762038}`,
    );
    const end = transactionMessage(o, {
      status: 'END',
      id,
      eventCount: 5,
      dataCollections: [
        { dataCollection: 'shop.order_items', eventCount: 2 },
        { dataCollection: 'shop.inventory', eventCount: 2 },
        { dataCollection: 'shop.orders', eventCount: 1 },
      ],
      tsMs: 1717409762038,
    });
    expect(end.value).toBe(
      `{"status":"END","id":"${id}","event_count":5,"data_collections":[{"data_collection":"shop.order_items","event_count":2},{"data_collection":"shop.inventory","event_count":2},{"data_collection":"shop.orders","event_count":1}],"ts_ms":1717409762038}`,
    );
    const withSchema = JSON.parse(
      transactionMessage(opts(), { status: 'BEGIN', id, eventCount: null, dataCollections: null, tsMs: 1 })
        .value as string,
    );
    expect(withSchema.schema.name).toBe('io.debezium.connector.common.TransactionMetadataValue');
  });

  it('heartbeat: topic, {serverName} key, {ts_ms} value', () => {
    const m = heartbeatMessage(opts({ keySchemasEnable: false, valueSchemasEnable: false }), 1717409762038);
    expect(m).toEqual({
      topic: '__debezium-heartbeat.ecommerce',
      key: '{"serverName":"ecommerce"}',
      value: '{"ts_ms":1717409762038}',
    });
    const s = heartbeatMessage(opts(), 5);
    expect(s.key).toBe(
      '{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"serverName"}],"optional":false,"name":"io.debezium.connector.common.ServerNameKey","version":1},"payload":{"serverName":"ecommerce"}}',
    );
    expect(s.value).toBe(
      '{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1},"payload":{"ts_ms":5}}',
    );
  });
});

describe('spatial types (Debezium Geometry and Point structs)', () => {
  /** The field schema of a one-column table, re-printed in its own key order (structs nest). */
  const structSchemaOf = (c: ColumnDef, over: Partial<EncoderOptions> = {}) =>
    JSON.stringify(JSON.parse(createTableEncoder(table([c], []), opts(over)).schemas.value).fields[0]);
  /** The server's spatial bytes: SRID (4 bytes LE), then WKB (here a 2D point, little-endian). */
  const stored = (srid: number, x: number, y: number) => {
    const b = Buffer.alloc(25);
    b.writeUInt32LE(srid, 0);
    b[4] = 1;
    b.writeUInt32LE(1, 5);
    b.writeDoubleLE(x, 9);
    b.writeDoubleLE(y, 17);
    return b;
  };

  it('Point: x, y, wkb, srid in the builder order; srid 0 → null; optional as the column', () => {
    expect(structSchemaOf(col('loc', 'point', { nullable: false }))).toBe(
      '{"type":"struct","fields":[{"type":"double","optional":false,"field":"x"},{"type":"double","optional":false,"field":"y"},{"type":"bytes","optional":true,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}],"optional":false,"name":"io.debezium.data.geometry.Point","version":1,"doc":"Geometry (POINT)","field":"loc"}',
    );
    const wkb = stored(0, 1, -2.5).subarray(4).toString('base64');
    expect(encodedValue(col('loc', 'point'), stored(0, 1, -2.5))).toBe(
      `{"x":1.0,"y":-2.5,"wkb":"${wkb}","srid":null}`,
    );
    expect(encodedValue(col('loc', 'point'), stored(4326, 0, 0))).toMatch(/"srid":4326}$/);
  });

  it('Geometry: optional even for NOT NULL (its builder is); the WKB stays bytes whatever binary.handling.mode', () => {
    expect(structSchemaOf(col('g', 'linestring', { nullable: false }), { binaryHandlingMode: 'hex' })).toBe(
      '{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}],"optional":true,"name":"io.debezium.data.geometry.Geometry","version":1,"doc":"Geometry","field":"g"}',
    );
    const v = stored(3857, 3, 4);
    expect(encodedValue(col('g', 'geometry'), v, { binaryHandlingMode: 'hex' })).toBe(
      `{"wkb":"${v.subarray(4).toString('base64')}","srid":3857}`,
    );
  });

  it('refuses a POINT value that is not a 2D point, and spatial values that are not bytes', () => {
    const line = Buffer.concat([Buffer.alloc(4), Buffer.from('010200000000000000', 'hex')]);
    expect(() => encodedValue(col('p', 'point'), line)).toThrow(/column p: the value is not a 2D WKB point/);
    expect(() => encodedValue(col('g', 'geometry'), { x: 1, y: 2 })).toThrow(/must arrive as bytes/);
  });

  it('a value filter leaves columns out of the value, never out of the key', () => {
    const t = table(
      [col('id', 'int', { nullable: false }), col('loc', 'point'), col('n', 'varchar')],
      ['id'],
    );
    const enc = createTableEncoder(
      t,
      opts({ valueSchemasEnable: false }),
      (c) => c.name !== 'loc' && c.name !== 'id',
    );
    expect(enc.rowPayload({ id: 1, loc: stored(0, 1, 2), n: 'x' }, 'binlog')).toBe('{"n":"x"}');
    expect(enc.key({ id: 1 }, 'binlog')).toBe(
      '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"ecommerce.shop.t.Key"},"payload":{"id":1}}',
    );
    expect(enc.schemas.value).not.toMatch(/"field":"loc"/);
  });
});
