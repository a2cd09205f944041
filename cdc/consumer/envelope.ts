import {
  ENVELOPE_SCHEMA_SUFFIX,
  EnvelopeField,
  isOperation,
  Operation,
  SourceField,
  UNWRAP_DELETED,
  UNWRAP_PREFIX,
  UNWRAP_SOURCE_PREFIX,
} from '../debezium/envelope.ts';
import { ConsumerError } from './errors.ts';
import { type ConnectSchema, decodeStruct, decodeWithHints } from './logical-types.ts';
import { parseLosslessJson } from './lossless-json.ts';
import { positionFromSource, positionKey, type SourcePosition } from './source-position.ts';

export type Row = Record<string, unknown>;

/** A Kafka record as the runner hands it to the decoder. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
}

export interface ChangeEvent {
  kind: 'change';
  topic: string;
  partition: number;
  offset: string;
  op: Operation;
  key: Row | null;
  before: Row | null;
  after: Row | null;
  /** The decoded `source` block (null for unwrapped rows without `add.fields`). */
  source: Row | null;
  position: SourcePosition | null;
  /** positionKey(position): compare with `>` to know which of two events is newer. */
  positionKey: string | null;
  db: string | null;
  table: string;
  /** The table the event itself names (`source.table`, or unwrap's `__table`); null when it names none. */
  sourceTable: string | null;
  /** True when the record came through ExtractNewRecordState (no envelope). */
  unwrapped: boolean;
}

/** A null value: after a delete (log compaction), or the delete itself in unwrap `tombstone` mode. */
export interface Tombstone {
  kind: 'tombstone';
  topic: string;
  partition: number;
  offset: string;
  key: Row | null;
  table: string;
}

/** Schema changes, transaction markers, heartbeats: not data (they describe the stream, not a row). */
export interface Ignored {
  kind: 'ignored';
  topic: string;
  partition: number;
  offset: string;
  reason: string;
}

export type DecodedRecord = ChangeEvent | Tombstone | Ignored;

export interface DecodeOptions {
  /** Column hints per table for messages without schemas (Decimal scale, time types). */
  columnHints?: Record<string, Record<string, ConnectSchema>>;
}

function text(data: Buffer | string | null): string | null {
  if (data === null) return null;
  return typeof data === 'string' ? data : data.toString('utf8');
}

function parse(raw: RawRecord, which: 'key' | 'value', data: string): unknown {
  try {
    return parseLosslessJson(data);
  } catch (err) {
    throw new ConsumerError(
      'CDC_ERR_EVENT_NOT_JSON',
      `${which} of ${raw.topic}/${raw.partition}@${raw.offset} is not JSON: ${(err as Error).message}`,
      {
        cause: err,
        context: { topic: raw.topic, partition: raw.partition, offset: raw.offset },
      },
    );
  }
}

/** `{schema, payload}` (schemas.enable=true) or the bare payload. */
function split(value: unknown): { schema: ConnectSchema | undefined; payload: unknown } {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const keys = Object.keys(v);
    if (keys.length === 2 && 'schema' in v && 'payload' in v) {
      return { schema: (v.schema ?? undefined) as ConnectSchema | undefined, payload: v.payload };
    }
  }
  return { schema: undefined, payload: value };
}

function fieldSchema(schema: ConnectSchema | undefined, name: string): ConnectSchema | undefined {
  return schema?.fields?.find((f) => f.field === name);
}

const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function tableOf(topic: string): string {
  return topic.slice(topic.lastIndexOf('.') + 1);
}

function decodeKey(raw: RawRecord): Row | null {
  const keyText = text(raw.key);
  if (keyText === null || keyText === '' || keyText === 'null') return null;
  const { schema, payload } = split(parse(raw, 'key', keyText));
  if (payload === null) return null;
  if (typeof payload !== 'object' || Array.isArray(payload)) return { value: payload };
  return schema ? decodeStruct(schema, payload, 'key') : (payload as Row);
}

const nonDataSchemas = /(SchemaChangeValue|TransactionMetadataValue|common\.Heartbeat)$/;

