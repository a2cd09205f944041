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
  name?: string;
  version?: number;
  parameters?: Array<[string, string]>;
}

const str = JSON.stringify;

/** JsonConverter.asJsonSchema key order: type, optional, name, version, parameters, default, field. */
export function fieldSchemaText(
  parts: SchemaParts,
  optional: boolean,
  defaultText: string | undefined,
  field: string,
) {
  let s = '{"type":' + str(parts.type) + ',"optional":' + optional;
  if (parts.name !== undefined) s += ',"name":' + str(parts.name);
  if (parts.version !== undefined) s += ',"version":' + parts.version;
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
    case 'uuid':
    case 'inet4':
    case 'inet6':
      return { parts: { type: 'string' }, convert: (v) => jsonString(asText(v)) };
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
      const fsp = col.fsp ?? 0;
      if (o.timePrecisionMode === 'connect' || (o.timePrecisionMode === 'adaptive' && fsp <= 3)) {
        return {
          parts: {
            type: 'int32',
            name:
              o.timePrecisionMode === 'connect'
                ? 'org.apache.kafka.connect.data.Time'
                : 'io.debezium.time.Time',
            version: 1,
          },
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
    default:
      throw new EncodingError(
        `column ${col.name} has type ${col.columnType ?? col.dataType}, which this connector does not encode`,
        { column: col.name, dataType: col.dataType },
      );
  }
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
  const optional = optionalOverride ?? col.nullable;
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
