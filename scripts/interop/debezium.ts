import { randomInt } from 'node:crypto';

/**
 * Debezium's MySQL connector class: its MariaDB module is not served here, and the MySQL
 * connector reads MariaDB's binlog (test/interop/global-setup.ts says what it needs).
 */
export const mysqlConnectorClass = 'io.debezium.connector.mysql.MySqlConnector';

export interface DebeziumOptions {
  /** `mysql://user:pass@host:port/` of the server whose binlog is read. */
  mysqlUrl: string;
  brokers: readonly string[];
  /** Topic prefix (`topic.prefix`): topics are `<prefix>.<database>.<table>`. */
  prefix: string;
  databases: string[];
  /** `db.table` names; every table of `databases` when absent. */
  tables?: string[];
  /** Unique among the server's replicas and binlog readers; random when absent. */
  serverId?: number;
  /** Overrides and additions (snapshot.mode, converters, tombstones…). */
  extra?: Record<string, string>;
}

/**
 * The Debezium connector configuration of docs/operations.md ("A real Debezium MySQL
 * connector"), for a given server, Kafka and prefix: the same converters, decimal, time and
 * unsigned handling, tombstones and schema-history settings as the documented JSON, so what the
 * interop tests run is what a team would register.
 */
export function debeziumConfig(options: DebeziumOptions): Record<string, string> {
  const url = new URL(options.mysqlUrl);
  return {
    'connector.class': mysqlConnectorClass,
    'tasks.max': '1',
    'database.hostname': url.hostname,
    'database.port': url.port || '3306',
    'database.user': decodeURIComponent(url.username),
    'database.password': decodeURIComponent(url.password),
    'database.server.id': String(options.serverId ?? randomInt(100_000, 2_000_000_000)),
    'topic.prefix': options.prefix,
    'database.include.list': options.databases.join(','),
    ...(options.tables ? { 'table.include.list': options.tables.join(',') } : {}),
    'snapshot.mode': 'initial',
    'include.schema.changes': 'false',
    'schema.history.internal.kafka.bootstrap.servers': options.brokers.join(','),
    'schema.history.internal.kafka.topic': `schema-history.${options.prefix}`,
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'true',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'true',
    'tombstones.on.delete': 'true',
    'time.precision.mode': 'adaptive_time_microseconds',
    'decimal.handling.mode': 'precise',
    'bigint.unsigned.handling.mode': 'long',
    ...options.extra,
  };
}