function nonDataReason(schema: ConnectSchema | undefined, payload: Row): string | null {
  if (schema?.name && nonDataSchemas.test(schema.name)) return `non-data record ${schema.name}`;
  if ('ddl' in payload && 'databaseName' in payload) return 'schema change';
  if ((payload.status === 'BEGIN' || payload.status === 'END') && 'id' in payload)
    return 'transaction marker';
  const keys = Object.keys(payload);
  if (keys.length === 1 && keys[0] === 'ts_ms') return 'heartbeat';
  return null;
}

function isEnvelope(schema: ConnectSchema | undefined, payload: Row): boolean {
  if (schema?.name?.endsWith(ENVELOPE_SCHEMA_SUFFIX)) return true;
  return (
    isOperation(payload[EnvelopeField.OPERATION]) &&
    EnvelopeField.SOURCE in payload &&
    (EnvelopeField.BEFORE in payload || EnvelopeField.AFTER in payload)
  );
}

/**
 * Turns one Kafka record into a change event. Accepts the Debezium envelope with or without
 * JsonConverter schemas, the ExtractNewRecordState output (with `__deleted` / `__op` /
 * `__source_*` fields), null values and null keys. Throws ConsumerError (not retriable) for a
 * record that cannot be read: the runner dead-letters it.
 */
export function decodeRecord(raw: RawRecord, options: DecodeOptions = {}): DecodedRecord {
  const at = { topic: raw.topic, partition: raw.partition, offset: raw.offset };
  const valueText = text(raw.value);
  if (valueText === null || valueText === '' || valueText === 'null') {
    return { kind: 'tombstone', ...at, key: decodeKey(raw), table: tableOf(raw.topic) };
  }
  const { schema, payload } = split(parse(raw, 'value', valueText));
  if (payload === null) return { kind: 'tombstone', ...at, key: decodeKey(raw), table: tableOf(raw.topic) };
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    throw new ConsumerError(
      'CDC_ERR_EVENT_SHAPE',
      `value of ${raw.topic}/${raw.partition}@${raw.offset} is a JSON ${Array.isArray(payload) ? 'array' : typeof payload}, not an object`,
      { context: at },
    );
  }
  const body = payload as Row;
  const skip = nonDataReason(schema, body);
  if (skip) return { kind: 'ignored', ...at, reason: skip };
  const key = decodeKey(raw);
  return isEnvelope(schema, body)
    ? fromEnvelope(raw, schema, body, key, options)
    : fromUnwrapped(raw, schema, body, key, options);
}

function fromEnvelope(
  raw: RawRecord,
  schema: ConnectSchema | undefined,
  body: Row,
  key: Row | null,
  options: DecodeOptions,
): ChangeEvent {
  const op = body[EnvelopeField.OPERATION];
  if (!isOperation(op)) {
    throw new ConsumerError(
      'CDC_ERR_EVENT_SHAPE',
      `envelope of ${raw.topic}/${raw.partition}@${raw.offset} has unknown op ${JSON.stringify(op)}`,
      {
        context: { topic: raw.topic, offset: raw.offset },
      },
    );
  }
  const sourceSchema = fieldSchema(schema, EnvelopeField.SOURCE);
  const rawSource = body[EnvelopeField.SOURCE];
  const source =
    rawSource === null || rawSource === undefined
      ? null
      : sourceSchema
        ? decodeStruct(sourceSchema, rawSource, EnvelopeField.SOURCE)
        : (rawSource as Row);
  const sourceTable = source?.[SourceField.TABLE];
  const table = typeof sourceTable === 'string' ? sourceTable : tableOf(raw.topic);
  const image = (name: typeof EnvelopeField.BEFORE | typeof EnvelopeField.AFTER): Row | null => {
    const value = body[name];
    if (value === null || value === undefined) return null;
    const s = fieldSchema(schema, name);
    if (s) return decodeStruct(s, value, name);
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new ConsumerError(
        'CDC_ERR_EVENT_SHAPE',
        `${name} of ${raw.topic}@${raw.offset} is not an object`,
        { context: { topic: raw.topic, offset: raw.offset } },
      );
    }
    return decodeWithHints(value as Row, options.columnHints?.[table]);
  };
  const before = image(EnvelopeField.BEFORE);
  const after = image(EnvelopeField.AFTER);
  if ((op === Operation.CREATE || op === Operation.READ || op === Operation.UPDATE) && !after) {
    throw new ConsumerError(
      'CDC_ERR_EVENT_SHAPE',
      `op ${op} at ${raw.topic}@${raw.offset} has no after image`,
      { context: { topic: raw.topic, offset: raw.offset } },
    );
  }
  if (op === Operation.DELETE && !before) {
    throw new ConsumerError(
      'CDC_ERR_EVENT_SHAPE',
      `delete at ${raw.topic}@${raw.offset} has no before image`,
      { context: { topic: raw.topic, offset: raw.offset } },
    );
  }
  const position = positionFromSource(source);
  return {
    kind: 'change',
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    op,
    key,
    before,
    after,
    source,
    position,
    positionKey: position ? positionKey(position) : null,
    db: stringOrNull(source?.[SourceField.DATABASE]),
    table,
    sourceTable: stringOrNull(sourceTable),
    unwrapped: false,
  };
}

