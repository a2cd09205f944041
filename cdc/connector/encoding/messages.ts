import { unquoteSql } from './columns.ts';
import { jsonString } from './json-text.ts';
import { connectorSchemaName, sourcePayloadWriter, sourceSchemaBody } from './source.ts';
import type { ColumnDef, EncoderOptions, SourceInfo, TableDef } from './types.ts';

/**
 * The non-data messages: schema changes, transaction boundaries, heartbeats,
 * as JsonConverter text with schemas.enable following the key/value converter settings.
 * Struct layouts follow Debezium 3.4's SchemaFactory.
 */

export interface OutgoingMessage {
  topic: string;
  key: string | null;
  value: string | null;
}

const str = JSON.stringify;
const nul = (v: string | number | boolean | null | undefined) =>
  v === null || v === undefined ? 'null' : typeof v === 'string' ? str(v) : String(v);

const wrap = (enabled: boolean, schema: string, payload: string) =>
  enabled ? '{"schema":' + schema + ',"payload":' + payload + '}' : payload;

const field = (type: string, optional: boolean, name: string) =>
  `{"type":"${type}","optional":${optional},"field":"${name}"}`;

// ---------------------------------------------------------------------------------------------
// schema changes

export type TableChangeType = 'CREATE' | 'ALTER' | 'DROP';

export interface TableChangeInput {
  /** 'TRUNCATE' is accepted for the caller's convenience and left out: Debezium reports no table change for it. */
  type: TableChangeType | 'TRUNCATE';
  db: string;
  table: string;
  /** The table after the change; undefined for DROP (a stub with no columns is written). */
  def?: TableDef;
  /** For a rename: the old name (the id becomes `"db"."old","db"."new"`). */
  previousTable?: string;
}

export interface SchemaChangeInput {
  db: string;
  ddl: string;
  tableChanges: TableChangeInput[];
  source: SourceInfo;
  nowMs: number;
}

const stringArray = (optional: boolean, fieldName: string) =>
  `{"type":"array","items":{"type":"string","optional":false},"optional":${optional},"field":"${fieldName}"}`;

const columnSchema =
  '{"type":"struct","fields":[' +
  [
    field('string', false, 'name'),
    field('int32', false, 'jdbcType'),
    field('int32', true, 'nativeType'),
    field('string', false, 'typeName'),
    field('string', true, 'typeExpression'),
    field('string', true, 'charsetName'),
    field('int32', true, 'length'),
    field('int32', true, 'scale'),
    field('int32', false, 'position'),
    field('boolean', true, 'optional'),
    field('boolean', true, 'autoIncremented'),
    field('boolean', true, 'generated'),
    field('string', true, 'comment'),
    field('string', true, 'defaultValueExpression'),
    stringArray(true, 'enumValues'),
  ].join(',') +
  '],"optional":false,"name":"io.debezium.connector.schema.Column","version":1}';

const tableSchema =
  '{"type":"struct","fields":[' +
  [
    field('string', true, 'defaultCharsetName'),
    stringArray(true, 'primaryKeyColumnNames'),
    `{"type":"array","items":${columnSchema},"optional":false,"field":"columns"}`,
    field('string', true, 'comment'),
  ].join(',') +
  '],"optional":true,"name":"io.debezium.connector.schema.Table","version":1,"field":"table"}';

const changeSchema =
  '{"type":"struct","fields":[' +
  [field('string', false, 'type'), field('string', false, 'id'), tableSchema].join(',') +
  '],"optional":false,"name":"io.debezium.connector.schema.Change","version":1}';

function schemaChangeSchemas(o: EncoderOptions) {
  const key =
    '{"type":"struct","fields":[' +
    field('string', false, 'databaseName') +
    `],"optional":false,"name":${str(connectorSchemaName(o, 'SchemaChangeKey'))},"version":1}`;
  const value =
    '{"type":"struct","fields":[' +
    [
      sourceSchemaBody(o) + ',"field":"source"}',
      field('int64', false, 'ts_ms'),
      field('string', true, 'databaseName'),
      field('string', true, 'schemaName'),
      field('string', true, 'ddl'),
      `{"type":"array","items":${changeSchema},"optional":false,"field":"tableChanges"}`,
    ].join(',') +
    `],"optional":false,"name":${str(connectorSchemaName(o, 'SchemaChangeValue'))},"version":1}`;
  return { key, value };
}

