import { EncodingError } from './errors.ts';
import { jsonString } from './json-text.ts';
import {
  decimalBase64,
  decimalPlain,
  intText,
  javaDoubleText,
  javaFloatText,
  twosComplementBytes,
  unsignedLongText,
} from './numbers.ts';
import {
  dateToDays,
  datetimeToMicrosText,
  datetimeToMillis,
  timestampToIso,
  timeToMicros,
} from './temporal.ts';
import type { ColumnDef, EncoderOptions } from './types.ts';

/**
 * One column as a Connect field: its JsonConverter schema text and a converter from the raw
 * value (mysql2 with snapshotConnectionOptions, or zongji) to JSON payload text. Both sources
 * give the same shapes — temporal text, exact decimal/bigint strings (zongji: numbers when
 * they fit), Buffers for binary/BIT — so one converter serves both origins.
 */
export interface FieldCodec {
  name: string;
  /** `"name":` as JSON text. */
  key: string;
  /** The field schema as JsonConverter writes it inside a struct (ends with "field"). */
  schema: string;
  /** Non-null raw value → JSON text. */
  convert: (value: unknown) => string;
  /** What a null value prints: the default's text when the column has a DDL default, else null. */
  nullText: string;
  /** What a present-but-undefined value prints (zongji's invalid ENUM); defaults to nullText. */
  undefinedText?: string;
}

type Options = Pick<
  EncoderOptions,
  'decimalHandlingMode' | 'timePrecisionMode' | 'bigintUnsignedHandlingMode' | 'binaryHandlingMode'
>;

interface SchemaParts {
  type: string;
  /** A struct's field schemas, each as JsonConverter text (ends with "field"). */
  fields?: string[];
  name?: string;
  version?: number;
  doc?: string;
  parameters?: Array<[string, string]>;
  /** The schema is optional whatever the column's NULL-ability (Debezium's Geometry builder). */
  alwaysOptional?: boolean;
}

const str = JSON.stringify;

/** JsonConverter.asJsonSchema key order: type, fields, optional, name, version, doc, parameters, default, field. */
export function fieldSchemaText(
  parts: SchemaParts,
  optional: boolean,
  defaultText: string | undefined,
  field: string,
) {
  let s = '{"type":' + str(parts.type);
  if (parts.fields) s += ',"fields":[' + parts.fields.join(',') + ']';
  s += ',"optional":' + optional;
  if (parts.name !== undefined) s += ',"name":' + str(parts.name);
  if (parts.version !== undefined) s += ',"version":' + parts.version;
  if (parts.doc !== undefined) s += ',"doc":' + str(parts.doc);
  if (parts.parameters) {
    s += ',"parameters":{' + parts.parameters.map(([k, v]) => str(k) + ':' + str(v)).join(',') + '}';
  }
  if (defaultText !== undefined) s += ',"default":' + defaultText;
  return s + ',"field":' + str(field) + '}';
}

const asBuffer = (v: unknown): Buffer =>
  Buffer.isBuffer(v) ? v : typeof v === 'string' ? Buffer.from(v, 'latin1') : Buffer.from(v as Uint8Array);

const asText = (v: unknown): string =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : String(v);

