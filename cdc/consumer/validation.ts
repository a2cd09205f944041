import { EnvelopeField, Operation, SourceField } from '../debezium/envelope.ts';
import type { ChangeEvent, Row } from './envelope.ts';
import { ConsumerError, type ConsumerErrorCode } from './errors.ts';

/**
 * What a projection expects on one topic: the source database and table the topic carries,
 * the key columns of that table, and the columns (with their types) the projection reads.
 * An event that says otherwise is dead-lettered before it touches a row.
 */
export interface SourceTable {
  /** Source database; default: from the topic name `<prefix>.<db>.<table>`. */
  db?: string;
  /** Source table; default: from the topic name. */
  table?: string;
  /** The table's key columns: the Kafka key, when present, must carry exactly these, equal to the row's. */
  key?: string[];
  /** Columns the projection reads: required in `after` (c/r/u), checked in `before` when present (d). */
  columns?: Record<string, ColumnType | ColumnSpec>;
  /**
   * `required` (default): every event carries a binlog position (full envelopes always do;
   * unwrapped rows with add.fields=source.file,source.pos,source.row). `offset`: the topic
   * carries unwrapped rows without one, ordered by Kafka offset instead. An `offset:` order
   * sorts above every binlog position, so on a positioned stream one row without a position
   * would pin its row: hence refused unless declared.
   */
  positions?: 'required' | 'offset';
}

/** The JS values a decoded column may hold (see the decoding table in docs/consumer.md). */
export type ColumnType = 'integer' | 'decimal' | 'string' | 'time' | 'json' | 'any';

export interface ColumnSpec {
  type: ColumnType;
  /** NULL allowed (default true; key columns never). */
  nullable?: boolean;
}

/** A resolved expectation: db and table always known. */
export interface TopicExpectation extends SourceTable {
  db: string;
  table: string;
}

/** `<prefix>.<db>.<table>`: the last two dot-separated parts; null when the name has fewer than three. */
export function sourceOfTopic(topic: string): { db: string; table: string } | null {
  const parts = topic.split('.');
  if (parts.length < 3) return null;
  return { db: parts[parts.length - 2]!, table: parts[parts.length - 1]! };
}

/** The expectation of every topic of a projection; throws CDC_ERR_INVALID_OPTION for a topic it cannot name. */
export function topicExpectations(
  projection: string,
  topics: string[],
  sources: Record<string, SourceTable> = {},
): Map<string, TopicExpectation> {
  const map = new Map<string, TopicExpectation>();
  for (const name of Object.keys(sources))
    if (!topics.includes(name))
      throw new ConsumerError(
        'CDC_ERR_INVALID_OPTION',
        `projection ${projection} declares source ${name}, which is not one of its topics`,
      );
  for (const topic of topics) {
    const declared = sources[topic] ?? {};
    const fromName = sourceOfTopic(topic);
    const db = declared.db ?? fromName?.db;
    const table = declared.table ?? fromName?.table;
    if (!db || !table)
      throw new ConsumerError(
        'CDC_ERR_INVALID_OPTION',
        `projection ${projection}: topic ${topic} is not named <prefix>.<db>.<table>; declare its source db and table`,
      );
    for (const k of declared.key ?? []) {
      const spec = declared.columns?.[k];
      if (spec && typeof spec === 'object' && spec.nullable === true)
        throw new ConsumerError(
          'CDC_ERR_INVALID_OPTION',
          `projection ${projection}: key column ${k} of ${topic} cannot be nullable`,
        );
    }
    map.set(topic, { ...declared, db, table });
  }
  return map;
}

