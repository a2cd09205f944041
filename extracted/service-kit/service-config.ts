import { z } from 'zod';
import { kafkaBrokers, port } from '../../lib/config.ts';
import { httpTimeoutEnvNames, httpTimeoutFields } from '../../lib/http-server.ts';
import type { KafkaSecurity } from '../../lib/kafka-security.ts';

const databaseName = z
  .string()
  .regex(
    /^[A-Za-z0-9_$]{1,64}$/,
    'must be a MySQL database name: letters, digits, _ or $, at most 64 (e.g. catalog)',
  );
const topicPart = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a Kafka topic part: letters, digits, . _ - (e.g. legacy)');

/**
 * Settings every extracted service shares; each service adds its port and database defaults.
 * MYSQL_URL is read by resolveServerUrl() (the services use the same server as the monolith,
 * each with its own database).
 */
export function serviceConfigShape(defaults: { port: number; database: string; name: string }) {
  return {
    /** HTTP port. */
    port: port(defaults.port),
    /** Interface to bind. */
    host: z.string().min(1).default('127.0.0.1'),
    /** The service's own database (created when missing). */
    database: databaseName.default(defaults.database),
    /** Kafka bootstrap servers, comma-separated host:port. */
    brokers: kafkaBrokers(),
    /** Debezium topic.prefix of the connector. */
    topicPrefix: topicPart.default('legacy'),
    /** The legacy database the topics carry (topics are <prefix>.<sourceDatabase>.<table>). */
    sourceDatabase: databaseName.default('shop'),
    /** Consumer group id; offsets live in the service's database under this id. */
    groupId: z.string().min(1).max(200).default(`${defaults.name}-projection`),
    /** Suffix of the dead-letter topics (<topic><suffix>). */
    dlqSuffix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be a topic suffix such as .dlq')
      .default('.dlq'),
    /** knex pool size. */
    poolMax: z.coerce.number().int().min(2).max(200).default(10),
    /**
     * The legacy server the connector reads (mysql://user:pass@host:port), asked for its binlog
     * position when an event claims one beyond what it last said; default: the MYSQL_URL server.
     */
    sourceUrl: z
      .string()
      .regex(/^mysql:\/\/[^\s]+$/, 'must be a mysql:// URL, e.g. mysql://root@127.0.0.1:3306')
      .optional(),
    /** A request head / a whole request still incomplete after this long gets 408 (lib/http-server.ts). */
    ...httpTimeoutFields,
  };
}

export function serviceEnvNames(prefix: 'CATALOG' | 'ORDERS') {
  return {
    port: `${prefix}_PORT`,
    host: `${prefix}_HOST`,
    database: `${prefix}_DB`,
    brokers: 'KAFKA_BROKERS',
    topicPrefix: 'CDC_TOPIC_PREFIX',
    sourceDatabase: 'SHOP_DB',
    groupId: `${prefix}_GROUP_ID`,
    dlqSuffix: `${prefix}_DLQ_SUFFIX`,
    poolMax: `${prefix}_DB_POOL_MAX`,
    sourceUrl: 'SOURCE_MYSQL_URL',
    ...httpTimeoutEnvNames(prefix),
  } as const;
}

export interface ServiceConfig {
  port: number;
  host: string;
  database: string;
  brokers: string[];
  topicPrefix: string;
  sourceDatabase: string;
  groupId: string;
  dlqSuffix: string;
  poolMax: number;
  sourceUrl?: string | undefined;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** KAFKA_SECURITY_PROTOCOL, KAFKA_SSL_*, KAFKA_SASL_* (lib/kafka-security.ts); unset = PLAINTEXT. */
  kafkaSecurity?: KafkaSecurity | undefined;
}

export const topicFor = (config: Pick<ServiceConfig, 'topicPrefix' | 'sourceDatabase'>, table: string) =>
  `${config.topicPrefix}.${config.sourceDatabase}.${table}`;