function binaryConverter(mode: Options['binaryHandlingMode']): (v: unknown) => string {
  switch (mode) {
    case 'bytes':
    case 'base64':
      return (v) => '"' + asBuffer(v).toString('base64') + '"';
    case 'base64-url-safe':
      // Java's Base64.getUrlEncoder() keeps the '=' padding that Node's 'base64url' drops.
      return (v) => '"' + asBuffer(v).toString('base64').replace(/\+/g, '-').replace(/\//g, '_') + '"';
    case 'hex':
      return (v) => '"' + asBuffer(v).toString('hex') + '"';
  }
}

interface Mapping {
  parts: SchemaParts;
  convert: (v: unknown) => string;
  /** Zero dates: what a NOT NULL column prints (the epoch). */
  epochText?: string;
  undefinedText?: string;
}

const intSchema = (type: string): SchemaParts => ({ type });

function mapColumn(col: ColumnDef, o: Options): Mapping {
  const t = col.dataType.toLowerCase();
  switch (t) {
    case 'tinyint':
    case 'bool':
    case 'boolean':
      return { parts: intSchema('int16'), convert: intText };
    case 'smallint':
      return { parts: intSchema(col.unsigned ? 'int32' : 'int16'), convert: intText };
    case 'mediumint':
      return { parts: intSchema('int32'), convert: intText };
    case 'int':
    case 'integer':
      return { parts: intSchema(col.unsigned ? 'int64' : 'int32'), convert: intText };
    case 'bigint':
      if (!col.unsigned) return { parts: intSchema('int64'), convert: intText };
      if (o.bigintUnsignedHandlingMode === 'precise') {
        return {
          parts: decimalParts(0, 20),
          convert: (v) => '"' + twosComplementBytes(BigInt(intText(v))).toString('base64') + '"',
        };
      }
      return { parts: intSchema('int64'), convert: unsignedLongText };
    case 'year':
      // zongji decodes the stored YEAR 0000 as 1900 (raw 0 + 1900); 1900 is not a YEAR value.
      return {
        parts: { type: 'int32', name: 'io.debezium.time.Year', version: 1 },
        convert: (v) => {
          const n = Number(v);
          return n === 1900 ? '0' : String(n);
        },
      };
    case 'decimal':
    case 'numeric':
    case 'fixed':
    case 'dec': {
      const scale = col.scale ?? 0;
      const precision = col.length ?? 10;
      if (o.decimalHandlingMode === 'string')
        return { parts: { type: 'string' }, convert: (v) => '"' + decimalPlain(String(v), scale) + '"' };
      if (o.decimalHandlingMode === 'double')
        return { parts: { type: 'double' }, convert: (v) => javaDoubleText(Number(v)) };
      return {
        parts: decimalParts(scale, precision),
        convert: (v) => '"' + decimalBase64(String(v), scale) + '"',
      };
    }
    case 'float':
      // MariaDB (and Debezium's parser) treat FLOAT(M,D) as a double; plain FLOAT is a float32.
      if (col.scale !== undefined)
        return { parts: { type: 'double' }, convert: (v) => javaDoubleText(Number(v)) };
      return { parts: { type: 'float' }, convert: (v) => javaFloatText(Number(v)) };
    case 'double':
    case 'real':
    case 'double precision':
      return { parts: { type: 'double' }, convert: (v) => javaDoubleText(Number(v)) };
    case 'char':
    case 'varchar':
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
    case 'inet4':
      // INET4/INET6: not in Debezium 3.4's MariaDB grammar; the server's text, as a plain string.
      return {
        parts: { type: 'string' },
        convert: (v) => jsonString(Buffer.isBuffer(v) ? inet4Text(v) : asText(v)),
      };
    case 'inet6':
      return {
        parts: { type: 'string' },
        convert: (v) => jsonString(Buffer.isBuffer(v) ? inet6Text(v) : asText(v)),
      };
    case 'uuid':
      // Debezium's MariaDB connector: io.debezium.data.Uuid (the canonical text).
      return {
        parts: { type: 'string', name: 'io.debezium.data.Uuid', version: 1 },
        convert: (v) => jsonString(Buffer.isBuffer(v) ? uuidText(v) : asText(v)),
      };
    case 'json':
      return {
        parts: { type: 'string', name: 'io.debezium.data.Json', version: 1 },
        convert: (v) => jsonString(asText(v)),
      };
    case 'enum':
      return {
        parts: {
          type: 'string',
          name: 'io.debezium.data.Enum',
          version: 1,
          parameters: [['allowed', (col.enumValues ?? []).join(',')]],
        },
        convert: enumConverter(col.enumValues ?? []),
        undefinedText: '""',
      };
    case 'set':
      return {
        parts: {
          type: 'string',
          name: 'io.debezium.data.EnumSet',
          version: 1,
          parameters: [['allowed', (col.enumValues ?? []).join(',')]],
        },
        convert: (v) => jsonString(asText(v)),
      };
    case 'binary':
    case 'varbinary':
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return {
        parts: { type: o.binaryHandlingMode === 'bytes' ? 'bytes' : 'string' },
        convert: binaryConverter(o.binaryHandlingMode),
      };
    case 'bit': {
      const bits = col.length ?? 1;
      if (bits === 1) return { parts: { type: 'boolean' }, convert: (v) => (bitValue(v) ? 'true' : 'false') };
      const numBytes = Math.ceil(bits / 8);
      return {
        parts: {
          type: 'bytes',
          name: 'io.debezium.data.Bits',
          version: 1,
          parameters: [['length', String(bits)]],
        },
        // The server sends BIT big-endian; Connect's Bits (java.util.BitSet) is little-endian, padded to the width.
        convert: (v) => {
          const be = asBuffer(v);
          const le = Buffer.alloc(numBytes);
          for (let i = 0; i < be.length && i < numBytes; i++) le[i] = be[be.length - 1 - i];
          return '"' + le.toString('base64') + '"';
        },
      };
    }
    case 'date': {
      const connect = o.timePrecisionMode === 'connect';
      return {
        parts: {
          type: 'int32',
          name: connect ? 'org.apache.kafka.connect.data.Date' : 'io.debezium.time.Date',
          version: 1,
        },
        convert: (v) => {
          const days = dateToDays(asText(v));
          return days === null ? 'null' : String(days);
        },
        epochText: '0',
      };
    }
    case 'time': {
      if (o.timePrecisionMode === 'connect') {
        return {
          parts: { type: 'int32', name: 'org.apache.kafka.connect.data.Time', version: 1 },
          convert: (v) => String(Math.floor(timeToMicros(asText(v)) / 1000)),
        };
      }
      return {
        parts: { type: 'int64', name: 'io.debezium.time.MicroTime', version: 1 },
        convert: (v) => String(timeToMicros(asText(v))),
      };
    }
    case 'datetime': {
      const fsp = col.fsp ?? 0;
      if (o.timePrecisionMode === 'connect' || fsp <= 3) {
        return {
          parts: {
            type: 'int64',
            name:
              o.timePrecisionMode === 'connect'
                ? 'org.apache.kafka.connect.data.Timestamp'
                : 'io.debezium.time.Timestamp',
            version: 1,
          },
          convert: (v) => {
            const ms = datetimeToMillis(asText(v));
            return ms === null ? 'null' : String(ms);
          },
          epochText: '0',
        };
      }
      return {
        parts: { type: 'int64', name: 'io.debezium.time.MicroTimestamp', version: 1 },
        convert: (v) => datetimeToMicrosText(asText(v)) ?? 'null',
        epochText: '0',
      };
    }
    case 'timestamp': {
      const fsp = col.fsp ?? 0;
      return {
        parts: { type: 'string', name: 'io.debezium.time.ZonedTimestamp', version: 1 },
        convert: (v) => {
          const iso = timestampToIso(asText(v));
          return iso === null ? 'null' : '"' + iso + '"';
        },
        epochText: '"1970-01-01T00:00:00' + (fsp > 0 ? '.' + '0'.repeat(fsp) : '') + 'Z"',
      };
    }
    case 'point':
      return { parts: pointParts, convert: pointConverter(col) };
    default:
      if (geometryTypes.has(t)) return { parts: geometryParts, convert: geometryConverter(col) };
      throw new EncodingError(
        `column ${col.name} has type ${col.columnType ?? col.dataType}, which this connector does not encode`,
        { column: col.name, dataType: col.dataType },
      );
  }
}

/** The spatial types Debezium encodes as io.debezium.data.geometry.Geometry (POINT has its own Point). */
const geometryTypes = new Set([
  'geometry',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);

/** True when the encoder has a mapping for the type (`ColumnDef.dataType`), whatever the encoder options. */
export function isEncodableType(dataType: string): boolean {
  try {
    mapColumn({ name: '', dataType, unsigned: false, nullable: true }, probeOptions);
    return true;
  } catch {
    return false;
  }
}
const probeOptions: Options = {
  decimalHandlingMode: 'precise',
  timePrecisionMode: 'adaptive_time_microseconds',
  bigintUnsignedHandlingMode: 'long',
  binaryHandlingMode: 'bytes',
};

// Debezium's geometry structs (io.debezium.data.geometry.Geometry and .Point, version 1): the
// field schemas in their builders' order; wkb is bytes whatever binary.handling.mode says.
const sridField = '{"type":"int32","optional":true,"field":"srid"}';
const geometryParts: SchemaParts = {
  type: 'struct',
  fields: ['{"type":"bytes","optional":false,"field":"wkb"}', sridField],
  name: 'io.debezium.data.geometry.Geometry',
  version: 1,
  doc: 'Geometry',
  // Geometry.builder() is optional(): the field is optional even for a NOT NULL column.
  alwaysOptional: true,
};
const pointParts: SchemaParts = {
  type: 'struct',
  fields: [
    '{"type":"double","optional":false,"field":"x"}',
    '{"type":"double","optional":false,"field":"y"}',
    '{"type":"bytes","optional":true,"field":"wkb"}',
    sridField,
  ],
  name: 'io.debezium.data.geometry.Point',
  version: 1,
  doc: 'Geometry (POINT)',
};

/**
 * A spatial value as the server stores it (and both the binlog and a snapshot SELECT give it):
 * the SRID as a 4-byte little-endian integer, then the OGC WKB. Debezium reads the SRID as a
 * signed int and sends 0 (unset) as null.
 */
function splitSpatial(col: ColumnDef, v: unknown): { wkb: Buffer; srid: string } {
  if (!Buffer.isBuffer(v) && !(v instanceof Uint8Array)) {
    throw new EncodingError(`column ${col.name}: a spatial value must arrive as bytes, got ${typeof v}`, {
      column: col.name,
      dataType: col.dataType,
    });
  }
  const b = asBuffer(v);
  if (b.length < 4 + 5) {
    throw new EncodingError(`column ${col.name}: ${b.length} bytes are not an SRID and a WKB geometry`, {
      column: col.name,
      dataType: col.dataType,
    });
  }
  const srid = b.readInt32LE(0);
  return { wkb: b.subarray(4), srid: srid === 0 ? 'null' : String(srid) };
}

function geometryConverter(col: ColumnDef): (v: unknown) => string {
  return (v) => {
    const { wkb, srid } = splitSpatial(col, v);
    return '{"wkb":"' + wkb.toString('base64') + '","srid":' + srid + '}';
  };
}

/** WKB of a 2D point: byte order, type 1, x, y (21 bytes); anything else is not a Point (Debezium refuses it too). */
function pointConverter(col: ColumnDef): (v: unknown) => string {
  return (v) => {
    const { wkb, srid } = splitSpatial(col, v);
    const le = wkb[0] !== 0;
    const type = wkb.length >= 5 ? (le ? wkb.readUInt32LE(1) : wkb.readUInt32BE(1)) : -1;
    if (wkb.length !== 21 || type !== 1) {
      throw new EncodingError(
        `column ${col.name}: the value is not a 2D WKB point (${wkb.length} bytes, type ${type})`,
        { column: col.name, dataType: col.dataType },
      );
    }
    const x = le ? wkb.readDoubleLE(5) : wkb.readDoubleBE(5);
    const y = le ? wkb.readDoubleLE(13) : wkb.readDoubleBE(13);
    return (
      '{"x":' +
      javaDoubleText(x) +
      ',"y":' +
      javaDoubleText(y) +
      ',"wkb":"' +
      wkb.toString('base64') +
      '","srid":' +
      srid +
      '}'
    );
  };
}

/** A UUID's 16 bytes (as the binlog carries them) → the 8-4-4-4-12 text the server prints. */
function uuidText(b: Buffer): string {
  const h = Buffer.concat([b, Buffer.alloc(Math.max(0, 16 - b.length))]).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const inet4Text = (b: Buffer) => `${b[0] ?? 0}.${b[1] ?? 0}.${b[2] ?? 0}.${b[3] ?? 0}`;

/**
 * An INET6's 16 bytes → the server's text: RFC 5952 (lower-case groups, the longest run of two or
 * more zero groups as '::', the leftmost on a tie), IPv4-mapped and IPv4-compatible addresses dotted.
 */
function inet6Text(raw: Buffer): string {
  const b = Buffer.concat([raw, Buffer.alloc(Math.max(0, 16 - raw.length))]);
  if (b.subarray(0, 10).every((x) => x === 0)) {
    if (b[10] === 0xff && b[11] === 0xff) return `::ffff:${inet4Text(b.subarray(12))}`;
    if (b[10] === 0 && b[11] === 0 && b.readUInt32BE(12) > 1) return `::${inet4Text(b.subarray(12))}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** ENUM values are few: their JSON text is computed once. */
function enumConverter(values: string[]): (v: unknown) => string {
  const texts = new Map(values.map((v) => [v, jsonString(v)]));
  return (v) => (typeof v === 'string' ? (texts.get(v) ?? jsonString(v)) : jsonString(asText(v)));
}

function decimalParts(scale: number, precision: number): SchemaParts {
  return {
    type: 'bytes',
    name: 'org.apache.kafka.connect.data.Decimal',
    version: 1,
    parameters: [
      ['scale', String(scale)],
      ['connect.decimal.precision', String(precision)],
    ],
  };
}

function bitValue(v: unknown): boolean {
  if (Buffer.isBuffer(v)) return v.some((b) => b !== 0);
  if (typeof v === 'boolean') return v;
  return Number(v) !== 0;
}

type ParsedDefault = { kind: 'none' } | { kind: 'literal'; value: unknown } | { kind: 'now' };

/** Reads a ColumnDef.defaultValue (MariaDB COLUMN_DEFAULT form) into a raw row value. */
export function parseDefault(col: ColumnDef): ParsedDefault {
  const d = col.defaultValue;
  if (d === undefined || d === null || d === 'NULL' || d === 'null') return { kind: 'none' };
  if (/^(current_timestamp|now|localtime|localtimestamp)\b/i.test(d)) return { kind: 'now' };
  if (d.startsWith("'") && d.endsWith("'") && d.length >= 2) {
    const text = unquoteSql(d.slice(1, -1));
    if (col.dataType === 'bit') return { kind: 'literal', value: bitLiteral(text) };
    return { kind: 'literal', value: text };
  }
  const bits = /^b'([01]*)'$/i.exec(d);
  if (bits) return { kind: 'literal', value: bitLiteral(bits[1], true) };
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(d)) {
    if (col.dataType === 'bit') return { kind: 'literal', value: bitLiteral(d) };
    return { kind: 'literal', value: d };
  }
  // An expression (uuid(), curdate(), 1+1 …): Debezium cannot evaluate it either → no default.
  return { kind: 'none' };
}

const sqlEscapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a' };

/** The body of a quoted SQL literal as MariaDB prints it ('' and backslash escapes) → its value. */
export function unquoteSql(body: string): string {
  if (body.indexOf("'") === -1 && body.indexOf('\\') === -1) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "'" && body[i + 1] === "'") {
      out += "'";
      i++;
    } else if (ch === '\\' && i + 1 < body.length) {
      const next = body[++i];
      // \% and \_ keep their backslash (they only escape LIKE wildcards)
      out += sqlEscapes[next] ?? (next === '%' || next === '_' ? '\\' + next : next);
    } else out += ch;
  }
  return out;
}

function bitLiteral(text: string, binaryDigits = false): Buffer {
  const n = binaryDigits ? BigInt('0b' + (text || '0')) : BigInt(text);
  let hex = n.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}

/** Builds the codec of one column (schema text precomputed once per table definition). */
export function fieldCodec(col: ColumnDef, o: Options, optionalOverride?: boolean): FieldCodec {
  const m = mapColumn(col, o);
  const optional = optionalOverride ?? (m.parts.alwaysOptional || col.nullable);
  const parsed = parseDefault(col);
  let defaultText: string | undefined;
  if (parsed.kind === 'literal') {
    try {
      const text = m.convert(parsed.value);
      defaultText = text === 'null' ? (optional ? undefined : m.epochText) : text;
    } catch {
      defaultText = undefined;
    }
  } else if (parsed.kind === 'now' && !optional && m.epochText !== undefined) {
    defaultText = m.epochText;
  }
  const nullText = defaultText ?? 'null';
  let convert = m.convert;
  if (m.epochText !== undefined) {
    // Zero dates: null for nullable columns (→ the default when there is one), epoch otherwise.
    const base = m.convert;
    const zero = optional ? nullText : m.epochText;
    convert = (v) => {
      const t = base(v);
      return t === 'null' ? zero : t;
    };
  }
  return {
    name: col.name,
    key: str(col.name) + ':',
    schema: fieldSchemaText(m.parts, optional, defaultText, col.name),
    convert,
    nullText,
    undefinedText: m.undefinedText,
  };
}