/** A failed check: which field, what was expected, what the event carried. */
function invalid(
  code: ConsumerErrorCode,
  event: ChangeEvent,
  field: string,
  expected: string,
  actual: unknown,
): ConsumerError {
  const shown = describe(actual);
  return new ConsumerError(
    code,
    `${event.topic}/${event.partition}@${event.offset}: ${field} is ${shown}, expected ${expected}`,
    {
      context: {
        topic: event.topic,
        partition: event.partition,
        offset: event.offset,
        field,
        expected,
        actual: shown,
      },
    },
  );
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'bigint') return `${value}`;
  if (Buffer.isBuffer(value)) return `bytes(${value.length})`;
  try {
    const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}` : v));
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}

const decimalText = /^-?\d+(\.\d+)?$/;

/** Same forms as the services' sqlTime(): epoch ms, ISO text or SQL text. */
function isTime(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'string' || value === '') return false;
  const iso = /^\d{4}-\d{2}-\d{2} /.test(value) ? `${value.replace(' ', 'T')}Z` : value;
  return !Number.isNaN(new Date(iso).getTime());
}

function typeMatches(type: ColumnType, value: unknown): boolean {
  switch (type) {
    case 'integer':
      return (typeof value === 'number' && Number.isSafeInteger(value)) || typeof value === 'bigint';
    case 'decimal':
      return (
        (typeof value === 'string' && decimalText.test(value)) ||
        (typeof value === 'number' && Number.isFinite(value))
      );
    case 'string':
      return typeof value === 'string';
    case 'time':
      return isTime(value);
    case 'json':
    case 'any':
      return true;
  }
}

const expectedType: Record<ColumnType, string> = {
  integer: 'an integer',
  decimal: 'a decimal number (text such as "12.30")',
  string: 'a string',
  time: 'a time (epoch ms or ISO text)',
  json: 'JSON',
  any: 'any value',
};

const spec = (s: ColumnType | ColumnSpec): Required<ColumnSpec> =>
  typeof s === 'string' ? { type: s, nullable: true } : { type: s.type, nullable: s.nullable ?? true };

const same = (a: unknown, b: unknown) =>
  (typeof a === 'number' || typeof a === 'bigint' || typeof a === 'string') &&
  (typeof b === 'number' || typeof b === 'bigint' || typeof b === 'string')
    ? String(a) === String(b)
    : a === b;

/**
 * Checks a decoded change event against its topic's expectation: routing (source db and table),
 * the envelope's required fields, before/after per op, the key against the row's key columns
 * and the types of the columns the projection reads. Returns the first problem found as a
 * ConsumerError (not retriable: the runner dead-letters the event), or null when it is sound.
 * The source position is checked apart (source-head.ts): it needs the source server.
 */
export function checkEvent(
  event: ChangeEvent,
  expect: TopicExpectation,
  tombstone = false,
): ConsumerError | null {
  const src = event.source;
  // Routing: what the event says it is must be what the topic carries. An unwrapped row names
  // its table and db only with add.fields; a full envelope always does (required source fields).
  if (!event.unwrapped) {
    if (!src)
      return invalid('CDC_ERR_EVENT_SHAPE', event, EnvelopeField.SOURCE, 'a source block', src ?? undefined);
    for (const f of [SourceField.DATABASE, SourceField.TABLE, SourceField.FILE] as const)
      if (typeof src[f] !== 'string' || src[f] === '')
        return invalid('CDC_ERR_EVENT_SHAPE', event, `source.${f}`, 'a non-empty string', src[f]);
    if (event.position === null)
      return invalid(
        'CDC_ERR_EVENT_SHAPE',
        event,
        'source.pos',
        'a binlog position (integer)',
        src[SourceField.POSITION],
      );
  }
  const db = event.db ?? (typeof src?.[SourceField.DATABASE] === 'string' ? src[SourceField.DATABASE] : null);
  if (db !== null && db !== expect.db)
    return invalid('CDC_ERR_EVENT_MISROUTED', event, 'source.db', JSON.stringify(expect.db), db);
  if (event.sourceTable !== null && event.sourceTable !== expect.table)
    return invalid(
      'CDC_ERR_EVENT_MISROUTED',
      event,
      'source.table',
      JSON.stringify(expect.table),
      event.sourceTable,
    );
  if (event.position === null && !tombstone && expect.positions !== 'offset')
    return invalid(
      'CDC_ERR_EVENT_SHAPE',
      event,
      'source.pos',
      "a binlog position (unwrapped rows: add.fields=source.file,source.pos,source.row; or declare positions: 'offset')",
      undefined,
    );
  if (event.position && (!Number.isSafeInteger(event.position.pos) || event.position.pos < 0))
    return invalid(
      'CDC_ERR_EVENT_SHAPE',
      event,
      'source.pos',
      'a binlog position (integer ≥ 0)',
      event.position.pos,
    );

  // before/after per op (Debezium: c and r carry only after, d only before, t neither).
  const { op, before, after } = event;
  if (!event.unwrapped) {
    if ((op === Operation.CREATE || op === Operation.READ) && before !== null)
      return invalid('CDC_ERR_EVENT_SHAPE', event, 'before', `null for op ${op}`, before);
    if (op === Operation.DELETE && after !== null)
      return invalid('CDC_ERR_EVENT_SHAPE', event, 'after', 'null for op d', after);
    if (op === Operation.TRUNCATE && (before !== null || after !== null))
      return invalid(
        'CDC_ERR_EVENT_SHAPE',
        event,
        before !== null ? 'before' : 'after',
        'null for op t',
        before ?? after,
      );
  }
  if (op === Operation.TRUNCATE) return null;
  const image: Row | null = op === Operation.DELETE ? before : after;
  const imageName = op === Operation.DELETE ? 'before' : 'after';
  if (!image)
    return invalid('CDC_ERR_EVENT_SHAPE', event, imageName, `a row for op ${op}`, image ?? undefined);

  // The key names the row: its fields are the table's key columns, with the row's values.
  const keyColumns = expect.key;
  if (event.key && !tombstone) {
    const fields = Object.keys(event.key);
    if (keyColumns && (fields.length !== keyColumns.length || keyColumns.some((k) => !fields.includes(k))))
      return invalid('CDC_ERR_EVENT_KEY', event, 'key', `the fields ${JSON.stringify(keyColumns)}`, fields);
    for (const f of fields)
      if (!same(event.key[f], image[f]))
        return invalid(
          'CDC_ERR_EVENT_KEY',
          event,
          `${imageName}.${f}`,
          `the key's ${f} ${describe(event.key[f])}`,
          image[f],
        );
  } else if (keyColumns && !event.key && !tombstone) {
    return invalid('CDC_ERR_EVENT_KEY', event, 'key', `a key with ${JSON.stringify(keyColumns)}`, null);
  }

  // Types of what the projection reads: all present in `after`; in a delete's `before`, the
  // key columns (a tombstone's before is the key alone) and any other column it carries.
  const columns = expect.columns ?? {};
  for (const [name, raw] of Object.entries(columns)) {
    const s = spec(raw);
    const isKey = keyColumns?.includes(name) ?? false;
    const value = image[name];
    if (value === undefined) {
      if (op === Operation.DELETE && !isKey) continue;
      return invalid('CDC_ERR_EVENT_TYPE', event, `${imageName}.${name}`, expectedType[s.type], value);
    }
    if (value === null) {
      if (s.nullable && !isKey) continue;
      return invalid(
        'CDC_ERR_EVENT_TYPE',
        event,
        `${imageName}.${name}`,
        `${expectedType[s.type]}, not null`,
        value,
      );
    }
    if (!typeMatches(s.type, value))
      return invalid('CDC_ERR_EVENT_TYPE', event, `${imageName}.${name}`, expectedType[s.type], value);
  }
  return null;
}
