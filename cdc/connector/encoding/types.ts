/**
 * The contract between the connector's runtime (snapshot, binlog stream, producer) and its
 * Debezium encoding. The runtime learns table definitions (from information_schema during a
 * snapshot, from the binlog's own TABLE_MAP metadata while streaming) and hands raw rows to an
 * encoder; the encoder turns them into exactly what Debezium + JsonConverter put on Kafka.
 */

import type { SnapshotRecord } from '../../debezium/envelope.ts';

/** One column as the encoder needs it, whatever the source of the definition. */
export interface ColumnDef {
  name: string;
  /** Lower-case MySQL data type without size or attributes: 'int', 'bigint', 'decimal', 'datetime', 'varchar', 'enum', 'json', … */
  dataType: string;
  /** Full column type text when known (information_schema COLUMN_TYPE, e.g. 'tinyint(1)', 'decimal(12,2) unsigned'). */
  columnType?: string;
  unsigned: boolean;
  nullable: boolean;
  /** DECIMAL precision; BIT length; CHAR/VARCHAR/BINARY length in characters/bytes. */
  length?: number;
  /** DECIMAL scale. */
  scale?: number;
  /** Fractional-seconds digits of DATETIME / TIMESTAMP / TIME (0–6). */
  fsp?: number;
  /** ENUM / SET members in declaration order. */
  enumValues?: string[];
  charset?: string | null;
  /**
   * DDL default in MariaDB's information_schema COLUMN_DEFAULT form: string literals quoted
   * (`'pending'`), numbers bare (`0.00`), expressions bare (`current_timestamp()`), `NULL` or null
   * when there is none; undefined when unknown (e.g. learned from the binlog, which has no defaults).
   * readTableDefs converts MySQL 8's unquoted form into this one.
   */
  defaultValue?: string | null;
  autoIncrement?: boolean;
  /** Generated (virtual/stored) column. */
  generated?: boolean;
  comment?: string | null;
}

export interface TableDef {
  db: string;
  table: string;
  columns: ColumnDef[];
  /** Key columns in key order: the primary key, else the first usable unique index, else empty (null Kafka key). */
  keyColumns: string[];
  /** The primary key alone (keyColumns may instead hold a promoted unique index); schema-change messages report it. */
  primaryKeyColumns?: string[];
  /** Table default character set (schema-change messages); unknown from the binlog. */
  defaultCharset?: string | null;
  comment?: string | null;
}

export type DecimalHandlingMode = 'precise' | 'string' | 'double';
/** Debezium's binlog connectors refuse `adaptive` ("no longer supported"); so does this one. */
export type TimePrecisionMode = 'adaptive_time_microseconds' | 'connect';
export type BigintUnsignedHandlingMode = 'long' | 'precise';
export type BinaryHandlingMode = 'bytes' | 'base64' | 'base64-url-safe' | 'hex';

export interface EncoderOptions {
  topicPrefix: string;
  /** 'mariadb' or 'mysql' (source.connector and schema names follow it). */
  connectorName: 'mariadb' | 'mysql';
  /** source.version, e.g. '3.4.0.Final' (the Debezium version whose output we match). */
  version: string;
  decimalHandlingMode: DecimalHandlingMode;
  timePrecisionMode: TimePrecisionMode;
  bigintUnsignedHandlingMode: BigintUnsignedHandlingMode;
  binaryHandlingMode: BinaryHandlingMode;
  keySchemasEnable: boolean;
  valueSchemasEnable: boolean;
  /** Server time zone used to read TIMESTAMP values (the connector sets the session to '+00:00'). */
}

/** `source.snapshot` as this connector writes it (it takes no incremental snapshots). */
export type SnapshotMarker = Exclude<SnapshotRecord, 'incremental'>;

export interface SourceInfo {
  tsMs: number;
  /** µs-precision source time (MySQL 8 GTID original_commit_timestamp); ts_us/ts_ns derive from tsMs when absent. */
  tsUs?: number;
  snapshot: SnapshotMarker;
  db: string;
  table: string | null;
  serverId: number;
  gtid: string | null;
  file: string;
  pos: number;
  row: number;
  thread: number | null;
  query: string | null;
}

export interface TransactionInfo {
  id: string;
  totalOrder: number;
  dataCollectionOrder: number;
}

/**
 * Where a raw row came from decides how its values look: 'snapshot' rows come from mysql2 with
 * the connection options the encoding exports (snapshotConnectionOptions); 'binlog' rows come
 * from @vlasky/zongji's rows events.
 */
export type RowOrigin = 'snapshot' | 'binlog';

export type RawRow = Record<string, unknown>;

/**
 * JsonConverter text in three parts: a table's constant head and tail (the schema around the
 * payload), encoded to bytes once per table, and the per-event text between them. The producer
 * writes the parts straight into the Kafka record; joining them into one string per event cost
 * more than building it.
 */
export interface FramedText {
  head: Buffer;
  body: string;
  tail: Buffer;
}

/** A Kafka message body: null is a Kafka null (tombstone, null key), never the text "null". */
export type Encoded = string | FramedText | null;
