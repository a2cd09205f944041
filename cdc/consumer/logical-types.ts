import { decodeDecimalBytes } from './decimal.ts';
import { ConsumerError } from './errors.ts';
import { parseLosslessJson } from './lossless-json.ts';

/** A Kafka Connect schema as JsonConverter prints it (only the parts a consumer needs). */
export interface ConnectSchema {
  type: string;
  optional?: boolean;
  name?: string;
  version?: number;
  parameters?: Record<string, string>;
  fields?: (ConnectSchema & { field: string })[];
  items?: ConnectSchema;
  field?: string;
}

/** Semantic type names, as Debezium and Kafka Connect spell them. */
export const logicalNames = {
  decimal: 'org.apache.kafka.connect.data.Decimal',
  variableScaleDecimal: 'io.debezium.data.VariableScaleDecimal',
  date: 'io.debezium.time.Date',
  connectDate: 'org.apache.kafka.connect.data.Date',
  timestamp: 'io.debezium.time.Timestamp',
  connectTimestamp: 'org.apache.kafka.connect.data.Timestamp',
  microTimestamp: 'io.debezium.time.MicroTimestamp',
  nanoTimestamp: 'io.debezium.time.NanoTimestamp',
  zonedTimestamp: 'io.debezium.time.ZonedTimestamp',
  time: 'io.debezium.time.Time',
  connectTime: 'org.apache.kafka.connect.data.Time',
  microTime: 'io.debezium.time.MicroTime',
  nanoTime: 'io.debezium.time.NanoTime',
  json: 'io.debezium.data.Json',
  enum: 'io.debezium.data.Enum',
  enumSet: 'io.debezium.data.EnumSet',
  bits: 'io.debezium.data.Bits',
  year: 'io.debezium.time.Year',
  geometry: 'io.debezium.data.geometry.Geometry',
  point: 'io.debezium.data.geometry.Point',
} as const;

/** A spatial column's value (Debezium's Geometry struct): OGC WKB and the SRID (null when unset). */
export interface GeometryValue {
  wkb: Buffer;
  srid: number | null;
}

/** A POINT column's value (Debezium's Point struct): its coordinates, plus WKB and SRID as for any geometry. */
export interface PointValue {
  x: number;
  y: number;
  wkb: Buffer | null;
  srid: number | null;
}

/**
 * Column hints for messages without schemas (JsonConverter `schemas.enable=false`): the scale
 * of a Decimal is not in the message, so the consumer must know the DDL. A hint is the field
 * schema Debezium would have sent.
 */
export const hint = {
  decimal: (scale: number): ConnectSchema => ({
    type: 'bytes',
    name: logicalNames.decimal,
    parameters: { scale: String(scale) },
  }),
  timestamp: (): ConnectSchema => ({ type: 'int64', name: logicalNames.timestamp }),
  microTimestamp: (): ConnectSchema => ({ type: 'int64', name: logicalNames.microTimestamp }),
  zonedTimestamp: (): ConnectSchema => ({ type: 'string', name: logicalNames.zonedTimestamp }),
  date: (): ConnectSchema => ({ type: 'int32', name: logicalNames.date }),
  json: (): ConnectSchema => ({ type: 'string', name: logicalNames.json }),
  geometry: (): ConnectSchema => ({ type: 'struct', name: logicalNames.geometry }),
  point: (): ConnectSchema => ({ type: 'struct', name: logicalNames.point }),
  enumSet: (): ConnectSchema => ({ type: 'string', name: logicalNames.enumSet }),
};

type Integer = number | bigint;

function fail(field: string, schema: ConnectSchema, value: unknown, why: string): never {
  throw new ConsumerError(
    'CDC_ERR_LOGICAL_TYPE',
    `field ${field}: ${why} (schema ${schema.name ?? schema.type}, value ${String(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v)))?.slice(0, 80)})`,
    { context: { field, schema: schema.name ?? schema.type } },
  );
}

function asInteger(field: string, schema: ConnectSchema, value: unknown): Integer {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return fail(field, schema, value, 'expected an integer');
}

