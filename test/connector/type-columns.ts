import type { Json, JsonObject } from './support.ts';

/**
 * Every column type of Debezium's MySQL/MariaDB data type mappings, with the SQL literals of
 * three rows (R1 full values, R2 NULLs and defaults, R3 other edges) and what the connector must
 * send for each, worked out by hand from Debezium's documentation. Shared by the connector's
 * type test (test/connector/types.test.ts), which checks cdc/connector against these values,
 * and the interop test (test/interop/debezium.test.ts), which captures the same rows with real
 * Debezium beside it.
 */

export type Mode = 'default' | 'alt';
export interface Col {
  name: string;
  ddl: string;
  /** Expected schema entry (without `field`), per mode. */
  schema: (mode: Mode) => JsonObject;
  /** SQL literal per row (R1 full values, R2 NULLs/defaults, R3 other edges). */
  sql: [string, string, string];
  /** Expected payload value per row, per mode. */
  value: (row: 0 | 1 | 2, mode: Mode) => Json;
  /**
   * What cdc/consumer's decodeRecord makes of it (docs/consumer.md, "Logical types → JS values"),
   * worked out from the inserted SQL literal. Absent: the JSON value is already the JS value
   * (numbers, BigInt beyond 2^53, strings, booleans).
   */
  decoded?: (row: 0 | 1 | 2, mode: Mode) => unknown;
}

export const named = (type: string, name: string, optional = true, parameters?: Record<string, string>) => ({
  type,
  optional,
  name,
  version: 1,
  ...(parameters ? { parameters } : {}),
});
export const plain = (type: string, optional = true) => ({ type, optional });
const same =
  <T extends Json | Buffer | string[]>(...v: [T, T, T]) =>
  (row: 0 | 1 | 2) =>
    v[row]!;
export const utc = (...a: [number, number, number, number?, number?, number?, number?]) =>
  Date.UTC(a[0], a[1] - 1, a[2], a[3] ?? 0, a[4] ?? 0, a[5] ?? 0, a[6] ?? 0);
export const DAY = 86_400_000;

const decimalSchema = (p: number, s: number) =>
  named('bytes', 'org.apache.kafka.connect.data.Decimal', true, {
    scale: String(s),
    'connect.decimal.precision': String(p),
  });

/**
 * Debezium's precise decimals by the letter: the unscaled integer as big-endian two's complement in the fewest bytes
 * (Java BigInteger.toByteArray), base64. Written from Debezium's documentation, not from the connector.
 */
function twosComplementBase64(unscaled: bigint): string {
  let bytes = 1;
  while (unscaled < -(1n << BigInt(8 * bytes - 1)) || unscaled >= 1n << BigInt(8 * bytes - 1)) bytes++;
  const wrapped = unscaled < 0n ? (1n << BigInt(8 * bytes)) + unscaled : unscaled;
  return Buffer.from(wrapped.toString(16).padStart(bytes * 2, '0'), 'hex').toString('base64');
}