/** java.sql.Types of a column as Debezium's MySQL DDL parser assigns it. */
export function jdbcType(col: ColumnDef): number {
  switch (col.dataType) {
    case 'bit':
      return -7;
    case 'bool':
    case 'boolean':
      return 16;
    case 'tinyint':
    case 'smallint':
      return 5;
    case 'mediumint':
    case 'int':
    case 'integer':
    case 'year':
      return 4;
    case 'bigint':
      return -5;
    case 'float':
      return 6;
    case 'real':
      return 7;
    case 'double':
      return 8;
    case 'decimal':
      return 3;
    case 'numeric':
      return 2;
    case 'date':
      return 91;
    case 'time':
      return 92;
    case 'datetime':
      return 93;
    case 'timestamp':
      return 2014;
    case 'char':
    case 'enum':
    case 'set':
      return 1;
    case 'binary':
      return -2;
    case 'varbinary':
      return -3;
    case 'tinyblob':
    case 'blob':
    case 'mediumblob':
    case 'longblob':
      return 2004;
    case 'varchar':
    case 'tinytext':
    case 'text':
    case 'mediumtext':
    case 'longtext':
      return 12;
    default:
      return 1111;
  }
}

const characterTypes = new Set([
  'char',
  'varchar',
  'tinytext',
  'text',
  'mediumtext',
  'longtext',
  'enum',
  'set',
  'json',
]);