/** Floor division on integers of either kind, exactly. */
function split(value: Integer, unit: bigint): [bigint, bigint] {
  const v = BigInt(value);
  let q = v / unit;
  let r = v % unit;
  if (r < 0n) {
    q -= 1n;
    r += unit;
  }
  return [q, r];
}

/** Epoch in `unitsPerSecond` → "YYYY-MM-DDTHH:MM:SS.fffZ" with `digits` fraction digits. */
function epochToIso(value: Integer, unitsPerSecond: bigint, digits: number): string {
  const [seconds, fraction] = split(value, unitsPerSecond);
  const base = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  const frac = fraction
    .toString()
    .padStart(String(unitsPerSecond).length - 1, '0')
    .padEnd(digits, '0');
  return `${base}.${frac.slice(0, digits)}Z`;
}

/**
 * A TIME value as MySQL prints it. MySQL's TIME is a duration (-838:59:59 … 838:59:59), and
 * Debezium sends it as signed µs (a java Duration), so the sign goes in front of the magnitude
 * and hours may pass 23: -1 s → "-00:00:01.000000", 838 h → "838:59:59.000000".
 */
function timeText(value: Integer, unitsPerSecond: bigint, digits: number): string {
  const signed = BigInt(value);
  const [seconds, fraction] = split(signed < 0n ? -signed : signed, unitsPerSecond);
  const s = Number(seconds);
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  const frac = fraction.toString().padStart(String(unitsPerSecond).length - 1, '0');
  return `${signed < 0n ? '-' : ''}${hh}:${mm}:${ss}.${frac.padEnd(digits, '0').slice(0, digits)}`;
}

const zonedPattern = /^\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function decodeLogical(field: string, schema: ConnectSchema, value: unknown): unknown {
  switch (schema.name) {
    case logicalNames.decimal: {
      const scale = Number(schema.parameters?.scale ?? 'NaN');
      if (!Number.isInteger(scale))
        fail(field, schema, value, 'Decimal schema has no integer scale parameter');
      // decimal.handling.mode=string sends the digits; base64 never contains a '.'.
      if (typeof value === 'string' && /^-?\d+\.\d+$/.test(value)) return value;
      if (typeof value === 'string') {
        try {
          return decodeDecimalBytes(value, scale);
        } catch (err) {
          return fail(field, schema, value, (err as Error).message);
        }
      }
      // decimal.format=NUMERIC prints a JSON number; keep its digits as written.
      if (typeof value === 'number' || typeof value === 'bigint') return String(value);
      return fail(field, schema, value, 'expected base64 bytes');
    }
    case logicalNames.variableScaleDecimal: {
      const v = value as { scale?: unknown; value?: unknown };
      if (typeof v?.scale !== 'number' || typeof v.value !== 'string') {
        return fail(field, schema, value, 'expected {scale, value}');
      }
      return decodeDecimalBytes(v.value, v.scale);
    }
    case logicalNames.date:
    case logicalNames.connectDate:
      return epochToIso(BigInt(asInteger(field, schema, value)) * 86_400n, 1n, 0).slice(0, 10);
    case logicalNames.timestamp:
    case logicalNames.connectTimestamp:
      return epochToIso(asInteger(field, schema, value), 1000n, 3);
    case logicalNames.microTimestamp:
      return epochToIso(asInteger(field, schema, value), 1_000_000n, 6);
    case logicalNames.nanoTimestamp:
      return epochToIso(asInteger(field, schema, value), 1_000_000_000n, 9);
    case logicalNames.zonedTimestamp:
      if (typeof value !== 'string' || !zonedPattern.test(value)) {
        return fail(field, schema, value, 'expected an ISO-8601 timestamp with zone');
      }
      return value;
    case logicalNames.time:
    case logicalNames.connectTime:
      return timeText(asInteger(field, schema, value), 1000n, 3);
    case logicalNames.microTime:
      return timeText(asInteger(field, schema, value), 1_000_000n, 6);
    case logicalNames.nanoTime:
      return timeText(asInteger(field, schema, value), 1_000_000_000n, 9);
    case logicalNames.json:
      if (typeof value !== 'string') return fail(field, schema, value, 'expected JSON text');
      try {
        return parseLosslessJson(value);
      } catch {
        return fail(field, schema, value, 'Json column holds invalid JSON');
      }
    case logicalNames.enum:
      if (typeof value !== 'string') return fail(field, schema, value, 'expected a string');
      return value;
    case logicalNames.enumSet:
      if (typeof value !== 'string') return fail(field, schema, value, 'expected a comma-separated string');
      return value === '' ? [] : value.split(',');
    case logicalNames.bits:
      if (typeof value !== 'string') return fail(field, schema, value, 'expected base64 bytes');
      return Buffer.from(value, 'base64');
    case logicalNames.geometry: {
      const v = spatialStruct(field, schema, value);
      if (typeof v.wkb !== 'string') return fail(field, schema, value, 'expected {wkb: base64 bytes, srid}');
      return { wkb: Buffer.from(v.wkb, 'base64'), srid: sridOf(field, schema, v) } satisfies GeometryValue;
    }
    case logicalNames.point: {
      const v = spatialStruct(field, schema, value);
      if (typeof v.x !== 'number' || typeof v.y !== 'number')
        return fail(field, schema, value, 'expected {x, y} numbers');
      if (v.wkb !== undefined && v.wkb !== null && typeof v.wkb !== 'string')
        return fail(field, schema, value, 'expected wkb as base64 bytes or null');
      return {
        x: v.x,
        y: v.y,
        wkb: typeof v.wkb === 'string' ? Buffer.from(v.wkb, 'base64') : null,
        srid: sridOf(field, schema, v),
      } satisfies PointValue;
    }
    default:
      return undefined;
  }
}

