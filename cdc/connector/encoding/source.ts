import { joinedText, jsonString } from './json-text.ts';
import type { EncoderOptions, SourceInfo, TransactionInfo } from './types.ts';

/**
 * The `source` and `transaction` blocks shared by data and schema-change events, as
 * JsonConverter text (field order of Debezium 3.4's BinlogSourceInfoStructMaker).
 */

const str = JSON.stringify;

export const snapshotAllowed =
  'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental';

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
      f('string', false, 'version'),
      f('string', false, 'connector'),
      f('string', false, 'name'),
      f('int64', false, 'ts_ms'),
      `{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"${snapshotAllowed}"},"default":"false","field":"snapshot"}`,
      f('string', false, 'db'),
      f('string', true, 'sequence'),
      f('int64', true, 'ts_us'),
      f('int64', true, 'ts_ns'),
      f('string', true, 'table'),
      f('int64', false, 'server_id'),
      f('string', true, 'gtid'),
      f('string', false, 'file'),
      f('int64', false, 'pos'),
      f('int32', false, 'row'),
      f('int64', true, 'thread'),
      f('string', true, 'query'),
    ].join(',') +
    `],"optional":false,"name":${str(connectorSchemaName(o, 'Source'))},"version":1`
  );
}

export const transactionSchemaField =
  '{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},' +
  '{"type":"int64","optional":false,"field":"total_order"},' +
  '{"type":"int64","optional":false,"field":"data_collection_order"}],' +
  '"optional":true,"name":"event.block","version":1,"field":"transaction"}';

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

/** The source block as parts appended to `out` (the event encoder joins a whole event once). */
export function sourcePartsWriter(o: Pick<EncoderOptions, 'version' | 'connectorName' | 'topicPrefix'>) {
  const head =
    '{"version":' + str(o.version) + ',"connector":' + str(o.connectorName) + ',"name":' + str(o.topicPrefix);
  const dbText = lastStringCache();
  const tableText = lastStringCache();
  const fileText = lastStringCache();
  return (s: SourceInfo, out: string[]): void => {
    out.push(
      head,
      ',"ts_ms":',
      String(s.tsMs),
      ',"snapshot":"',
      String(s.snapshot),
      '","db":',
      dbText(s.db),
      ',"sequence":null,"ts_us":',
      s.tsUs === undefined ? microsText(s.tsMs) : String(s.tsUs),
      ',"ts_ns":',
      s.tsUs === undefined ? nanosText(s.tsMs) : s.tsUs === 0 ? '0' : `${s.tsUs}000`,
      ',"table":',
      tableText(s.table),
      ',"server_id":',
      String(s.serverId),
      ',"gtid":',
      nullable(s.gtid),
      ',"file":',
      fileText(s.file),
      ',"pos":',
      String(s.pos),
      ',"row":',
      String(s.row),
      ',"thread":',
      s.thread === null || s.thread === undefined ? 'null' : String(s.thread),
      ',"query":',
      nullable(s.query),
      '}',
    );
  };
}

export function transactionPayload(t: TransactionInfo | null): string {
  if (t === null) return 'null';
  return (
    '{"id":' +
    str(t.id) +
    ',"total_order":' +
    t.totalOrder +
    ',"data_collection_order":' +
    t.dataCollectionOrder +
    '}'
  );
}
