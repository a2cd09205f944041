/**
 * The names of Debezium's change-event envelope (Debezium 3.4, MySQL/MariaDB connectors): its
 * fields, operation letters, `source` block keys and `transaction` block keys — the role
 * Debezium's own io.debezium.data.Envelope plays. The connector's encoder writes these names
 * and the consumer's decoder reads them, so both sides name each field here and nowhere else.
 */

/** Envelope.Operation: what happened to the row. */
export const Operation = {
  CREATE: 'c',
  UPDATE: 'u',
  DELETE: 'd',
  /** A snapshot read. */
  READ: 'r',
  TRUNCATE: 't',
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

const operationLetters: ReadonlySet<string> = new Set(Object.values(Operation));
export const isOperation = (v: unknown): v is Operation => typeof v === 'string' && operationLetters.has(v);

/** Envelope.FieldName: the envelope's top-level fields, in Debezium's order. */
export const EnvelopeField = {
  BEFORE: 'before',
  AFTER: 'after',
  SOURCE: 'source',
  TRANSACTION: 'transaction',
  OPERATION: 'op',
  TIMESTAMP: 'ts_ms',
  TIMESTAMP_US: 'ts_us',
  TIMESTAMP_NS: 'ts_ns',
} as const;

/** The envelope schema's name is `<topic>.Envelope`; the row structs are `<topic>.Value` / `.Key`. */
export const ENVELOPE_SCHEMA_SUFFIX = '.Envelope';

/** Keys of the MySQL/MariaDB `source` block, in the order of BinlogSourceInfoStructMaker. */
export const SourceField = {
  VERSION: 'version',
  CONNECTOR: 'connector',
  NAME: 'name',
  TIMESTAMP: 'ts_ms',
  SNAPSHOT: 'snapshot',
  DATABASE: 'db',
  SEQUENCE: 'sequence',
  TIMESTAMP_US: 'ts_us',
  TIMESTAMP_NS: 'ts_ns',
  TABLE: 'table',
  SERVER_ID: 'server_id',
  GTID: 'gtid',
  FILE: 'file',
  POSITION: 'pos',
  ROW: 'row',
  THREAD: 'thread',
  QUERY: 'query',
} as const;

/** Values of `source.snapshot` (an io.debezium.data.Enum); all but `false` mark a snapshot read. */
export const SnapshotRecord = {
  TRUE: 'true',
  FIRST: 'first',
  FIRST_IN_DATA_COLLECTION: 'first_in_data_collection',
  LAST_IN_DATA_COLLECTION: 'last_in_data_collection',
  LAST: 'last',
  FALSE: 'false',
  INCREMENTAL: 'incremental',
} as const;
export type SnapshotRecord = (typeof SnapshotRecord)[keyof typeof SnapshotRecord];

/** Keys of the envelope's `transaction` block (event.block). */
export const TransactionField = {
  ID: 'id',
  TOTAL_ORDER: 'total_order',
  DATA_COLLECTION_ORDER: 'data_collection_order',
} as const;

/**
 * ExtractNewRecordState (unwrap) output: `__deleted` marks a delete, and `add.fields` adds
 * `__<field>` for envelope fields and `__source_<key>` for source keys.
 */
export const UNWRAP_PREFIX = '__';
export const UNWRAP_DELETED = 'deleted';
export const UNWRAP_SOURCE_PREFIX = `${EnvelopeField.SOURCE}_`;

/** `"name":` — a JSON object key, for encoders that precompute their constant text. */
export const jsonKey = (name: string): string => `"${name}":`;