/** A BIT(n) literal as Debezium's Bits bytes: little-endian, ceil(n/8) bytes (see c_bit10). */
function bitsLittleEndian(literal: string, n: number): Buffer {
  let v = BigInt(`0b${literal}`);
  const out = Buffer.alloc(Math.ceil(n / 8));
  for (let i = 0; i < out.length; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}
const hex = (h: string) => Buffer.from(h, 'hex');

const connectTimestamp = named('int64', 'org.apache.kafka.connect.data.Timestamp');
const connectTime = named('int32', 'org.apache.kafka.connect.data.Time');

/**
 * OGC Well-Known Binary, little-endian, written from the Simple Features specification (not
 * from the connector): byte order 1, a uint32 type (1 point … 7 collection), then the body.
 */
type Xy = [number, number];
const wkb = {
  head: (type: number) => {
    const b = Buffer.alloc(5);
    b[0] = 1;
    b.writeUInt32LE(type, 1);
    return b;
  },
  count: (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  },
  xy: (...points: Xy[]) =>
    Buffer.concat(
      points.map(([x, y]) => {
        const b = Buffer.alloc(16);
        b.writeDoubleLE(x, 0);
        b.writeDoubleLE(y, 8);
        return b;
      }),
    ),
  point: (p: Xy) => Buffer.concat([wkb.head(1), wkb.xy(p)]),
  line: (...ps: Xy[]) => Buffer.concat([wkb.head(2), wkb.count(ps.length), wkb.xy(...ps)]),
  polygon: (...rings: Xy[][]) =>
    Buffer.concat([
      wkb.head(3),
      wkb.count(rings.length),
      ...rings.map((r) => Buffer.concat([wkb.count(r.length), wkb.xy(...r)])),
    ]),
  multi: (type: 4 | 5 | 6 | 7, ...parts: Buffer[]) =>
    Buffer.concat([wkb.head(type), wkb.count(parts.length), ...parts]),
};

/**
 * Debezium's spatial structs (io.debezium.data.geometry.Geometry and .Point, version 1, fields in
 * their builders' order). Geometry.builder() is optional() itself, so a NOT NULL GEOMETRY column
 * still has an optional field; Point follows the column. The payload: wkb base64, srid null when 0.
 */
const geometrySchema = () => ({
  type: 'struct',
  fields: [
    { type: 'bytes', optional: false, field: 'wkb' },
    { type: 'int32', optional: true, field: 'srid' },
  ],
  optional: true,
  name: 'io.debezium.data.geometry.Geometry',
  version: 1,
  doc: 'Geometry',
});
const pointSchema = (optional: boolean) => ({
  type: 'struct',
  fields: [
    { type: 'double', optional: false, field: 'x' },
    { type: 'double', optional: false, field: 'y' },
    { type: 'bytes', optional: true, field: 'wkb' },
    { type: 'int32', optional: true, field: 'srid' },
  ],
  optional,
  name: 'io.debezium.data.geometry.Point',
  version: 1,
  doc: 'Geometry (POINT)',
});
type Spatial = { wkb: Buffer; srid: number | null; xy?: Xy } | null;
const geometryValue = (g: Spatial): Json =>
  g === null ? null : { wkb: g.wkb.toString('base64'), srid: g.srid };
const pointValue = (g: Spatial): Json =>
  g === null ? null : { x: g.xy![0], y: g.xy![1], wkb: g.wkb.toString('base64'), srid: g.srid };
const geometryDecoded = (g: Spatial) => (g === null ? null : { wkb: g.wkb, srid: g.srid });
const pointDecoded = (g: Spatial) =>
  g === null ? null : { x: g.xy![0], y: g.xy![1], wkb: g.wkb, srid: g.srid };

function spatialColumns(): Col[] {
  const geo = (text: string, srid?: number) =>
    `ST_GeomFromText('${text}'${srid === undefined ? '' : `, ${srid}`})`;
  const pt = (xy: Xy, srid: number | null = null): Spatial => ({ wkb: wkb.point(xy), srid, xy });
  const g = (b: Buffer, srid: number | null = null): Spatial => ({ wkb: b, srid });
  const square: Xy[] = [
    [0, 0],
    [10, 0],
    [10, 10],
    [0, 10],
    [0, 0],
  ];
  const hole: Xy[] = [
    [2, 2],
    [3, 2],
    [3, 3],
    [2, 2],
  ];
  const tri: Xy[] = [
    [0, 0],
    [1, 0],
    [1, 1],
    [0, 0],
  ];
  const tri5: Xy[] = [
    [5, 5],
    [6, 5],
    [6, 6],
    [5, 5],
  ];
  const spec = (
    name: string,
    ddl: string,
    kind: 'point' | 'geometry',
    rows: [[string, Spatial], [string, Spatial], [string, Spatial]],
    optional = true,
  ): Col => ({
    name,
    ddl,
    schema: () => (kind === 'point' ? pointSchema(optional) : geometrySchema()),
    sql: [rows[0][0], rows[1][0], rows[2][0]],
    value: (row) => (kind === 'point' ? pointValue : geometryValue)(rows[row][1]),
    decoded: (row) => (kind === 'point' ? pointDecoded : geometryDecoded)(rows[row][1]),
  });
  return [
    spec('c_point', 'POINT NULL', 'point', [
      [geo('POINT(1.5 -2)'), pt([1.5, -2])],
      ['NULL', null],
      [geo('POINT(13.4 52.52)', 4326), pt([13.4, 52.52], 4326)],
    ]),
    spec(
      'c_point_nn',
      'POINT NOT NULL',
      'point',
      [
        [geo('POINT(0 0)'), pt([0, 0])],
        [geo('POINT(-180 90)', 4326), pt([-180, 90], 4326)],
        [geo('POINT(0.1 1e10)'), pt([0.1, 1e10])],
      ],
      false,
    ),
    spec('c_geometry', 'GEOMETRY NULL', 'geometry', [
      // A point in a GEOMETRY column is a Geometry, not a Point: the column type decides.
      [geo('POINT(3 4)'), g(wkb.point([3, 4]))],
      ['NULL', null],
      [geo('POLYGON((0 0,1 0,1 1,0 0))', 3857), g(wkb.polygon(tri), 3857)],
    ]),
    spec('c_geometry_nn', 'GEOMETRY NOT NULL', 'geometry', [
      [geo('LINESTRING(0 0,1 1)'), g(wkb.line([0, 0], [1, 1]))],
      [geo('POINT(1 1)', 4326), g(wkb.point([1, 1]), 4326)],
      [geo('MULTIPOINT(1 1,2 2)'), g(wkb.multi(4, wkb.point([1, 1]), wkb.point([2, 2])))],
    ]),
    spec('c_linestring', 'LINESTRING NULL', 'geometry', [
      [geo('LINESTRING(0 0,1 1,2 0.5)'), g(wkb.line([0, 0], [1, 1], [2, 0.5]))],
      ['NULL', null],
      [geo('LINESTRING(-1 -1,1 1)', 4326), g(wkb.line([-1, -1], [1, 1]), 4326)],
    ]),
    spec('c_polygon', 'POLYGON NULL', 'geometry', [
      [geo('POLYGON((0 0,10 0,10 10,0 10,0 0),(2 2,3 2,3 3,2 2))'), g(wkb.polygon(square, hole))],
      ['NULL', null],
      [geo('POLYGON((0 0,1 0,1 1,0 0))', 4326), g(wkb.polygon(tri), 4326)],
    ]),
    spec('c_multipoint', 'MULTIPOINT NULL', 'geometry', [
      [geo('MULTIPOINT(1 1,2 2)'), g(wkb.multi(4, wkb.point([1, 1]), wkb.point([2, 2])))],
      ['NULL', null],
      [geo('MULTIPOINT(0 0)', 4326), g(wkb.multi(4, wkb.point([0, 0])), 4326)],
    ]),
    spec('c_multilinestring', 'MULTILINESTRING NULL', 'geometry', [
      [
        geo('MULTILINESTRING((0 0,1 1),(2 2,3 3))'),
        g(wkb.multi(5, wkb.line([0, 0], [1, 1]), wkb.line([2, 2], [3, 3]))),
      ],
      ['NULL', null],
      [geo('MULTILINESTRING((0 0,1 1))', 4326), g(wkb.multi(5, wkb.line([0, 0], [1, 1])), 4326)],
    ]),
    spec('c_multipolygon', 'MULTIPOLYGON NULL', 'geometry', [
      [
        geo('MULTIPOLYGON(((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5)))'),
        g(wkb.multi(6, wkb.polygon(tri), wkb.polygon(tri5))),
      ],
      ['NULL', null],
      [geo('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))', 4326), g(wkb.multi(6, wkb.polygon(tri)), 4326)],
    ]),
    spec('c_geomcollection', 'GEOMETRYCOLLECTION NULL', 'geometry', [
      [
        geo('GEOMETRYCOLLECTION(POINT(1 1),LINESTRING(0 0,1 1))'),
        g(wkb.multi(7, wkb.point([1, 1]), wkb.line([0, 0], [1, 1]))),
      ],
      ['NULL', null],
      // Debezium's own stand-in for an empty collection is this very WKB (01 07000000 00000000).
      [geo('GEOMETRYCOLLECTION EMPTY'), g(wkb.multi(7))],
    ]),
  ];
}

export const columns: Col[] = [
  {
    name: 'id',
    ddl: 'INT NOT NULL PRIMARY KEY',
    schema: () => plain('int32', false),
    sql: ['?', '?', '?'],
    value: () => 0, // filled per row
  },
  {
    name: 'c_tinyint',
    ddl: 'TINYINT NULL',
    schema: () => plain('int16'),
    sql: ['-128', 'NULL', '127'],
    value: same(-128, null, 127),
  },
  {
    name: 'c_tinyint_u',
    ddl: 'TINYINT UNSIGNED NULL',
    schema: () => plain('int16'),
    sql: ['255', 'NULL', '0'],
    value: same(255, null, 0),
  },
  {
    name: 'c_smallint',
    ddl: 'SMALLINT NULL',
    schema: () => plain('int16'),
    sql: ['-32768', 'NULL', '32767'],
    value: same(-32768, null, 32767),
  },
  {
    name: 'c_smallint_u',
    ddl: 'SMALLINT UNSIGNED NULL',
    schema: () => plain('int32'),
    sql: ['65535', 'NULL', '1'],
    value: same(65535, null, 1),
  },
  {
    name: 'c_mediumint',
    ddl: 'MEDIUMINT NULL',
    schema: () => plain('int32'),
    sql: ['-8388608', 'NULL', '8388607'],
    value: same(-8388608, null, 8388607),
  },
  {
    name: 'c_mediumint_u',
    ddl: 'MEDIUMINT UNSIGNED NULL',
    schema: () => plain('int32'),
    sql: ['16777215', 'NULL', '0'],
    value: same(16777215, null, 0),
  },
  {
    name: 'c_int',
    ddl: 'INT NULL',
    schema: () => plain('int32'),
    sql: ['-2147483648', 'NULL', '2147483647'],
    value: same(-2147483648, null, 2147483647),
  },
  {
    name: 'c_int_u',
    ddl: 'INT UNSIGNED NULL',
    schema: () => plain('int64'),
    sql: ['4294967295', 'NULL', '1'],
    value: same(4294967295, null, 1),
  },
  {
    name: 'c_bigint',
    ddl: 'BIGINT NULL',
    schema: () => plain('int64'),
    sql: ['-9223372036854775808', 'NULL', '9223372036854775807'],
    value: same(-9223372036854775808n, null, 9223372036854775807n),
  },
  {
    name: 'c_bigint_u',
    ddl: 'BIGINT UNSIGNED NULL',
    // long (default): int64, values above 2^63-1 wrap negative; precise: Decimal(20,0).
    schema: (m) => (m === 'default' ? plain('int64') : decimalSchema(20, 0)),
    sql: ['18446744073709551615', 'NULL', '9223372036854775808'],
    value: (row, m) =>
      m === 'default'
        ? [-1, null, -9223372036854775808n][row]!
        : // 0x00 FF×8 and 0x00 80 00×7: minimal two's complement needs the leading zero byte.
          ['AP//////////', null, 'AIAAAAAAAAAA'][row]!,
    // precise: Decimal(20,0) → the unsigned digits, exact; long: the wrapped int64 as sent.
    decoded: (row, m) =>
      m === 'default'
        ? [-1, null, -9223372036854775808n][row]!
        : ['18446744073709551615', null, '9223372036854775808'][row]!,
  },
  {
    name: 'c_float',
    ddl: 'FLOAT NULL',
    schema: () => plain('float'),
    sql: ['1.5', 'NULL', '-0.25'],
    value: same(1.5, null, -0.25),
  },
  {
    name: 'c_double',
    ddl: 'DOUBLE NULL',
    schema: () => plain('double'),
    sql: ['1234.56789012345', 'NULL', '-1e-10'],
    value: same(1234.56789012345, null, -1e-10),
  },
  {
    name: 'c_dec',
    ddl: 'DECIMAL(10,2) NULL',
    schema: (m) => (m === 'default' ? decimalSchema(10, 2) : plain('string')),
    sql: ['19.99', 'NULL', '-0.01'],
    // Precise decimals: 1999 = 07 CF → "B88="; -1 = FF → "/w==".
    value: (row, m) => (m === 'default' ? ['B88=', null, '/w=='] : ['19.99', null, '-0.01'])[row]!,
    decoded: same('19.99', null, '-0.01'),
  },
  {
    name: 'c_dec_big',
    ddl: 'DECIMAL(12,2) NULL',
    schema: (m) => (m === 'default' ? decimalSchema(12, 2) : plain('string')),
    sql: ['12345678.90', 'NULL', '0'],
    // 1234567890 = 49 96 02 D2 → "SZYC0g=="; 0.00 = 00 → "AA=="; string mode keeps the scale.
    value: (row, m) => (m === 'default' ? ['SZYC0g==', null, 'AA=='] : ['12345678.90', null, '0.00'])[row]!,
    decoded: same('12345678.90', null, '0.00'),
  },
  {
    name: 'c_dec_huge',
    ddl: 'DECIMAL(30,10) NULL',
    schema: (m) => (m === 'default' ? decimalSchema(30, 10) : plain('string')),
    sql: ['-12345678901234567890.1234567890', 'NULL', '0.0000000001'],
    value: (row, m) =>
      m === 'default'
        ? [twosComplementBase64(-123456789012345678901234567890n), null, 'AQ=='][row]!
        : ['-12345678901234567890.1234567890', null, '0.0000000001'][row]!,
    decoded: same('-12345678901234567890.1234567890', null, '0.0000000001'),
  },
  {
    name: 'c_dt0',
    ddl: 'DATETIME NULL',
    schema: (m) => (m === 'default' ? named('int64', 'io.debezium.time.Timestamp') : connectTimestamp),
    sql: ["'2018-06-20 06:37:03'", 'NULL', "'1999-12-31 23:59:59'"],
    value: same(1529476623000, null, utc(1999, 12, 31, 23, 59, 59)),
    // Timestamp and Connect Timestamp: ISO with 3 fraction digits, the wall clock as UTC.
    decoded: same('2018-06-20T06:37:03.000Z', null, '1999-12-31T23:59:59.000Z'),
  },
  {
    name: 'c_dt3',
    ddl: 'DATETIME(3) NULL',
    schema: (m) => (m === 'default' ? named('int64', 'io.debezium.time.Timestamp') : connectTimestamp),
    sql: ["'2024-01-15 10:30:00.123'", 'NULL', "'2024-01-15 10:30:00.000'"],
    value: same(utc(2024, 1, 15, 10, 30, 0, 123), null, utc(2024, 1, 15, 10, 30)),
    decoded: same('2024-01-15T10:30:00.123Z', null, '2024-01-15T10:30:00.000Z'),
  },
  {
    name: 'c_dt6',
    ddl: 'DATETIME(6) NULL',
    schema: (m) => (m === 'default' ? named('int64', 'io.debezium.time.MicroTimestamp') : connectTimestamp),
    sql: ["'2024-01-15 10:30:00.123456'", 'NULL', "'2000-02-29 12:00:00.000001'"],
    // time.precision.mode=connect: Kafka's Timestamp for every precision, µs truncated (Debezium's temporal types).
    value: (row, m) =>
      m === 'default'
        ? [utc(2024, 1, 15, 10, 30) * 1000 + 123456, null, utc(2000, 2, 29, 12) * 1000 + 1][row]!
        : [utc(2024, 1, 15, 10, 30, 0, 123), null, utc(2000, 2, 29, 12)][row]!,
    // MicroTimestamp: 6 fraction digits; connect: the ms Timestamp, 3 digits.
    decoded: (row, m) =>
      m === 'default'
        ? ['2024-01-15T10:30:00.123456Z', null, '2000-02-29T12:00:00.000001Z'][row]!
        : ['2024-01-15T10:30:00.123Z', null, '2000-02-29T12:00:00.000Z'][row]!,
  },
  {
    name: 'c_ts',
    ddl: 'TIMESTAMP NULL',
    schema: () => named('string', 'io.debezium.time.ZonedTimestamp'),
    sql: ["'2024-06-03 10:20:00'", 'NULL', "'2024-06-03 10:20:05'"],
    value: same('2024-06-03T10:20:00Z', null, '2024-06-03T10:20:05Z'),
  },
  {
    name: 'c_ts3',
    ddl: 'TIMESTAMP(3) NULL',
    schema: () => named('string', 'io.debezium.time.ZonedTimestamp'),
    sql: ["'2024-06-03 10:20:00.5'", 'NULL', "'2024-06-03 10:20:00.000'"],
    // fsp n > 0: the fraction is padded to exactly n digits, zero fraction included.
    value: same('2024-06-03T10:20:00.500Z', null, '2024-06-03T10:20:00.000Z'),
  },
  {
    name: 'c_date',
    ddl: 'DATE NULL',
    schema: (m) =>
      m === 'default'
        ? named('int32', 'io.debezium.time.Date')
        : named('int32', 'org.apache.kafka.connect.data.Date'),
    sql: ["'2024-06-03'", 'NULL', "'1969-12-31'"],
    value: same(utc(2024, 6, 3) / DAY, null, -1),
    decoded: same('2024-06-03', null, '1969-12-31'),
  },
  {
    name: 'c_time',
    ddl: 'TIME NULL',
    schema: (m) => (m === 'default' ? named('int64', 'io.debezium.time.MicroTime') : connectTime),
    sql: ["'10:15:30'", 'NULL', "'00:00:00'"],
    // connect: Kafka's Time, int32 milliseconds.
    value: (row, m) => [(10 * 3600 + 15 * 60 + 30) * (m === 'default' ? 1_000_000 : 1000), null, 0][row]!,
    // MicroTime: 6 fraction digits; Connect Time (ms): 3.
    decoded: (row, m) =>
      (m === 'default'
        ? ['10:15:30.000000', null, '00:00:00.000000']
        : ['10:15:30.000', null, '00:00:00.000'])[row]!,
  },
  {
    name: 'c_time6',
    ddl: 'TIME(6) NULL',
    schema: (m) => (m === 'default' ? named('int64', 'io.debezium.time.MicroTime') : connectTime),
    sql: ["'23:59:59.999999'", 'NULL', "'00:00:00.000001'"],
    value: (row, m) => (m === 'default' ? [86_399_999_999, null, 1] : [86_399_999, null, 0])[row]!,
    decoded: (row, m) =>
      (m === 'default'
        ? ['23:59:59.999999', null, '00:00:00.000001']
        : ['23:59:59.999', null, '00:00:00.000'])[row]!,
  },
  {
    name: 'c_year',
    ddl: 'YEAR NULL',
    schema: () => named('int32', 'io.debezium.time.Year'),
    sql: ['2024', 'NULL', '1901'],
    value: same(2024, null, 1901),
  },
  {
    name: 'c_json',
    ddl: 'JSON NULL',
    // MariaDB's JSON is LONGTEXT (+ CHECK json_valid): a plain string, no io.debezium.data.Json,
    // and the text exactly as stored (MariaDB keeps JSON as text, no binary re-rendering).
    schema: () => plain('string'),
    sql: [`'{"a": 1, "b": [true, null]}'`, 'NULL', "'[]'"],
    value: same('{"a": 1, "b": [true, null]}', null, '[]'),
    // No io.debezium.data.Json name on MariaDB (above), so the consumer keeps the text: parsing it
    // would need a column hint (hint.json()), which a projection gives for its own JSON columns.
    decoded: same('{"a": 1, "b": [true, null]}', null, '[]'),
  },
  {
    name: 'c_enum',
    ddl: "ENUM('small','medium','large') NULL",
    schema: () => named('string', 'io.debezium.data.Enum', true, { allowed: 'small,medium,large' }),
    sql: ["'medium'", 'NULL', "'large'"],
    value: same('medium', null, 'large'),
  },
  {
    name: 'c_set',
    ddl: "SET('red','green','blue') NULL",
    schema: () => named('string', 'io.debezium.data.EnumSet', true, { allowed: 'red,green,blue' }),
    sql: ["'blue,red'", 'NULL', "''"],
    value: same('red,blue', null, ''),
    decoded: same(['red', 'blue'], null, []),
  },
  {
    name: 'c_bit1',
    ddl: 'BIT(1) NULL',
    schema: () => plain('boolean'),
    sql: ["b'1'", 'NULL', "b'0'"],
    value: same(true, null, false),
  },
  {
    name: 'c_bit10',
    ddl: 'BIT(10) NULL',
    schema: () => named('bytes', 'io.debezium.data.Bits', true, { length: '10' }),
    // Debezium's Bits bytes are little-endian, sized to ceil(n/8) bytes (Debezium MySQL docs;
    // the reference gives only the type): 513 = 0x0201 → 01 02 → "AQI="; 3 → 03 00 → "AwA=".
    sql: ["b'1000000001'", 'NULL', "b'0000000011'"],
    value: same('AQI=', null, 'AwA='),
    decoded: same(bitsLittleEndian('1000000001', 10), null, bitsLittleEndian('0000000011', 10)),
  },
  {
    name: 'c_blob',
    ddl: 'BLOB NULL',
    schema: (m) => (m === 'default' ? plain('bytes') : plain('string')),
    sql: ['0xDEADBEEF', 'NULL', "''"],
    // bytes: base64 in JSON; binary.handling.mode=base64: the same text under a string schema.
    value: same('3q2+7w==', null, ''),
    // bytes → Buffer; base64 mode has a plain string schema, so the text stays text.
    decoded: (row, m) => (m === 'default' ? [hex('DEADBEEF'), null, hex('')] : ['3q2+7w==', null, ''])[row]!,
  },
  {
    name: 'c_varbinary',
    ddl: 'VARBINARY(16) NULL',
    schema: (m) => (m === 'default' ? plain('bytes') : plain('string')),
    sql: ['0x00FF10', 'NULL', '0x00'],
    value: same('AP8Q', null, 'AA=='),
    decoded: (row, m) => (m === 'default' ? [hex('00FF10'), null, hex('00')] : ['AP8Q', null, 'AA=='])[row]!,
  },
  {
    name: 'c_binary',
    ddl: 'BINARY(4) NULL',
    schema: (m) => (m === 'default' ? plain('bytes') : plain('string')),
    // BINARY pads with zero bytes to its width.
    sql: ['0x00FF10', 'NULL', "''"],
    value: same('AP8QAA==', null, 'AAAAAA=='),
    decoded: (row, m) =>
      (m === 'default' ? [hex('00FF1000'), null, hex('00000000')] : ['AP8QAA==', null, 'AAAAAA=='])[row]!,
  },
  ...(['TINYBLOB', 'MEDIUMBLOB', 'LONGBLOB'] as const).map(
    (type): Col => ({
      name: `c_${type.toLowerCase()}`,
      ddl: `${type} NULL`,
      schema: (m) => (m === 'default' ? plain('bytes') : plain('string')),
      sql: ['0xCAFE', 'NULL', "''"],
      value: same('yv4=', null, ''),
      decoded: (row, m) => (m === 'default' ? [hex('CAFE'), null, hex('')] : ['yv4=', null, ''])[row]!,
    }),
  ),
  ...(['TINYTEXT', 'MEDIUMTEXT', 'LONGTEXT'] as const).map(
    (type): Col => ({
      name: `c_${type.toLowerCase()}`,
      ddl: `${type} NULL`,
      schema: () => plain('string'),
      sql: ["'ünï 🎉'", 'NULL', "''"],
      value: same('ünï 🎉', null, ''),
    }),
  ),
  {
    // MariaDB's UUID type: Debezium's MariaDB connector sends io.debezium.data.Uuid, the canonical text.
    name: 'c_uuid',
    ddl: 'UUID NULL',
    schema: () => named('string', 'io.debezium.data.Uuid'),
    // R1 a time-based (version 1) UUID, which MariaDB stores with its segments reordered.
    sql: ["'6ccd780c-baba-1026-9564-5b8c656024db'", 'NULL', "'123e4567-e89b-12d3-a456-426655440000'"],
    value: same('6ccd780c-baba-1026-9564-5b8c656024db', null, '123e4567-e89b-12d3-a456-426655440000'),
  },
  {
    // INET4/INET6 are not in Debezium 3.4's MariaDB grammar: the server's text as a plain string.
    name: 'c_inet4',
    ddl: 'INET4 NULL',
    schema: () => plain('string'),
    sql: ["'192.168.0.1'", 'NULL', "'0.0.0.0'"],
    value: same('192.168.0.1', null, '0.0.0.0'),
  },
  {
    name: 'c_inet6',
    ddl: 'INET6 NULL',
    schema: () => plain('string'),
    sql: ["'2001:db8::ff00:42:8329'", 'NULL', "'::ffff:192.168.0.1'"],
    value: same('2001:db8::ff00:42:8329', null, '::ffff:192.168.0.1'),
  },
  {
    name: 'c_inet6_b',
    ddl: 'INET6 NULL',
    schema: () => plain('string'),
    sql: ["'1:0:0:2:0:0:0:3'", 'NULL', "'::'"],
    value: same('1:0:0:2::3', null, '::'),
  },
  {
    name: 'c_char',
    ddl: 'CHAR(5) NULL',
    schema: () => plain('string'),
    sql: ["'ab'", 'NULL', "''"],
    value: same('ab', null, ''),
  },
  {
    name: 'c_latin1',
    ddl: 'VARCHAR(20) CHARACTER SET latin1 NULL',
    schema: () => plain('string'),
    sql: ["'café ÿ'", 'NULL', "''"],
    value: same('café ÿ', null, ''),
  },
  {
    name: 'c_text',
    ddl: 'TEXT NULL',
    schema: () => plain('string'),
    sql: ["'héllo 👋 wörld 🎉 — 中文'", 'NULL', "''"],
    value: same('héllo 👋 wörld 🎉 — 中文', null, ''),
  },
  {
    name: 'c_varchar',
    ddl: "VARCHAR(100) NOT NULL DEFAULT 'n/a'",
    schema: () => ({ type: 'string', optional: false, default: 'n/a' }),
    sql: ["'given'", 'DEFAULT', "'x'"],
    value: same('given', 'n/a', 'x'),
  },
  {
    name: 'c_qty',
    ddl: 'INT NOT NULL DEFAULT 7',
    schema: () => ({ type: 'int32', optional: false, default: 7 }),
    sql: ['3', 'DEFAULT', '0'],
    value: same(3, 7, 0),
  },
  {
    name: 'c_note',
    ddl: "VARCHAR(20) NULL DEFAULT 'none'",
    schema: () => ({ type: 'string', optional: true, default: 'none' }),
    // Column defaults: a real NULL in a nullable column with a non-null DDL default arrives as the default.
    sql: ["'note'", 'NULL', 'DEFAULT'],
    value: same('note', 'none', 'none'),
  },
  ...spatialColumns(),
];

/**
 * MySQL's TIME is a duration (-838:59:59 … 838:59:59), not a time of day: negative and ≥ 24 h
 * values arrive as signed MicroTime µs (Debezium converts TIME to a java Duration). Created and
 * filled while streaming, so the snapshot checks above stay as they are; S (connect mode) does
 * not capture it — Kafka's Time is a time of day (0 ≤ ms < 86,400,000) and cannot carry these.
 */
export const spanRows: {
  id: number;
  sql: [string, string];
  micros: [number, number];
  decoded: [string, string];
}[] = [
  {
    id: 1,
    sql: ["'-01:30:00'", "'-00:00:00.000001'"],
    micros: [-5_400_000_000, -1],
    decoded: ['-01:30:00.000000', '-00:00:00.000001'],
  },
  {
    id: 2,
    sql: ["'838:59:59'", "'-838:59:59.000000'"],
    micros: [3_020_399_000_000, -3_020_399_000_000],
    decoded: ['838:59:59.000000', '-838:59:59.000000'],
  },
  {
    id: 3,
    sql: ["'-00:00:01'", "'100:00:00.5'"],
    micros: [-1_000_000, 360_000_500_000],
    decoded: ['-00:00:01.000000', '100:00:00.500000'],
  },
];
export const microTime = named('int64', 'io.debezium.time.MicroTime');
