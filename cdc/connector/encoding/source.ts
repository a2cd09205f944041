import {
  EnvelopeField,
  jsonKey,
  SnapshotRecord,
  SourceField,
  TransactionField,
} from '../../debezium/envelope.ts';
import { joinedText, jsonString } from './json-text.ts';
import type { EncoderOptions, SourceInfo, TransactionInfo } from './types.ts';

/**
 * The `source` and `transaction` blocks shared by data and schema-change events, as
 * JsonConverter text (field order of Debezium 3.4's BinlogSourceInfoStructMaker).
 */

const str = JSON.stringify;

export const snapshotAllowed = Object.values(SnapshotRecord).join(',');

/** `io.debezium.connector.<mysql|mariadb>.<suffix>` */
export const connectorSchemaName = (o: Pick<EncoderOptions, 'connectorName'>, suffix: string) =>
  `io.debezium.connector.${o.connectorName}.${suffix}`;

/** The Source struct schema, without the trailing `"field"` (callers add it where it is a field). */
export function sourceSchemaBody(o: Pick<EncoderOptions, 'connectorName'>): string {
  const f = (type: string, optional: boolean, field: string) =>
    `{"type":"${type}","optional":${optional},"field":"${field}"}`;
  return (
    '{"type":"struct","fields":[' +
    [
      f('string', false, SourceField.VERSION),
      f('string', false, SourceField.CONNECTOR),
      f('string', false, SourceField.NAME),
      f('int64', false, SourceField.TIMESTAMP),
      `{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"${snapshotAllowed}"},"default":"${SnapshotRecord.FALSE}","field":"${SourceField.SNAPSHOT}"}`,
      f('string', false, SourceField.DATABASE),
      f('string', true, SourceField.SEQUENCE),
      f('int64', true, SourceField.TIMESTAMP_US),
      f('int64', true, SourceField.TIMESTAMP_NS),
      f('string', true, SourceField.TABLE),
      f('int64', false, SourceField.SERVER_ID),
      f('string', true, SourceField.GTID),
      f('string', false, SourceField.FILE),
      f('int64', false, SourceField.POSITION),
      f('int32', false, SourceField.ROW),
      f('int64', true, SourceField.THREAD),
      f('string', true, SourceField.QUERY),
    ].join(',') +
    `],"optional":false,"name":${str(connectorSchemaName(o, 'Source'))},"version":1`
  );
}

export const transactionSchemaField =
  `{"type":"struct","fields":[{"type":"string","optional":false,"field":"${TransactionField.ID}"},` +
  `{"type":"int64","optional":false,"field":"${TransactionField.TOTAL_ORDER}"},` +
  `{"type":"int64","optional":false,"field":"${TransactionField.DATA_COLLECTION_ORDER}"}],` +
  `"optional":true,"name":"event.block","version":1,"field":"${EnvelopeField.TRANSACTION}"}`;

/** ms → µs / ns as exact digits (ns exceeds 2^53). */
export const microsText = (ms: number) => (ms === 0 ? '0' : String(ms * 1000));
export const nanosText = (ms: number) => (ms === 0 ? '0' : `${ms}000000`);

const nullable = (v: string | null | undefined) => (v === null || v === undefined ? 'null' : jsonString(v));

/** JSON text of the last string seen: db, table and file names repeat from one event to the next. */
function lastStringCache(): (v: string | null | undefined) => string {
  let last: string | null | undefined = null;
  let text = 'null';
  return (v) => {
    if (v === last) return text;
    last = v;
    text = nullable(v);
    return text;
  };
}

/** Precomputes the constant head of the source payload for one connector configuration. */
export function sourcePayloadWriter(o: Pick<EncoderOptions, 'version' | 'connectorName' | 'topicPrefix'>) {
  const write = sourcePartsWriter(o);
  return (s: SourceInfo): string => joinedText((out) => write(s, out));
}

// The source block's constant texts between values, built once from the field names.
const next = (name: string) => `,${jsonKey(name)}`;
const TS_MS = next(SourceField.TIMESTAMP);
const SNAPSHOT = `${next(SourceField.SNAPSHOT)}"`;
const DB = `"${next(SourceField.DATABASE)}`;
const SEQUENCE_NULL_TS_US = `${next(SourceField.SEQUENCE)}null${next(SourceField.TIMESTAMP_US)}`;
const TS_NS = next(SourceField.TIMESTAMP_NS);
const TABLE = next(SourceField.TABLE);
const SERVER_ID = next(SourceField.SERVER_ID);
const GTID = next(SourceField.GTID);
const FILE = next(SourceField.FILE);
const POS = next(SourceField.POSITION);
const ROW = next(SourceField.ROW);
const THREAD = next(SourceField.THREAD);
const QUERY = next(SourceField.QUERY);

/** The source block as parts appended to `out` (the event encoder joins a whole event once). */
export function sourcePartsWriter(o: Pick<EncoderOptions, 'version' | 'connectorName' | 'topicPrefix'>) {
  const head =
    `{${jsonKey(SourceField.VERSION)}${str(o.version)}` +
    `${next(SourceField.CONNECTOR)}${str(o.connectorName)}` +
    `${next(SourceField.NAME)}${str(o.topicPrefix)}`;
  const dbText = lastStringCache();
  const tableText = lastStringCache();
  const fileText = lastStringCache();
  return (s: SourceInfo, out: string[]): void => {
    out.push(
      head,
      TS_MS,
      String(s.tsMs),
      SNAPSHOT,
      String(s.snapshot),
      DB,
      dbText(s.db),
      SEQUENCE_NULL_TS_US,
      s.tsUs === undefined ? microsText(s.tsMs) : String(s.tsUs),
      TS_NS,
      s.tsUs === undefined ? nanosText(s.tsMs) : s.tsUs === 0 ? '0' : `${s.tsUs}000`,
      TABLE,
      tableText(s.table),
      SERVER_ID,
      String(s.serverId),
      GTID,
      nullable(s.gtid),
      FILE,
      fileText(s.file),
      POS,
      String(s.pos),
      ROW,
      String(s.row),
      THREAD,
      s.thread === null || s.thread === undefined ? 'null' : String(s.thread),
      QUERY,
      nullable(s.query),
      '}',
    );
  };
}

const TX_ID = `{${jsonKey(TransactionField.ID)}`;
const TX_TOTAL_ORDER = next(TransactionField.TOTAL_ORDER);
const TX_DATA_COLLECTION_ORDER = next(TransactionField.DATA_COLLECTION_ORDER);

/** The envelope's `transaction` block (`null` outside a transaction). */
export function transactionPayload(t: TransactionInfo | null): string {
  if (t === null) return 'null';
  return (
    TX_ID + str(t.id) + TX_TOTAL_ORDER + t.totalOrder + TX_DATA_COLLECTION_ORDER + t.dataCollectionOrder + '}'
  );
}