/** ExtractNewRecordState: the row itself, plus `__deleted` ("true"/"false") and `__<field>` extras. */
function fromUnwrapped(
  raw: RawRecord,
  schema: ConnectSchema | undefined,
  body: Row,
  key: Row | null,
  options: DecodeOptions,
): ChangeEvent {
  const extras: Row = {};
  const columns: Row = {};
  for (const [name, value] of Object.entries(body)) {
    if (name.startsWith(UNWRAP_PREFIX)) extras[name.slice(UNWRAP_PREFIX.length)] = value;
    else columns[name] = value;
  }
  // add.fields names envelope fields (`op`), source keys bare (`table`, `db`) or prefixed (`source_file`)
  const extraTable = extras[SourceField.TABLE];
  const table = typeof extraTable === 'string' ? extraTable : tableOf(raw.topic);
  const row = schema
    ? decodeStruct(
        { ...schema, fields: schema.fields?.filter((f) => !f.field.startsWith(UNWRAP_PREFIX)) },
        columns,
        'row',
      )
    : decodeWithHints(columns, options.columnHints?.[table]);
  const extraOp = extras[EnvelopeField.OPERATION];
  const marker = extras[UNWRAP_DELETED];
  const deleted = marker === 'true' || marker === true || extraOp === Operation.DELETE;
  const op: Operation = deleted ? Operation.DELETE : isOperation(extraOp) ? extraOp : Operation.UPDATE;
  const fromSource = (key: string) => extras[UNWRAP_SOURCE_PREFIX + key];
  const source: Row | null =
    UNWRAP_SOURCE_PREFIX + SourceField.FILE in extras ||
    UNWRAP_SOURCE_PREFIX + SourceField.TIMESTAMP in extras
      ? {
          [SourceField.FILE]: fromSource(SourceField.FILE),
          [SourceField.POSITION]: fromSource(SourceField.POSITION),
          [SourceField.ROW]: fromSource(SourceField.ROW),
          [SourceField.SNAPSHOT]: fromSource(SourceField.SNAPSHOT),
          [SourceField.GTID]: fromSource(SourceField.GTID) ?? null,
          [SourceField.TIMESTAMP]: fromSource(SourceField.TIMESTAMP),
          [SourceField.DATABASE]: fromSource(SourceField.DATABASE) ?? extras[SourceField.DATABASE],
          [SourceField.TABLE]: table,
        }
      : null;
  const position = positionFromSource(source);
  return {
    kind: 'change',
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    op,
    key,
    before: deleted ? row : null,
    after: deleted ? null : row,
    source,
    position,
    positionKey: position ? positionKey(position) : null,
    db: stringOrNull(extras[SourceField.DATABASE]) ?? stringOrNull(fromSource(SourceField.DATABASE)),
    table,
    sourceTable: stringOrNull(extraTable) ?? stringOrNull(fromSource(SourceField.TABLE)),
    unwrapped: true,
  };
}