function spatialStruct(field: string, schema: ConnectSchema, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(field, schema, value, 'expected a struct');
  return value as Record<string, unknown>;
}

function sridOf(field: string, schema: ConnectSchema, v: Record<string, unknown>): number | null {
  if (v.srid === null || v.srid === undefined) return null;
  if (typeof v.srid === 'number' && Number.isInteger(v.srid)) return v.srid;
  return fail(field, schema, v, 'expected srid as an integer or null');
}

/** Decodes one value by its Connect schema: logical types first, then the plain types. */
export function decodeValue(field: string, schema: ConnectSchema | undefined, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (!schema) return value;
  if (schema.name) {
    const logical = decodeLogical(field, schema, value);
    if (logical !== undefined) return logical;
  }
  switch (schema.type) {
    case 'struct':
      return decodeStruct(schema, value, field);
    case 'bytes':
      if (typeof value !== 'string') return fail(field, schema, value, 'expected base64 bytes');
      return Buffer.from(value, 'base64');
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64': {
      const n = asInteger(field, schema, value);
      return typeof n === 'bigint' &&
        n >= BigInt(Number.MIN_SAFE_INTEGER) &&
        n <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(n)
        : n;
    }
    case 'float':
    case 'float32':
    case 'double':
    case 'float64':
      if (typeof value !== 'number') return fail(field, schema, value, 'expected a number');
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') return fail(field, schema, value, 'expected true/false');
      return value;
    case 'string':
      if (typeof value !== 'string') return fail(field, schema, value, 'expected a string');
      return value;
    case 'array':
      if (!Array.isArray(value)) return fail(field, schema, value, 'expected an array');
      return value.map((item, i) => decodeValue(`${field}[${i}]`, schema.items, item));
    default:
      return value;
  }
}

/** A struct payload by its field schemas; fields the schema does not know are kept as sent. */
export function decodeStruct(schema: ConnectSchema, value: unknown, path = ''): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(path || 'struct', schema, value, 'expected an object');
  }
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const f of schema.fields ?? []) {
    out[f.field] = decodeValue(path ? `${path}.${f.field}` : f.field, f, out[f.field]);
  }
  return out;
}

/** A row without a schema: decoded by column hints where given, raw otherwise. */
export function decodeWithHints(
  row: Record<string, unknown>,
  hints: Record<string, ConnectSchema> | undefined,
): Record<string, unknown> {
  if (!hints) return row;
  const out = { ...row };
  for (const [column, schema] of Object.entries(hints)) {
    if (column in out) out[column] = decodeValue(column, schema, out[column]);
  }
  return out;
}