/** Length as Debezium's parser reads it from the type: display width, char length, DECIMAL precision, fsp. */
function columnLength(col: ColumnDef): number | null {
  // Debezium's MySQL DDL model: ENUM has length 1; SET one per member plus the commas between
  // (what real Debezium's schema-change records carry).
  if (col.dataType === 'enum') return 1;
  if (col.dataType === 'set') return Math.max(0, (col.enumValues?.length ?? 0) * 2 - 1);
  const m = col.columnType ? /^\w+\((\d+)/.exec(col.columnType) : null;
  if (m) return Number(m[1]);
  if (col.dataType === 'decimal' || col.dataType === 'numeric' || col.dataType === 'bit')
    return col.length ?? null;
  if (/^(char|varchar|binary|varbinary)$/.test(col.dataType)) return col.length ?? null;
  if (/^(datetime|timestamp|time)$/.test(col.dataType) && col.fsp) return col.fsp;
  return null;
}

function typeName(col: ColumnDef): string {
  const base = col.dataType.toUpperCase();
  return col.unsigned && col.dataType !== 'year' ? `${base} UNSIGNED` : base;
}

/** The DDL default without SQL quoting ('pending' → pending), as Debezium's defaultValueExpression. */
function defaultExpression(col: ColumnDef): string | null {
  const d = col.defaultValue;
  if (d === undefined || d === null || d === 'NULL') return null;
  if (d.length >= 2 && d.startsWith("'") && d.endsWith("'")) return unquoteSql(d.slice(1, -1));
  return d;
}

function columnPayload(col: ColumnDef, position: number): string {
  const scale =
    col.dataType === 'decimal' ||
    col.dataType === 'numeric' ||
    (col.dataType === 'float' && col.scale !== undefined)
      ? (col.scale ?? null)
      : null;
  const enumValues =
    col.enumValues && (col.dataType === 'enum' || col.dataType === 'set')
      ? '[' + col.enumValues.map((v) => str(`'${v.replace(/'/g, "''")}'`)).join(',') + ']'
      : 'null';
  return (
    '{"name":' +
    str(col.name) +
    ',"jdbcType":' +
    jdbcType(col) +
    ',"nativeType":null,"typeName":' +
    str(typeName(col)) +
    ',"typeExpression":' +
    str(typeName(col)) +
    ',"charsetName":' +
    nul(characterTypes.has(col.dataType) ? (col.charset ?? null) : null) +
    ',"length":' +
    nul(columnLength(col)) +
    ',"scale":' +
    nul(scale) +
    ',"position":' +
    position +
    ',"optional":' +
    col.nullable +
    ',"autoIncremented":' +
    !!col.autoIncrement +
    // Debezium's DDL parsers mark an AUTO_INCREMENT column generated too (the server makes
    // its value), as real Debezium's schema-change records show.
    ',"generated":' +
    (!!col.generated || !!col.autoIncrement) +
    ',"comment":' +
    nul(col.comment ?? null) +
    ',"defaultValueExpression":' +
    nul(defaultExpression(col)) +
    ',"enumValues":' +
    enumValues +
    '}'
  );
}

const quotedId = (db: string, table: string) => `"${db}"."${table}"`;

function tableChangePayload(c: TableChangeInput): string {
  const id = c.previousTable
    ? `${quotedId(c.db, c.previousTable)},${quotedId(c.db, c.table)}`
    : quotedId(c.db, c.table);
  const def = c.def;
  const table = def
    ? '{"defaultCharsetName":' +
      nul(def.defaultCharset ?? null) +
      ',"primaryKeyColumnNames":[' +
      (def.primaryKeyColumns ?? def.keyColumns).map((k) => str(k)).join(',') +
      '],"columns":[' +
      def.columns.map((col, i) => columnPayload(col, i + 1)).join(',') +
      '],"comment":' +
      nul(def.comment ?? null) +
      '}'
    : '{"defaultCharsetName":null,"primaryKeyColumnNames":[],"columns":[],"comment":null}';
  return '{"type":' + str(c.type) + ',"id":' + str(id) + ',"table":' + table + '}';
}

/** A schema-change record for the topic `<prefix>` (key `{databaseName}`). */
export function schemaChangeMessage(o: EncoderOptions, input: SchemaChangeInput): OutgoingMessage {
  const schemas = schemaChangeSchemas(o);
  const keyPayload = '{"databaseName":' + str(input.db) + '}';
  const valuePayload =
    '{"source":' +
    sourcePayloadWriter(o)(input.source) +
    ',"ts_ms":' +
    input.nowMs +
    ',"databaseName":' +
    str(input.db) +
    ',"schemaName":null,"ddl":' +
    jsonString(input.ddl) +
    ',"tableChanges":[' +
    input.tableChanges
      .filter((c) => c.type !== 'TRUNCATE')
      .map(tableChangePayload)
      .join(',') +
    ']}';
  return {
    topic: o.topicPrefix,
    key: wrap(o.keySchemasEnable, schemas.key, keyPayload),
    value: wrap(o.valueSchemasEnable, schemas.value, valuePayload),
  };
}

// ---------------------------------------------------------------------------------------------
// transaction metadata

export interface TransactionMessageInput {
  status: 'BEGIN' | 'END';
  id: string;
  /** null on BEGIN */
  eventCount: number | null;
  /** `db.table` → events of the transaction; null on BEGIN */
  dataCollections: Array<{ dataCollection: string; eventCount: number }> | null;
  /** Source time of the BEGIN / commit, ms. */
  tsMs: number;
}

const txKeySchema =
  '{"type":"struct","fields":[' +
  field('string', false, 'id') +
  '],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataKey","version":1}';

const txValueSchema =
  '{"type":"struct","fields":[' +
  [
    field('string', false, 'status'),
    field('string', false, 'id'),
    field('int64', true, 'event_count'),
    '{"type":"array","items":{"type":"struct","fields":[' +
      field('string', false, 'data_collection') +
      ',' +
      field('int64', false, 'event_count') +
      '],"optional":true,"name":"event.collection","version":1},"optional":true,"field":"data_collections"}',
    field('int64', false, 'ts_ms'),
  ].join(',') +
  '],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataValue","version":1}';

/** `<prefix>.transaction` record (BEGIN/END), keyed by the transaction id. */
export function transactionMessage(o: EncoderOptions, input: TransactionMessageInput): OutgoingMessage {
  const keyPayload = '{"id":' + str(input.id) + '}';
  const collections =
    input.dataCollections === null
      ? 'null'
      : '[' +
        input.dataCollections
          .map((c) => '{"data_collection":' + str(c.dataCollection) + ',"event_count":' + c.eventCount + '}')
          .join(',') +
        ']';
  const valuePayload =
    '{"status":' +
    str(input.status) +
    ',"id":' +
    str(input.id) +
    ',"event_count":' +
    nul(input.eventCount) +
    ',"data_collections":' +
    collections +
    ',"ts_ms":' +
    input.tsMs +
    '}';
  return {
    topic: `${o.topicPrefix}.transaction`,
    key: wrap(o.keySchemasEnable, txKeySchema, keyPayload),
    value: wrap(o.valueSchemasEnable, txValueSchema, valuePayload),
  };
}

// ---------------------------------------------------------------------------------------------
// heartbeats

const heartbeatKeySchema =
  '{"type":"struct","fields":[' +
  field('string', false, 'serverName') +
  '],"optional":false,"name":"io.debezium.connector.common.ServerNameKey","version":1}';
const heartbeatValueSchema =
  '{"type":"struct","fields":[' +
  field('int64', false, 'ts_ms') +
  '],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1}';

/** `__debezium-heartbeat.<prefix>` record. */
export function heartbeatMessage(o: EncoderOptions, nowMs: number): OutgoingMessage {
  return {
    topic: `__debezium-heartbeat.${o.topicPrefix}`,
    key: wrap(o.keySchemasEnable, heartbeatKeySchema, '{"serverName":' + str(o.topicPrefix) + '}'),
    value: wrap(o.valueSchemasEnable, heartbeatValueSchema, '{"ts_ms":' + nowMs + '}'),
  };
}

/** The tombstone that follows a delete: same topic and key, Kafka-null value. */
export function tombstone(topic: string, key: string | null): OutgoingMessage {
  return { topic, key, value: null };
}
